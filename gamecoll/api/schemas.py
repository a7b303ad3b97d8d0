"""Request and response shapes of the auth API (types only; services hold the rules)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from gamecoll.models import Session, User
from gamecoll.security.passwords import MAX_LENGTH, MIN_LENGTH
from gamecoll.services.rules import EMAIL_MAX, GPU_ENDPOINT_MAX

NAME_MAX = 1100  # generous caps so that huge strings are refused before any rule runs
# The rules the services apply after these caps (422 with `fields` when broken).
EMAIL_TEXT = f"An email address, at most {EMAIL_MAX} characters once trimmed; compared lowercased."
USERNAME_TEXT = "3 to 32 letters, digits, dots, dashes or underscores; empty or null: none."
PASSWORD_TEXT = f"{MIN_LENGTH} to {MAX_LENGTH} characters, not a commonly used password."
NEW_PASSWORD: dict[str, Any] = {"minLength": MIN_LENGTH, "maxLength": MAX_LENGTH}
REAUTH_TEXT = (
    "The current password; may be left out within 5 minutes of a login or `reauthenticate`."
)
GPU_TEXT = (
    f"An http(s) URL with a host and no user-info, at most {GPU_ENDPOINT_MAX} characters; "
    "empty or null clears it. Stored only: the server never calls it."
)


class Strict(BaseModel):
    """Base: strict types, unknown fields ignored, no NUL characters in any string."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Must not contain NUL characters.")
        return value


class RegisterIn(Strict):
    model_config = ConfigDict(title="RegisterRequest")

    email: StrictStr = Field(
        max_length=NAME_MAX, description=EMAIL_TEXT, examples=["ada@example.com"]
    )
    password: StrictStr = Field(
        max_length=4096,
        description=PASSWORD_TEXT,
        examples=["correct horse battery"],
        json_schema_extra=NEW_PASSWORD,
    )
    username: StrictStr | None = Field(
        default=None, max_length=NAME_MAX, description=USERNAME_TEXT, examples=["ada"]
    )
    gpu_endpoint: StrictStr | None = Field(
        default=None, max_length=4096, description=GPU_TEXT, examples=["http://192.168.1.20:8000"]
    )


class LoginIn(Strict):
    model_config = ConfigDict(title="LoginRequest")

    email: StrictStr | None = Field(
        default=None, max_length=NAME_MAX, description="Send email or username (or both)."
    )
    username: StrictStr | None = Field(
        default=None, max_length=NAME_MAX, description="A username or an email address."
    )
    password: StrictStr = Field(max_length=4096)

    @model_validator(mode="after")
    def _one_identifier(self) -> LoginIn:
        if not (self.email or self.username):
            raise ValueError("Send email or username.")
        return self

    @property
    def identifier(self) -> str:
        return self.email or self.username or ""


class RefreshIn(Strict):
    model_config = ConfigDict(title="RefreshRequest")

    refresh_token: StrictStr | None = Field(
        default=None, max_length=4096, description="Omit to use the refresh cookie."
    )


class LogoutIn(Strict):
    model_config = ConfigDict(title="LogoutRequest")

    all: StrictBool = Field(
        default=False, description="End every session of the user (default: only this one)."
    )
    refresh_token: StrictStr | None = Field(
        default=None, max_length=4096, description="Ignored: the session of the credentials ends."
    )


class GpuEndpointIn(Strict):
    model_config = ConfigDict(title="GpuEndpointRequest")

    gpu_endpoint: StrictStr | None = Field(
        max_length=4096, description=GPU_TEXT, examples=["http://192.168.1.20:8000"]
    )


class PasswordChangeIn(Strict):
    model_config = ConfigDict(title="PasswordChangeRequest")

    current_password: StrictStr | None = Field(
        default=None, max_length=4096, description=REAUTH_TEXT
    )
    new_password: StrictStr = Field(
        max_length=4096, description=PASSWORD_TEXT, json_schema_extra=NEW_PASSWORD
    )


class PasswordConfirmIn(Strict):
    model_config = ConfigDict(title="PasswordConfirmRequest")

    password: StrictStr | None = Field(default=None, max_length=4096, description=REAUTH_TEXT)


class UserOut(BaseModel):
    model_config = ConfigDict(title="User")

    id: uuid.UUID
    email: str = Field(examples=["ada@example.com"])
    email_verified: bool
    username: str | None = Field(examples=["ada"])
    gpu_endpoint: str | None = Field(examples=["http://192.168.1.20:8000"])
    created_at: datetime


class TokensOut(BaseModel):
    model_config = ConfigDict(title="TokenResponse")

    access_token: str = Field(description="A JWT: send it as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(description="Single use: `refreshTokens` answers a new pair.")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")
    csrf_token: str = Field(description="Send as `X-CSRF-Token` with cookie authentication.")
    user: UserOut


class SessionOut(BaseModel):
    model_config = ConfigDict(title="Session")

    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool = Field(description="Whether this is the session of the request.")


class SessionsOut(BaseModel):
    model_config = ConfigDict(title="SessionList")

    sessions: list[SessionOut]


class ErrorBody(BaseModel):
    model_config = ConfigDict(title="ErrorDetail")

    code: str = Field(description="Stable and machine-readable.", examples=["validation_error"])
    message: str = Field(description="For people: says what was wrong.")
    fields: dict[str, str] | None = Field(
        default=None, description="Each invalid field with what was wrong (only when any)."
    )
    mfa_token: str | None = Field(
        default=None, description="With `mfa_required`: send it to `loginSecondFactor`."
    )
    expires_in: int | None = Field(
        default=None, description="With `mfa_required`: seconds the mfa_token works."
    )
    methods: list[str] | None = Field(
        default=None,
        description="With `mfa_required`: what the account can offer (totp, recovery_code).",
    )
    required_scopes: list[str] | None = Field(
        default=None, description="With `insufficient_scope`: any one of these would do."
    )


class ErrorOut(BaseModel):
    model_config = ConfigDict(title="Error")

    error: ErrorBody


class StatusOut(BaseModel):
    model_config = ConfigDict(title="DatabaseStatus")

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str


class HealthOut(BaseModel):
    model_config = ConfigDict(title="Health")

    status: Literal["ok"]


class ReadinessOut(BaseModel):
    model_config = ConfigDict(title="Readiness")

    status: Literal["ok", "unavailable", "shutting_down"]
    database: Literal["ok", "unavailable"] | None = Field(
        default=None, description="Absent while the instance is shutting down."
    )


class DocLinks(BaseModel):
    model_config = ConfigDict(title="DocLinks")

    swagger: str
    redoc: str
    openapi: str


class WelcomeOut(BaseModel):
    model_config = ConfigDict(title="Welcome")

    name: str
    message: str
    version: str
    docs: DocLinks


def user_json(user: User) -> dict[str, Any]:
    """Shape a user for the API; never a hash."""
    return {
        "id": str(user.id),
        "email": user.email,
        "email_verified": user.email_verified,
        "username": user.username,
        "gpu_endpoint": user.gpu_endpoint,
        "created_at": user.created_at.isoformat(),
    }


def session_json(session: Session, *, current_id: object) -> dict[str, Any]:
    """Shape a session for the sessions list."""
    return {
        "id": str(session.id),
        "created_at": session.created_at.isoformat(),
        "last_used_at": session.last_used_at.isoformat(),
        "expires_at": session.expires_at.isoformat(),
        "user_agent": session.user_agent,
        "ip": session.ip,
        "current": session.id == current_id,
    }
