"""The signed-in user's security activity, newest first."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from gamecoll.api.docs import secured
from gamecoll.api.mail_schemas import ActivityPageOut
from gamecoll.api.schemas import ErrorOut
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import private_json
from gamecoll.services.activity import ActivityLog
from gamecoll.services.item_rules import clean_limit

bp = Blueprint("activity", url_prefix="/auth")

JSON_ERROR = {"application/json": ErrorOut}


@bp.get("/activity")
@openapi.tag("account")
@openapi.parameter("limit", int, "query", description="Entries per page, 1 to 100 (default 50)")
@openapi.parameter("cursor", str, "query", description="`next_cursor` of the previous page")
@openapi.response(200, {"application/json": ActivityPageOut}, "Security events, newest first")
@openapi.response(400, JSON_ERROR, "The cursor is not valid")
@openapi.response(401, JSON_ERROR, "Not logged in")
@openapi.response(422, JSON_ERROR, "The limit is not a number from 1 to 100")
@secured
@authenticated
async def list_activity(request: Request, activity: ActivityLog) -> HTTPResponse:
    """List the account's security events: logins, logouts, password and email changes."""
    entries, next_cursor = await activity.page(
        user_id=principal(request).user.id,
        limit=clean_limit(request.args.get("limit")),
        cursor=request.args.get("cursor") or None,
    )
    return private_json(
        {
            "activity": [
                {
                    "id": str(e.id),
                    "event": e.event,
                    "created_at": e.created_at.isoformat(),
                    "ip": e.ip,
                    "user_agent": e.user_agent,
                }
                for e in entries
            ],
            "next_cursor": next_cursor,
        }
    )
