"""The edge: every header, cookie, path and query value is decoded and bounded here, once.

Sanic decodes the request head with `surrogateescape`, so bytes that are not UTF-8 reach the
handlers as lone surrogates, and NUL passes through; either one fails later, far from the
request (encoding a token, writing a User-Agent to PostgreSQL, opening a file). This module
refuses them before any handler runs, with a 4xx that names the part that was wrong.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, unquote_to_bytes

from sanic import Request

from gamecoll.errors import AppError, BadRequest, NotFound, ValidationFailed

# C0 controls other than tab, DEL, and the lone surrogates that stand for undecodable bytes.
_UNSAFE: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")

PATH_MAX: Final = 2048
"""The longest path taken, in bytes once percent-decoded."""
SEGMENT_MAX: Final = 255
"""The longest path segment: no route has a longer one, and no file system a longer name."""
QUERY_FIELDS_MAX: Final = 50
QUERY_VALUE_MAX: Final = 2048
"""The longest query value, in characters; routes apply their own, tighter rules after this."""
QUERY_VALUE_PATTERN: Final = "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$"
"""The query values taken, as a JSON Schema pattern for the API document: no control characters."""


class UriTooLong(AppError):
    status = 414
    code = "uri_too_long"
    message = "The address is too long."


def _label(name: str) -> str:
    """Name a header or cookie in a message, or describe it when its name is itself garbage."""
    return f"`{name}`" if _TOKEN.fullmatch(name) else "with an unreadable name"


def _unsafe_text(value: str) -> bool:
    return _UNSAFE.search(value) is not None


def check_headers(request: Request) -> None:
    """Refuse a header (or header name) holding bytes that are not UTF-8 text, or controls."""
    for name, value in request.headers.items():
        if _unsafe_text(name) or _unsafe_text(value):
            raise BadRequest(
                f"The header {_label(name)} holds bytes that are not UTF-8 text "
                "or control characters."
            )


def check_cookies(request: Request) -> None:
    """Refuse a cookie whose name or (unquoted) value holds control characters."""
    for name, values in request.cookies.items():
        if _unsafe_text(name) or any(_unsafe_text(value) for value in values):
            raise BadRequest(f"The cookie {_label(name)} holds control characters.")


def check_path(request: Request) -> None:
    """Refuse a path that is too long, not UTF-8 once decoded, or holds controls."""
    raw = request.path
    if len(raw) > 3 * PATH_MAX:
        raise UriTooLong(f"The path is longer than {PATH_MAX} bytes.")
    decoded = unquote_to_bytes(raw)
    if len(decoded) > PATH_MAX:
        raise UriTooLong(f"The path is longer than {PATH_MAX} bytes.")
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise NotFound("Nothing is here: the path is not valid UTF-8.") from None
    if _unsafe_text(text):
        raise NotFound("Nothing is here: the path holds control characters.")
    if any(len(segment) > SEGMENT_MAX for segment in decoded.split(b"/")):
        raise NotFound(f"Nothing is here: a path segment is longer than {SEGMENT_MAX} bytes.")


def check_query(request: Request) -> None:
    """Refuse a query string that is not UTF-8, has too many fields or too long a value.

    Query values are short, single-line text: control characters are refused here too.
    """
    query = request.query_string
    if not query:
        return
    try:
        pairs = parse_qsl(
            query,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=QUERY_FIELDS_MAX,
        )
    except UnicodeDecodeError:
        raise BadRequest("The query string is not valid UTF-8.") from None
    except ValueError:
        raise BadRequest(f"The query string has more than {QUERY_FIELDS_MAX} fields.") from None
    for name, value in pairs:
        if len(name) > QUERY_VALUE_MAX or _label(name) != f"`{name}`":
            raise BadRequest("The query string has a field with an unreadable or too long name.")
        if len(value) > QUERY_VALUE_MAX:
            message = f"Use at most {QUERY_VALUE_MAX} characters."
            raise ValidationFailed(f"{name}: {message}", fields={name: message})
        if _unsafe_text(value):
            message = "Must not contain control characters such as NUL or line breaks."
            raise ValidationFailed(f"{name}: {message}", fields={name: message})


def check_request_head(request: Request) -> None:
    """Check the head of every routed request: headers, cookies, path and query."""
    check_headers(request)
    check_cookies(request)
    check_path(request)
    check_query(request)
