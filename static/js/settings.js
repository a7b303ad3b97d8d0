// Settings page: "Test connection" asks, from this browser, whether the GPU endpoint answers.
// The server never calls the endpoint; this page's CSP (only this one) allows http: and https:
// in connect-src (gamecoll/http/headers.py).
(function () {
  "use strict";

  function setResult(el, ok, text) {
    el.textContent = text;
    el.classList.toggle("ok", ok === true);
    el.classList.toggle("bad", ok === false);
  }

  async function testEndpoint(button) {
    var form = button.closest("form");
    var input = form ? form.querySelector('input[name="gpu_endpoint"]') : null;
    var result = document.getElementById("gpu-test-result");
    if (!input || !result) return;
    var value = input.value.trim();
    var url;
    try {
      url = new URL(value);
    } catch (e) {
      setResult(result, false, value ? "That is not a URL. Enter one like http://192.168.1.20:8000." : "Enter the endpoint URL first.");
      input.focus();
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      setResult(result, false, "The URL must start with http:// or https://.");
      return;
    }
    if (window.location.protocol === "https:" && url.protocol === "http:") {
      setResult(result, false, "Not tested: this page is HTTPS, and browsers block http:// addresses from it. Use an https:// endpoint.");
      return;
    }
    var timeout = parseInt(button.getAttribute("data-timeout-ms") || "5000", 10);
    var controller = new AbortController();
    var timer = window.setTimeout(function () { controller.abort(); }, timeout);
    var started = performance.now();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    setResult(result, null, "Testing " + url.href + " …");
    try {
      // no-cors: any answer at all (even one without CORS headers) counts as "it answers";
      // the body stays unreadable, which is fine: nothing is sent or read but a plain GET.
      await fetch(url.href, {
        mode: "no-cors",
        cache: "no-store",
        credentials: "omit",
        redirect: "follow",
        referrerPolicy: "no-referrer",
        signal: controller.signal
      });
      var ms = Math.round(performance.now() - started);
      setResult(result, true, "Connected: " + url.host + " answered in " + ms + " ms.");
    } catch (error) {
      if (controller.signal.aborted) {
        var seconds = timeout / 1000;
        setResult(result, false, "No answer: " + url.host + " did not answer within " + seconds + (seconds === 1 ? " second." : " seconds."));
      } else {
        setResult(result, false, "No answer: could not connect to " + url.host + ". Check that the server is running and reachable from this device.");
      }
    } finally {
      window.clearTimeout(timer);
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest("#gpu-test");
    if (button) testEndpoint(button);
  });
})();
