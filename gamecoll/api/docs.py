"""OpenAPI notes shared by the API's routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sanic_ext import openapi

F = TypeVar("F", bound=Callable[..., Any])


def secured(handler: F) -> F:
    """Document that a route takes the bearer token or the session cookie."""
    documented: F = openapi.secured("bearer")(openapi.secured("cookie")(handler))
    return documented
