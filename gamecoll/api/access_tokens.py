"""Personal access tokens: create, list and revoke (only with a login, never with a token)."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Body, operation
from gamecoll.api.security_schemas import (
    AccessTokenIn,
    AccessTokensOut,
    NewAccessTokenOut,
    access_token_json,
)
from gamecoll.http.body import parse_json
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.access_tokens import AccessTokenService

bp = Blueprint("access_tokens", url_prefix="/auth")


@bp.post("/tokens")
@operation(
    "createAccessToken",
    tag="security",
    body=Body(AccessTokenIn),
    answers={201: (NewAccessTokenOut, "The token, shown only in this answer")},
    errors={409: "The account has 50 tokens already", 422: "A bad name, scope or lifetime"},
    auth=True,
)
@authenticated
async def create_token(request: Request, tokens: AccessTokenService) -> HTTPResponse:
    """Create a personal access token with the given scopes (shown once)."""
    data = parse_json(request, AccessTokenIn)
    row, token = await tokens.create(
        user=principal(request).user,
        name=data.name,
        scopes=list(data.scopes),
        expires_in_days=data.expires_in_days,
    )
    return private_json({**access_token_json(row), "token": token}, status=201)


@bp.get("/tokens")
@operation(
    "listAccessTokens",
    tag="security",
    answers={200: (AccessTokensOut, "The account's tokens, newest first (never the tokens)")},
    auth=True,
)
@authenticated
async def list_tokens(request: Request, tokens: AccessTokenService) -> HTTPResponse:
    """List the personal access tokens: name, scopes, created, last used, expiry."""
    rows = await tokens.list(principal(request).user.id)
    return private_json({"tokens": [access_token_json(row) for row in rows]})


@bp.delete("/tokens/<token_id:uuid>")
@operation(
    "revokeAccessToken",
    tag="security",
    answers={204: (None, "Revoked: the token fails from the next request on")},
    errors={404: "No token of yours with this id"},
    auth=True,
)
@authenticated
async def revoke_token(
    request: Request, token_id: uuid.UUID, tokens: AccessTokenService
) -> HTTPResponse:
    """Revoke one personal access token at once."""
    await tokens.revoke(user_id=principal(request).user.id, token_id=token_id)
    return no_content()
