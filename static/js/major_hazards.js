// Major hazard source form: choosing a chemical from the catalogue fills in its name, critical quantity Q and
// correction factor β (from the option's data-name, data-q, data-beta); the user may still change them.
// Without this file the server fills in whatever was left blank when calculating.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-mh=chemical]")) { return; }
    var row = select.closest("[data-mh-row]");
    var option = select.options[select.selectedIndex];
    if (!row || !option) { return; }
    var name = row.querySelector("[data-mh=name]");
    var critical = row.querySelector("[data-mh=critical]");
    var beta = row.querySelector("[data-mh=beta]");
    if (!option.value) { return; }
    if (name && (!name.value || name.dataset.mhFilled === "1")) {
      name.value = option.dataset.name || "";
      name.dataset.mhFilled = "1";
    }
    if (critical) { critical.value = option.dataset.q || ""; }
    if (beta) { beta.value = option.dataset.beta || ""; }
  });
  document.querySelectorAll("[data-mh=name]").forEach(function (input) {
    input.addEventListener("input", function () { input.dataset.mhFilled = "0"; });
  });
})();
