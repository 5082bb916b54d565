// Four-colour risk map: a manager picks a point, clicks on the site plan, and the position (in % of the image)
// is saved at once. CSP allows no inline scripts, so this file does it; without it the number form works.
(function () {
  "use strict";
  var map = document.querySelector("[data-risk-map][data-editable]");
  var pick = document.getElementById("risk-map-pick");
  if (!map || !pick) { return; }
  var plan = map.querySelector("img");
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  map.addEventListener("click", function (ev) {
    var option = pick.options[pick.selectedIndex];
    if (!option || !option.value) { return; }
    ev.preventDefault();
    var box = plan.getBoundingClientRect();
    var x = ((ev.clientX - box.left) / box.width * 100).toFixed(2);
    var y = ((ev.clientY - box.top) / box.height * 100).toFixed(2);
    if (x < 0 || x > 100 || y < 0 || y > 100) { return; }
    var body = new URLSearchParams({x: x, y: y});
    fetch(option.dataset.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": csrf()}
    }).then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
      .then(function (res) {
        if (!res.ok) { window.alert(res.data.error || "?"); return; }
        var dot = map.querySelector('[data-point="' + option.value + '"]');
        if (!dot) {
          dot = document.createElement("span");
          dot.className = "risk-dot";
          dot.dataset.point = option.value;
          dot.title = option.textContent;
          dot.style.background = option.dataset.colour;
          map.appendChild(dot);
        }
        dot.style.left = res.data.x + "%";
        dot.style.top = res.data.y + "%";
      });
  });
})();
