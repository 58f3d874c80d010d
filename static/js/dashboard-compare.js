// 数据看板 · 下级对比: sorts the comparison table in place when a column header is clicked.
// Without JavaScript each header is a link (?sort=<column>&dir=asc|desc) that the server sorts by,
// so this only saves the round trip; empty values (—) stay last in either direction.
(function () {
  "use strict";
  var table = document.querySelector("table[data-sortable]");
  if (!table || !table.tBodies.length) { return; }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function value(row, index, numeric) {
    var raw = row.cells[index].getAttribute("data-value");
    if (raw === null || raw === "") { return null; }
    return numeric ? parseFloat(raw) : raw;
  }

  function sortBy(th, direction) {
    var index = headers.indexOf(th);
    var numeric = th.classList.contains("num");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index, numeric), y = value(b, index, numeric);
      if (x === null || y === null) { return (x === null) - (y === null); }
      var order = numeric ? x - y : String(x).localeCompare(String(y), "zh-Hans-CN");
      return direction === "asc" ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (other) {
      if (other.hasAttribute("aria-sort")) { other.setAttribute("aria-sort", "none"); }
    });
    th.setAttribute("aria-sort", direction === "asc" ? "ascending" : "descending");
    var link = th.querySelector("a");
    if (link && window.URL) {
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("dir", direction === "asc" ? "desc" : "asc");
      link.href = url.toString();
      var here = new URL(window.location.href);
      here.searchParams.set("sort", th.getAttribute("data-key"));
      here.searchParams.set("dir", direction);
      window.history.replaceState(null, "", here.toString());
    }
  }

  headers.forEach(function (th) {
    var link = th.querySelector("a");
    if (!link || !th.hasAttribute("data-key")) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var current = th.getAttribute("aria-sort");
      var direction = current === "descending" ? "asc" : current === "ascending" ? "desc"
        : (th.classList.contains("num") ? "desc" : "asc");
      sortBy(th, direction);
    });
  });
}());
