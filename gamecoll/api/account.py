"""The signed-in user's account: profile, GPU endpoint, password, sessions, deletion."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.docs import secured
from gamecoll.api.schemas import (
    ErrorOut,
    GpuEndpointIn,
    PasswordChangeIn,
    PasswordConfirmIn,
    SessionsOut,
    UserOut,
    session_json,
    user_json,
)
from gamecoll.http.body import parse_json
from gamecoll.http.cookies import clear_auth_cookies
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import no_content, private_json
from gamecoll.services.sessions import SessionService
from gamecoll.services.users import UserService

bp = Blueprint("account", url_prefix="/auth")

JSON_USER = {"application/json": UserOut}
JSON_ERROR = {"application/json": ErrorOut}


@bp.get("/user/me")
@openapi.tag("account")
@openapi.response(200, JSON_USER, "The signed-in user")
@openapi.response(401, JSON_ERROR, "Not logged in")
@secured
@authenticated
async def me(request: Request) -> HTTPResponse:
    """Show the signed-in user."""
    return private_json(user_json(principal(request).user))


@bp.get("/me")
@openapi.tag("account")
@openapi.response(200, JSON_USER, "The signed-in user")
@secured
@authenticated
async def me_alias(request: Request) -> HTTPResponse:
    """Show the signed-in user (alias of /auth/user/me)."""
    return private_json(user_json(principal(request).user))


@bp.delete("/user/me")
@openapi.tag("account")
@openapi.body({"application/json": PasswordConfirmIn}, required=True)
@openapi.response(204, None, "The account and everything it owned are gone")
@openapi.response(422, JSON_ERROR, "The password is not right")
@secured
@authenticated
async def delete_me(request: Request, users: UserService) -> HTTPResponse:
    """Delete the account, its sessions, items and images, after checking the password."""
    data = parse_json(request, PasswordConfirmIn)
    await users.delete_account(principal=principal(request), password=data.password)
    request.ctx.new_tokens = None
    response = no_content()
    clear_auth_cookies(response, request.app.ctx.cookie_names)
    return response


@bp.put("/gpu-endpoint")
@openapi.tag("account")
@openapi.body({"application/json": GpuEndpointIn}, required=True)
@openapi.response(200, JSON_USER, "The user with the new endpoint")
@openapi.response(422, JSON_ERROR, "Not an http(s) URL with a host")
@secured
@authenticated
async def set_gpu_endpoint(request: Request, users: UserService) -> HTTPResponse:
    """Set or clear the URL of the user's own GPU server (stored, never called)."""
    data = parse_json(request, GpuEndpointIn)
    user = await users.set_gpu_endpoint(
        user=principal(request).user, gpu_endpoint=data.gpu_endpoint
    )
    return private_json(user_json(user))


@bp.put("/password")
@openapi.tag("account")
@openapi.body({"application/json": PasswordChangeIn}, required=True)
@openapi.response(204, None, "Changed; every other session has ended")
@openapi.response(422, JSON_ERROR, "Wrong current password or a weak new one")
@secured
@authenticated
async def change_password(request: Request, users: UserService) -> HTTPResponse:
    """Change the password and end every other session."""
    data = parse_json(request, PasswordChangeIn)
    await users.change_password(
        principal=principal(request),
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return no_content()


@bp.get("/sessions")
@openapi.tag("account")
@openapi.response(200, {"application/json": SessionsOut}, "Live sessions, newest use first")
@secured
@authenticated
async def list_sessions(request: Request, sessions: SessionService) -> HTTPResponse:
    """List the user's live sessions."""
    who = principal(request)
    live = await sessions.live(user_id=who.user.id)
    return private_json({"sessions": [session_json(s, current_id=who.session.id) for s in live]})


@bp.delete("/sessions/<session_id:uuid>")
@openapi.tag("account")
@openapi.response(204, None, "The session has ended")
@openapi.response(404, JSON_ERROR, "No such live session of yours")
@secured
@authenticated
async def end_session(
    request: Request, session_id: uuid.UUID, sessions: SessionService
) -> HTTPResponse:
    """End one of the user's sessions."""
    await sessions.end_one(user_id=principal(request).user.id, session_id=session_id)
    return no_content()
