"""Tortoise models; this package is the single `models` app."""

from gamecoll.models.access_token import AccessToken
from gamecoll.models.activity import ActivityEntry
from gamecoll.models.item import Item
from gamecoll.models.mail import AccountToken, OutboxMail
from gamecoll.models.passkey import Passkey, PasskeyChallenge
from gamecoll.models.rate_limit import LoginFailure, RateCounter
from gamecoll.models.second_factor import MfaChallenge, RecoveryCode, TotpFactor
from gamecoll.models.session import RefreshToken, Session
from gamecoll.models.user import User

__all__ = [
    "AccessToken",
    "AccountToken",
    "ActivityEntry",
    "Item",
    "LoginFailure",
    "MfaChallenge",
    "OutboxMail",
    "Passkey",
    "PasskeyChallenge",
    "RateCounter",
    "RecoveryCode",
    "RefreshToken",
    "Session",
    "TotpFactor",
    "User",
]
