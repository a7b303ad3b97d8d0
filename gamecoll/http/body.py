"""Read request bodies into typed models, answering every malformed body with a clear 4xx."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request

from gamecoll.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from gamecoll.http.forms import read_form

M = TypeVar("M", bound=BaseModel)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def media_type(request: Request) -> str:
    """Return the request's media type without parameters, lowercased."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Turn pydantic's errors into one readable message per field."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        name = ".".join(loc) if loc else "body"
        kind = error.get("type", "")
        if kind == "missing":
            message = "This field is required."
        elif kind in ("string_type", "str_type"):
            message = "Must be a string."
        elif kind in ("bool_type", "bool_parsing"):
            message = "Must be true or false."
        elif kind in ("dict_type", "model_type"):
            message = "Must be a JSON object."
        elif kind == "extra_forbidden":
            message = "This field is not allowed."
        else:
            message = str(error.get("msg", "Not valid."))
        out.setdefault(name, message)
    return out


def validate(model: type[M], data: Any) -> M:
    """Validate already-parsed data against a model; 422 with field errors otherwise."""
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.", fields={"body": "Not an object."})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = field_errors(exc)
        first = next(iter(fields.items()))
        raise ValidationFailed(f"{first[0]}: {first[1]}", fields=fields) from None


def json_data(request: Request, *, allow_empty: bool = False) -> Any:
    """Parse the JSON body; 415 for another content type, 400 for malformed JSON."""
    body = request.body or b""
    if not body.strip():
        if allow_empty:
            return {}
        raise BadRequest("The request needs a JSON body.")
    kind = media_type(request)
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(f"Send application/json, not {kind[:100]}.")
    try:
        return json.loads(body)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None


def form_data(request: Request) -> dict[str, str]:
    """Flatten a urlencoded or multipart form to its first value per field (bounded parse)."""
    form: dict[str, list[str]] = read_form(request)[0]
    return {key: str(values[0]) for key, values in form.items() if values}


def parse_json(request: Request, model: type[M], *, allow_empty: bool = False) -> M:
    """Parse and validate a JSON body."""
    return validate(model, json_data(request, allow_empty=allow_empty))


def parse_json_or_form(request: Request, model: type[M]) -> M:
    """Parse a body that may be JSON or a form (the OAuth2 password flow posts a form)."""
    if media_type(request) in FORM_TYPES:
        return validate(model, form_data(request))
    return parse_json(request, model)
