/* The dashboards' chart helpers (ECharts): one draw() that keeps every chart resizing with the
   window, and the option builders that more than one page draws. Loaded before each page's own
   script; no inline script, for the CSP. */
window.studioCharts = (function () {
  const charts = [];
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  function percent(v) { return v === null || v === undefined ? "-" : v + "%"; }
  function yuan(v) { return v === null || v === undefined ? "-" : "¥" + v.toLocaleString("zh-CN"); }

  /* Draw `option` into the element with this id, if the page has it. */
  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el) { return; }
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }

  /* Target completion per person or department (bars) against the share of the month gone. */
  function rates(t, options) {
    const labelled = options && options.labels;
    return {
      tooltip: {trigger: "axis", valueFormatter: percent},
      grid: {left: 48, right: 16, bottom: 32, top: 24},
      xAxis: {type: "category", data: t.labels},
      yAxis: {type: "value", min: 0, axisLabel: {formatter: "{value}%"}},
      series: [{name: t.names.rate, type: "bar", data: t.rates, itemStyle: {color: "#0d6efd"},
        label: labelled ? {show: true, position: "top", formatter: function (p) { return percent(p.value); }} : undefined,
        markLine: {symbol: "none", data: [{yAxis: t.elapsed, name: t.names.elapsed}],
                   label: {position: "insideEndTop", formatter: t.names.elapsed + " {c}%"},
                   lineStyle: {color: "#6c757d", type: "dashed"}}}]
    };
  }

  /* Revenue received day by day against the month's plan. */
  function revenue(r) {
    return {
      tooltip: {trigger: "axis", valueFormatter: yuan},
      legend: {top: 0},
      grid: {left: 64, right: 16, bottom: 32, top: 40},
      xAxis: {type: "category", data: r.days},
      yAxis: {type: "value", axisLabel: {formatter: "¥{value}"}},
      series: [
        {name: r.names.actual, type: "line", data: r.actual, areaStyle: {opacity: 0.15}, itemStyle: {color: "#0d6efd"}},
        {name: r.names.planned, type: "line", data: r.planned, symbol: "none", lineStyle: {type: "dashed"}, itemStyle: {color: "#6c757d"}}
      ]
    };
  }

  return {draw: draw, percent: percent, rates: rates, revenue: revenue};
})();
