// cleanheat pages: draw every ECharts chart of the page (and of HTMX fragments swapped in later).
// A chart is <div class="chart" data-option='{...}'>; its option is built on the server.
(function () {
  "use strict";
  function draw(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var option = JSON.parse(el.dataset.option);
      var locale = document.body.dataset.lang === "en" ? "EN" : "ZH";
      var chart = echarts.init(el, null, { renderer: "svg", locale: locale });
      chart.setOption(option);
      el.dataset.drawn = "1";
      new ResizeObserver(function () { chart.resize(); }).observe(el);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { draw(evt.target); });
})();
