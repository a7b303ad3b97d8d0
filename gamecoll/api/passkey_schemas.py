"""Request and response shapes of the passkey endpoints (types only; WebAuthn's JSON forms)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gamecoll.api.schemas import NAME_MAX, Strict
from gamecoll.models import Passkey

CREDENTIAL_TEXT = (
    "The `PublicKeyCredential` the browser returned, as JSON (`credential.toJSON()`): `id`, "
    "`rawId`, `type` and `response` with base64url fields. A malformed one is 400 "
    "`passkey_malformed`."
)
NAME_TEXT = "1 to 64 characters shown in the settings; empty: a name with today's date."


class WebAuthnOptionsOut(BaseModel):
    """WebAuthn options as JSON: give them to `PublicKeyCredential.parse*OptionsFromJSON`."""

    model_config = ConfigDict(title="WebAuthnOptions", extra="allow")

    challenge: str = Field(description="base64url; valid for 5 minutes and for one answer.")
    timeout: int = Field(description="Milliseconds the browser gives the person.")


class RegisterVerifyIn(Strict):
    model_config = ConfigDict(title="PasskeyRegistration")

    credential: dict[str, Any] = Field(description=CREDENTIAL_TEXT)
    name: StrictStr | None = Field(
        default=None, max_length=NAME_MAX, description=NAME_TEXT, examples=["Phone"]
    )


class LoginVerifyIn(Strict):
    model_config = ConfigDict(title="PasskeyAssertion")

    credential: dict[str, Any] = Field(description=CREDENTIAL_TEXT)


class RenameIn(Strict):
    model_config = ConfigDict(title="PasskeyRename")

    name: StrictStr = Field(max_length=NAME_MAX, description=NAME_TEXT, examples=["Laptop"])


class RemoveIn(Strict):
    model_config = ConfigDict(title="PasskeyRemoval")

    current_password: StrictStr | None = Field(
        default=None,
        max_length=4096,
        description="Needed unless this session proved its user in the last 5 minutes.",
    )


class LoginOptionsIn(Strict):
    model_config = ConfigDict(title="PasskeyLoginOptionsRequest")

    mfa_token: StrictStr | None = Field(
        default=None,
        max_length=200,
        description="From an `mfa_required` answer: options for that account's passkeys, to "
        "pass its second step (`loginSecondFactor` with `passkey`). Absent: any passkey of "
        "this site logs in alone.",
    )


class PasskeyOut(BaseModel):
    model_config = ConfigDict(title="Passkey")

    id: uuid.UUID
    name: str = Field(examples=["Phone"])
    created_at: datetime
    last_used_at: datetime | None = Field(description="The last login or check it signed.")
    backed_up: bool = Field(description="Synced by its provider (a password manager, a cloud).")
    transports: list[str] = Field(examples=[["internal", "hybrid"]])


class PasskeysOut(BaseModel):
    model_config = ConfigDict(title="PasskeyList")

    passkeys: list[PasskeyOut]


def passkey_json(passkey: Passkey) -> dict[str, Any]:
    """Shape a passkey for the API; never its key material."""
    return {
        "id": str(passkey.id),
        "name": passkey.name,
        "created_at": passkey.created_at.isoformat(),
        "last_used_at": passkey.last_used_at.isoformat() if passkey.last_used_at else None,
        "backed_up": passkey.backed_up,
        "transports": [t for t in passkey.transports.split(",") if t],
    }
