// Start Swagger UI on the service's own OpenAPI document (no external requests).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    oauth2RedirectUrl: window.location.origin + "/static/vendor/swagger-ui/oauth2-redirect.html",
  });
});
