"""Passkeys (WebAuthn): read a browser's answer, say which check it fails, verify signatures.

Pure functions over bytes and dicts; the ceremonies' state (challenges, stored keys) lives in
`gamecoll.services.passkeys`. The checks the `webauthn` package makes are made here first,
one by one, so that each refusal carries its own error code: a malformed answer, another
site's origin, another relying party, a signature that does not verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import parse_attestation_object
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)

from gamecoll.errors import (
    PasskeyMalformed,
    PasskeyOriginMismatch,
    PasskeyRejected,
    PasskeyRpMismatch,
)

log = logging.getLogger("gamecoll.passkeys")

Ceremony = Literal["create", "get"]
CHALLENGE_BYTES: Final = 32
MAX_CREDENTIAL_ID_BYTES: Final = 1023  # WebAuthn Level 3: credential ids are at most 1023 bytes
MAX_FIELD_CHARS: Final = 16384  # base64url text of one field (a TPM attestation is a few KiB)
_CLIENT_TYPES: Final = {"create": "webauthn.create", "get": "webauthn.get"}
_RESPONSE_FIELDS: Final = {
    "create": ("attestationObject",),
    "get": ("authenticatorData", "signature"),
}


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: the site's origin and its host name (the rp id)."""

    origin: str
    id: str
    name: str = "gamecoll"

    @classmethod
    def from_origin(cls, origin: str) -> RelyingParty:
        """Derive the relying party from an origin such as `https://games.example`."""
        parts = urlsplit(origin.lower())  # browsers send origins in lower case
        return cls(origin=f"{parts.scheme}://{parts.netloc}", id=parts.hostname or "")

    @property
    def usable(self) -> bool:
        """Tell whether browsers accept this rp id: a domain name, not an IP address."""
        if not self.id:
            return False
        try:
            ipaddress.ip_address(self.id)
        except ValueError:
            return True
        return False


@dataclass(frozen=True, slots=True)
class ClientAnswer:
    """A browser's answer, decoded far enough to route it: which challenge, which key."""

    ceremony: Ceremony
    credential: dict[str, Any]
    credential_id: str
    challenge: bytes
    origin: str
    rp_id_hash: bytes
    sign_count: int
    user_verified: bool
    user_handle: bytes | None


@dataclass(frozen=True, slots=True)
class NewPasskey:
    """What a verified registration gives to store."""

    credential_id: str
    public_key: bytes
    sign_count: int
    aaguid: str
    backed_up: bool
    transports: tuple[str, ...]


def new_challenge() -> bytes:
    """Return a fresh random challenge."""
    return secrets.token_bytes(CHALLENGE_BYTES)


