"""Request and response shapes of the auth API (types only; services hold the rules)."""

from __future__ import annotations

from typing import Any

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

NAME_MAX = 1100  # generous caps so that huge strings are refused before any rule runs


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
    email: StrictStr = Field(max_length=NAME_MAX, examples=["ada@example.com"])
    password: StrictStr = Field(max_length=4096, examples=["correct horse battery"])
    username: StrictStr | None = Field(default=None, max_length=NAME_MAX, examples=["ada"])
    gpu_endpoint: StrictStr | None = Field(
        default=None, max_length=4096, examples=["http://192.168.1.20:8000"]
    )


class LoginIn(Strict):
    email: StrictStr | None = Field(default=None, max_length=NAME_MAX)
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
    refresh_token: StrictStr | None = Field(
        default=None, max_length=4096, description="Omit to use the refresh cookie."
    )


class LogoutIn(Strict):
    all: StrictBool = Field(default=False, description="End every session of the user.")
    refresh_token: StrictStr | None = Field(default=None, max_length=4096)


class GpuEndpointIn(Strict):
    gpu_endpoint: StrictStr | None = Field(max_length=4096, examples=["http://192.168.1.20:8000"])


class PasswordChangeIn(Strict):
    current_password: StrictStr = Field(max_length=4096)
    new_password: StrictStr = Field(max_length=4096)


class PasswordConfirmIn(Strict):
    password: StrictStr = Field(max_length=4096)


class UserOut(BaseModel):
    id: str
    email: str
    email_verified: bool
    username: str | None
    gpu_endpoint: str | None
    created_at: str


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - a token kind, not a secret
    expires_in: int
    refresh_expires_in: int
    csrf_token: str
    user: UserOut


class SessionOut(BaseModel):
    id: str
    created_at: str
    last_used_at: str
    expires_at: str
    user_agent: str
    ip: str
    current: bool


class SessionsOut(BaseModel):
    sessions: list[SessionOut]


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


class StatusOut(BaseModel):
    status: str
    database: str
    version: str


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
