// Keyboard navigation for the day and week calendars: Left/Right arrow keys move to the
// previous/next day (or week), T returns to today. The visible buttons do the same; these
// keys just click them, so htmx swaps the calendar in place.
(function () {
  "use strict";
  var KEYS = { ArrowLeft: "calendar-prev", ArrowRight: "calendar-next", t: "calendar-today", T: "calendar-today" };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target && target.closest && target.closest("input, select, textarea, [contenteditable], .dropdown-menu")) return;
    var id = KEYS[event.key];
    var link = id && document.getElementById(id);
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // Say where we are after a swap, for screen reader users.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "calendar") return;
    var heading = document.getElementById("calendar-heading");
    var announcer = document.getElementById("calendar-announcer");
    if (heading && announcer) announcer.textContent = heading.textContent;
  });
})();