def challenge_key(challenge: bytes) -> str:
    """Return the SHA-256 hex digest under which a challenge is stored."""
    return hashlib.sha256(challenge).hexdigest()


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url (WebAuthn's JSON encoding)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def from_b64url(text: object, field: str) -> bytes:
    """Decode unpadded (or padded) base64url text; 400 naming the field otherwise."""
    if not isinstance(text, str) or len(text) > MAX_FIELD_CHARS:
        raise PasskeyMalformed(f"`{field}` must be base64url text.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PasskeyMalformed(f"`{field}` is not base64url.") from None


def read_answer(credential: object, ceremony: Ceremony) -> ClientAnswer:
    """Check the shape of a `PublicKeyCredential` as JSON and decode what routes it."""
    if not isinstance(credential, dict):
        raise PasskeyMalformed("`credential` must be the PublicKeyCredential as a JSON object.")
    if credential.get("type") != "public-key":
        raise PasskeyMalformed('`credential.type` must be "public-key".')
    raw_id = from_b64url(credential.get("rawId", credential.get("id")), "credential.rawId")
    if not 1 <= len(raw_id) <= MAX_CREDENTIAL_ID_BYTES:
        raise PasskeyMalformed("`credential.rawId` must be 1 to 1023 bytes.")
    if credential.get("id") != b64url(raw_id):
        raise PasskeyMalformed("`credential.id` must be the base64url of `rawId`.")
    response = credential.get("response")
    if not isinstance(response, dict):
        raise PasskeyMalformed("`credential.response` must be a JSON object.")
    client = _client_data(from_b64url(response.get("clientDataJSON"), "clientDataJSON"), ceremony)
    parts = {name: from_b64url(response.get(name), name) for name in _RESPONSE_FIELDS[ceremony]}
    auth_data = (
        _attested_auth_data(parts["attestationObject"])
        if ceremony == "create"
        else parts["authenticatorData"]
    )
    if len(auth_data) < 37:
        raise PasskeyMalformed("The authenticator data is shorter than 37 bytes.")
    handle = response.get("userHandle")
    return ClientAnswer(
        ceremony=ceremony,
        credential={**credential, "rawId": b64url(raw_id)},
        credential_id=b64url(raw_id),
        challenge=client[0],
        origin=client[1],
        rp_id_hash=auth_data[:32],
        user_verified=bool(auth_data[32] & 0x04),
        sign_count=int.from_bytes(auth_data[33:37], "big"),
        user_handle=from_b64url(handle, "userHandle") if handle else None,
    )


def _client_data(raw: bytes, ceremony: Ceremony) -> tuple[bytes, str]:
    """Return the challenge and origin of clientDataJSON, checking its type."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PasskeyMalformed("`clientDataJSON` is not JSON.") from None
    if not isinstance(data, dict):
        raise PasskeyMalformed("`clientDataJSON` is not a JSON object.")
    if data.get("type") != _CLIENT_TYPES[ceremony]:
        raise PasskeyMalformed(
            f"`clientDataJSON.type` must be {_CLIENT_TYPES[ceremony]!r} for this step."
        )
    origin = data.get("origin")
    if not isinstance(origin, str):
        raise PasskeyMalformed("`clientDataJSON.origin` is missing.")
    return from_b64url(data.get("challenge"), "clientDataJSON.challenge"), origin


def _attested_auth_data(attestation: bytes) -> bytes:
    """Return the authenticator data inside an attestation object."""
    try:
        parsed = parse_attestation_object(attestation)
        auth_data = bytes(parsed.auth_data.rp_id_hash)
        flags = parsed.auth_data.flags
        counter = parsed.auth_data.sign_count.to_bytes(4, "big")
    except Exception:  # hostile CBOR: any failure of the parser means a malformed answer
        raise PasskeyMalformed("`attestationObject` is not a valid CBOR attestation.") from None
    if parsed.auth_data.attested_credential_data is None:
        raise PasskeyMalformed("The attestation carries no credential.")
    flag_byte = flags.up * 0x01 | flags.uv * 0x04 | flags.be * 0x08 | flags.bs * 0x10
    return auth_data + bytes([flag_byte]) + counter


def check_site(answer: ClientAnswer, rp: RelyingParty) -> None:
    """Refuse an answer made for another origin or another relying party."""
    if answer.origin != rp.origin:
        raise PasskeyOriginMismatch(
            f"The passkey answer was made on {answer.origin[:200]!r}, not on {rp.origin!r}."
        )
    if answer.rp_id_hash != hashlib.sha256(rp.id.encode("utf-8")).digest():
        raise PasskeyRpMismatch(f"The passkey answer was not made for the relying party {rp.id!r}.")


def verify_new(answer: ClientAnswer, *, challenge: bytes, rp: RelyingParty) -> NewPasskey:
    """Verify a registration answer whose challenge and site were checked already."""
    try:
        verified = verify_registration_response(
            credential=answer.credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except InvalidRegistrationResponse as exc:
        raise PasskeyRejected(f"The new passkey did not verify: {exc}.") from None
    except Exception as exc:  # hostile input reaching the parser: a malformed answer
        log.debug("malformed passkey registration: %r", exc)
        raise PasskeyMalformed() from None
    transports = answer.credential.get("response", {}).get("transports")
    return NewPasskey(
        credential_id=b64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid),
        backed_up=verified.credential_backed_up,
        transports=tuple(
            str(t)[:32] for t in (transports if isinstance(transports, list) else [])[:8]
        ),
    )


def verify_assertion(
    answer: ClientAnswer,
    *,
    challenge: bytes,
    rp: RelyingParty,
    public_key: bytes,
    sign_count: int,
    require_user_verification: bool,
) -> None:
    """Verify a login answer's signature with the stored key (other checks were made before)."""
    try:
        verify_authentication_response(
            credential=answer.credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=require_user_verification,
        )
    except InvalidAuthenticationResponse as exc:
        raise PasskeyRejected(f"The passkey answer did not verify: {exc}.") from None
    except Exception as exc:  # hostile input reaching the parser: a malformed answer
        log.debug("malformed passkey assertion: %r", exc)
        raise PasskeyMalformed() from None


def counter_went_back(stored: int, presented: int) -> bool:
    """Tell whether a signature counter failed to grow (authenticators without one send 0)."""
    return (presented > 0 or stored > 0) and presented <= stored
