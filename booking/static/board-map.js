// The day board's route map over a street map (MAP_TILE_URL), drawn with Leaflet (vendored, BSD-2).
// Routes, numbered stops, labs and unassigned visits come from the board's map.json, in the same
// colours as the route cards; a legend names each colour. Without this script, or without a tile
// source, the server-drawn SVG map stays in its place.
(function () {
  "use strict";
  var box = document.getElementById("live-map");
  if (!box || !window.L || !window.fetch) { return; }

  function numbered(n, colour) {
    var icon = document.createElement("span");
    icon.className = "map-stop";
    icon.textContent = String(n);
    icon.style.borderColor = colour;
    return L.divIcon({ html: icon, className: "", iconSize: [26, 26], iconAnchor: [13, 13] });
  }

  fetch(box.dataset.layers, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
    .then(function (data) {
      box.parentNode.classList.add("live");  // shown before drawing, so the map knows its size
      var map = L.map(box, { scrollWheelZoom: false });
      L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
      var bounds = [];
      data.routes.forEach(function (route) {
        var path = [route.home].concat(route.stops.map(function (s) { return s.at; }));
        if (route.lab) { path.push(route.lab.at); }
        L.polyline(path, { color: route.colour, weight: 4, opacity: 0.85 }).addTo(map)
          .bindTooltip(route.technician);
        L.circleMarker(route.home, { radius: 6, color: route.colour, fillOpacity: 1 }).addTo(map)
          .bindTooltip(route.technician + ": start");
        route.stops.forEach(function (stop) {
          L.marker(stop.at, { icon: numbered(stop.number, route.colour), title: stop.number + ". " + stop.name,
                              alt: stop.number + ". " + stop.name, keyboard: true }).addTo(map);
        });
        if (route.lab) {
          L.circleMarker(route.lab.at, { radius: 8, color: "#111", fillColor: "#111", fillOpacity: 1 }).addTo(map)
            .bindTooltip(route.lab.name);
        }
        bounds = bounds.concat(path);
      });
      data.unassigned.forEach(function (item) {
        L.circleMarker(item.at, { radius: 7, color: "#777", dashArray: "3", fillOpacity: 0.2 }).addTo(map)
          .bindTooltip(item.name + " (unassigned)");
        bounds.push(item.at);
      });
      if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24] }); }

      var legend = L.control({ position: "bottomleft" });
      legend.onAdd = function () {
        var list = L.DomUtil.create("ul", "map-legend");
        data.routes.forEach(function (route) {
          var item = L.DomUtil.create("li", "", list);
          var key = L.DomUtil.create("span", "map-key", item);
          key.style.background = route.colour;
          item.appendChild(document.createTextNode(route.technician));
        });
        return list;
      };
      legend.addTo(map);
    })
    .catch(function () { box.parentNode.classList.remove("live"); /* the server-drawn map stays */ });
}());
