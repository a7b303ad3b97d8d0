"""Build the OpenAPI 3.1 document from the app's routes and what each one declares.

Schemas come from the pydantic models that shape the bodies (one source for both), named by
their `title` and referenced with `$ref` (document_schemas.py); every error answer shares the
`Error` schema.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode
from sanic import Sanic

from gamecoll import __version__
from gamecoll.api.docs import Answer, Body, Operation, Param, Schema, declared_operation
from gamecoll.api.document_schemas import Components, ref
from gamecoll.api.document_text import (
    ACCESS_TOKEN_TEXT,
    DESCRIPTION,
    ERROR_TEXT,
    TAGS,
    UNVERIFIED_TAG,
    UNVERIFIED_TEXT,
)
from gamecoll.api.schemas import ErrorOut
from gamecoll.http.edge import QUERY_VALUE_MAX, QUERY_VALUE_PATTERN

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

RETRY_AFTER: Final = {"schema": {"type": "integer", "minimum": 1}, "required": True}
PATH_TYPES: Final[dict[str, Schema]] = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer"},
    "str": {"type": "string"},
}
PATH_PARAM = re.compile(r"<(\w+)(?::(\w+))?>")


def _error_answer(description: str, status: int, components: Components) -> Schema:
    schema = components.use(ErrorOut, "serialization")
    answer: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if status == 429:
        answer["headers"] = {"Retry-After": RETRY_AFTER}
    return answer


def _content(content: Any, components: Components) -> dict[str, Schema] | None:
    if content is None:
        return None
    if isinstance(content, type) and issubclass(content, BaseModel):
        return {"application/json": {"schema": components.use(content, "serialization")}}
    return {media: {"schema": schema} for media, schema in content.items()}


def _answer(answer: Answer, components: Components) -> Schema:
    out: Schema = {"description": answer.description}
    content = _content(answer.content, components)
    if content is not None:
        out["content"] = content
    if answer.headers:
        out["headers"] = {
            name: {"schema": schema, "required": True} for name, schema in answer.headers.items()
        }
    if answer.links:
        out["links"] = dict(answer.links)
    return out


def _request_body(body: Body, components: Components) -> Schema:
    if body.raw is not None or body.model is None:
        return {"required": body.required, "content": dict(body.raw or {})}
    schema = components.use(body.model, "validation")
    content: dict[str, Schema] = {"application/json": {"schema": schema}}
    if body.form:
        components.aliases[body.form] = body.model
        content["application/x-www-form-urlencoded"] = {"schema": ref(body.form)}
    if body.multipart:
        content["multipart/form-data"] = {"schema": ref(body.multipart)}
    return {"required": body.required, "content": content}


def _parameter(param: Param) -> Schema:
    schema = dict(param.schema)
    if param.location == "query" and schema.get("type") == "string":
        # What the edge refuses for every query value (gamecoll/http/edge.py), said here.
        schema.setdefault("pattern", QUERY_VALUE_PATTERN)
        schema.setdefault("maxLength", QUERY_VALUE_MAX)
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": schema,
    }


def _implied_errors(declared: Operation, method: str, has_path_params: bool) -> set[int]:
    """The statuses every route of this kind can answer, besides the ones it declares."""
    statuses = {400}
    if declared.database:
        statuses.add(503)
    if declared.body is not None:
        statuses |= {413, 415, 422}
    if any(param.location == "query" for param in declared.params):
        statuses.add(422)  # the edge refuses over-long query values and control characters
    if has_path_params:
        statuses.add(404)
    if declared.auth is True:
        statuses.add(401)
    if declared.auth:
        statuses.add(403)  # CSRF on writes; an access token outside its scopes on any
    return statuses


def _operation(
    declared: Operation, method: str, handler: Any, path_params: list[Schema], cookie: str
) -> tuple[Schema, Components]:
    components = Components()
    lines = (handler.__doc__ or "").strip().splitlines()
    op: Schema = {
        "operationId": declared.operation_id,
        "summary": lines[0].strip() if lines else declared.operation_id,
        "tags": [declared.tag],
    }
    if len(lines) > 1:
        op["description"] = "\n".join(line.strip() for line in lines[1:]).strip()
    params = [*path_params, *(_parameter(param) for param in declared.params)]
    if declared.auth:
        op["security"] = [{"bearer": []}, {"cookie": []}]
        if declared.scopes:  # OpenAPI 3.1: role names for a non-OAuth scheme
            op["security"].append({"accessToken": list(declared.scopes)})
        if declared.auth == "optional":
            op["security"].append({})
        if method not in SAFE_METHODS:
            params.append(
                _parameter(
                    Param(
                        "X-CSRF-Token",
                        {"type": "string"},
                        f"With cookie auth ({cookie}): the session's CSRF token.",
                        "header",
                    )
                )
            )
    if params:
        op["parameters"] = params
    if declared.body is not None:
        op["requestBody"] = _request_body(declared.body, components)
    responses: dict[str, Schema] = {
        str(status): _answer(answer, components) for status, answer in declared.answers.items()
    }
    errors = dict.fromkeys(_implied_errors(declared, method, bool(path_params)), "")
    if declared.auth and declared.tag == UNVERIFIED_TAG:
        also = f"{ERROR_TEXT[403]}; or: {UNVERIFIED_TEXT[0].lower()}{UNVERIFIED_TEXT[1:]}"
        errors[403] = also if 403 in errors else UNVERIFIED_TEXT
    errors.update(declared.errors)
    for status, text in errors.items():
        responses.setdefault(
            str(status), _error_answer(text or ERROR_TEXT[status], status, components)
        )
    op["responses"] = dict(sorted(responses.items()))
    return op, components


def _path(route_path: str) -> tuple[str, list[Schema]]:
    params: list[Schema] = []

    def replace(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2) or "str"
        params.append({"name": name, "in": "path", "required": True, "schema": PATH_TYPES[kind]})
        return "{" + name + "}"

    path = "/" + PATH_PARAM.sub(replace, route_path).strip("/")
    return path, params


def build_document(app: Sanic[Any, Any]) -> Schema:
    """Build the API's OpenAPI document."""
    cookie = app.ctx.guard.cookies.names.access
    paths: dict[str, dict[str, Schema]] = {}
    models: dict[type[BaseModel], JsonSchemaMode] = {}
    aliases: dict[str, type[BaseModel]] = {}
    operation_ids: set[str] = set()
    for route in app.router.routes:
        declared = declared_operation(route.handler)
        if declared is None:
            continue
        path, path_params = _path(route.path)
        for method in sorted(route.methods):
            if method.lower() in paths.get(path, {}):
                continue  # the same route with and without a trailing slash
            if declared.operation_id in operation_ids:
                raise ValueError(f"Operation id {declared.operation_id} is used twice.")
            operation_ids.add(declared.operation_id)
            op, components = _operation(declared, method, route.handler, path_params, cookie)
            paths.setdefault(path, {})[method.lower()] = op
            for model, mode in components.models.items():
                models.setdefault(model, mode)
            aliases.update(components.aliases)
    components = Components()
    components.models, components.aliases = models, aliases
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gamecoll API",
            "version": __version__,
            "description": DESCRIPTION,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components.schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": cookie},
                "accessToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "gcp_ and 43 characters",
                    "description": ACCESS_TOKEN_TEXT,
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "For Swagger UI's Authorize button (the password flow).",
                    "flows": {"password": {"tokenUrl": "/auth/login", "scopes": {}}},
                },
            },
        },
    }
