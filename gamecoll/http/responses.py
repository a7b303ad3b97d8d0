"""Response helpers: JSON that is never cached, token answers with their cookies."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request, json

from gamecoll.api.schemas import user_json
from gamecoll.http.cookies import issue_cookies
from gamecoll.services.sessions import IssuedTokens

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def private_json(body: Any, status: int = 200) -> HTTPResponse:
    """Answer JSON with user data: never stored by caches."""
    return json(body, status=status, headers=NO_STORE)


def private_json_text(text: str, status: int = 200) -> HTTPResponse:
    """Answer with JSON that is already text (made by the database): never stored by caches."""
    return HTTPResponse(text, status=status, headers=NO_STORE, content_type="application/json")


def no_content() -> HTTPResponse:
    """Answer 204 with no body."""
    return HTTPResponse(status=204, headers=NO_STORE)


def tokens_json(tokens: IssuedTokens) -> dict[str, Any]:
    """Shape a token answer."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "bearer",
        "expires_in": tokens.expires_in,
        "refresh_expires_in": tokens.refresh_expires_in,
        "csrf_token": tokens.csrf_token,
        "user": user_json(tokens.user),
    }


def token_response(request: Request, tokens: IssuedTokens, status: int = 200) -> HTTPResponse:
    """Answer with a token pair in the body and in cookies."""
    issue_cookies(request, tokens)
    return private_json(tokens_json(tokens), status=status)
