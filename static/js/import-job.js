// An import job's page while the worker has it: ask the server for the job's status every
// second and reload the page when it changes (to the preview, the result or the error).
(function () {
  "use strict";
  var card = document.querySelector("[data-status-url]");
  if (!card) { return; }
  var shown = card.dataset.status;

  function poll() {
    fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        if (job.status !== shown) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 1000);
})();
