"""Account mail: the outbox of mails to send, and one-time account tokens."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class OutboxMail(Model):
    """A mail waiting to go out (or sent); a sender leases it, sends it, then marks it sent."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    to_address = fields.CharField(max_length=320)
    subject = fields.CharField(max_length=200)
    text_body = fields.TextField()
    html_body = fields.TextField()
    created_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    leased_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "mail_outbox"
        indexes = (("sent_at", "next_attempt_at"),)


class AccountToken(Model):
    """A one-time link token (reset, verify, email change), known only by its SHA-256."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="account_tokens", on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=16)
    new_email = fields.CharField(max_length=320, null=True)
    password_marker = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "account_tokens"
        indexes = (("user_id", "purpose"),)
