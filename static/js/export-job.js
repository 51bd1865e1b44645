// A large export's page: ask the server for the job's progress every second, move the bar,
// and show the download link (or the error) when the worker is done.
(function () {
  "use strict";
  var card = document.querySelector("[data-status-url]");
  if (!card) { return; }
  var progress = card.querySelector("[data-testid=export-progress]");
  var bar = progress.querySelector(".progress-bar");
  var status = card.querySelector("[data-testid=export-status]");
  var rows = card.querySelector("[data-testid=export-rows]");
  var error = card.querySelector("[data-testid=export-error]");
  var download = card.querySelector("[data-testid=export-download]");
  var rowsTemplate = rows.textContent;

  function show(percent) {
    bar.style.width = percent + "%";  // CSSOM, not an inline style attribute: CSP allows it
    bar.textContent = percent + "%";
    progress.setAttribute("aria-valuenow", percent);
  }

  function poll() {
    fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        show(job.percent);
        status.textContent = job.status_label;
        rows.textContent = rowsTemplate.replace(/\d+(\s*\/\s*)\d+/, job.done_rows + "$1" + job.total_rows);
        if (job.status === "done" || job.status === "failed") {
          bar.classList.remove("progress-bar-animated");
          if (job.download_url) { download.href = job.download_url; download.classList.remove("d-none"); }
          if (job.error) { error.textContent = job.error; error.classList.remove("d-none"); }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  show(parseInt(bar.dataset.percent, 10) || 0);
  poll();
})();
