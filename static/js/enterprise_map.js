// Government enterprise map: <div data-enterprise-map data-points-url="…" data-tiles="URL or empty">.
// Points come from a JSON endpoint scoped to the jurisdiction and the page's filters. Without a tile server
// (intranets) the points are drawn on Leaflet's blank background. CSP: no inline scripts, so this file.
(function () {
  "use strict";
  var box = document.querySelector("[data-enterprise-map]");
  if (!box || typeof L === "undefined") { return; }
  var status = document.querySelector("[data-map-status]");
  function say(key, n) {
    if (!status) { return; }
    status.textContent = (status.dataset[key] || "").replace("%(n)s", String(n));
  }
  var map = L.map(box, { preferCanvas: true }).setView([28.87, 105.44], 9);
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "" }).addTo(map);
  }
  say("loading", 0);
  fetch(box.dataset.pointsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (data) {
      var layer = L.featureGroup();
      data.points.forEach(function (p) {
        var colour = p.major_hazard ? "#dc3545" : "#0d6efd";
        var marker = L.circleMarker([p.lat, p.lng], { radius: 7, color: colour, fillColor: colour, fillOpacity: 0.7 });
        // A DOM node, not an HTML string: enterprise names are user input.
        var link = document.createElement("a");
        link.href = p.url;
        link.textContent = p.name;
        marker.bindPopup(link);
        marker.bindTooltip(p.name);
        layer.addLayer(marker);
      });
      layer.addTo(map);
      if (data.points.length) { map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [24, 24] }); }
      say(data.truncated ? "truncated" : "count", data.points.length);
      box.dataset.loaded = String(data.points.length);
    })
    .catch(function () { say("failed", 0); });
})();
