// Bar charts of the chemicals figures (templates/chemicals/figures/figures.html): kilograms purchased, issued,
// in stock, used and collected per lab and per college. Data: json_script #chemical-figures-data
// {data: {lab|college: {labels: [...], series: {purchased: [...], ...}}}, text: {purchased: "...", ...}}.
(function () {
  "use strict";
  var source = document.getElementById("chemical-figures-data");
  if (!source || typeof Chart === "undefined") return;
  var chart = JSON.parse(source.textContent);
  var text = chart.text || {};
  var COLOURS = {
    purchased: "rgba(13, 110, 253, 0.7)",
    issued: "rgba(111, 66, 193, 0.7)",
    in_stock: "rgba(25, 135, 84, 0.7)",
    used: "rgba(253, 126, 20, 0.7)",
    collected: "rgba(108, 117, 125, 0.7)",
  };
  var MEASURES = ["purchased", "issued", "in_stock", "used", "collected"];

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data = (chart.data || {})[canvas.dataset.chart];
    if (!data || !data.labels.length) {
      canvas.parentElement.hidden = true;
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: MEASURES.map(function (m) {
          return { label: text[m] || m, data: data.series[m], backgroundColor: COLOURS[m] };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true } },
      },
    });
  });
})();
