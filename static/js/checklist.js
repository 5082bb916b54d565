// QR checklist (hazards area "lists"): what is entered is saved on the phone (localStorage, keyed by the task) as
// it is entered, and put back when the page is opened again, so a dropped connection or a reload loses nothing.
// Values the server rendered (a form sent back with an error) win over saved ones. The result page of a recorded
// check carries data-checklist-clear="<task>" and the saved state is dropped there.
(function () {
  "use strict";
  var PREFIX = "checklist:";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }  // private mode, disabled storage
  }

  var store = storage();
  if (!store) { return; }

  document.querySelectorAll("[data-checklist-clear]").forEach(function (el) {
    store.removeItem(PREFIX + el.getAttribute("data-checklist-clear"));
  });

  var form = document.querySelector("form[data-checklist]");
  if (!form) { return; }
  var key = PREFIX + form.getAttribute("data-checklist");

  function fields(name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function save() {
    var state = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file" || el.type === "submit") { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { state[el.name] = el.value; }
      } else {
        state[el.name] = el.value;
      }
    });
    try { store.setItem(key, JSON.stringify(state)); } catch (e) { /* storage full: the form still works */ }
  }

  function restore() {
    var state;
    try { state = JSON.parse(store.getItem(key) || "null"); } catch (e) { state = null; }
    if (!state) { return; }
    Object.keys(state).forEach(function (name) {
      var els = fields(name);
      if (!els.length) { return; }
      var value = state[name];
      if (els[0].type === "radio") {
        var chosen = els.some(function (el) { return el.checked; });
        if (!chosen) { els.forEach(function (el) { el.checked = el.value === value; }); }
      } else if (els[0].type === "hidden") {
        // The submission id goes back as it was first sent: a retry of the same check is recognised as such.
        if (name === "submission_id" && value) { els[0].value = value; }
      } else if (!els[0].value) {
        els[0].value = value;
      }
    });
  }

  function markFailures() {
    form.querySelectorAll("[data-testid=checklist-item]").forEach(function (card) {
      var failed = card.querySelector("input[type=radio][value=fail]:checked");
      card.classList.toggle("failed", !!failed);
    });
  }

  restore();
  markFailures();
  save();
  form.addEventListener("input", function () { save(); markFailures(); });
  form.addEventListener("change", function () { save(); markFailures(); });
  form.addEventListener("submit", save);
})();
