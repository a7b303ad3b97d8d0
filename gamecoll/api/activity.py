"""The signed-in user's security activity, newest first."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Param, operation
from gamecoll.api.item_list_schemas import CURSOR, LIMIT
from gamecoll.api.mail_schemas import ActivityPageOut
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import json_text, page_json
from gamecoll.services.account_json import activity_json
from gamecoll.services.activity import ActivityLog
from gamecoll.services.item_rules import PAGE_DEFAULT, PAGE_MAX, clean_limit

bp = Blueprint("activity", url_prefix="/auth")


@bp.get("/activity")
@operation(
    "listActivity",
    tag="account",
    params=(
        Param(
            "limit",
            LIMIT,
            f"Entries per page, 1 to {PAGE_MAX} (default {PAGE_DEFAULT}; empty is refused).",
        ),
        Param("cursor", CURSOR, "`next_cursor` of the previous page; absent or empty: the first."),
    ),
    answers={200: (ActivityPageOut, "Security events, newest first")},
    errors={400: "The cursor is not valid", 422: "The limit is not a number from 1 to 100"},
    auth=True,
)
@authenticated
async def list_activity(request: Request, activity: ActivityLog) -> HTTPResponse:
    """List the account's security events: logins, logouts, password and email changes."""
    entries, next_cursor = await activity.page(
        user_id=principal(request).user.id,
        limit=clean_limit(request.args.get("limit")),
        cursor=request.args.get("cursor") or None,
    )
    return page_json("activity", (json_text(activity_json(e)) for e in entries), next_cursor)
