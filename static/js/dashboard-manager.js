/* 店长经营看板: the charts, drawn from the page's json_script data (no inline script, for the CSP). */
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const names = data.names;
  const draw = studioCharts.draw;
  draw("chart-rates", studioCharts.rates(data.targets));
  draw("chart-revenue", studioCharts.revenue(data.revenue));
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
})();
