"""The account's public JSON: a user, a session, an activity entry, as every answer shapes them.

The API documents these shapes as `UserOut`, `SessionOut` (gamecoll/api/schemas.py) and
`ActivityOut` (gamecoll/api/mail_schemas.py);
tests/api/test_openapi_contract.py checks every answer against the document, so the two
cannot drift apart. Kept below `http/` so that its token answers use the same shape.
"""

from __future__ import annotations

from typing import Any

from gamecoll.models import ActivityEntry, Session, User


def user_json(user: User) -> dict[str, Any]:
    """Shape a user for the API; never a hash."""
    return {
        "id": str(user.id),
        "email": user.email,
        "email_verified": user.email_verified,
        "username": user.username,
        "gpu_endpoint": user.gpu_endpoint,
        "created_at": user.created_at.isoformat(),
    }


def session_json(session: Session, *, current_id: object) -> dict[str, Any]:
    """Shape a session for the sessions list."""
    return {
        "id": str(session.id),
        "created_at": session.created_at.isoformat(),
        "last_used_at": session.last_used_at.isoformat(),
        "expires_at": session.expires_at.isoformat(),
        "user_agent": session.user_agent,
        "ip": session.ip,
        "current": session.id == current_id,
    }


def activity_json(entry: ActivityEntry) -> dict[str, Any]:
    """Shape one entry of the account's security activity."""
    return {
        "id": str(entry.id),
        "event": entry.event,
        "created_at": entry.created_at.isoformat(),
        "ip": entry.ip,
        "user_agent": entry.user_agent,
    }
