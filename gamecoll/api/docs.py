"""What each API route declares for the OpenAPI document (`operation`), in one decorator.

The document itself is built from the routes by `gamecoll.api.openapi_document`; routes
without a declaration (the pages, static files, the docs) are left out of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel

from gamecoll.http.scopes import declare_scopes
from gamecoll.security.access_tokens import SCOPES

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE: Final = "__gamecoll_operation__"

Schema = dict[str, Any]
Content = type[BaseModel] | Mapping[str, Schema] | None
"""An answer's content: a JSON model, a map of media types to schemas, or None (no body)."""


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: a JSON model, its fields as a urlencoded form, or a multipart form."""

    model: type[BaseModel] | None
    """The JSON body's model; None for a body that is a file (`raw`)."""
    form: str | None = None
    """The component name of the urlencoded form (the model's fields under another name)."""
    multipart: str | None = None
    """The component name of the multipart form's schema (see `FORMS`)."""
    required: bool = True
    raw: Mapping[str, Schema] | None = None
    """Media types of a body that is a file rather than JSON (replaces the model's JSON)."""


@dataclass(frozen=True, slots=True)
class Param:
    """A query or header parameter."""

    name: str
    schema: Schema
    description: str
    location: str = "query"
    required: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A documented answer: its content, what it means and the headers it always carries."""

    content: Content
    description: str
    headers: Mapping[str, Schema] = field(default_factory=dict)
    links: Mapping[str, Schema] = field(default_factory=dict)
    """OpenAPI links: operations a client may call next with values of this answer."""


@dataclass(frozen=True, slots=True)
class Operation:
    """Everything the document says about one route besides its path and summary."""

    operation_id: str
    tag: str
    answers: Mapping[int, Answer]
    errors: Mapping[int, str]
    body: Body | None
    params: tuple[Param, ...]
    auth: bool | Literal["optional"]
    """True: a bearer token or the session cookie is required; "optional": used when sent."""
    database: bool
    scopes: tuple[str, ...] = ()
    """The personal-access-token scopes that let a token call it (any one; none: no token)."""


def operation(
    operation_id: str,
    *,
    tag: str,
    answers: Mapping[int, Answer | tuple[Content, str]],
    errors: Mapping[int, str] | None = None,
    body: Body | None = None,
    params: tuple[Param, ...] = (),
    auth: bool | Literal["optional"] = False,
    database: bool = True,
    scopes: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Declare a route's operation id, tag, answers and errors (common errors are added),
    and the access-token scopes that may call it."""
    if unknown := set(scopes) - set(SCOPES):
        raise ValueError(f"{operation_id} names unknown scopes {sorted(unknown)}.")
    declared = Operation(
        operation_id=operation_id,
        tag=tag,
        answers={
            status: answer if isinstance(answer, Answer) else Answer(*answer)
            for status, answer in answers.items()
        },
        errors=dict(errors or {}),
        body=body,
        params=params,
        auth=auth,
        database=database,
        scopes=scopes,
    )

    def mark(handler: F) -> F:
        setattr(handler, ATTRIBUTE, declared)
        declare_scopes(handler, scopes)
        return handler

    return mark


def declared_operation(handler: object) -> Operation | None:
    """Return what a route handler declared, or None (the route is not in the document)."""
    found = getattr(handler, ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None


BINARY: Final[Schema] = {"type": "string", "format": "binary"}


def links_with(parameter: str, value: str, *operation_ids: str) -> dict[str, Schema]:
    """Links to operations that take `parameter` from `value` (a runtime expression)."""
    return {
        op_id[0].upper() + op_id[1:]: {"operationId": op_id, "parameters": {parameter: value}}
        for op_id in operation_ids
    }


IF_NONE_MATCH: Final = Param(
    "If-None-Match",
    {"type": "string"},
    "An ETag from an earlier answer: 304 if unchanged.",
    "header",
)
