// Gallery: uploads in parts with a result per photo, drops anywhere, the detail view's keys,
// the photo form, and the way back to a card.
(function () {
  "use strict";

  var IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
  var MIB = 1024 * 1024;

  // Sizes in the unit of every other message (the server's "10 MiB").
  function formatSize(bytes) {
    if (bytes >= MIB) return (bytes / MIB).toFixed(2).replace(/\.?0+$/, "") + " MiB";
    return Math.max(1, Math.round(bytes / 1024)) + " KiB";
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function describeChoice(input) {
    var out = document.getElementById("chosen");
    if (!out || !input || input.id !== "images") return;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      out.textContent = "";
      return;
    }
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    out.textContent = files.length === 1
      ? "Chosen: " + files[0].name + " (" + formatSize(total) + ")"
      : plural(files.length, "photo", "photos") + " chosen (" + formatSize(total) + "): " +
        files.map(function (f) { return f.name; }).join(", ");
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

  // -- drag and drop: anywhere on the page; a drop never opens the file in the browser ---------
  function hasFiles(event) {
    var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
    return types.indexOf("Files") >= 0;
  }

  // The file input a drop goes to: the photo form on a detail page, the upload form elsewhere.
  function dropInput() {
    return document.getElementById("photo-file") || document.getElementById("images");
  }

  var dragDepth = 0;
  document.addEventListener("dragenter", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    if (dropInput()) document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", function () {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) document.body.classList.remove("dropping");
  });
  document.addEventListener("dragover", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = dropInput() ? "copy" : "none";
  });
  document.addEventListener("drop", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("dropping");
    var input = dropInput();
    if (!input || !event.dataTransfer) return;
    var panel = input.closest("details");
    if (panel) panel.open = true;
    var kept = new DataTransfer();
    var skipped = 0;
    Array.prototype.forEach.call(event.dataTransfer.files, function (file) {
      if (IMAGE_TYPES.indexOf(file.type) >= 0 && (input.multiple || !kept.items.length)) kept.items.add(file);
      else skipped += 1;
    });
    input.files = kept.files;
    describeChoice(input);
    input.focus();
    if (skipped) {
      var out = document.getElementById("chosen");
      var note = plural(skipped, "file was", "files were") + " left out: " +
        (input.multiple ? "only JPEG, PNG, WebP and GIF photos are added." : "one photo at a time, JPEG, PNG, WebP or GIF.");
      if (out) out.textContent += (out.textContent ? " " : "") + note;
      else window.gamecoll.showAlert(note);
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.type === "file") describeChoice(target);
  });

  // -- upload: one request per photo, each with its own progress and result ------------------
  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function fileRow(list, file) {
    var row = element("li", "waiting");
    var name = element("span", "file-name", file.name);
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var status = element("span", "file-status", "Waiting");
    row.appendChild(name);
    row.appendChild(bar);
    row.appendChild(status);
    list.appendChild(row);
    return { row: row, bar: bar, status: status };
  }

  function finish(row, ok, text) {
    row.row.className = ok ? "done" : "failed";
    row.bar.value = ok ? 100 : row.bar.value;
    row.status.textContent = text;
  }

  function problemOf(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0 && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var found = doc.querySelector(".part-problem, .alert p, .field-error");
      if (found) return found.textContent.trim();
    }
    if (xhr.status === 413) return "This photo is too large for the server.";
    if (xhr.status === 0) return "The server could not be reached.";
    return "The server answered " + xhr.status + ".";
  }

  function sendPart(form, file, index, total, row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      ["csrf_token", "name", "platform", "notes"].forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) data.append(name, field.value);
      });
      data.append("part", String(index + 1));
      data.append("parts", String(total));
      data.append("images", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("X-CSRF-Token", window.gamecoll.csrfToken());
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable || !event.total) return;
        var percent = Math.min(100, Math.round((event.loaded / event.total) * 100));
        row.bar.value = percent;
        row.status.textContent = percent < 100 ? "Uploading… " + percent + "%" : "Processing…";
      });
      xhr.addEventListener("loadend", function () { resolve(xhr); });
      row.status.textContent = "Uploading…";
      xhr.send(data);
    });
  }

  function addCards(html) {
    var grid = document.getElementById("grid");
    if (!grid) return;
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var cards = Array.prototype.slice.call(holder.content.children);
    cards.reverse().forEach(function (card) {
      grid.insertBefore(card, grid.firstChild);
      htmx.process(card);
    });
  }

  async function uploadInParts(form, files) {
    var list = document.getElementById("upload-files");
    var results = document.getElementById("upload-results");
    var button = form.querySelector('button[type="submit"]');
    var input = form.querySelector('input[type="file"]');
    var limit = parseInt(form.getAttribute("data-max-image-bytes") || "0", 10);
    var limitText = form.getAttribute("data-max-image") || formatSize(limit);
    if (results) results.replaceChildren();
    form.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (el) { el.removeAttribute("aria-invalid"); });
    list.replaceChildren();
    list.hidden = false;
    button.disabled = true;
    var rows = files.map(function (file) { return fileRow(list, file); });
    var added = 0;
    for (var i = 0; i < files.length; i += 1) {
      var file = files[i];
      if (limit && file.size > limit) {
        finish(rows[i], false, "Not added: this photo is " + formatSize(file.size) +
          "; the limit is " + limitText + " per photo.");
        continue;
      }
      var xhr = await sendPart(form, file, i, files.length, rows[i]);
      if (xhr.status === 401 && xhr.getResponseHeader("X-Session-Ended") === "true") {
        var again = await window.gamecoll.loginAgain();
        if (again) xhr = await sendPart(form, file, i, files.length, rows[i]);
      }
      if (xhr.status === 200) {
        addCards(xhr.responseText);
        added += 1;
        finish(rows[i], true, "Added");
      } else {
        finish(rows[i], false, "Not added: " + problemOf(xhr));
      }
    }
    button.disabled = false;
    var failed = files.length - added;
    var summary = element("p", "message " + (failed ? "message-error" : "message-ok"),
      (added ? "Added " + plural(added, "game", "games") + "." : "No game was added.") +
      (failed ? " " + plural(failed, "photo was", "photos were") + " not added: see below." : ""));
    summary.setAttribute("role", failed ? "alert" : "status");
    summary.tabIndex = -1;
    if (results) results.appendChild(summary);
    if (!failed) {
      input.value = "";
      describeChoice(input);
      ["name", "notes"].forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) field.value = "";
      });
    }
    summary.focus();
  }

  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || form.id !== "upload-form") return;
    var input = form.querySelector('input[type="file"]');
    var files = Array.prototype.slice.call((input && input.files) || []);
    if (!files.length) return; // a game without a photo: htmx posts the form
    event.preventDefault();
    uploadInParts(form, files);
  });

  // The photo of one game: a file over the limit is refused before it is sent.
  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || form.id !== "photo-form") return;
    var input = form.querySelector('input[type="file"]');
    var file = input && input.files && input.files[0];
    var limit = parseInt(form.getAttribute("data-max-image-bytes") || "0", 10);
    if (file && limit && file.size > limit) {
      event.preventDefault();
      window.gamecoll.showAlert(file.name + ": this photo is " + formatSize(file.size) +
        "; the limit is " + (form.getAttribute("data-max-image") || formatSize(limit)) + " per photo.");
      input.focus();
    }
  });

  // A game without a photo (htmx posts the form): a progress bar and old results cleared.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "upload-form") return;
    var list = document.getElementById("upload-files");
    if (list) { list.replaceChildren(); list.hidden = true; }
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

  // -- back on the grid: focus the card we came from --------------------------------------------
  function focusReturnedCard() {
    var match = /^#item-([0-9a-f-]{36})$/.exec(window.location.hash);
    var card = match && document.getElementById("item-" + match[1]);
    if (!card) return;
    var link = card.querySelector(".card-link");
    card.classList.add("returned");
    card.scrollIntoView({ block: "center" });
    if (link) link.focus({ preventScroll: true });
  }
  // After the browser's own scroll to the fragment (which leaves focus on the body).
  if (document.readyState === "complete") focusReturnedCard();
  else window.addEventListener("load", function () { window.setTimeout(focusReturnedCard, 0); });

  // Leaving the grid for a game: this history entry becomes "the grid down to that card", so
  // Back (which reloads: pages are not cached) lands on it too.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".card-link") : null;
    var card = link && link.closest(".card");
    if (!card || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var url = new URL(window.location.href);
    url.searchParams.delete("cursor");
    url.searchParams.set("at", card.id.replace(/^item-/, ""));
    url.hash = card.id;
    window.history.replaceState(window.history.state, "", url.toString());
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
    var message = elt.querySelector("#photo .message");
    if (message) message.tabIndex = -1;
    var invalid = elt.querySelector('#photo [aria-invalid="true"]');
    (focusTo || invalid || message || elt.querySelector("#item-title")).focus();
  });
})();
