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

// While a plan is being made, ask the server how far it is (no page reloads: focus and scroll
// stay). The progress bar follows the engine's time; the status text changes only when the
// phase does, so screen readers are not read the same sentence every second. When the job
// ends, the board is loaded once to show the new version (or the failure).
(function () {
  "use strict";
  var box = document.getElementById("planning");
  if (!box || !window.fetch) { return; }
  var text = document.getElementById("planning-text");
  var bar = document.getElementById("planning-progress");
  var phase = null;
  var detail = document.getElementById("planning-detail");

  function describe(job) {
    var what = job.kind === "reoptimize" ? "Re-optimizing" : "Planning";
    if (job.status === "queued") { return what + " the day: waiting for a worker."; }
    return what + " the day: the engine is searching for the best routes (at most " +
      Math.round(job.time_limit) + " seconds). The board updates when it is done.";
  }

  function poll() {
    fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 3000); return; }
        if (job.status !== "queued" && job.status !== "running") {
          window.location.replace(window.location.pathname);
          return;
        }
        if (job.elapsed_seconds !== null && bar) {
          bar.value = Math.min(job.elapsed_seconds, job.time_limit);
        }
        if (detail && job.elapsed_seconds !== null) {
          // Not a live region: read on demand, not announced every second.
          var words = Math.round(job.elapsed_seconds) + " s of at most " + Math.round(job.time_limit) +
            " s, about " + Math.ceil(job.remaining_seconds) + " s left.";
          if (job.so_far) {
            words += " Plan so far: " + job.so_far.served + " visits on routes, " + job.so_far.unassigned +
              " unassigned; the engine is improving it.";
          }
          detail.textContent = words;
        }
        if (job.status !== phase) {
          phase = job.status;
          text.textContent = describe(job);
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
}());
