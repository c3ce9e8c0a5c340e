// Small progressive enhancements of the web admin (the pages work without this file).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Confirmation prompts for buttons with data-confirm (withdraw, archive, disable...).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // What was typed survives a session that ended mid-form and a change of language: a form with
  // data-keep-draft is copied to this tab's sessionStorage when it is sent (or when the language is
  // changed on its page). A page that interrupts (the login page, an error page) marks the copy; the same
  // form gets it back on its next load. Any other page means it arrived, and the copy is dropped.
  var DRAFT_KEY = "signage-draft";
  var keeper = document.querySelector("form[data-keep-draft]");
  var who = document.querySelector(".who .username");  // a copy goes back only to the person who typed it
  var userName = who ? who.textContent : "";
  var formFields = function (form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.name === "csrf_token" || ["file", "submit", "button"].indexOf(e.type) >= 0) { return; }
      fields.push([e.name, e.value, (e.type === "checkbox" || e.type === "radio") ? e.checked : null]);
    });
    return fields;
  };
  var keepDraft = function (form, interrupted) {
    var fields = formFields(form);
    var draft = {form: form.getAttribute("data-keep-draft"), user: userName, fields: fields, interrupted: interrupted};
    try { window.sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft)); } catch (e) { /* storage off */ }
  };
  var pristine = keeper ? JSON.stringify(formFields(keeper)) : "";  // the form as the page came
  var draft = null;
  try { draft = JSON.parse(window.sessionStorage.getItem(DRAFT_KEY) || "null"); } catch (e) { draft = null; }
  if (draft && keeper && draft.interrupted && draft.form === keeper.getAttribute("data-keep-draft") &&
      draft.user === userName) {
    var before = JSON.stringify(formFields(keeper));
    draft.fields.forEach(function (field) {
      Array.prototype.forEach.call(keeper.elements, function (e) {
        if (e.name !== field[0] || e.name === "csrf_token" || e.type === "file") { return; }
        if (e.type === "checkbox" || e.type === "radio") {  // from a hidden copy (a confirm page): ticked
          if (e.value === field[1]) { e.checked = field[2] === null ? true : field[2]; }
        } else { e.value = field[1]; }
      });
    });
    var restored = document.getElementById("draft-restored");  // said only when something came back
    if (restored && JSON.stringify(formFields(keeper)) !== before) { restored.classList.remove("hidden"); }
    var attached = document.getElementById("upload-status");
    var media = document.getElementById("media_sha256");
    if (attached && media && media.value) { attached.textContent = attached.getAttribute("data-attached"); }
    window.sessionStorage.removeItem(DRAFT_KEY);
  } else if (draft && document.querySelector("[data-interrupts-draft]")) {
    if (!draft.interrupted) { draft.interrupted = true; window.sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft)); }
  } else if (draft && !draft.interrupted) {
    window.sessionStorage.removeItem(DRAFT_KEY);
  }
  // A new form sent, then shown again by the back button, keeps the id it was sent with (the browser refills
  // what was typed but not this hidden field), so the server sees the same form and does not save it twice.
  var formId = keeper && keeper.querySelector("input[name=form_id]");
  if (formId && window.history.state && window.history.state.sentFormId) {
    formId.value = window.history.state.sentFormId;
  }
  if (keeper) {
    keeper.addEventListener("submit", function () {
      keepDraft(keeper, false);
      if (formId) { window.history.replaceState({sentFormId: formId.value}, ""); }
    });
    var languageForm = document.querySelector("form.lang-form");
    if (languageForm) {
      languageForm.addEventListener("submit", function () {
        // nothing typed (or brought back): a change of language keeps nothing, and says nothing came back
        if (JSON.stringify(formFields(keeper)) !== pristine) { keepDraft(keeper, true); }
      });
    }
  }
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
      var maxBytes = parseInt(file.getAttribute("data-max-bytes") || "0", 10);
      if (maxBytes && file.files[0].size > maxBytes) {  // refused before sending it for minutes
        status.textContent = file.getAttribute("data-too-large");
        status.className = "flash err";
        file.value = "";
        return;
      }
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
        } else if (xhr.status === 413) {
          sha.value = "";
          status.textContent = file.getAttribute("data-too-large");
          status.className = "flash err";
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
  // Data slide: its sources only for slides that read them, the category only for bars; the file is not used.
  var slide = document.getElementById("slide");
  if (slide) {
    var slideSources = document.getElementById("slide-sources");
    var slideSeries = document.getElementById("slide-series");
    var slideTopN = document.getElementById("slide-top-n");
    var fileField = document.getElementById("file-field");
    var bodyField = document.getElementById("body-field");
    var withSources = (slide.getAttribute("data-with-sources") || "").split(" ");
    var syncSlide = function () {
      var kind = slide.value;
      if (slideSources) { slideSources.classList.toggle("hidden", withSources.indexOf(kind) < 0); }
      if (slideSeries) { slideSeries.classList.toggle("hidden", kind !== "bars"); }
      if (slideTopN) { slideTopN.classList.toggle("hidden", kind !== "bars"); }
      if (fileField) { fileField.classList.toggle("hidden", kind !== ""); }
      if (bodyField) { bodyField.classList.toggle("hidden", kind !== ""); }
    };
    slide.addEventListener("change", syncSlide);
    syncSlide();
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
  // A chart wider than a phone starts at its newest days (the end), where the plays are.
  document.querySelectorAll(".chart-wrap").forEach(function (wrap) { wrap.scrollLeft = wrap.scrollWidth; });
  // Emergency form: ticking a group means "only these groups" (the server refuses the contradiction).
  var onlyGroups = document.querySelector("input[name=scope][value=groups]");
  if (onlyGroups) {
    document.querySelectorAll("input[name=group]").forEach(function (box) {
      box.addEventListener("change", function () { if (box.checked) { onlyGroups.checked = true; } });
    });
  }
});
