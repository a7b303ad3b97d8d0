"""Which personal-access-token scopes each route takes, declared once on its handler.

`gamecoll.api.docs.operation(scopes=...)` is the declaration. A route that declares none
takes no token at all (the pages, and managing tokens, factors, the password or the
account): a token there answers 403 insufficient_scope. So a new route is closed to tokens
until it says otherwise.
"""

from __future__ import annotations

from typing import Final

from sanic import Request

from gamecoll.errors import InsufficientScope

ATTRIBUTE: Final = "__gamecoll_token_scopes__"


def declare_scopes(handler: object, scopes: tuple[str, ...]) -> None:
    """Record on a handler the scopes that let a token call it (any one of them)."""
    setattr(handler, ATTRIBUTE, frozenset(scopes))


def route_scopes(handler: object) -> frozenset[str]:
    """Return the scopes a handler takes (empty: no token may call it)."""
    found = getattr(handler, ATTRIBUTE, None)
    return found if isinstance(found, frozenset) else frozenset()


def check_scopes(request: Request, granted: frozenset[str]) -> None:
    """Refuse a token whose scopes do not include one that the route takes."""
    route = request.route
    needed = route_scopes(route.handler) if route is not None else frozenset()
    if not needed:
        raise InsufficientScope(
            "Access tokens cannot be used here: this needs a login (tokens cannot manage "
            "tokens, second factors, the password or the account)."
        )
    if not needed & granted:
        wanted = " or ".join(sorted(needed))
        raise InsufficientScope(
            f"This access token's scopes do not allow this; it needs {wanted}.",
            extra={"required_scopes": sorted(needed)},
        )
