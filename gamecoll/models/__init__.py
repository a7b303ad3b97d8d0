"""Tortoise models; this package is the single `models` app.

The raw SQL lives beside them: `sql.py` holds the one convention (`$n` placeholders, sent to
SQLite as `?n`), the dialect check and the ping; each `*_sql.py` holds the statements of one
concern (hot reads, clean-up, rate limits, the mail outbox).
"""

from gamecoll.models.access_token import AccessToken
from gamecoll.models.activity import ActivityEntry
from gamecoll.models.import_job import ImportJob
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
    "ImportJob",
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
