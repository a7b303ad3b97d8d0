"""The signed-in user's account: profile, GPU endpoint, password, sessions, deletion."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Body, operation
from gamecoll.api.schemas import (
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

REAUTH = (
    "Re-authentication needed (`reauth_required`): send the password, or `reauthenticate` "
    "first; or an access token (`insufficient_scope`)"
)
PASSWORD_GUESSES = "Too many wrong passwords for this account; wait as long as Retry-After says"  # noqa: S105 - a description


@bp.get("/user/me")
@operation(
    "getMe",
    tag="account",
    answers={200: (UserOut, "The signed-in user")},
    auth=True,
    scopes=("profile:read",),
)
@authenticated
async def me(request: Request) -> HTTPResponse:
    """Show the signed-in user."""
    return private_json(user_json(principal(request).user))


@bp.get("/me")
@operation(
    "getMeAlias",
    tag="account",
    answers={200: (UserOut, "The signed-in user")},
    auth=True,
    scopes=("profile:read",),
)
@authenticated
async def me_alias(request: Request) -> HTTPResponse:
    """Show the signed-in user (alias of /auth/user/me)."""
    return private_json(user_json(principal(request).user))


@bp.delete("/user/me")
@operation(
    "deleteMe",
    tag="account",
    body=Body(PasswordConfirmIn),
    answers={204: (None, "The account and everything it owned are gone; cookies cleared")},
    errors={403: REAUTH, 422: "The password is not right", 429: PASSWORD_GUESSES},
    auth=True,
)
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
@operation(
    "setGpuEndpoint",
    tag="account",
    body=Body(GpuEndpointIn),
    answers={200: (UserOut, "The user with the new endpoint")},
    errors={422: "Not an http(s) URL with a host"},
    auth=True,
)
@authenticated
async def set_gpu_endpoint(request: Request, users: UserService) -> HTTPResponse:
    """Set or clear the URL of the user's own GPU server (stored, never called)."""
    data = parse_json(request, GpuEndpointIn)
    user = await users.set_gpu_endpoint(
        user=principal(request).user, gpu_endpoint=data.gpu_endpoint
    )
    return private_json(user_json(user))


@bp.put("/password")
@operation(
    "changePassword",
    tag="account",
    body=Body(PasswordChangeIn),
    answers={204: (None, "Changed; every other session has ended")},
    errors={403: REAUTH, 422: "Wrong current password or a weak new one", 429: PASSWORD_GUESSES},
    auth=True,
)
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
@operation(
    "listSessions",
    tag="account",
    answers={200: (SessionsOut, "Live sessions, newest use first")},
    auth=True,
)
@authenticated
async def list_sessions(request: Request, sessions: SessionService) -> HTTPResponse:
    """List the user's live sessions."""
    who = principal(request)
    live = await sessions.live(user_id=who.user.id)
    return private_json({"sessions": [session_json(s, current_id=who.session.id) for s in live]})


@bp.delete("/sessions/<session_id:uuid>")
@operation(
    "endSession",
    tag="account",
    answers={204: (None, "The session has ended")},
    errors={404: "No such live session of yours"},
    auth=True,
)
@authenticated
async def end_session(
    request: Request, session_id: uuid.UUID, sessions: SessionService
) -> HTTPResponse:
    """End one of the user's sessions."""
    await sessions.end_one(user_id=principal(request).user.id, session_id=session_id)
    return no_content()
