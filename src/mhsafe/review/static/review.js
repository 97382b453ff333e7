/* mhsafe review: keyboard shortcuts for the adjudication form.
 *
 * Progressive enhancement only: every page works with scripts off (the buttons do the same).
 * One question is "current" (outlined). Digits answer it -- option n of the question, in the
 * order shown beside each option -- and move to the next question. J/K or the arrow keys move
 * between questions, N is "no risk & next", Enter is "save & next", E focuses the note (Escape
 * leaves it), G opens or closes the guidelines. Keys typed into the note are never taken.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.adjudication[data-keys]");
  if (!form) { return; }
  var fields = Array.prototype.slice.call(form.querySelectorAll(".field[data-field]"))
    .filter(function (f) { return f.getAttribute("data-kind") !== "text"; });
  var current = 0;

  function show(index) {
    if (!fields.length) { return; }
    current = Math.max(0, Math.min(index, fields.length - 1));
    fields.forEach(function (f, i) { f.classList.toggle("current", i === current); });
    fields[current].scrollIntoView({ block: "nearest" });
  }

  function answer(field, n) {
    var radios = field.querySelectorAll("input[type=radio]");
    if (radios.length) {
      if (n < 1 || n > radios.length) { return false; }
      radios[n - 1].checked = true;
      return true;
    }
    var select = field.querySelector("select");
    if (select) {
      if (n < 1 || n >= select.options.length) { return false; }  // option 0 is "choose"
      select.selectedIndex = n;
      return true;
    }
    return false;
  }

  function click(selector) {
    var button = form.querySelector(selector);
    if (button) { button.click(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" ||
      (target.tagName === "INPUT" && target.type !== "radio" && target.type !== "checkbox"));
    if (typing) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      return;
    }
    var key = event.key.toLowerCase();
    if (key >= "1" && key <= "9") {
      if (answer(fields[current], parseInt(key, 10))) { show(current + 1); }
    } else if (key === "j" || key === "arrowdown") {
      show(current + 1);
    } else if (key === "k" || key === "arrowup") {
      show(current - 1);
    } else if (key === "n") {
      click("button[data-key=n]");
    } else if (key === "enter") {
      click("button[data-key=save]");
    } else if (key === "e") {
      var note = form.querySelector("textarea");
      if (note) { note.focus(); }
    } else if (key === "g") {
      var panel = document.getElementById("guidelines");
      if (panel) { panel.open = !panel.open; }
    } else {
      return;
    }
    event.preventDefault();
  });
  show(0);
}());
