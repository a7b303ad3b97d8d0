"""The one place where errors become answers: JSON for the API, a page or fragment for people."""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Callable
from typing import Any

import asyncpg
from sanic import HTTPResponse, Request, json
from sanic.constants import HTTP_METHODS
from sanic.exceptions import RequestCancelled, SanicException
from sanic.handlers import ErrorHandler
from tortoise.exceptions import DBConnectionError

from gamecoll.errors import (
    AppError,
    InsufficientStorage,
    NotFound,
    ServiceUnavailable,
    StorageUnavailableError,
)
from gamecoll.http.limits import too_large
from gamecoll.storage import StorageError, StorageFull, StorageNotFound

log = logging.getLogger("gamecoll.errors")

# What a person sees for Sanic's own errors (routing, body size, timeouts).
SANIC_CODES = {
    400: ("bad_request", "The request is not valid."),
    404: ("not_found", "Nothing is here."),
    405: ("method_not_allowed", "This method is not allowed here."),
    408: ("request_timeout", "The request took too long to arrive."),
    413: ("payload_too_large", "The request body is too large."),
    414: ("uri_too_long", "The address is too long."),
    416: ("range_not_satisfiable", "That range is not in the file."),
    503: ("service_unavailable", "The service is unavailable; try again shortly."),
}

HtmlRenderer = Callable[[Request, AppError], HTTPResponse]


def _is_database_outage(exc: BaseException, depth: int = 0) -> bool:
    """Tell whether an error means the database cannot be reached (not a bad query)."""
    if isinstance(exc, DBConnectionError | ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(word in text for word in ("unable to open", "locked", "disk i/o"))
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
        return True
    if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
        # A pooled connection the server terminated, caught between asyncpg's reconnect and
        # our query ("cannot switch to state ...; another operation is in progress").
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        # 08: connection exception; 57P: operator intervention (shutdown, cannot connect now);
        # 53300: too many connections; 55000 "not accepting connections" at connect time.
        if state.startswith(("08", "57P")) or state == "53300":
            return True
        return state == "55000" and "accepting connections" in str(exc)
    cause = exc.__cause__ or exc.__context__
    return depth < 5 and cause is not None and _is_database_outage(cause, depth + 1)


def storage_app_error(exc: StorageError) -> AppError:
    """Map a storage failure to its answer: full 507, missing 404, anything else 503."""
    if isinstance(exc, StorageFull):
        return InsufficientStorage(exc.detail)
    if isinstance(exc, StorageNotFound):
        return NotFound(exc.detail)
    return StorageUnavailableError(exc.detail)


def as_app_error(exc: BaseException) -> AppError | None:
    """Translate any exception into the AppError a client should see (None: a bug)."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, SanicException):
        status = int(getattr(exc, "status_code", 500) or 500)
        if status >= 500 and status != 503:
            return None
        code, message = SANIC_CODES.get(status, ("error", "The request failed."))
        error = AppError(message)
        error.status = status  # type: ignore[misc]
        error.code = code  # type: ignore[misc]
        headers = dict(getattr(exc, "headers", {}) or {})
        if status == 405 and "allow" not in {k.lower() for k in headers}:
            allowed = getattr(exc, "allowed_methods", None)
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        error.headers = headers
        return error
    if isinstance(exc, StorageError):
        return storage_app_error(exc)
    if _is_database_outage(exc):
        return ServiceUnavailable()
    return None


def allowed_methods(request: Request) -> list[str]:
    """List the methods the router takes on this path (Sanic omits them on dynamic paths)."""
    found: list[str] = []
    for method in HTTP_METHODS:
        try:
            request.app.router.get(request.path, method, None)
        except SanicException:
            continue
        found.append(str(method.value))
    return found


def wants_html(request: Request) -> bool:
    """Tell whether this request should get an HTML error (pages, or a browser on no route)."""
    if getattr(request.ctx, "html_errors", False):
        return True
    route = request.route
    if route is not None:
        return bool(route.extra.error_format == "html") or route.name.split(".")[1:2] == ["web"]
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def error_json(error: AppError) -> dict[str, Any]:
    """Shape an error as the API's JSON body."""
    body: dict[str, Any] = {"code": error.code, "message": error.detail}
    if error.fields:
        body["fields"] = error.fields
    body.update(error.extra)
    return {"error": body}


class GamecollErrorHandler(ErrorHandler):
    """Answer every error in the API's JSON shape, or as HTML for the pages."""

    def __init__(self) -> None:
        super().__init__()
        self.html_renderer: HtmlRenderer | None = None

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        """Turn an exception into a response."""
        if isinstance(exception, RequestCancelled):
            # The client hung up: nobody will read an answer, and nothing went wrong here.
            log.debug("client went away during %s %s", request.method, request.path)
            return HTTPResponse(status=499)
        error = as_app_error(exception)
        limit = getattr(request.ctx, "body_limit", None)
        if error is not None and error.status == 413 and limit and error is not exception:
            error = too_large(None, limit)  # Sanic's: a chunked body ran over the route's limit
        if error is None:
            log.exception(
                "unhandled error on %s %s", request.method, request.path, exc_info=exception
            )
            error = AppError("Something went wrong on our side; it has been logged.")
            error.status = 500  # type: ignore[misc]
            error.code = "internal_error"  # type: ignore[misc]
        elif error.status >= 500:
            log.warning("%s on %s %s: %s", error.status, request.method, request.path, exception)
        if error.status == 405 and "allow" not in {key.lower() for key in error.headers}:
            error.headers = {**error.headers, "Allow": ", ".join(allowed_methods(request))}
        if self.html_renderer is not None and wants_html(request):
            response = self.html_renderer(request, error)
        else:
            response = json(error_json(error), status=error.status)
        for key, value in error.headers.items():
            response.headers[key] = value
        response.headers.setdefault("cache-control", "no-store")
        return response
