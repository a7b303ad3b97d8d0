// gamecoll: htmx glue shared by every page. No inline script anywhere (CSP default-src 'self').
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function flashArea() {
    return document.getElementById("flash");
  }

  // Show a message in the page's alert area (as text: never HTML).
  function showAlert(text) {
    var area = flashArea();
    if (!area) return;
    var box = document.createElement("div");
    box.className = "alert";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "link-button dismiss";
    dismiss.setAttribute("data-dismiss", "");
    dismiss.setAttribute("aria-label", "Dismiss this message");
    dismiss.textContent = "Dismiss";
    box.appendChild(p);
    box.appendChild(dismiss);
    area.replaceChildren(box);
  }

  function clearAlert() {
    var area = flashArea();
    if (area) area.replaceChildren();
  }

  window.gamecoll = { showAlert: showAlert, clearAlert: clearAlert, csrfToken: csrfToken };

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-dismiss]")) clearAlert();
  });

  // Elements that only make sense with JavaScript are rendered hidden and shown here.
  function reveal(root) {
    root.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
  }
  reveal(document);

  // Every htmx request carries this session's CSRF token.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  // A new action clears the previous action's message; background loads (scrolling) do not.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && (elt.tagName === "FORM" || elt.closest("form") || elt.tagName === "BUTTON")) {
      clearAlert();
    }
  });

  // Error answers that are not one of our HTML fragments (a proxy's page, JSON) are not
  // swapped into the page: say what happened instead.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400) return;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") !== 0 || !xhr.responseText) {
      event.detail.shouldSwap = false;
      if (xhr.status === 413) {
        showAlert("That upload is too large for the server. Send fewer or smaller files.");
      } else {
        showAlert("The server answered " + xhr.status + ". Please try again.");
      }
    }
  });

  document.body.addEventListener("htmx:sendError", function () {
    showAlert("The server could not be reached. Check your connection and try again.");
  });
  document.body.addEventListener("htmx:timeout", function () {
    showAlert("The server took too long to answer. Please try again.");
  });

  // After a swap, move focus to the first field with an error, or to the new message.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var root = event.detail.target;
    if (!(root instanceof Element)) return;
    // An outerHTML swap replaced the target: look at its successor with the same id.
    if (!document.body.contains(root)) root = root.id ? document.getElementById(root.id) : null;
    if (!root) return;
    reveal(root);
    var invalid = root.querySelector('[aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
      return;
    }
    var message = root.querySelector(".message");
    if (message && root.id !== "grid") {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target instanceof Element) reveal(event.detail.target);
  });
})();
