// Small progressive enhancements of the web admin (the pages work without this file).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Confirmation prompts for buttons with data-confirm (withdraw, archive, disable...).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Media upload with a progress bar: the file goes to /admin/media first (XHR), the form then
  // carries only the stored file's hash. Without JS the file is sent with the form itself.
  var file = document.getElementById("file");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var sha = document.getElementById("media_sha256");
  var kind = document.getElementById("media_kind");
  if (file && bar && status && sha) {
    file.addEventListener("change", function () {
      if (!file.files.length) { return; }
      var data = new FormData();
      data.append("file", file.files[0]);
      data.append("csrf_token", file.form.querySelector("input[name=csrf_token]").value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/admin/media");
      xhr.setRequestHeader("Accept", "application/json");
      bar.classList.remove("hidden");
      bar.value = 0;
      status.textContent = status.getAttribute("data-uploading");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
      });
      xhr.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
        if (xhr.status >= 200 && xhr.status < 300 && answer.ok) {
          bar.value = 100;
          sha.value = answer.sha256;
          if (kind) { kind.value = answer.kind; }
          file.value = "";
          status.textContent = answer.message;
          status.className = "flash ok";
        } else {
          sha.value = "";
          status.textContent = answer.message || answer.error || status.getAttribute("data-failed");
          status.className = "flash err";
        }
      });
      xhr.addEventListener("error", function () {
        status.textContent = status.getAttribute("data-failed");
        status.className = "flash err";
      });
      xhr.send(data);
    });
  }
  // Layer choice: show the share-of-voice field only for "sela" (interrupt).
  var layer = document.getElementById("layer");
  var share = document.getElementById("share-field");
  if (layer && share) {
    var sync = function () { share.classList.toggle("hidden", layer.value !== "interrupt"); };
    layer.addEventListener("change", sync);
    sync();
  }
  // Recurrence preset "monthly": show the day-of-month field only then.
  var preset = document.getElementById("recurrence");
  var monthday = document.getElementById("monthday-field");
  if (preset && monthday) {
    var days = document.getElementById("days-field");
    var syncPreset = function () {
      monthday.classList.toggle("hidden", preset.value !== "monthly");
      if (days) { days.classList.toggle("hidden", preset.value !== "days"); }
    };
    preset.addEventListener("change", syncPreset);
    syncPreset();
  }
});
