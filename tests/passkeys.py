"""A software authenticator for the API tests: real ES256 keys, real CBOR, real signatures.

It answers WebAuthn options the way a browser and an authenticator together would (the JSON
that `PublicKeyCredential.toJSON()` gives), and can be told to get things wrong on purpose:
another origin, another rp id, a reused challenge, a counter that goes back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One key pair the authenticator holds."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0

    @property
    def id_text(self) -> str:
        """The credential id as WebAuthn's JSON writes it."""
        return b64url(self.id)


@dataclass
class SoftAuthenticator:
    """A platform authenticator with user verification, for one site's origin."""

    origin: str
    counting: bool = True  # False: a counter stuck at 0, like many synced passkeys
    credentials: list[Credential] = field(default_factory=list)

    @property
    def rp_id(self) -> str:
        return str(urlsplit(self.origin).hostname)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        same_as: Credential | None = None,
    ) -> dict[str, Any]:
        """Make a new discoverable credential (or present `same_as` again) for these options."""
        key = same_as.key if same_as else ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        cred = Credential(
            id=same_as.id if same_as else secrets.token_bytes(32),
            key=key,
            rp_id=rp_id or options["rp"].get("id", self.rp_id),
            user_handle=unb64url(options["user"]["id"]),
        )
        auth_data = (
            hashlib.sha256(cred.rp_id.encode()).digest()
            + bytes([UP | UV | AT])
            + (0).to_bytes(4, "big")
            + AAGUID
            + len(cred.id).to_bytes(2, "big")
            + cred.id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        self.credentials.append(cred)
        return {
            "id": b64url(cred.id),
            "rawId": b64url(cred.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        counter: int | None = None,
        verified: bool = True,
    ) -> dict[str, Any]:
        """Sign these login options with a credential (the newest one by default)."""
        cred = credential or self.credentials[-1]
        if counter is None:
            if self.counting:
                cred.counter += 1
            counter = cred.counter
        flags = UP | (UV if verified else 0)
        auth_data = (
            hashlib.sha256((rp_id or cred.rp_id).encode()).digest()
            + bytes([flags])
            + counter.to_bytes(4, "big")
        )
        client = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = cred.key.sign(
            auth_data + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(cred.id),
            "rawId": b64url(cred.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(cred.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
