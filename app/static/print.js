/* The print buttons of the printable documents and of the case page: the browser's print dialog. */
document.querySelectorAll(".print-button").forEach(function (button) {
  button.addEventListener("click", function (event) {
    event.preventDefault();
    window.print();
  });
});
