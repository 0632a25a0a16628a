/* The dashboard's map (ECharts): the region's sub-regions coloured by the figure picked in the
   select, from /api/v1/dashboard/map/ (the same values as the sub-region table) and the vendored
   boundaries (static/vendor/china-boundaries/, features keyed by `code`). A click drills down to the
   sub-region's dashboard. On the big screen (config.refresh) the data is fetched again every
   config.refresh seconds. Tooltips are drawn on the canvas (renderMode "richText"): the
   Content-Security-Policy refuses the style="" of HTML tooltips. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-map-config");
  var el = document.getElementById("dashboard-map");
  if (!source || !el || !window.echarts) return;
  var config = JSON.parse(source.textContent);
  var select = document.querySelector("[data-map-figure]");
  var big = el.classList.contains("screen-map");
  var chart = window.echarts.init(el);
  var mapName = "region-" + (config.region || "cn");
  var centers = {};
  var GOOD = "#2e7d32", MID = "#f9a825", BAD = "#c62828";

  function pct(v) { return Math.round(v * 100) + "%"; }

  function show(value, figure) {
    if (value === null || value === undefined) return "—";
    return figure.kind === "ratio" ? pct(value) : String(value) + (figure.unit || "");
  }

  function render(data) {
    var figure = data.figure;
    var rows = data.subregions;
    var values = rows.filter(function (r) { return r.value !== null; }).map(function (r) { return Number(r.value); });
    var target = figure.target === null ? null : Number(figure.target);
    var lo, hi;
    if (figure.kind === "ratio") {
      lo = 0;
      hi = target || 1;
    } else {
      lo = target || 0;
      hi = Math.max(lo + 1, Math.max.apply(null, values.concat([0])));
    }
    var byCode = {};
    rows.forEach(function (r) { byCode[r.code] = r; });
    chart.setOption({
      tooltip: {
        trigger: "item",
        renderMode: "richText",
        formatter: function (p) {
          var r = byCode[p.name];
          if (!r) return p.name;
          var lines = [r.name, figure.label + "：" + show(r.value, figure)];
          if (r.target !== null) lines.push(el.dataset.targetLabel + "：" + show(r.target, figure));
          if (r.change !== null) lines.push(el.dataset.changeLabel + "：" + (r.change > 0 ? "+" : "") + show(r.change, figure));
          lines.push(el.dataset.rankLabel + "：" + r.rank + " / " + rows.length);
          return lines.join("\n");
        },
        textStyle: {fontSize: big ? 22 : 13},
      },
      visualMap: {
        type: "continuous",
        min: lo,
        max: hi,
        calculable: false,
        left: 8,
        bottom: 8,
        text: [figure.kind === "ratio" ? pct(hi) : String(hi), figure.kind === "ratio" ? pct(lo) : String(lo)],
        inRange: {color: figure.lower_is_better ? [GOOD, MID, BAD] : [BAD, MID, GOOD]},
        textStyle: {color: big ? "#fff" : "#333", fontSize: big ? 18 : 12},
        formatter: function (v) { return figure.kind === "ratio" ? pct(v) : Math.round(v); },
      },
      series: [{
        type: "map",
        map: mapName,
        nameProperty: "code",
        roam: false,
        selectedMode: false,
        label: {
          show: true,
          fontSize: big ? 18 : 11,
          color: big ? "#fff" : "#222",
          formatter: function (p) { return byCode[p.name] ? byCode[p.name].name : ""; },
        },
        itemStyle: {borderColor: big ? "#111" : "#fff", areaColor: "#bbb"},
        emphasis: {label: {show: true}, itemStyle: {areaColor: "#64b5f6"}},
        data: rows.map(function (r) {
          return {name: r.code, value: r.value === null ? NaN : Number(r.value)};
        }),
      }],
    }, true);
    el.dataset.figure = figure.key;
    el.dataset.rows = String(rows.length);
    el.dataset.ready = "1";
    // where each sub-region is drawn (its label point): lets a test click one
    var pixels = {};
    Object.keys(centers).forEach(function (code) {
      var pt = chart.convertToPixel({seriesIndex: 0}, centers[code]);
      if (pt) pixels[code] = [Math.round(pt[0]), Math.round(pt[1])];
    });
    el.dataset.pixels = JSON.stringify(pixels);
    chart.off("click");
    chart.on("click", function (p) {
      var r = byCode[p.name];
      if (r && r.url) window.location.href = r.url;
    });
  }

  function load() {
    var url = config.api + "?region=" + encodeURIComponent(config.region) + "&figure=" + encodeURIComponent(config.figure);
    return fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(render)
      .catch(function () { el.dataset.error = "1"; });
  }

  fetch(config.boundaries, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      geo.features.forEach(function (f) { if (f.properties.cp) centers[f.properties.code] = f.properties.cp; });
      window.echarts.registerMap(mapName, geo);
      return load();
    });

  if (select) {
    select.addEventListener("change", function () {
      config.figure = select.value;
      var u = new URL(window.location.href);
      u.searchParams.set("figure", config.figure);
      window.history.replaceState(null, "", u.toString());
      load();
    });
  }
  if (config.refresh) window.setInterval(load, config.refresh * 1000);
  window.addEventListener("resize", function () { chart.resize(); });
})();
