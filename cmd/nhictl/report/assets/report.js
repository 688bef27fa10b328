// NHI Radar report: draws the charts from NHI_CHARTS (JSON the Go side
// wrote) with Chart.js and makes the tables sortable. Every error lands in
// #page-errors and body[data-errors], where readers and tests see it.
(function () {
  "use strict";
  var palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#8b5cf6", "#0891b2", "#db2777", "#65a30d", "#9ca3af", "#ea580c"];

  function reportErrors() {
    var list = document.getElementById("page-errors");
    window.nhiErrors.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m;
      list.appendChild(li);
    });
    list.hidden = window.nhiErrors.length === 0;
    document.body.setAttribute("data-errors", String(window.nhiErrors.length));
  }

  // drawn marks each canvas once Chart.js has rendered it, with how many
  // of its pixels hold ink: a chart that rendered nothing shows 0.
  var drawn = {
    id: "nhiDrawn",
    afterRender: function (chart) {
      var c = chart.canvas, px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, ink = 0;
      for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) ink++;
      c.setAttribute("data-drawn", "1");
      c.setAttribute("data-ink", String(ink));
    }
  };

  function config(c) {
    var doughnut = c.type === "doughnut";
    var datasets = c.series.map(function (s, i) {
      var color = s.colors || s.color || palette[i % palette.length];
      return { label: s.label, data: s.data, backgroundColor: color, borderColor: doughnut ? "#fff" : color, borderWidth: 1 };
    });
    var opts = {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: doughnut ? "right" : "top" } }
    };
    if (!doughnut) {
      opts.indexAxis = c.horizontal ? "y" : "x";
      var value = { beginAtZero: true, stacked: c.stacked, ticks: { precision: c.unit ? undefined : 0 } };
      if (c.unit) value.title = { display: true, text: c.unit };
      var category = { stacked: c.stacked };
      opts.scales = c.horizontal ? { x: value, y: category } : { x: category, y: value };
    }
    return { type: c.type, data: { labels: c.labels, datasets: datasets }, options: opts, plugins: [drawn] };
  }

  function drawCharts() {
    var n = 0;
    NHI_CHARTS.forEach(function (c) {
      var canvas = document.getElementById("chart-" + c.id);
      if (!canvas) throw new Error("no canvas for chart " + c.id);
      new Chart(canvas, config(c));
      n++;
    });
    document.body.setAttribute("data-charts", String(n));
  }

  // cellValue is what a column sorts by: data-sort when set, else the text;
  // numbers compare as numbers.
  function cellValue(row, col) {
    var cell = row.cells[col];
    var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    return v !== "" && !isNaN(Number(v)) ? Number(v) : v.toLowerCase();
  }

  function compare(a, b) {
    if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
    return typeof a === "number" ? -1 : 1; // numbers before text (and before blanks)
  }

  // sortTable sorts by the heading's column, ascending on the first click
  // and toggling after; ties keep their order (the sort is stable).
  function sortTable(table, th) {
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return { r: r, i: i, v: cellValue(r, col) }; });
    rows.sort(function (x, y) { return (dir === "ascending" ? 1 : -1) * compare(x.v, y.v) || x.i - y.i; });
    rows.forEach(function (x) { body.appendChild(x.r); });
    table.setAttribute("data-sorted", th.getAttribute("data-key") + ":" + (dir === "ascending" ? "asc" : "desc"));
  }

  function sortable() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortTable(table, th); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortTable(table, th); });
      });
    });
  }

  // A link to #sort=TABLE:KEY[:desc][,TABLE:KEY…] opens the page sorted, by
  // clicking the headings as a reader would (so the tests drive that code).
  function sortFromHash() {
    var m = /^#sort=(.+)$/.exec(location.hash);
    if (!m) return;
    m[1].split(",").forEach(function (spec) {
      var p = /^([\w-]+):(\w+)(?::(asc|desc))?$/.exec(spec);
      var th = p && document.querySelector("#" + p[1] + " th[data-key='" + p[2] + "']");
      if (!th) throw new Error("no sortable column " + spec);
      th.click();
      if (p[3] === "desc") th.click();
    });
  }

  try {
    sortable();
    sortFromHash();
    drawCharts();
  } catch (e) {
    window.nhiErrors.push(String(e && e.stack || e));
  }
  reportErrors();
  document.body.setAttribute("data-ready", "1");
})();
