/* Patient forms: follow-up questions, growing lists, the pain chart and the ICD-10 picker.
   Everything works without this script (all questions shown); it only tidies the form. */
(function () {
  "use strict";

  // --- Follow-up questions: shown only while their parent question is answered yes. ---
  function syncFollowUp(box) {
    var name = box.getAttribute("data-follow-up-of");
    var wanted = box.getAttribute("data-follow-up-value") || "yes";
    var checked = document.querySelector('input[name="' + name + '"]:checked');
    var open = !!checked && checked.value === wanted;
    box.hidden = !open;
  }

  function initFollowUps(root) {
    root.querySelectorAll("[data-follow-up-of]").forEach(function (box) {
      var name = box.getAttribute("data-follow-up-of");
      syncFollowUp(box);
      root.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
        input.addEventListener("change", function () { syncFollowUp(box); });
      });
    });
  }

  // --- Finding lists: "Add another" copies the empty row of a Django formset. ---
  function initFormsets(root) {
    root.querySelectorAll("[data-formset-add]").forEach(function (button) {
      button.addEventListener("click", function () {
        var prefix = button.getAttribute("data-formset-add");
        var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
        var template = document.getElementById(prefix + "-empty");
        var rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index))
          .replace(/__num__/g, String(index + 1));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        rows.appendChild(row);
        total.value = String(index + 1);
        var first = row.querySelector("select, input:not([type=hidden]), textarea");
        if (first) { first.focus(); }
      });
    });
  }

  // --- Pain chart: clicking an area fills and focuses its NPRS box; boxes recolour it. ---
  function colour(n) {
    n = Math.max(0, Math.min(10, n));
    return "hsl(" + (52 - 5 * n) + ", 90%, " + (86 - 4 * n) + "%)";
  }

  function paint(input) {
    var shape = document.querySelector('.body-chart [data-field="' + input.id + '"]');
    if (!shape) { return; }
    var value = parseInt(input.value, 10);
    var ok = input.value !== "" && !isNaN(value) && value >= 0 && value <= 10;
    shape.setAttribute("fill", ok ? colour(value) : "transparent");
    shape.classList.toggle("is-marked", ok);
  }

  function initPainChart(root) {
    var chart = root.querySelector(".body-chart.is-interactive");
    if (!chart) { return; }
    chart.querySelectorAll("[data-field]").forEach(function (shape) {
      shape.addEventListener("click", function () {
        var input = document.getElementById(shape.getAttribute("data-field"));
        if (!input) { return; }
        var details = input.closest("details");
        if (details) { details.open = true; }
        if (input.value === "") { input.value = "5"; paint(input); }
        input.focus();
        input.select();
      });
    });
    root.querySelectorAll("input[data-area]").forEach(function (input) {
      input.addEventListener("input", function () { paint(input); });
    });
  }

  // --- ICD-10 search results: choosing one fills the code box. ---
  function initIcdPicker(root) {
    root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-icd-code]");
      if (!button) { return; }
      var input = document.getElementById("id_icd10_code");
      if (!input) { return; }
      input.value = button.getAttribute("data-icd-code");
      input.focus();
    });
  }

  function init() {
    initFollowUps(document);
    initFormsets(document);
    initPainChart(document);
    initIcdPicker(document);
    var errors = document.getElementById("form-errors");
    if (errors) { errors.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
