"""Passkeys (WebAuthn credentials) and the challenges of ceremonies in progress."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class Passkey(Model):
    """A public key an authenticator made for this site; it signs logins and second factors."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="passkeys", on_delete=fields.CASCADE
    )
    credential_id = fields.CharField(max_length=1400, unique=True)  # base64url, at most 1023 B
    public_key = fields.BinaryField()  # COSE_Key, as the authenticator sent it
    sign_count = fields.BigIntField(default=0)
    name = fields.CharField(max_length=64)
    aaguid = fields.CharField(max_length=36, default="")
    transports = fields.CharField(max_length=300, default="")  # comma-separated hints
    backed_up = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "passkeys"
        indexes = (("user_id", "created_at"),)


class PasskeyChallenge(Model):
    """A challenge handed to a browser, known by its SHA-256; spent by the first answer."""

    challenge_hash = fields.CharField(max_length=64, primary_key=True)
    purpose = fields.CharField(max_length=16)  # register, login or mfa
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="passkey_challenges", on_delete=fields.CASCADE, null=True
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    user_id: uuid.UUID | None

    class Meta:
        table = "passkey_challenges"
        indexes = (("expires_at",),)
