// The customer signs on the screen or a tablet; the drawing goes with the form as a PNG.
(function () {
  "use strict";
  var canvas = document.querySelector("[data-signature-pad]");
  if (!canvas) { return; }
  var form = canvas.closest("form");
  var input = form.querySelector('[name="signature"]');
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  function fit() {
    canvas.width = canvas.clientWidth;
    ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  }
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y);
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) { return; }
    var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true;
  });
  ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  form.querySelector("[data-signature-clear]").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; input.value = "";
  });
  form.addEventListener("submit", function () {
    input.value = drawn ? canvas.toDataURL("image/png") : "";
  });
  fit();
})();
