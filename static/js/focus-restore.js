// After an htmx swap, put focus back on the control the user acted on (WCAG 2.4.3), and
// announce what changed (WCAG 4.1.3).
//
// Focus: before the swap the focused element is remembered (by id; else by name and value
// within its form; else, for a button, by its form's URL and its text). After the swap the
// same control in the new content gets focus again. If it is gone (a removed row), focus
// goes to the first heading of the swapped region (or the region), never to <body>. Swaps
// that did not start from the focused element or replace it (polling) leave focus alone.
//
// Announcements: an element of the new content marked data-announce has its text read out
// by the page's one polite live region (#live-announcer in base.html), when it changed. A
// live region swapped in whole is not announced by screen readers; this one stays put.
(function () {
  "use strict";
  var remembered = null;
  var lastAnnounced = {};

  function formUrl(form) {
    return form ? form.getAttribute("hx-post") || form.getAttribute("action") || "" : "";
  }

  function keyOf(element) {
    if (!element || element === document.body || element === document.documentElement) return null;
    if (element.id) return { id: element.id };
    if (element.name && element.form) {
      return { name: element.name, value: element.type === "radio" || element.type === "checkbox" ? element.value : null, form: formUrl(element.form) };
    }
    if (element.tagName === "BUTTON" || element.tagName === "A") {
      return { text: element.textContent.trim(), form: formUrl(element.form), tag: element.tagName };
    }
    return null;
  }

  function find(key) {
    if (key.id) return document.getElementById(key.id);
    var candidates;
    if (key.name) {
      candidates = Array.prototype.filter.call(document.getElementsByName(key.name), function (e) {
        return (key.value === null || e.value === key.value) && formUrl(e.form) === key.form;
      });
    } else {
      candidates = Array.prototype.filter.call(document.getElementsByTagName(key.tag), function (e) {
        return e.textContent.trim() === key.text && formUrl(e.form) === key.form;
      });
    }
    return candidates.length === 1 ? candidates[0] : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    remembered = null;
    if (!target || !active || active === document.body) return;
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var inside = target.contains(active);
    if (inside || active === source || (source && source.contains && source.contains(active))) {
      remembered = { key: keyOf(active), targetId: target.id, inside: inside };
    }
  });

  function announce(root) {
    var announcer = document.getElementById("live-announcer");
    if (!announcer || !root || !root.querySelectorAll) return;
    var marked = root.matches && root.matches("[data-announce]") ? [root] : [];
    marked = marked.concat(Array.prototype.slice.call(root.querySelectorAll("[data-announce]")));
    marked.forEach(function (element) {
      var text = element.textContent.replace(/\s+/g, " ").trim();
      var key = element.id || "default";
      if (!text || lastAnnounced[key] === text) return;
      lastAnnounced[key] = text;
      announcer.textContent = "";
      window.setTimeout(function () { announcer.textContent = text; }, 50);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-announce]"), function (element) {
      lastAnnounced[element.id || "default"] = element.textContent.replace(/\s+/g, " ").trim();
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var memory = remembered;
    remembered = null;
    var region = (memory && memory.targetId && document.getElementById(memory.targetId)) || event.detail.target;
    announce(region && document.body.contains(region) ? region : event.detail.elt);
    if (!memory) return;
    // A swap that did not replace the focused control never takes focus back from where the
    // user has moved on to meanwhile (typing in a search box, then Tab to its results).
    var active = document.activeElement;
    var lost = !active || active === document.body || !document.body.contains(active);
    if (!memory.inside && !lost) return;
    var again = memory.key && find(memory.key);
    if (again && typeof again.focus === "function" && !again.disabled) {
      if (document.activeElement !== again) again.focus({ preventScroll: true });
      return;
    }
    if (!memory.inside || !region || !document.body.contains(region)) return;
    var landing = region.querySelector("h1, h2, h3") || region;
    if (!landing.hasAttribute("tabindex")) landing.setAttribute("tabindex", "-1");
    landing.focus({ preventScroll: true });
  });
})();
