// The booking form: a suggested free slot fills in date, start time, therapist and room.
(function () {
  "use strict";

  function setValue(id, value) {
    var field = document.getElementById(id);
    if (!field || value === undefined) return;
    field.value = value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fill-slot]");
    if (!button) return;
    setValue("id_date", button.dataset.date);
    setValue("id_time", button.dataset.time);
    setValue("id_therapist", button.dataset.therapist);
    setValue("id_room", button.dataset.room);
    var status = document.getElementById("slot-status");
    if (status) status.textContent = "Filled in: " + button.textContent.trim() + ". Check the details, then Book.";
  });
})();
