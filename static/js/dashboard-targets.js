/* 月度目标: the charts, drawn from the page's json_script data (no inline script, for the CSP). */
(function () {
  const data = JSON.parse(document.getElementById("targets-data").textContent);
  studioCharts.draw("chart-rates", studioCharts.rates(data, {labels: true}));
  if (data.revenue) {
    studioCharts.draw("chart-revenue", studioCharts.revenue(data.revenue));
  }
})();
