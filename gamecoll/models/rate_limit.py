"""Counters for rate limits, kept in the database so every worker and instance shares them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateCounter(Model):
    """Requests counted for one key in the current fixed window."""

    key = fields.CharField(max_length=200, primary_key=True)
    window_start = fields.BigIntField()
    count = fields.IntField()

    class Meta:
        table = "rate_counters"


class LoginFailure(Model):
    """Failed logins for one account name, with the time until which it is locked."""

    key = fields.CharField(max_length=400, primary_key=True)
    failures = fields.IntField()
    locked_until = fields.BigIntField()
    last_failure_at = fields.BigIntField()

    class Meta:
        table = "login_failures"
