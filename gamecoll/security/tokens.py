"""JWT access and refresh tokens with a pinned algorithm and required claims."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

TokenType = Literal["access", "refresh"]
VERIFIED_TOKENS_KEPT = 1024
"""Verified access tokens remembered per process (about 1 KiB each)."""
REQUIRED_CLAIMS = ["iss", "sub", "sid", "jti", "iat", "exp", "typ"]


class TokenError(Exception):
    """The token is not one this service accepts."""


@dataclass(frozen=True)
class Claims:
    """The claims of a verified token."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: str
    issued_at: int
    expires_at: int
    type: TokenType


@dataclass(frozen=True)
class TokenCodec:
    """Encode and verify tokens with one secret, one algorithm and one issuer."""

    secret: str
    algorithm: str
    issuer: str
    leeway_seconds: int = 5
    # The key checked once here: given the bare secret, PyJWT re-checks on every decode that
    # it is not a PEM, SSH or DER key (a DER parse attempt), a fifth of a decode's time.
    _key: jwt.PyJWK = field(init=False, repr=False, compare=False)
    # Access tokens that passed, by their text (at most VERIFIED_TOKENS_KEPT, oldest out first).
    _verified: dict[str, Claims] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        secret = base64.urlsafe_b64encode(self.secret.encode("utf-8")).decode().rstrip("=")
        key = jwt.PyJWK({"kty": "oct", "k": secret}, algorithm=self.algorithm)
        object.__setattr__(self, "_key", key)

    def encode(
        self,
        *,
        type: TokenType,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        now: datetime,
        lifetime: timedelta,
    ) -> tuple[str, Claims]:
        """Sign a new token and return it with its claims."""
        iat = int(now.timestamp())
        exp = int((now + lifetime).timestamp())
        jti = secrets.token_urlsafe(24)
        payload = {
            "iss": self.issuer,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": jti,
            "iat": iat,
            "nbf": iat,
            "exp": exp,
            "typ": type,
        }
        token = jwt.encode(payload, self.secret, algorithm=self.algorithm)
        return token, Claims(user_id, session_id, jti, iat, exp, type)

    def decode(self, token: str, *, expected: TokenType, now: float | None = None) -> Claims:
        """Verify signature, algorithm, issuer, times and type; raise TokenError otherwise.

        An access token that passed is remembered: its signature and claims cannot change, so
        later uses check only its expiry and type. Whether its session is still live is for
        the caller to check on every use (SessionService does, in the database).
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims.type == "access":
                if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                    del self._verified[next(iter(self._verified))]  # the oldest
                self._verified[token] = claims
        moment = time.time() if now is None else now
        if claims.expires_at <= moment - self.leeway_seconds:
            raise TokenError("Signature has expired")
        if claims.type != expected:
            raise TokenError(f"expected a {expected} token")
        return claims

    def _verify(self, token: str) -> Claims:
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
        kind = payload.get("typ")
        if kind not in ("access", "refresh"):
            raise TokenError("unknown token type")
        try:
            return Claims(
                user_id=uuid.UUID(str(payload["sub"])),
                session_id=uuid.UUID(str(payload["sid"])),
                jti=str(payload["jti"]),
                issued_at=int(payload["iat"]),
                expires_at=int(payload["exp"]),
                type=kind,
            )
        except (ValueError, TypeError):
            raise TokenError("malformed claims") from None


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a refresh token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
