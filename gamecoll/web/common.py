"""What every page handler shares: htmx detection, safe redirects, the signed-in user, context."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote, urlsplit

from sanic import HTTPResponse, Request, redirect

from gamecoll.http.guard import optional_principal
from gamecoll.http.links import own_origin
from gamecoll.services.sessions import Principal
from gamecoll.web.rendering import PAGE_HEADERS

DEFAULT_NEXT: Final = "/gallery"
NEXT_MAX: Final = 2000
# Pages that must not be the target of a redirect after logging in (loops, or no page).
_NOT_NEXT: Final = ("/login", "/register", "/logout")


def is_htmx(request: Request) -> bool:
    """Tell whether to answer with a fragment: an htmx request that is not a history restore."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-history-restore-request") != "true"
        and headers.get("hx-boosted") != "true"
    )


def from_htmx(request: Request) -> bool:
    """Tell whether htmx sent the request (it then follows HX-Redirect, not a 303)."""
    return request.headers.get("hx-request") == "true"


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """Return `value` when it is a same-site relative path, else `default`.

    Refused: absolute URLs, scheme-relative `//host`, backslashes (browsers read `/\\host`
    as `//host`), control and non-ASCII characters, and the login pages themselves.
    """
    if not value or len(value) > NEXT_MAX:
        return default
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(not 0x20 < ord(c) < 0x7F for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if parts.path.rstrip("/") in _NOT_NEXT:
        return default
    return value


def path_of(url: str | None, request: Request) -> str | None:
    """Return the path and query of a URL on this site (from Referer or HX-Current-URL)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme and f"{parts.scheme}://{parts.netloc}".lower() != own_origin(request):
        return None
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def here(request: Request) -> str:
    """Return the path and query of this request."""
    return f"{request.path}?{request.query_string}" if request.query_string else request.path


def login_url(next_path: str | None = None, *, notice: str = "") -> str:
    """Return the login page's URL, asking to come back to `next_path` afterwards."""
    query: list[str] = []
    target = safe_next(next_path, default="")
    if target and target != DEFAULT_NEXT:
        query.append("next=" + quote(target, safe="/"))
    if notice:
        query.append("notice=" + quote(notice, safe=""))
    return "/login?" + "&".join(query) if query else "/login"


def go(request: Request, url: str) -> HTTPResponse:
    """Send the browser to `url`: HX-Redirect for htmx (read on 2xx only), else 303."""
    if from_htmx(request):
        return HTTPResponse(status=200, headers={**PAGE_HEADERS, "hx-redirect": url})
    return redirect(url, status=303, headers=dict(PAGE_HEADERS))


async def current_principal(request: Request) -> Principal | None:
    """Return the signed-in user and session, or None (for pages that also serve guests)."""
    found = await optional_principal(request)
    if found is not None:
        request.ctx.principal = found
    return found


def context(request: Request, **values: Any) -> dict[str, Any]:
    """Return the template context every page needs, plus `values`."""
    found: Principal | None = getattr(request.ctx, "principal", None)
    base: dict[str, Any] = {
        "user": found.user if found else None,
        "csrf_token": found.session.csrf_token if found else "",
        "path": request.path,
        "fragment": is_htmx(request),
    }
    base.update(values)
    return base


def form_text(form: dict[str, str], name: str) -> str:
    """Return a form field's text ('' when absent); the services check lengths."""
    return form.get(name, "")
