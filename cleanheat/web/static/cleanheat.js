// cleanheat pages: draw every ECharts chart of the page (and of HTMX fragments swapped in later).
// A chart is <div class="chart" data-option='{...}'>; its option is built on the server. And the filter forms'
// URLs.
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
  // a filter form's empty fields stay out of the URL it pushes (?township=…&status=paid, not ?q=&village=&…):
  // every GET form whose results HTMX swaps in and whose URL it pushes, so a reload or a link shows the same
  // list as the server reads the same parameters (an empty one does not filter)
  document.addEventListener("htmx:configRequest", function (evt) {
    var elt = evt.detail.elt;
    if (evt.detail.verb !== "get" || !elt.matches || !elt.matches("form[hx-push-url]")) { return; }
    var p = evt.detail.parameters;
    Object.keys(p).forEach(function (k) { if (p[k] === "") { delete p[k]; } });
  });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { draw(evt.target); });
})();
