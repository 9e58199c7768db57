/* Report pages: draws the dashboard's charts from the JSON block #report-data (Chart.js, served
   locally), and the print button. No inline script: the CSP allows only nonce-bearing tags. */
(function () {
  "use strict";

  var printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }

  // A table box that scrolls sideways (narrow screens, 200 % zoom) can be scrolled from the
  // keyboard: it takes the focus and is announced by its table's heading (WCAG 2.1.1).
  Array.prototype.forEach.call(document.querySelectorAll(".table-responsive"), function (box) {
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    var block = box.closest(".report-block");
    var heading = block && block.querySelector("h4");
    if (heading && heading.textContent.trim()) {
      box.setAttribute("aria-label", heading.textContent.trim());
    }
  });

  var source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = data.colours;
  var charts = [];

  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#333";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.devicePixelRatio = Math.max(window.devicePixelRatio || 1, 2);
  Chart.defaults.datasets.bar.maxBarThickness = 48;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      charts.push(new Chart(canvas, config));
    }
  }

  function integerAxis(stacked) {
    return { beginAtZero: true, stacked: !!stacked, ticks: { precision: 0 } };
  }

  draw("chart-trend", {
    type: "bar",
    data: {
      labels: data.trend.labels,
      datasets: data.trend.series.map(function (series, index) {
        return {
          label: series.label,
          data: series.data,
          type: index === 0 ? "bar" : "line",
          backgroundColor: colours[index],
          borderColor: colours[index],
          tension: 0.2
        };
      })
    },
    options: { scales: { y: integerAxis(false) }, plugins: { legend: { position: "bottom" } } }
  });

  draw("chart-channel", {
    type: "doughnut",
    data: {
      labels: data.channel.labels,
      datasets: [{ data: data.channel.data, backgroundColor: colours }]
    },
    options: { plugins: { legend: { position: "right" } } }
  });

  draw("chart-category", {
    type: "bar",
    data: {
      labels: data.category.labels,
      datasets: [{ data: data.category.data, backgroundColor: colours[0] }]
    },
    options: { indexAxis: "y", scales: { x: integerAxis(false) }, plugins: { legend: { display: false } } }
  });

  draw("chart-branch", {
    type: "bar",
    data: {
      labels: data.branch.labels,
      datasets: data.branch.series.map(function (series, index) {
        return { label: series.label, data: series.data, backgroundColor: colours[index % colours.length] };
      })
    },
    options: {
      scales: { x: { stacked: true }, y: integerAxis(true) },
      plugins: { legend: { position: "bottom" } }
    }
  });

  draw("chart-rulings", {
    type: "bar",
    data: {
      labels: data.rulings.labels,
      datasets: [{
        data: data.rulings.data,
        backgroundColor: data.rulings.responsible.map(function (r) { return r ? colours[1] : colours[5]; })
      }]
    },
    options: { scales: { y: integerAxis(false) }, plugins: { legend: { display: false } } }
  });

  /* Printing: redraw at the printed width, then back. */
  function resizeAll() {
    charts.forEach(function (chart) { chart.resize(); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
