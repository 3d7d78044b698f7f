// After an htmx swap, put focus back on the control the user acted on (WCAG 2.4.3).
//
// Before the swap the focused element is remembered by id (or by name within its form);
// after it, the element with the same id (or name) in the new content gets focus again. If
// the control is gone, focus goes to the swapped region itself (made focusable with
// tabindex=-1) rather than falling to <body>. Swaps not started from inside the document's
// focus (polling, a hidden trigger) leave focus alone.
(function () {
  "use strict";
  var remembered = null;

  function keyOf(element) {
    if (!element || element === document.body || element === document.documentElement) return null;
    if (element.id) return { id: element.id };
    if (element.name && element.form) {
      return { name: element.name, value: element.type === "radio" ? element.value : null };
    }
    return null;
  }

  function find(key) {
    if (key.id) return document.getElementById(key.id);
    var selector = '[name="' + key.name.replace(/"/g, '\\"') + '"]';
    if (key.value !== null) selector += '[value="' + key.value.replace(/"/g, '\\"') + '"]';
    return document.querySelector(selector);
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    remembered = null;
    if (!target || !active) return;
    // Only when focus is on what is being replaced, or on what started the request.
    if (target.contains(active) || active === event.detail.requestConfig.elt) {
      remembered = { key: keyOf(active), target: target, inside: target.contains(active) };
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!remembered) return;
    var memory = remembered;
    remembered = null;
    var again = memory.key && find(memory.key);
    if (again && typeof again.focus === "function" && !again.disabled) {
      if (document.activeElement !== again) again.focus({ preventScroll: true });
      return;
    }
    if (!memory.inside) return; // the control still has focus outside the swapped region
    var region = event.detail.target && document.body.contains(event.detail.target) ? event.detail.target : memory.target;
    if (!document.body.contains(region)) return;
    if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
    region.focus({ preventScroll: true });
  });
})();
