// Gallery: drag and drop, upload progress, keyboard navigation on the detail view, focus care.
(function () {
  "use strict";

  var IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function describeChoice(input) {
    var out = document.getElementById("chosen");
    if (!out || !input) return;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      out.textContent = "";
      return;
    }
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    out.textContent = files.length === 1
      ? "Chosen: " + files[0].name + " (" + formatSize(total) + ")"
      : files.length + " photos chosen (" + formatSize(total) + "): " + files.map(function (f) { return f.name; }).join(", ");
  }

  // -- search: empty fields stay out of the URL that is pushed to the history ------------------
  document.body.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "search") return;
    var params = event.detail.parameters;
    ["q", "platform"].forEach(function (name) {
      if (params[name] !== undefined && String(params[name]).trim() === "") delete params[name];
    });
  });

  // -- drag and drop onto the upload area -------------------------------------------------------
  function dropzoneOf(event) {
    var target = event.target;
    return target instanceof Element ? target.closest("[data-dropzone]") : null;
  }

  document.addEventListener("dragover", function (event) {
    var zone = dropzoneOf(event);
    if (!zone) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = dropzoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = dropzoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    var input = zone.querySelector('input[type="file"]');
    if (!input || !event.dataTransfer) return;
    var kept = new DataTransfer();
    var skipped = 0;
    Array.prototype.forEach.call(event.dataTransfer.files, function (file) {
      if (IMAGE_TYPES.indexOf(file.type) >= 0) kept.items.add(file);
      else skipped += 1;
    });
    input.files = kept.files;
    describeChoice(input);
    if (skipped) {
      var out = document.getElementById("chosen");
      if (out) out.textContent += " (" + skipped + " file" + (skipped > 1 ? "s" : "") + " that are not JPEG, PNG, WebP or GIF left out)";
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.type === "file" && target.closest("[data-dropzone]")) {
      describeChoice(target);
    }
  });

  // -- upload: size check before sending, then a progress bar ------------------------------------
  function progressParts() {
    return {
      box: document.getElementById("upload-progress-box"),
      bar: document.getElementById("upload-progress"),
      text: document.getElementById("upload-progress-text")
    };
  }

  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || form.id !== "upload-form") return;
    var input = form.querySelector('input[type="file"]');
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var total = 0;
    Array.prototype.forEach.call((input && input.files) || [], function (f) { total += f.size; });
    if (limit && total > limit) {
      event.preventDefault();
      window.gamecoll.showAlert(
        "These photos add up to " + formatSize(total) + "; one upload can carry at most " +
        formatSize(limit) + ". Send them in smaller groups.");
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "upload-form") {
      var p = progressParts();
      if (!p.box) return;
      p.box.hidden = false;
      p.bar.value = 0;
      p.text.textContent = "Uploading…";
    }
  });

  document.body.addEventListener("htmx:xhr:progress", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "upload-form") return;
    var p = progressParts();
    if (!p.bar || !event.detail.lengthComputable || !event.detail.total) return;
    var percent = Math.min(100, Math.round((event.detail.loaded / event.detail.total) * 100));
    p.bar.value = percent;
    p.text.textContent = percent < 100 ? "Uploading… " + percent + "%" : "Uploaded; processing the photos…";
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "upload-form") return;
    var p = progressParts();
    if (p.box && document.body.contains(p.box)) p.box.hidden = true;
  });

  // -- deleting a card: keep the keyboard focus nearby --------------------------------------------
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!(target instanceof Element) || !target.classList.contains("card") || event.detail.xhr.status !== 200) return;
    var neighbour = target.nextElementSibling || target.previousElementSibling;
    var next = neighbour ? neighbour.querySelector("a") : document.getElementById("q");
    window.setTimeout(function () { if (next) next.focus(); }, 0);
  });

  // -- edit in place: the Edit, Save or Cancel control that had focus is gone after the swap ----
  document.body.addEventListener("htmx:afterSwap", function () {
    window.setTimeout(function () {
      if (document.activeElement && document.activeElement !== document.body) return;
      var facts = document.getElementById("facts");
      var next = facts && (facts.querySelector("#edit-name") || facts.querySelector("#item-title"));
      if (next) next.focus();
    }, 0);
  });

  // -- detail view: arrow keys to the neighbours, Escape back to the grid -----------------------
  var pendingFocus = "";

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var detail = document.getElementById("detail");
    if (!detail) return;
    var target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable], dialog")) return;
    var which = { ArrowLeft: "newer", ArrowRight: "older", Escape: "back" }[event.key];
    if (!which) return;
    var link = detail.querySelector('[data-nav="' + which + '"]');
    if (!link) return;
    event.preventDefault();
    if (which === "back") {
      window.location.assign(link.href);
    } else {
      pendingFocus = which;
      link.click();
    }
  });

  htmx.onLoad(function (elt) {
    if (!(elt instanceof Element) || elt.id !== "detail") return;
    var focusTo = pendingFocus ? elt.querySelector('[data-nav="' + pendingFocus + '"]') : null;
    pendingFocus = "";
    (focusTo || elt.querySelector("#item-title")).focus();
  });
})();
