// Day board: drag a stop (or an unassigned visit) onto a technician's route to move it there.
// The drop only fills and submits the same "move" form the keyboard controls use, so the
// server checks the change and shows its violations before anything is applied.
(function () {
  "use strict";
  var form = document.getElementById("drag-move");
  if (!form) { return; }
  var dragged = null;

  document.querySelectorAll("[draggable=true][data-booking-id]").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.bookingId);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      dragged = null;
    });
  });

  function positionIn(list, y) {
    var stops = Array.prototype.filter.call(list.children, function (child) {
      return child.dataset.bookingId && child !== dragged;
    });
    for (var i = 0; i < stops.length; i += 1) {
      var box = stops[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return i + 1; }
    }
    return stops.length + 1;
  }

  document.querySelectorAll("ol.route-stops[data-technician-id]").forEach(function (list) {
    list.addEventListener("dragover", function (event) {
      event.preventDefault();
      list.classList.add("drop-target");
    });
    list.addEventListener("dragleave", function () { list.classList.remove("drop-target"); });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      list.classList.remove("drop-target");
      var bookingId = event.dataTransfer.getData("text/plain") || (dragged && dragged.dataset.bookingId);
      if (!bookingId) { return; }
      form.elements.booking_id.value = bookingId;
      form.elements.technician_id.value = list.dataset.technicianId;
      form.elements.position.value = positionIn(list, event.clientY);
      form.submit();
    });
  });
}());
