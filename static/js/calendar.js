// Keyboard shortcuts for the day and week calendars: Left/Right arrow keys move to the
// previous/next day (or week), T returns to today. The visible buttons do the same; these
// keys just click them, so htmx swaps the calendar in place.
//
// WCAG 2.1.4: the single-key shortcuts act only while focus is in the calendar (#calendar),
// never inside a form field or a menu, and never inside the scrolling grid or week table,
// where the arrow keys scroll sideways as usual. A checkbox beside the calendar turns them
// off; the choice is kept in this browser (localStorage).
(function () {
  "use strict";
  var KEYS = { ArrowLeft: "calendar-prev", ArrowRight: "calendar-next", t: "calendar-today", T: "calendar-today" };
  var STORE = "dn-calendar-shortcuts";

  function enabled() {
    try { return window.localStorage.getItem(STORE) !== "off"; } catch (e) { return true; }
  }

  function showState() {
    var toggle = document.getElementById("calendar-shortcuts");
    if (toggle) toggle.checked = enabled();
    var hint = document.getElementById("calendar-keys");
    if (hint) hint.hidden = !enabled();
  }

  document.addEventListener("change", function (event) {
    if (!event.target || event.target.id !== "calendar-shortcuts") return;
    try { window.localStorage.setItem(STORE, event.target.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    showState();
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!enabled()) return;
    var target = event.target;
    if (!target || !target.closest || !target.closest("#calendar")) return;
    if (target.closest("input, select, textarea, button, [contenteditable], .dropdown-menu, .cal-grid, .table-responsive")) return;
    var id = KEYS[event.key];
    var link = id && document.getElementById(id);
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // Say where we are after a swap, for screen reader users; keep the toggle's state shown.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "calendar") return;
    showState();
    var heading = document.getElementById("calendar-heading");
    var announcer = document.getElementById("calendar-announcer");
    if (heading && announcer) announcer.textContent = heading.textContent;
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showState);
  else showState();
})();
