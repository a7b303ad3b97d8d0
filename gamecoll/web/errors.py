"""Errors as people see them: a page, a fragment in the page's alert area, or the login page."""

from __future__ import annotations

from sanic import HTTPResponse, Request, redirect

from gamecoll.config import Settings
from gamecoll.errors import AppError
from gamecoll.http.limits import size_text
from gamecoll.web.common import from_htmx, here, is_htmx, login_url, path_of
from gamecoll.web.relogin import relogin_page
from gamecoll.web.rendering import PAGE_HEADERS, Renderer

# Marks a 401 that means "log in again" (a wrong password in the login form is a 401 too).
SESSION_ENDED_HEADER = "x-session-ended"

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Not accepted",
    422: "Not valid",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Unavailable",
    507: "Out of space",
}


def _came_from(request: Request) -> str | None:
    """Return the page to come back to after logging in again."""
    if from_htmx(request):
        return path_of(request.headers.get("hx-current-url"), request)
    if request.method in ("GET", "HEAD"):
        return here(request)
    return path_of(request.headers.get("referer"), request)


def render_error(
    pages: Renderer, settings: Settings, request: Request, error: AppError
) -> HTTPResponse:
    """Answer an error on a page route (the error handler's `html_renderer`, made by partial)."""
    if error.status == 401:
        # No session, or it has ended: to the login page, never a login form in a fragment.
        notice = "ended" if error.code == "invalid_token" else ""
        target = login_url(_came_from(request), notice=notice)
        if from_htmx(request):
            # app.js opens its login dialog and makes the request again; nothing is swapped,
            # so the typed text and the chosen photos stay. A page without it goes to login.
            headers = {**PAGE_HEADERS, "hx-reswap": "none", SESSION_ENDED_HEADER: "true"}
            return HTTPResponse(status=401, headers=headers)
        if request.method == "POST" and request.path != "/logout":
            return relogin_page(request, pages, error)
        return redirect(target, status=303, headers=dict(PAGE_HEADERS))
    if error.code == "email_unverified":
        # The settings page says why, and has the button for a new link.
        target = "/settings?notice=unverified#account"
        if from_htmx(request):
            return HTTPResponse(status=200, headers={**PAGE_HEADERS, "hx-redirect": target})
        return redirect(target, status=303, headers=dict(PAGE_HEADERS))
    title = TITLES.get(error.status, "Error")
    message = error.detail
    if error.status == 403 and error.code == "csrf_failed":
        message = "This form has expired or came from another site. Reload the page and try again."
    if error.status == 413 and request.path.startswith("/gallery"):
        # Refused before it was read: say the limit people choose photos by.
        limit = size_text(settings.max_image_bytes)
        message = f"{message} Each photo can be at most {limit}: go back and choose a smaller one."
    values = {
        "title": title,
        "message": message,
        "status": error.status,
        "user": None,
        "csrf_token": "",
        "path": request.path,
        "fragment": False,
    }
    found = getattr(request.ctx, "principal", None)
    if found is not None:
        values["user"] = found.user
        values["csrf_token"] = found.session.csrf_token
    if is_htmx(request):
        # Shown in the page's alert area, whatever element asked.
        return pages.response(
            "errors/_alert.html",
            values,
            status=error.status,
            headers={"hx-retarget": "#flash", "hx-reswap": "innerHTML"},
        )
    return pages.response("errors/page.html", values, status=error.status)
