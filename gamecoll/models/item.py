"""A game in a user's collection, with an optional photo."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class Item(Model):
    """One game; the image columns are all null when it has no photo."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="items", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    platform = fields.CharField(max_length=100, default="")
    notes = fields.TextField(default="")
    metadata: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    image_path = fields.CharField(max_length=255, null=True)
    thumb_path = fields.CharField(max_length=255, null=True)
    thumb2x_path = fields.CharField(max_length=255, null=True)
    display_path = fields.CharField(max_length=255, null=True)
    image_content_type = fields.CharField(max_length=32, null=True)
    image_width = fields.IntField(null=True)
    image_height = fields.IntField(null=True)
    image_size = fields.IntField(null=True)
    image_sha256 = fields.CharField(max_length=64, null=True)
    # Added by migration 5 (item details): kept last so that the columns' order matches it.
    # Their rules and the derived columns (completeness, the *_key columns) are in
    # gamecoll/services/item_details.py.
    status = fields.CharField(max_length=16, default="owned", db_default="owned")
    region = fields.CharField(max_length=16, null=True)
    edition = fields.CharField(max_length=200, default="", db_default="")
    parts: list[str] = fields.JSONField(default=list, db_default="[]")
    sealed = fields.BooleanField(default=False, db_default=False)
    graded: dict[str, str] | None = fields.JSONField(null=True)
    completeness = fields.CharField(max_length=16, default="unknown", db_default="unknown")
    condition = fields.CharField(max_length=16, null=True)
    barcode = fields.CharField(max_length=13, null=True)
    purchase_cents = fields.BigIntField(null=True)
    purchase_currency = fields.CharField(max_length=3, null=True)
    purchase_date = fields.DateField(null=True)
    purchase_source = fields.CharField(max_length=200, default="", db_default="")
    quantity = fields.IntField(default=1, db_default=1)
    tags: list[str] = fields.JSONField(default=list, db_default="[]")
    tag_keys: list[str] = fields.JSONField(default=list, db_default="[]")
    name_key = fields.CharField(max_length=800, default="", db_default="")
    platform_key = fields.CharField(max_length=400, default="", db_default="")
    # Added by migration 6, for duplicates and import (services/duplicates.py, import_rows.py):
    # the SHA-256 of the photo as it was sent, and the `id` an imported item had in its export.
    upload_sha256 = fields.CharField(max_length=64, null=True)
    source_id = fields.UUIDField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "items"
        indexes = (
            ("user_id", "created_at", "id"),
            ("user_id", "upload_sha256"),
            ("user_id", "image_sha256"),
        )
        unique_together = (("user_id", "source_id"),)
