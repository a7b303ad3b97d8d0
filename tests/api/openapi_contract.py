"""Check real answers against the OpenAPI document: status, media type, headers and body.

Bodies are validated against the document's own response schemas, read as closed: an object
schema that lists its properties accepts no other key. So the JSON the app sends (shaped in
`services/*_json.py` and `http/responses.py`) and the schemas the document shows (the `*Out`
models of `api/`) are held together both ways: no field missing, none undocumented.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:gamecoll:openapi"


def closed(schema: Any) -> Any:
    """Copy a schema with every object that lists its properties closed to any other key."""
    if isinstance(schema, list):
        return [closed(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    shut = {key: closed(value) for key, value in schema.items()}
    if "properties" in shut and "additionalProperties" not in shut:
        shut["additionalProperties"] = False
    return shut


@dataclass
class Contract:
    """The document, and what the answers seen so far did to it."""

    spec: dict[str, Any]
    seen: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        answers = copy.deepcopy(self.spec)
        answers["components"] = closed(answers.get("components", {}))
        resource = Resource.from_contents(answers, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self.routes: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for path, methods in self.spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", path) + "$")
            for method, op in methods.items():
                self.routes.append((pattern, method.upper(), op))

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """Return the documented operation for a request, or None."""
        for pattern, documented, op in self.routes:
            if documented == method and pattern.match(path):
                return op
        return None

    def validate(self, instance: Any, schema: dict[str, Any]) -> list[str]:
        """Validate a JSON value against a schema of the document (with its $refs)."""
        wrapped = {"$ref": DOCUMENT_URI + schema["$ref"]} if "$ref" in schema else closed(schema)
        validator = Draft202012Validator(wrapped, registry=self.registry)
        return [
            f"{list(error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def check(self, response: httpx.Response) -> None:
        """Record what an answer broke in the document, if anything."""
        request = response.request
        where = f"{request.method} {request.url.path} -> {response.status_code}"
        op = self.operation(request.method, request.url.path)
        if op is None:
            self.check_not_allowed(response, where)
            return
        self.seen.add((op["operationId"], response.status_code))
        answer = op["responses"].get(str(response.status_code))
        if answer is None:
            self.problems.append(f"{where}: status not documented")
            return
        for name, header in answer.get("headers", {}).items():
            if header.get("required") and name.lower() not in response.headers:
                self.problems.append(f"{where}: header {name} missing")
        content = answer.get("content")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if content is None:
            if response.content or media:
                self.problems.append(f"{where}: documented without a body, sent {media!r}")
            return
        if media not in content:
            self.problems.append(f"{where}: {media!r} is not one of {sorted(content)}")
            return
        if media == "application/json":
            body = json.loads(response.content)
            for error in self.validate(body, content[media]["schema"]):
                self.problems.append(f"{where}: {error}")
        elif not response.content and content[media]["schema"].get("maxLength") != 0:
            self.problems.append(f"{where}: an empty {media} body")

    def check_not_allowed(self, response: httpx.Response, where: str) -> None:
        """A method the document does not list on a path it lists: 405, Allow, an Error."""
        path = response.request.url.path
        if not any(pattern.match(path) for pattern, _, _ in self.routes):
            self.problems.append(f"{where}: the path is not documented")
        elif response.status_code != 405 or "allow" not in response.headers:
            self.problems.append(f"{where}: expected 405 with an Allow header")
        else:
            error = {"$ref": "#/components/schemas/Error"}
            self.problems.extend(f"{where}: {e}" for e in self.validate(response.json(), error))

    def hook(self) -> Any:
        """An httpx response hook that checks every answer."""

        async def check(response: httpx.Response) -> None:
            await response.aread()
            self.check(response)

        return check

    def operation_ids(self) -> set[str]:
        """Every documented operation id."""
        return {op["operationId"] for _, _, op in self.routes}
