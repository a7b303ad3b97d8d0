"""Request and response shapes of the account-mail endpoints (types only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from gamecoll.api.schemas import (
    EMAIL_TEXT,
    NAME_MAX,
    NEW_PASSWORD,
    PASSWORD_TEXT,
    REAUTH_TEXT,
    Strict,
)

LINK_TEXT = "The token from the mailed link."


class ForgotIn(Strict):
    model_config = ConfigDict(title="ForgotPasswordRequest")

    email: StrictStr = Field(
        max_length=NAME_MAX, description=EMAIL_TEXT, examples=["ada@example.com"]
    )


class ResetIn(Strict):
    model_config = ConfigDict(title="ResetPasswordRequest")

    token: StrictStr = Field(max_length=200, description=LINK_TEXT)
    new_password: StrictStr = Field(
        max_length=4096, description=PASSWORD_TEXT, json_schema_extra=NEW_PASSWORD
    )
    revoke_access_tokens: StrictBool = Field(
        default=False, description="Also revoke every personal access token of the account."
    )


class VerifyIn(Strict):
    model_config = ConfigDict(title="EmailTokenRequest")

    token: StrictStr = Field(max_length=200, description=LINK_TEXT)


class EmailChangeIn(Strict):
    model_config = ConfigDict(title="EmailChangeRequest")

    new_email: StrictStr = Field(
        max_length=NAME_MAX, description=EMAIL_TEXT, examples=["ada@new.example"]
    )
    current_password: StrictStr | None = Field(
        default=None, max_length=4096, description=REAUTH_TEXT
    )


class AcceptedOut(BaseModel):
    model_config = ConfigDict(title="Accepted")

    message: str = Field(description="What happens next, for the user to read.")


class ActivityOut(BaseModel):
    model_config = ConfigDict(title="ActivityEntry")

    id: uuid.UUID
    event: str = Field(examples=["login_succeeded"])
    created_at: datetime
    ip: str = Field(examples=["192.0.2.10"])
    user_agent: str


class ActivityPageOut(BaseModel):
    model_config = ConfigDict(title="ActivityPage")

    activity: list[ActivityOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


BAD_LINK = (
    "The token is unknown, used or malformed (`token_invalid`) or expired (`token_expired`); "
    "nothing changed"
)
NO_MAIL = "This server cannot send mail (code `mail_unavailable`); the administrator can help"
TOO_MANY_MAILS = "Too many mails to this address"
