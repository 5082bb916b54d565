// Site behaviour. CSP allows scripts from this origin only, so nothing is inline.
(function () {
  "use strict";
  // Confirm before destructive or final decisions: <button data-confirm="...">
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // A double tap on a phone must not submit a form twice.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.dataset.submitted === "1") { ev.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { form.dataset.submitted = ""; }, 4000);
  });
  // Map point picker: <div class="map-box" data-map-picker data-lat="#id_latitude" data-lng="#id_longitude"
  // data-tiles="URL">. Without a configured tile server the numeric fields alone are used.
  document.querySelectorAll("[data-map-picker]").forEach(function (box) {
    if (typeof L === "undefined") { return; }
    var latIn = document.querySelector(box.dataset.lat), lngIn = document.querySelector(box.dataset.lng);
    var readonly = box.hasAttribute("data-readonly");
    var lat = parseFloat(latIn ? latIn.value : box.dataset.pointLat), lng = parseFloat(lngIn ? lngIn.value : box.dataset.pointLng);
    var has = !isNaN(lat) && !isNaN(lng);
    var map = L.map(box).setView(has ? [lat, lng] : [28.87, 105.44], has ? 14 : 9);
    if (box.dataset.tiles) { L.tileLayer(box.dataset.tiles, {attribution: box.dataset.attribution || ""}).addTo(map); }
    var marker = has ? L.marker([lat, lng]).addTo(map) : null;
    if (readonly || !latIn) { return; }
    map.on("click", function (e) {
      latIn.value = e.latlng.lat.toFixed(6); lngIn.value = e.latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
    });
  });
})();
