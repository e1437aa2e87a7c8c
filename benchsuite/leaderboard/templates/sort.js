(function () {
  "use strict";
  function cellValue(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent; }
    if (raw === "") { return null; }
    if (!numeric) { return raw.toLowerCase(); }
    var x = parseFloat(raw);
    return isNaN(x) ? null : x;
  }
  function sortBy(table, th, col) {
    var body = table.tBodies[0];
    var numeric = th.getAttribute("data-type") === "number";
    var current = th.getAttribute("aria-sort");
    var first = (numeric && th.getAttribute("data-better") !== "lower") ? "descending" : "ascending";
    var dir = current === null ? first : (current === "ascending" ? "descending" : "ascending");
    var sign = dir === "ascending" ? 1 : -1;
    var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
      return { row: row, index: index, value: cellValue(row.cells[col], numeric) };
    });
    rows.sort(function (a, b) {
      if (a.value === null && b.value === null) { return a.index - b.index; }
      if (a.value === null) { return 1; }
      if (b.value === null) { return -1; }
      if (a.value < b.value) { return -sign; }
      if (a.value > b.value) { return sign; }
      return a.index - b.index;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var head = table.tHead.rows[table.tHead.rows.length - 1];  // the column row under the groups
    Array.prototype.forEach.call(head.cells, function (th, col) {
      if (!th.hasAttribute("data-type")) { return; }
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th, col); }
      });
    });
  });
}());
