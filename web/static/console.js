// jikimi console: keyboard triage and the copy button. No inline script anywhere (CSP: script-src 'self').
(function () {
  "use strict";
  var current = 0;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue tr.item"));
  }

  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    all[current].focus();
  }

  function selected() {
    return document.querySelectorAll("#queue input[name=ids][form=bulk]:checked");
  }

  function act(key) {
    if (selected().length) {
      var bulk = document.querySelector("#bulk button[data-bulk='" + key + "']");
      if (bulk) { bulk.click(); }
      return;
    }
    var row = rows()[current];
    var button = row && row.querySelector("button[data-key='" + key + "']");
    if (button) { button.click(); }
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("queue")) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" && event.target.type !== "checkbox") { return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    switch (event.key) {
      case "j": focusRow(current + 1); break;
      case "k": focusRow(current - 1); break;
      case "x": {
        var row = rows()[current];
        var box = row && row.querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; }
        break;
      }
      case "c": case "d": case "r": act(event.key); break;
      case "u": {
        var undo = document.getElementById("undo");
        if (undo) { undo.click(); }
        break;
      }
      case "?": {
        var help = document.getElementById("keys-help");
        if (help) { help.classList.toggle("shown"); }
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusin", function (event) {
    var row = event.target && event.target.closest && event.target.closest("#queue tr.item");
    if (row) {
      var index = rows().indexOf(row);
      if (index >= 0) { current = index; rows().forEach(function (r, i) { r.classList.toggle("current", i === index); }); }
    }
  });

  // After htmx replaces the queue, keep the cursor where it was (or on the row that moved up).
  document.addEventListener("htmx:afterSwap", function () { focusRow(current); });
  document.addEventListener("DOMContentLoaded", function () { if (rows().length) { focusRow(0); } });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) { navigator.clipboard.writeText(source.textContent); }
  });
})();
