// 数据看板: draws the charts from the figures the page embeds with json_script.
// The tables under each chart hold the same numbers, so the page reads without JavaScript
// and for screen readers; the chart library is served from static/vendor (no CDN).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#c8161d", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f", "#bcbd22"];
  var common = {responsive: true, maintainAspectRatio: false, animation: false};

  var trend = document.getElementById("chart-trend");
  if (trend) {
    var series = [
      ["items_opened", "seriesItemsOpened"], ["items_resolved", "seriesItemsResolved"],
      ["agreements_signed", "seriesAgreementsSigned"], ["meetings_held", "seriesMeetingsHeld"]
    ];
    new window.Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.map(function (row) { return row.month; }),
        datasets: series.map(function (pair, i) {
          return {
            label: trend.dataset[pair[1]],
            data: data.trend.map(function (row) { return row[pair[0]]; }),
            borderColor: colours[i], backgroundColor: colours[i], tension: 0.2
          };
        })
      },
      options: Object.assign({scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}, common)
    });
  }

  function bars(id, rows) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.label; }),
        datasets: [{
          label: canvas.dataset.series,
          data: rows.map(function (row) { return row.count; }),
          backgroundColor: rows.map(function (row, i) { return colours[i % colours.length]; })
        }]
      },
      options: Object.assign({
        indexAxis: "y", plugins: {legend: {display: false}},
        scales: {x: {beginAtZero: true, ticks: {precision: 0}}}
      }, common)
    });
  }

  bars("chart-stages", data.stages);
  bars("chart-levels", data.levels);
}());
