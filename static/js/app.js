// Behaviour every page may use, kept out of the markup so the Content-Security-Policy can
// forbid inline script: a form with data-confirm="question" asks before it submits.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
