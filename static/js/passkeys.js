// Passkeys (WebAuthn): add one from the settings page, sign in with one from the login page
// or the "Log in again" dialog. Loaded on every page (base.html).
// The server makes and checks every challenge (the JSON API under /auth/passkeys); this file
// only carries the options to the browser's authenticator and its answer back.
(function () {
  "use strict";

  // --- base64url <-> ArrayBuffer (WebAuthn's JSON form) -------------------------------------
  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBuffer(d.id), transports: d.transports };
    });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null,
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  // Server refusals that read better in the page's words than in the API's.
  var SERVER_WORDS = {
    reauth_required: "Enter your password to confirm it is you (you logged in more than 5 minutes ago).",
  };

  // --- talking to the server ----------------------------------------------------------------
  async function post(path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var token = window.gamecoll ? window.gamecoll.csrfToken() : "";
    if (token) headers["X-CSRF-Token"] = token;
    var response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Error("The server could not be reached. Check your connection and try again.");
    }
    var data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      var error = data && data.error ? data.error : {};
      var failure = new Error(
        SERVER_WORDS[error.code] ||
          error.message ||
          "The server answered " + response.status + ". Please try again."
      );
      failure.code = error.code || "";
      throw failure;
    }
    return data;
  }

  // What the browser's refusals mean, in words a person can act on.
  function explain(error) {
    switch (error && error.name) {
      case "NotAllowedError":
        return "No passkey was used: the request was cancelled, timed out, or this device has no passkey for this site.";
      case "InvalidStateError":
        return "This device or security key already holds a passkey for your account.";
      case "SecurityError":
        return "This browser refuses passkeys on this address. Open the site by its name (https://…, or http://localhost for a test server).";
      case "NotSupportedError":
        return "This device cannot make a passkey this site accepts.";
      case "AbortError":
        return "The passkey request was stopped.";
      default:
        return (error && error.message) || "Something went wrong with the passkey.";
    }
  }

  function unsupported() {
    if (!window.isSecureContext) {
      return "Passkeys need a secure connection: open this site over https:// (or on localhost).";
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      return "This browser does not support passkeys.";
    }
    return "";
  }

  function say(el, text, ok) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("ok", ok === true);
    el.classList.toggle("bad", ok === false);
  }

  // --- settings: add a passkey --------------------------------------------------------------
  async function addPasskey(form) {
    var result = document.getElementById("passkey-add-result");
    var problem = unsupported();
    if (problem) return say(result, problem, false);
    var button = form.querySelector("button");
    var nameInput = form.querySelector('input[name="name"]');
    var passwordInput = form.querySelector('input[name="current_password"]');
    button.disabled = true;
    say(result, "Follow your browser's prompt to make the passkey…");
    try {
      var password = passwordInput ? passwordInput.value : "";
      var options = await post(
        "/auth/passkeys/register/options",
        password ? { current_password: password } : {}
      );
      if (passwordInput) passwordInput.value = "";
      var credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      if (!credential) throw new Error("No passkey was made.");
      await post("/auth/passkeys/register/verify", {
        credential: credentialJSON(credential),
        name: nameInput ? nameInput.value : "",
      });
      await reloadSection();
    } catch (error) {
      say(result, explain(error), false);
    } finally {
      button.disabled = false;
    }
  }

  async function reloadSection() {
    var section = document.getElementById("passkeys");
    var response = await fetch("/settings/passkeys?passkey=added", {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
    if (!response.ok || !section) {
      window.location.assign("/settings?passkey=added#passkeys");
      return;
    }
    var holder = document.createElement("div");
    holder.innerHTML = await response.text();
    var fresh = holder.querySelector("#passkeys");
    if (!fresh) return;
    section.replaceWith(fresh);
    fresh.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
    hideNoScriptNotes(fresh);
    if (window.htmx) window.htmx.process(fresh);
    var message = fresh.querySelector(".message");
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  }

  // --- login: sign in with a passkey, without a name or password ----------------------------
  // The ceremonies, shared by the login pages and the "Log in again" dialog (app.js). Each
  // resolves with the token answer (its csrf_token is the new session's) or throws.
  async function passkeyLogin() {
    var options = await post("/auth/passkeys/login/options");
    var credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    if (!credential) throw new Error("No passkey was used.");
    return post("/auth/passkeys/login/verify", { credential: credentialJSON(credential) });
  }

  async function passkeyInsteadOfCode(token) {
    var options = await post("/auth/passkeys/login/options", { mfa_token: token });
    var credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    if (!credential) throw new Error("No passkey was used.");
    return post("/auth/login/mfa", { mfa_token: token, passkey: credentialJSON(credential) });
  }

  async function signIn(button) {
    var box = button.closest("[data-passkey-login]");
    var result = document.getElementById("passkey-login-result");
    var problem = unsupported();
    if (problem) return say(result, problem, false);
    button.disabled = true;
    say(result, "Choose a passkey in your browser's prompt…");
    try {
      await passkeyLogin();
      say(result, "Signed in.", true);
      window.location.assign((box && box.getAttribute("data-next")) || "/gallery");
    } catch (error) {
      say(result, explain(error), false);
      button.disabled = false;
    }
  }

  // --- login, second step: a passkey instead of the code --------------------------------------
  async function secondStep(button) {
    var box = button.closest("[data-passkey-second-step]");
    var result = document.getElementById("passkey-second-step-result");
    var problem = unsupported();
    if (problem) return say(result, problem, false);
    var token = box ? box.getAttribute("data-mfa-token") : "";
    button.disabled = true;
    say(result, "Choose your passkey in your browser's prompt…");
    try {
      await passkeyInsteadOfCode(token);
      say(result, "Signed in.", true);
      window.location.assign((box && box.getAttribute("data-next")) || "/gallery");
    } catch (error) {
      say(result, explain(error), false);
      button.disabled = false;
    }
  }

  // For the "Log in again" dialog: a passkey login (or, with `mfaToken`, the second step),
  // resolving with the token answer; a failure's message says what to do.
  window.gamecollPasskeys = {
    logIn: async function (mfaToken) {
      var problem = unsupported();
      if (problem) throw new Error(problem);
      try {
        return await (mfaToken ? passkeyInsteadOfCode(mfaToken) : passkeyLogin());
      } catch (error) {
        throw new Error(explain(error));
      }
    },
  };

  // The notes that say passkeys need JavaScript are for browsers where this file never runs.
  function hideNoScriptNotes(root) {
    root.querySelectorAll("[data-passkey-needs-js]").forEach(function (el) {
      el.hidden = true;
    });
  }
  hideNoScriptNotes(document);
  document.addEventListener("htmx:afterSwap", function () {
    hideNoScriptNotes(document); // a swapped-in form (the login's second step) has its own
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-passkey-add")) {
      event.preventDefault();
      addPasskey(form);
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest("#passkey-login");
    if (button) signIn(button);
    var second = target.closest("#passkey-second-step");
    if (second) secondStep(second);
  });
})();
