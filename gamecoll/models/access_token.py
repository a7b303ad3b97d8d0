"""Personal access tokens for scripts and devices."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class AccessToken(Model):
    """A named, scoped token, known only by its SHA-256; deleting the row revokes it."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="access_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    scopes = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "access_tokens"
        indexes = (("user_id", "created_at"),)
