"""Request and response shapes of the second factor, re-authentication and access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gamecoll.api.schemas import Strict
from gamecoll.models import AccessToken
from gamecoll.security.access_tokens import SCOPES
from gamecoll.services.access_tokens import MAX_DAYS, NAME_LENGTH

PASSKEY_TEXT = (
    "A passkey's answer (`PublicKeyCredential.toJSON()`) to options from "
    "`passkeyLoginOptions` (with the mfa_token) or `passkeyReauthOptions`."
)
CODE_TEXT = (
    "The 6 digits your authenticator app shows, or one of your recovery codes "
    "(`XXXXX-XXXXX`; case, spaces and dashes do not matter)."
)
Scope = Literal["profile:read", "collection:read", "collection:write", "images:upload"]
if set(get_args(Scope)) != set(SCOPES):  # one list of scopes, checked at import
    raise RuntimeError("Scope and gamecoll.security.access_tokens.SCOPES differ.")


class PasswordOptionalIn(Strict):
    model_config = ConfigDict(title="ReauthPasswordRequest")

    current_password: StrictStr | None = Field(
        default=None,
        max_length=4096,
        description="Needed unless this session proved its user in the last 5 minutes.",
    )


class TotpConfirmIn(Strict):
    model_config = ConfigDict(title="TotpConfirmRequest")

    code: StrictStr = Field(max_length=64, description="The 6 digits your app shows now.")


class TotpDisableIn(Strict):
    model_config = ConfigDict(title="TotpDisableRequest")

    current_password: StrictStr | None = Field(
        default=None,
        max_length=4096,
        description="Needed unless this session proved its user in the last 5 minutes.",
    )
    code: StrictStr = Field(max_length=64, description=CODE_TEXT)


class MfaLoginIn(Strict):
    model_config = ConfigDict(title="MfaLoginRequest")

    mfa_token: StrictStr = Field(max_length=200, description="From the `mfa_required` answer.")
    code: StrictStr | None = Field(default=None, max_length=64, description=CODE_TEXT)
    passkey: dict[str, Any] | None = Field(
        default=None, description=PASSKEY_TEXT + " Send it instead of `code`."
    )


class ReauthIn(Strict):
    model_config = ConfigDict(title="ReauthRequest")

    password: StrictStr | None = Field(default=None, max_length=4096)
    code: StrictStr | None = Field(default=None, max_length=64, description=CODE_TEXT)
    passkey: dict[str, Any] | None = Field(default=None, description=PASSKEY_TEXT)


class TotpSetupOut(BaseModel):
    model_config = ConfigDict(title="TotpSetup")

    secret: str = Field(description="Base32, for typing into the app by hand.")
    otpauth_uri: str = Field(description="The `otpauth://totp/...` URI the QR code holds.")
    qr_svg: str = Field(description="The QR code as an inline `<svg>` element.")


class RecoveryCodesOut(BaseModel):
    model_config = ConfigDict(title="RecoveryCodes")

    recovery_codes: list[str] = Field(
        description="Ten codes, each usable once; shown only now, so keep them safe."
    )


class ReauthOut(BaseModel):
    model_config = ConfigDict(title="Reauthenticated")

    method: str = Field(description="What confirmed it: password, totp or recovery_code.")
    valid_for: int = Field(description="Seconds during which sensitive changes need no password.")


class SecondFactorOut(BaseModel):
    model_config = ConfigDict(title="SecondFactorStatus")

    totp: bool = Field(description="Whether an authenticator app is on.")
    recovery_codes_left: int
    methods: list[str] = Field(description="What a login may offer as its second factor.")


class AccessTokenIn(Strict):
    model_config = ConfigDict(title="AccessTokenRequest")

    name: StrictStr = Field(max_length=1100, description=f"1 to {NAME_LENGTH} characters.")
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    expires_in_days: StrictInt | None = Field(
        default=None, ge=1, le=MAX_DAYS, description="Leave out for a token that never expires."
    )


class AccessTokenOut(BaseModel):
    model_config = ConfigDict(title="AccessToken")

    id: uuid.UUID
    name: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class NewAccessTokenOut(AccessTokenOut):
    model_config = ConfigDict(title="NewAccessToken")

    token: str = Field(
        description="Send as `Authorization: Bearer <token>`; shown only now.",
        examples=["gcp_3q2-...43 characters"],
    )


class AccessTokensOut(BaseModel):
    model_config = ConfigDict(title="AccessTokenList")

    tokens: list[AccessTokenOut]


def access_token_json(row: AccessToken) -> dict[str, Any]:
    """Shape a token's row (never its hash) for the API."""
    return {
        "id": str(row.id),
        "name": row.name,
        "scopes": row.scopes.split(),
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }
