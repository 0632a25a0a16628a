/* The dashboard's trend charts (ECharts), drawn from the JSON that the page embeds with json_script.
   Tooltips are drawn on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style=""
   attributes, which the Content-Security-Policy (style-src 'self') refuses. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  document.querySelectorAll(".dashboard-chart").forEach(function (el) {
    var s = data.series[Number(el.dataset.series)];
    var chart = window.echarts.init(el);
    chart.setOption({
      grid: {left: 48, right: 8, top: 16, bottom: 24},
      tooltip: {trigger: "axis", renderMode: "richText"},
      xAxis: {type: "category", data: data.weeks.map(function (w) { return w.slice(5); })},
      yAxis: {type: "value"},
      series: [{name: s.label, type: s.key === "trend.payments" ? "bar" : "line", data: s.values, smooth: true}],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
