"""The second factor: an account's TOTP secret, its recovery codes, and pending logins."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gamecoll.models.user import User


class TotpFactor(Model):
    """An account's authenticator app: pending until a first code confirms it."""

    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="totp", on_delete=fields.CASCADE, primary_key=True
    )
    secret = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    last_step = fields.BigIntField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "totp_factors"


class RecoveryCode(Model):
    """A one-time recovery code, known only by its hash."""

    code_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: uuid.UUID

    class Meta:
        table = "recovery_codes"
        indexes = (("user_id",),)


class MfaChallenge(Model):
    """A login whose password was right and that waits for its second factor (mfa_token)."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mfa_challenges", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    failures = fields.IntField(default=0)

    user_id: uuid.UUID

    class Meta:
        table = "mfa_challenges"
        indexes = (("user_id",), ("expires_at",))
