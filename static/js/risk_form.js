// Risk point form: show the value fields of the chosen grading method (LEC: L, E, C; LS: L, S) and hide the
// others. Without this file both groups show, and the server reads only the chosen method's values.
(function () {
  "use strict";
  document.querySelectorAll("[data-risk-grading]").forEach(function (box) {
    var choice = box.querySelector("[data-risk-method-choice]");
    if (!choice) { return; }
    function update() {
      box.querySelectorAll("[data-risk-values]").forEach(function (group) {
        group.hidden = choice.value !== "" && group.dataset.riskValues !== choice.value;
      });
    }
    choice.addEventListener("change", update);
    update();
  });
})();
