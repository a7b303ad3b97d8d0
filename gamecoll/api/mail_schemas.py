"""Request and response shapes of the account-mail endpoints (types only)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictStr

from gamecoll.api.schemas import NAME_MAX, Strict


class ForgotIn(Strict):
    email: StrictStr = Field(max_length=NAME_MAX, examples=["ada@example.com"])


class ResetIn(Strict):
    token: StrictStr = Field(max_length=200, description="The token from the mailed link.")
    new_password: StrictStr = Field(max_length=4096)


class VerifyIn(Strict):
    token: StrictStr = Field(max_length=200, description="The token from the mailed link.")


class EmailChangeIn(Strict):
    new_email: StrictStr = Field(max_length=NAME_MAX, examples=["ada@new.example"])
    current_password: StrictStr = Field(max_length=4096)


class AcceptedOut(BaseModel):
    message: str


class ActivityOut(BaseModel):
    id: str
    event: str
    created_at: str
    ip: str
    user_agent: str


class ActivityPageOut(BaseModel):
    activity: list[ActivityOut]
    next_cursor: str | None
