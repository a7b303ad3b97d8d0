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
  function showAlert(text, kind) {
    var area = flashArea();
    if (!area) return;
    var box = document.createElement("div");
    box.className = kind === "ok" ? "alert alert-ok" : "alert";
    box.setAttribute("role", kind === "ok" ? "status" : "alert");
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

  // -- a session that ended elsewhere: log in again in place, keep what was typed ------------
  var relogin = null; // the pending login, shared by every request that found the session gone

  function setCsrfToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.setAttribute("content", token);
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) { input.value = token; });
  }

  // Post one step of the login as a plain form (the password to /login, the code to
  // /login/code); the page it lands on carries the new session's CSRF token. Resolves with
  // {problem: what to say, or ""; mfaToken: set when the answer asks for the code}.
  async function loginStep(url, body) {
    body.append("next", "/settings");
    var answer;
    try {
      answer = await fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" });
    } catch (error) {
      return { problem: "The server could not be reached. Check your connection and try again.", mfaToken: "" };
    }
    var doc = new DOMParser().parseFromString(await answer.text(), "text/html");
    var meta = doc.querySelector('meta[name="csrf-token"]');
    if (answer.ok && meta && !doc.getElementById("login-form")) {
      setCsrfToken(meta.getAttribute("content") || "");
      return { problem: "", mfaToken: "" };
    }
    var token = doc.querySelector('#login-form input[name="mfa_token"]');
    var problem = doc.querySelector("#login-form .message, #login-form .field-error, .message-error");
    if (problem) return { problem: problem.textContent.trim(), mfaToken: token ? token.value : "" };
    if (token) return { problem: "", mfaToken: token.value };
    return { problem: "The server answered " + answer.status + ". Please try again.", mfaToken: "" };
  }

  // Show one step of the dialog (password or code), its field enabled and focused.
  function showStep(dialog, name) {
    dialog.querySelectorAll("[data-relogin-step]").forEach(function (step) {
      var on = step.getAttribute("data-relogin-step") === name;
      step.hidden = !on;
      step.querySelectorAll("input").forEach(function (input) {
        input.disabled = !on;
        if (input.name !== "username") input.required = on;
        input.removeAttribute("aria-invalid");
        input.value = input.name === "username" ? input.value : "";
      });
      step.querySelectorAll(".field-error").forEach(function (error) { error.hidden = true; });
    });
    dialog.querySelector("#relogin-passkey-result").textContent = "";
    var field = dialog.querySelector(name === "code" ? "#relogin-code" : "#relogin-password");
    field.focus();
    return field;
  }

  // Open the login dialog; resolves true once logged in again, false when cancelled.
  function loginAgain() {
    if (relogin) return relogin;
    var dialog = document.getElementById("relogin");
    var template = document.getElementById("relogin-template");
    if (!dialog && template) {
      document.body.appendChild(template.content.cloneNode(true));
      dialog = document.getElementById("relogin");
    }
    if (!dialog || typeof dialog.showModal !== "function") {
      window.location.assign("/login?notice=ended");
      return Promise.resolve(false);
    }
    var form = dialog.querySelector("form");
    var mfaToken = ""; // set while the dialog asks for the code
    relogin = new Promise(function (resolve) {
      function done(result) {
        form.removeEventListener("submit", onSubmit);
        form.removeEventListener("click", onPasskey);
        dialog.removeEventListener("close", onClose);
        relogin = null;
        if (dialog.open) dialog.close();
        dialog.remove();
        resolve(result);
      }
      async function onSubmit(event) {
        if (event.submitter && event.submitter.getAttribute("formmethod") === "dialog") return;
        event.preventDefault();
        var button = form.querySelector('button[type="submit"]');
        var body = new URLSearchParams();
        var url = "/login";
        if (mfaToken) {
          url = "/login/code";
          body.append("mfa_token", mfaToken);
          body.append("code", form.elements.namedItem("code").value);
        } else {
          body.append("username", form.elements.namedItem("username").value);
          body.append("password", form.elements.namedItem("password").value);
        }
        button.disabled = true;
        var step = await loginStep(url, body);
        button.disabled = false;
        if (!step.problem && !step.mfaToken) {
          done(true);
          showAlert("You are logged in again.", "ok");
          return;
        }
        var asked = step.mfaToken ? "code" : "password";
        var field = asked === (mfaToken ? "code" : "password") && step.problem
          ? form.querySelector(asked === "code" ? "#relogin-code" : "#relogin-password")
          : showStep(dialog, asked); // the password was right, or the code step has ended
        mfaToken = step.mfaToken;
        if (!step.problem) return;
        var error = document.getElementById(asked === "code" ? "relogin-code-error" : "relogin-error");
        error.textContent = step.problem;
        error.hidden = false;
        field.setAttribute("aria-invalid", "true");
        field.value = "";
        field.focus();
      }
      // A passkey instead of the password, or of the code once the password was right.
      async function onPasskey(event) {
        var button = event.target instanceof Element && event.target.closest("[data-relogin-passkey]");
        if (!button) return;
        var result = document.getElementById("relogin-passkey-result");
        if (!window.gamecollPasskeys) return;
        button.disabled = true;
        result.textContent = "Choose a passkey in your browser's prompt…";
        try {
          var tokens = await window.gamecollPasskeys.logIn(mfaToken);
          var username = form.elements.namedItem("username");
          if (tokens.user.email.toLowerCase() !== username.defaultValue.toLowerCase()) {
            // Another account's passkey: this page is not its, start from its gallery.
            window.location.assign("/gallery");
            return;
          }
          setCsrfToken(tokens.csrf_token);
          done(true);
          showAlert("You are logged in again.", "ok");
        } catch (error) {
          result.textContent = error.message;
          button.disabled = false;
        }
      }
      function onClose() { done(false); }
      form.addEventListener("submit", onSubmit);
      form.addEventListener("click", onPasskey);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      showStep(dialog, "password");
    });
    return relogin;
  }

  window.gamecoll = { showAlert: showAlert, clearAlert: clearAlert, csrfToken: csrfToken, loginAgain: loginAgain };

  // An htmx request that found the session ended: nothing is swapped (the typed text and
  // chosen files stay in the page); after logging in again the same request is made again.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status !== 401 || xhr.getResponseHeader("X-Session-Ended") !== "true") return;
    event.detail.shouldSwap = false;
    var config = event.detail.requestConfig || {};
    var elt = config.elt || event.detail.elt;
    var trigger = config.triggeringEvent ? config.triggeringEvent.type : "";
    loginAgain().then(function (again) {
      if (!again || !elt || !document.body.contains(elt)) return;
      if (elt instanceof HTMLFormElement) elt.requestSubmit();
      else htmx.trigger(elt, trigger && trigger !== "submit" ? trigger : "click");
    });
  });

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

  // Times are sent in UTC; show them in the viewer's time zone.
  var timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime") || "");
      if (!isNaN(when.getTime())) el.textContent = timeFormat.format(when);
    });
  }
  localTimes(document);

  // A file dropped where no page takes it would make the browser open it and leave the app:
  // refuse such drops everywhere (the gallery's script takes the ones it wants).
  function dropsFiles(event) {
    var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
    var target = event.target;
    var onInput = target instanceof HTMLInputElement && target.type === "file";
    return types.indexOf("Files") >= 0 && !onInput;
  }
  ["dragover", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!dropsFiles(event)) return;
      event.preventDefault();
      if (name === "dragover" && event.dataTransfer && !document.getElementById("images") &&
          !document.getElementById("photo-file")) {
        event.dataTransfer.dropEffect = "none";
      }
    });
  });

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
    if (xhr.status < 400 || xhr.getResponseHeader("X-Session-Ended") === "true") return;
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
    localTimes(root);
    var invalid = root.querySelector('[aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
      return;
    }
    // A form refused as a whole (a wrong password): the person acts in the password field.
    var password = root.querySelector('.message-error ~ .field input[type="password"]');
    if (password) {
      password.focus();
      return;
    }
    var message = root.querySelector(".message");
    if (message && root.id !== "grid") {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target instanceof Element) {
      reveal(event.detail.target);
      localTimes(event.detail.target);
    }
  });
})();
