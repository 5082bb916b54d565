// Hidden-hazard forms (CSP: no inline scripts). Server-side validation decides; this only helps on the phone:
// - the plan fields show for a major hazard, the "fixed on the spot" fields and no deadline for an on-the-spot fix;
// - level and kind stay consistent (a major hazard is rectified under a plan, and only a major one);
// - a deadline today marks its time of day as required;
// - chosen photos are previewed.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  document.querySelectorAll("form[data-hazard-form]").forEach(function (form) {
    var kind = form.querySelector("[name=kind]");
    var level = form.querySelector("[name=level]");
    function sections(name) { return form.querySelectorAll('[data-hazard-section="' + name + '"]'); }
    function show() {
      if (!kind) { return; }
      var k = kind.value;
      sections("plan").forEach(function (el) { el.hidden = k !== "major"; });
      sections("on-spot").forEach(function (el) { el.hidden = k !== "on_spot"; });
      sections("deadline").forEach(function (el) { el.hidden = k === "on_spot"; });
    }
    if (kind && level) {
      level.addEventListener("change", function () {
        if (level.value === "major") { kind.value = "major"; }
        else if (kind.value === "major") { kind.value = "deadline"; }
        show();
      });
      kind.addEventListener("change", function () {
        if (kind.value === "major") { level.value = "major"; }
        else if (level.value === "major") { level.value = "general"; }
        show();
      });
    }
    show();

    var date = form.querySelector("[name=deadline_date]");
    var time = form.querySelector("[name=deadline_time]");
    function sameDay() {
      if (!date || !time) { return; }
      var same = date.value === today();
      time.required = same;
      var group = time.closest(".mb-3");
      if (group) { group.classList.toggle("hazard-time-required", same); }
    }
    if (date) { date.addEventListener("change", sameDay); sameDay(); }

    form.querySelectorAll("input[type=file][multiple]").forEach(function (input) {
      var box = document.createElement("div");
      box.className = "hazard-previews";
      input.insertAdjacentElement("afterend", box);
      input.addEventListener("change", function () {
        box.textContent = "";
        Array.prototype.forEach.call(input.files || [], function (file) {
          if (!/^image\//.test(file.type)) { return; }
          var img = document.createElement("img");
          img.alt = file.name;
          img.src = URL.createObjectURL(file);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          box.appendChild(img);
        });
      });
    });
    form.setAttribute("data-hazard-ready", "1");  // for tests: the handlers are in place
  });
})();
