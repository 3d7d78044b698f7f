// Narrow screens: a data table wider than the screen scrolls inside its own box instead of
// pushing the whole page sideways. Every table of the main content that is not already in a
// .table-responsive wrapper gets one (also in content htmx swaps in). A wrapper that does
// scroll and holds nothing focusable is made a focusable, named region, so that keyboard
// users can scroll it too (WCAG 2.1.1).
(function () {
  "use strict";

  function wrap(root) {
    if (!root || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll("main table.table"), function (table) {
      var wrapper = table.parentElement;
      if (!wrapper.classList.contains("table-responsive")) {
        wrapper = document.createElement("div");
        wrapper.className = "table-responsive";
        table.parentNode.insertBefore(wrapper, table);
        wrapper.appendChild(table);
      }
      var scrolls = wrapper.scrollWidth > wrapper.clientWidth + 1;
      var focusable = wrapper.querySelector("a[href], button, input, select, textarea, [tabindex]");
      if (scrolls && !focusable && !wrapper.hasAttribute("tabindex")) {
        var caption = table.querySelector("caption");
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("role", "region");
        wrapper.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { wrap(document); });
  else wrap(document);
  document.addEventListener("htmx:afterSettle", function (event) { wrap(event.detail.target && event.detail.target.closest ? event.detail.target.closest("main") || document : document); });
})();
