/* 月度目标: the charts, drawn from the page's json_script data (no inline script, for the CSP). */
(function () {
  const data = JSON.parse(document.getElementById("targets-data").textContent);
  const charts = [];
  const percent = function (v) { return v === null || v === undefined ? "-" : v + "%"; };
  const ratesEl = document.getElementById("chart-rates");
  if (ratesEl) {
    const chart = echarts.init(ratesEl);
    chart.setOption({
      tooltip: {trigger: "axis", valueFormatter: percent},
      grid: {left: 48, right: 16, bottom: 32, top: 24},
      xAxis: {type: "category", data: data.labels},
      yAxis: {type: "value", min: 0, axisLabel: {formatter: "{value}%"}},
      series: [{name: data.names.rate, type: "bar", data: data.rates, itemStyle: {color: "#0d6efd"},
        label: {show: true, position: "top", formatter: function (p) { return percent(p.value); }},
        markLine: {symbol: "none", data: [{yAxis: data.elapsed, name: data.names.elapsed}],
                   label: {position: "insideEndTop", formatter: data.names.elapsed + " {c}%"}, lineStyle: {color: "#6c757d", type: "dashed"}}}]
    });
    charts.push(chart);
  }
  const revenueEl = document.getElementById("chart-revenue");
  if (revenueEl) {
    const r = data.revenue;
    const chart = echarts.init(revenueEl);
    chart.setOption({
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
    charts.push(chart);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
