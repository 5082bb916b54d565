// Charts of the government's hazard figures (templates/hazards/supervision/figures.html).
// Data come from the page's json_script #supervision-chart-data: {data: {region|industry|month: {...}}, text: {...}}.
// Bars: found and rectified; line (right axis): the rectification, on-time and major rectification rates in %.
(function () {
  "use strict";
  var source = document.getElementById("supervision-chart-data");
  if (!source || typeof Chart === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var text = charts.text || {};
  var COLOURS = {
    found: "rgba(13, 110, 253, 0.55)",
    closed: "rgba(25, 135, 84, 0.65)",
    rectification_rate: "#fd7e14",
    on_time_rate: "#6f42c1",
    major_rate: "#dc3545",
  };

  function rateLine(series, key) {
    return {
      type: "line",
      label: text[key] || key,
      data: series[key],
      yAxisID: "rate",
      borderColor: COLOURS[key],
      backgroundColor: COLOURS[key],
      spanGaps: true,
      tension: 0.2,
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var series = (charts.data || {})[canvas.dataset.chart];
    if (!series || !series.labels.length) {
      canvas.closest(".card-body").hidden = true;
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          { label: text.found || "found", data: series.found, backgroundColor: COLOURS.found, yAxisID: "count" },
          { label: text.closed || "closed", data: series.closed, backgroundColor: COLOURS.closed, yAxisID: "count" },
          rateLine(series, "rectification_rate"),
          rateLine(series, "on_time_rate"),
          rateLine(series, "major_rate"),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          rate: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
        },
      },
    });
  });
})();
