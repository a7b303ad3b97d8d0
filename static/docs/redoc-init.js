// Start ReDoc on the service's own OpenAPI document (no external requests).
window.addEventListener("load", function () {
  Redoc.init("/openapi.json", { hideDownloadButton: false }, document.getElementById("redoc"));
});
