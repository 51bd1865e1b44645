// The call page: answer buttons open the script's branch and fill the record form
// (seed L34-L38); "显示号码拨打" asks the server for the number (a POST, audited).
(function () {
  "use strict";
  var scores = { satisfied: "5", average: "3", dissatisfied: "2" };
  document.querySelectorAll("[data-answer]").forEach(function (button) {
    button.addEventListener("click", function () {
      var answer = button.dataset.answer;
      var branch = answer === "satisfied" ? "satisfied" : "unsatisfied";
      document.querySelectorAll(".branch").forEach(function (b) { b.classList.add("d-none"); });
      document.querySelector('[data-branch="' + branch + '"]').classList.remove("d-none");
      document.querySelectorAll("[data-answer]").forEach(function (b) { b.classList.remove("active"); });
      button.classList.add("active");
      var form = document.getElementById("record-form");
      if (!form) { return; }
      form.querySelector('[name="satisfaction"]').value = answer;
      var reached = form.querySelector('[name="reached"][value="yes"]');
      if (reached) { reached.checked = true; }
      // The answer suggests a score; a changed answer changes it, a score picked by hand stays.
      var score = form.querySelector('[name="score"]');
      if (score && (!score.value || score.value === score.dataset.suggested)) {
        score.value = scores[answer];
        score.dataset.suggested = scores[answer];
      }
    });
  });
  var reveal = document.querySelector("[data-reveal-url]");
  if (reveal) {
    reveal.addEventListener("click", function () {
      var token = document.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(reveal.dataset.revealUrl, { method: "POST", headers: { "X-CSRFToken": token } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          document.querySelector("[data-testid=mobile]").textContent = data.mobile;
          reveal.remove();
        });
    });
  }
})();
