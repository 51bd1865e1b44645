/* 店长经营看板: the charts, drawn from the page's json_script data (no inline script, for the CSP). */
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const names = data.names;
  const charts = [];
  const percent = function (v) { return v === null || v === undefined ? "-" : v + "%"; };
  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el) { return; }
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  const t = data.targets;
  draw("chart-rates", {
    tooltip: {trigger: "axis", valueFormatter: percent},
    grid: {left: 48, right: 16, bottom: 32, top: 24},
    xAxis: {type: "category", data: t.labels},
    yAxis: {type: "value", min: 0, axisLabel: {formatter: "{value}%"}},
    series: [{name: t.names.rate, type: "bar", data: t.rates, itemStyle: {color: "#0d6efd"},
      markLine: {symbol: "none", data: [{yAxis: t.elapsed}], label: {position: "insideEndTop", formatter: t.names.elapsed + " {c}%"},
                 lineStyle: {color: "#6c757d", type: "dashed"}}}]
  });
  const r = data.revenue;
  draw("chart-revenue", {
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "-" : "¥" + v.toLocaleString("zh-CN"); }},
    legend: {top: 0},
    grid: {left: 64, right: 16, bottom: 32, top: 40},
    xAxis: {type: "category", data: r.days},
    yAxis: {type: "value", axisLabel: {formatter: "¥{value}"}},
    series: [
      {name: r.names.actual, type: "line", data: r.actual, areaStyle: {opacity: 0.15}, itemStyle: {color: "#0d6efd"}},
      {name: r.names.planned, type: "line", data: r.planned, symbol: "none", lineStyle: {type: "dashed"}, itemStyle: {color: "#6c757d"}}
    ]
  });
  draw("chart-funnel", {
    tooltip: {trigger: "item", formatter: "{b}：{c}"},
    series: [{name: names.orders, type: "funnel", sort: "none", left: "10%", width: "80%", top: 16, bottom: 16,
              minSize: "10%", label: {position: "inside", formatter: "{b} {c}"}, data: data.funnel}]
  });
  draw("chart-durations", {
    tooltip: {trigger: "axis"},
    grid: {left: 40, right: 16, bottom: 32, top: 24},
    xAxis: {type: "category", data: data.durations.labels},
    yAxis: {type: "value", name: names.avg_days},
    series: [{name: names.avg_days, type: "bar", data: data.durations.days, itemStyle: {color: "#6f42c1"}}]
  });
  draw("chart-complaints", {
    tooltip: {trigger: "item", formatter: "{b}：{c}（{d}%）"},
    legend: {bottom: 0},
    series: [{name: names.complaints, type: "pie", radius: ["35%", "65%"], data: data.complaints}]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
