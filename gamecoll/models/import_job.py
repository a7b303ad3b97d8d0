"""An import of a collection file, run in the background, with its progress and its report."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class ImportJob(Model):
    """One import (or dry run): kept in the database so that any instance can report on it."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="import_jobs", on_delete=fields.CASCADE
    )
    file_format = fields.CharField(max_length=8)
    dry_run = fields.BooleanField()
    allow_duplicate = fields.BooleanField()
    state = fields.CharField(max_length=16)
    total = fields.IntField()
    processed = fields.IntField()
    created = fields.IntField()
    updated = fields.IntField()
    unchanged = fields.IntField()
    refused = fields.IntField()
    rows: list[dict[str, Any]] = fields.JSONField(default=list)
    error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    heartbeat_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "import_jobs"
        indexes = (("user_id", "created_at"),)
