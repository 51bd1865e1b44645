/* 客服主管看板: the charts, drawn from the page's json_script data (no inline script, for the CSP). */
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const names = data.names;
  const charts = [];
  const loadEl = document.getElementById("chart-load");
  if (loadEl) {
    const chart = echarts.init(loadEl);
    chart.setOption({
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0},
      grid: {left: 80, right: 16, bottom: 24, top: 40},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: data.load.names, inverse: true},
      series: [
        {name: names.today, type: "bar", data: data.load.today, itemStyle: {color: "#0d6efd"}},
        {name: names.overdue, type: "bar", data: data.load.overdue, itemStyle: {color: "#dc3545"}},
        {name: names.customers, type: "bar", data: data.load.customers, itemStyle: {color: "#adb5bd"}}
      ]
    });
    charts.push(chart);
  }
  const trendEl = document.getElementById("chart-trend");
  if (trendEl) {
    const chart = echarts.init(trendEl);
    chart.setOption({
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 48, right: 48, bottom: 32, top: 40},
      xAxis: {type: "category", data: data.trend.weeks},
      yAxis: [
        {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
        {type: "value", minInterval: 1, splitLine: {show: false}}
      ],
      series: [
        {name: names.answers, type: "bar", yAxisIndex: 1, data: data.trend.answers, itemStyle: {color: "#ced4da"}},
        {name: names.rate, type: "line", data: data.trend.rates, connectNulls: true, itemStyle: {color: "#198754"},
         tooltip: {valueFormatter: function (v) { return v === null || v === undefined ? "-" : v + "%"; }}}
      ]
    });
    charts.push(chart);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
