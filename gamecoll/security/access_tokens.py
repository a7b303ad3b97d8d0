"""Personal access tokens: `gcp_` and 32 random bytes, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

PREFIX: Final = "gcp_"
TOKEN_BYTES: Final = 32
_SHAPE: Final = re.compile(r"gcp_[A-Za-z0-9_\-]{43}")

# What a token may do; each API route names the scopes that let a token call it.
SCOPES: Final = ("profile:read", "collection:read", "collection:write", "images:upload")


def new_access_token() -> tuple[str, str]:
    """Return a fresh token and the hash under which it is stored."""
    token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    return token, access_token_hash(token)


def access_token_hash(token: str) -> str:
    """Return the SHA-256 hex digest of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_access_token(token: str) -> bool:
    """Tell whether a bearer token is meant as a personal access token (by its prefix)."""
    return token.startswith(PREFIX)


def well_formed(token: str) -> bool:
    """Tell whether a string has the exact shape of a personal access token."""
    return bool(_SHAPE.fullmatch(token))
