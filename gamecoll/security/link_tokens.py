"""One-time link tokens (password reset, email verification, email change): 32 random bytes,
sent in a link, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

TOKEN_BYTES: Final = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_SHAPE: Final = re.compile(r"[A-Za-z0-9_\-]{43}")


def new_link_token() -> tuple[str, str]:
    """Return a fresh token and the hash under which it is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, link_token_hash(token)


def link_token_hash(token: str) -> str:
    """Return the SHA-256 hex digest of a link token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    """Tell whether a string has the shape of a link token (checked before any lookup)."""
    return bool(_SHAPE.fullmatch(token))


def password_marker(password_hash: str) -> str:
    """Return a digest of the stored password hash: a token bound to it dies when it changes."""
    return hashlib.sha256(b"gamecoll-link-token:" + password_hash.encode("utf-8")).hexdigest()
