"""The account."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A person with a login; email and username are unique without regard to case."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    email = fields.CharField(max_length=320, unique=True)
    username = fields.CharField(max_length=32, null=True)
    username_key = fields.CharField(max_length=32, null=True, unique=True)
    password_hash = fields.CharField(max_length=128)
    gpu_endpoint = fields.CharField(max_length=2048, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Added by migration 3 (account mail): kept last so that the columns' order matches it.
    email_verified = fields.BooleanField(default=False, db_default=False)
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"
