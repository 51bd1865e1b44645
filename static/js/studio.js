// Behaviour the templates ask for with data- attributes, so that no page needs an inline event
// handler: the Content-Security-Policy runs scripts from our own files only.
//   <select data-autosubmit>        submits its form when the choice changes
//   <button data-confirm="text">    asks first; the click is cancelled unless confirmed
// and what htmx could not do at all (no permission, a server error, the network down): the words
// of <body data-htmx-error> at the top of the page. A refused action (400, 409) comes back as its
// form with the errors and is swapped in like any answer (htmx-config in base.html).
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });

  function htmxFailed() {
    var main = document.querySelector("main");
    var text = document.body.getAttribute("data-htmx-error");
    if (!main || !text || main.querySelector("[data-testid=htmx-error]")) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "htmx-error");
    alert.textContent = text;
    main.insertBefore(alert, main.firstChild);
  }
  document.addEventListener("htmx:responseError", htmxFailed);
  document.addEventListener("htmx:sendError", htmxFailed);

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (trigger && !window.confirm(trigger.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A table wider than a phone scrolls sideways in its own box (studio.css): the box takes the
  // keyboard focus while it scrolls, so that the arrow keys scroll it too (WCAG 2.1.1; axe-core's
  // scrollable-region-focusable: an empty list's box has nothing else to focus).
  function focusableScrollBoxes() {
    document.querySelectorAll(".table-responsive, .table").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-box", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-box")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-box");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", focusableScrollBoxes);
  document.addEventListener("htmx:afterSettle", focusableScrollBoxes);
  window.addEventListener("resize", focusableScrollBoxes);
})();
