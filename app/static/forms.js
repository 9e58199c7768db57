/* Complaint forms (register, edit, the case page's actions). No inline script: the CSP allows only
   nonce-bearing tags.

   - A staff select with data-follows="<id of a unit select>" lists only the staff of the unit
     chosen there (each option carries its data-unit); with no unit chosen, those of the unit the
     step takes by default (data-default-unit on the unit select), else none. A choice that no
     longer fits is cleared. The server refuses a staff member of another unit all the same.
   - The register form's deadline note follows the time of receipt entered (GET data-deadlines-url). */
(function () {
  "use strict";

  function follow(staff, unit) {
    var chosen = unit.value || unit.getAttribute("data-default-unit") || "";
    Array.prototype.forEach.call(staff.options, function (option) {
      if (!option.value) {
        return;
      }
      var fits = chosen !== "" && option.getAttribute("data-unit") === chosen;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) {
        staff.value = "";
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("select[data-follows]"), function (staff) {
    var unit = document.getElementById(staff.getAttribute("data-follows"));
    if (!unit) {
      return;
    }
    follow(staff, unit);
    unit.addEventListener("change", function () { follow(staff, unit); });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-deadlines-url]"), function (form) {
    var received = form.querySelector("[name=received_at]");
    var note = form.querySelector("#received_at-note");
    if (!received || !note || !window.fetch) {
      return;
    }
    received.addEventListener("change", function () {
      var url = form.getAttribute("data-deadlines-url") + "?received_at=" + encodeURIComponent(received.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer && answer.text) { note.textContent = answer.text; } })
        .catch(function () { /* the note keeps what the page said */ });
    });
  });
}());
