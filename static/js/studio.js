// Behaviour the templates ask for with data- attributes, so that no page needs an inline event
// handler: the Content-Security-Policy runs scripts from our own files only.
//   <select data-autosubmit>        submits its form when the choice changes
//   <button data-confirm="text">    asks first; the click is cancelled unless confirmed
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (trigger && !window.confirm(trigger.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
