"""Form bodies (urlencoded and multipart), parsed only after their fields are counted."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs

from sanic import Request
from sanic.headers import parse_content_header
from sanic.request import RequestParameters
from sanic.request.form import parse_multipart_form

from gamecoll.errors import BadRequest, PayloadTooLarge

FORM_FIELDS_MAX: Final = 100
"""The most fields (urlencoded) or parts (multipart) a form may have; ours have a handful,
plus one part per photo on the gallery upload."""


def _too_many(what: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"The form has more than {FORM_FIELDS_MAX} {what}.")


def _urlencoded(body: bytes) -> RequestParameters:
    if body.count(b"&") >= FORM_FIELDS_MAX:
        raise _too_many("fields")
    try:
        text = body.decode("utf-8")
        return RequestParameters(parse_qs(text, errors="strict", max_num_fields=FORM_FIELDS_MAX))
    except UnicodeDecodeError:
        raise BadRequest("The form is not valid UTF-8.") from None
    except ValueError:
        raise _too_many("fields") from None


def _multipart(body: bytes, boundary: str | None) -> tuple[RequestParameters, RequestParameters]:
    if not boundary:
        raise BadRequest("The multipart form has no boundary in its Content-Type.")
    try:
        marker = boundary.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The multipart boundary is not valid UTF-8.") from None
    # Each part starts with --boundary; the last marker closes the form.
    if body.count(b"--" + marker) > FORM_FIELDS_MAX + 1:
        raise _too_many("parts")
    try:
        return parse_multipart_form(body, marker)  # type: ignore[no-untyped-call,no-any-return]
    except (ValueError, LookupError, IndexError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("The multipart form is malformed.") from None


def read_form(request: Request) -> tuple[RequestParameters, RequestParameters]:
    """Parse the body as a form (fields, files), counting fields before parsing; cached.

    Answers 413 for too many fields or parts and 400 for a malformed form, where Sanic's own
    `request.form` logs the error and returns an empty form. Sets `request.form` and
    `request.files` so that later readers see the same result.
    """
    if request.parsed_form is not None and request.parsed_files is not None:
        return request.parsed_form, request.parsed_files
    kind, parameters = parse_content_header(request.headers.get("content-type", ""))
    body = request.body or b""
    fields, files = RequestParameters(), RequestParameters()
    if kind == "application/x-www-form-urlencoded":
        fields = _urlencoded(body)
    elif kind == "multipart/form-data":
        boundary = parameters.get("boundary")
        fields, files = _multipart(body, str(boundary) if boundary is not None else None)
    request.parsed_form, request.parsed_files = fields, files
    return fields, files
