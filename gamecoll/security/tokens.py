"""JWT access and refresh tokens with a pinned algorithm and required claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "typ"]
DATE_CLAIMS = ("iat", "nbf", "exp")
# Numeric dates outside this range are refused, whatever their signature (2001 to 2100).
EARLIEST_DATE = 1_000_000_000
LATEST_DATE = 4_102_444_800
_SUCCESSOR_LABEL = b"gamecoll refresh successor v1"


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
    """Encode and verify tokens with one secret, one algorithm, one issuer and one audience."""

    secret: str
    algorithm: str
    issuer: str
    audience: str = "gamecoll"
    leeway_seconds: int = 5
    # The key checked once here: given the bare secret, PyJWT re-checks on every decode that
    # it is not a PEM, SSH or DER key (a DER parse attempt), a fifth of a decode's time.
    _key: jwt.PyJWK = field(init=False, repr=False, compare=False)
    # Access tokens that passed, by their text (at most VERIFIED_TOKENS_KEPT, oldest out first).
    _verified: dict[str, Claims] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _successor_key: bytes = field(init=False, repr=False, compare=False, default=b"")

    def __post_init__(self) -> None:
        secret = base64.urlsafe_b64encode(self.secret.encode("utf-8")).decode().rstrip("=")
        key = jwt.PyJWK({"kty": "oct", "k": secret}, algorithm=self.algorithm)
        object.__setattr__(self, "_key", key)
        # A key of its own for successor ids, derived so it never signs anything itself.
        successor_key = hmac.new(
            self.secret.encode("utf-8"), _SUCCESSOR_LABEL, hashlib.sha256
        ).digest()
        object.__setattr__(self, "_successor_key", successor_key)

    def successor_jti(self, spent_jti: str, type: TokenType) -> str:
        """Derive the id of the token that replaces a spent refresh token.

        The same spent token always gives the same successor ids, so a replay within the
        grace window re-creates the very pair the first use got, with nothing secret stored.
        """
        mac = hmac.new(self._successor_key, f"{type}:{spent_jti}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(
        self,
        *,
        type: TokenType,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        now: datetime,
        lifetime: timedelta,
        jti: str | None = None,
    ) -> tuple[str, Claims]:
        """Sign a new token (random id unless given) and return it with its claims.

        Signing is deterministic: the same claims give the same token.
        """
        iat = int(now.timestamp())
        exp = iat + int(lifetime.total_seconds())
        jti = jti or secrets.token_urlsafe(24)
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
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
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
        except (OverflowError, ValueError, TypeError):
            raise TokenError("malformed claims") from None
        for name in DATE_CLAIMS:
            value = payload[name]
            # PyJWT takes "123" and 1e300 (it only calls int()): insist on a JSON integer.
            if type(value) is not int or not EARLIEST_DATE <= value <= LATEST_DATE:
                raise TokenError(f"the {name} claim must be a whole number of seconds")
        if not payload["iat"] <= payload["exp"] or not payload["nbf"] <= payload["exp"]:
            raise TokenError("the token expires before it starts")
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
