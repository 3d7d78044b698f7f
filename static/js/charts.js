// Charts (Chart.js) drawn from data the server puts in a <script type="application/json">:
// a canvas with data-chart="report|outcomes" and data-chart-data="<id of the JSON>".
// Runs on page load and when htmx swaps content in (the patient's outcomes panel), so no
// inline script is needed.
(function () {
  "use strict";

  function outcomesConfig(data) {
    var dates = new Set();
    [data.nprs_measures, data.nprs_before, data.nprs_after].forEach(function (s) {
      s.forEach(function (p) { dates.add(p.x); });
    });
    Object.values(data.other).forEach(function (s) {
      s.forEach(function (p) { dates.add(p.x); });
    });
    var labels = Array.from(dates).sort();
    var flat = function (y) { return labels.map(function (x) { return { x: x, y: y }; }); };
    var datasets = [
      { label: "NPRS (measure)", data: data.nprs_measures, borderColor: "#6c757d", showLine: false, pointStyle: "rectRot", pointRadius: 6 },
      { label: "NPRS before session", data: data.nprs_before, borderColor: "#dc3545", backgroundColor: "#dc3545" },
      { label: "NPRS after session", data: data.nprs_after, borderColor: "#198754", backgroundColor: "#198754" },
    ];
    if (data.nprs_baseline !== null) {
      datasets.push({ label: "NPRS baseline", data: flat(data.nprs_baseline), borderColor: "#0d6efd", borderDash: [6, 4], pointRadius: 0 });
      datasets.push({ label: "Baseline − MCID (" + data.nprs_mcid + ")", data: flat(Math.max(data.nprs_baseline - data.nprs_mcid, 0)), borderColor: "#0dcaf0", borderDash: [2, 3], pointRadius: 0 });
    }
    var colours = { psfs: "#6f42c1", ndi: "#fd7e14", odi: "#20c997" };
    Object.entries(data.other).forEach(function (entry) {
      var measure = entry[0];
      datasets.push({ label: measure.toUpperCase(), data: entry[1], borderColor: colours[measure], yAxisID: "y2" });
      if (data.other_baselines[measure] !== undefined) {
        datasets.push({ label: measure.toUpperCase() + " baseline", data: flat(data.other_baselines[measure]), borderColor: colours[measure], borderDash: [6, 4], pointRadius: 0, yAxisID: "y2" });
      }
    });
    var scales = { x: { type: "category", labels: labels }, y: { min: 0, max: 10, title: { display: true, text: "NPRS" } } };
    if (Object.keys(data.other).length) {
      scales.y2 = { position: "right", min: 0, title: { display: true, text: "PSFS / NDI / ODI" }, grid: { drawOnChartArea: false } };
    }
    return { type: "line", data: { datasets: datasets }, options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales } };
  }

  function reportConfig(config) {
    config.options = { responsive: true, animation: false };
    return config;
  }

  var BUILDERS = { outcomes: outcomesConfig, report: reportConfig };

  function draw(root) {
    if (typeof Chart === "undefined" || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.chartDrawn) return;
      var build = BUILDERS[canvas.dataset.chart];
      var source = document.getElementById(canvas.dataset.chartData);
      if (!build || !source) return;
      canvas.dataset.chartDrawn = "1";
      new Chart(canvas, build(JSON.parse(source.textContent)));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // Right after htmx puts content in (before it settles), as the inline script used to run.
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.detail.target || event.target); });
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
})();
