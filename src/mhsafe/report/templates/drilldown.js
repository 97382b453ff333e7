/* mhsafe report: filter and sort the per-item table in the page (no server, no network).
   A link "#items?system=…&suite=…&category=…&verdict=…" (the figures' bars) or to a run's
   anchor "#ev-…" (the captions) sets the filters and shows the table. */
(function () {
  "use strict";
  var table = document.getElementById("items-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ["system", "suite", "category", "verdict"];
  var controls = {};
  keys.forEach(function (k) { controls[k] = document.getElementById("filter-" + k); });
  var search = document.getElementById("filter-q");
  var count = document.getElementById("items-count");

  keys.forEach(function (k) {  // options from the rows themselves
    var seen = {};
    rows.forEach(function (r) { seen[r.dataset[k]] = true; });
    Object.keys(seen).sort().forEach(function (v) {
      var o = document.createElement("option"); o.value = v; o.textContent = v;
      controls[k].appendChild(o);
    });
  });

  function apply() {
    var q = (search.value || "").toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var ok = keys.every(function (k) {
        return !controls[k].value || r.dataset[k] === controls[k].value;
      }) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " items shown";
  }

  function set(values) {
    keys.forEach(function (k) { controls[k].value = values[k] || ""; });
    search.value = values.q || "";
    apply();
  }

  function fromHash() {
    var hash = window.location.hash;
    if (hash.indexOf("#items?") === 0) {
      var params = new URLSearchParams(hash.slice(7));
      var values = {};
      params.forEach(function (v, k) { values[k] = v; });
      set(values);
      document.getElementById("items").scrollIntoView();
      return;
    }
    var target = hash.length > 1 ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
    if (target && target.dataset.system && target.dataset.suite) {
      set({system: target.dataset.system, suite: target.dataset.suite});
    }
  }

  function sortBy(th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.type === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = rows.map(function (r) {
      var cell = r.cells[index];
      var text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
      return {row: r, key: numeric ? parseFloat(text) || 0 : text.toLowerCase()};
    });
    keyed.sort(function (a, b) {
      var d = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return ascending ? d : -d;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    rows = keyed.map(function (k) { return k.row; });
  }

  keys.forEach(function (k) { controls[k].addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.getElementById("filter-clear").addEventListener("click", function () { set({}); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var button = th.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(th); }); }
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
  apply();
})();
