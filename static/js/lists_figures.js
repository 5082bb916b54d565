// Inspection figures chart (hazards area "lists"): due and done checks as bars, coverage and investigation rate
// as lines on a 0–100 % axis. Data from <script type="application/json" id="figures-data"> (json_script):
// CSP allows no inline scripts, so this file.
(function () {
  "use strict";
  var canvas = document.getElementById("figures-chart");
  var source = document.getElementById("figures-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: data.names.due, data: data.due, yAxisID: "count", backgroundColor: "rgba(108,117,125,.45)" },
        { type: "bar", label: data.names.done, data: data.done, yAxisID: "count", backgroundColor: "rgba(25,135,84,.65)" },
        { type: "line", label: data.names.rate, data: data.rate, yAxisID: "percent", borderColor: "#0d6efd", backgroundColor: "#0d6efd", spanGaps: true },
        { type: "line", label: data.names.coverage, data: data.coverage, yAxisID: "percent", borderColor: "#fd7e14", backgroundColor: "#fd7e14", spanGaps: true }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
        percent: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }
      }
    }
  });
  canvas.dataset.rendered = "1";
})();
