"""Server-side login sessions and their rotating refresh tokens."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class Session(Model):
    """One login on one device; ending it makes its tokens fail at once."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    csrf_token = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=512, default="")
    ip = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)
    # Added by migration 7: when this session last proved its user (password or a second
    # factor); sensitive changes within REAUTH_WINDOW of it need no password (kept last).
    reauthenticated_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "sessions"
        # the last two: the clean-up finds ended sessions without reading the table
        indexes = (("user_id", "revoked_at"), ("expires_at",), ("revoked_at",))


class RefreshToken(Model):
    """A refresh token, known only by its SHA-256; spent once used."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    spent_at = fields.DatetimeField(null=True)

    session_id: uuid.UUID

    class Meta:
        table = "refresh_tokens"
        indexes = (("session_id",), ("created_at",))
