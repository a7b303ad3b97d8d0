"""The per-user log of security events."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class ActivityEntry(Model):
    """One security event of one account: what happened, when, from which address and device."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="activity", on_delete=fields.CASCADE
    )
    event = fields.CharField(max_length=32)
    created_at = fields.DatetimeField()
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=512, default="")

    user_id: uuid.UUID

    class Meta:
        table = "activity"
        indexes = (("user_id", "created_at", "id"), ("created_at",))
