"""Tortoise models; this package is the single `models` app."""

from gamecoll.models.activity import ActivityEntry
from gamecoll.models.import_job import ImportJob
from gamecoll.models.item import Item
from gamecoll.models.mail import AccountToken, OutboxMail
from gamecoll.models.rate_limit import LoginFailure, RateCounter
from gamecoll.models.session import RefreshToken, Session
from gamecoll.models.user import User

__all__ = [
    "AccountToken",
    "ActivityEntry",
    "ImportJob",
    "Item",
    "LoginFailure",
    "OutboxMail",
    "RateCounter",
    "RefreshToken",
    "Session",
    "User",
]
