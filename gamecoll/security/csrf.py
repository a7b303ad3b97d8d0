"""CSRF tokens (one per session) and the same-origin check."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit


def new_csrf_token() -> str:
    """Make a fresh random CSRF token."""
    return secrets.token_urlsafe(32)


def csrf_token_matches(expected: str, presented: str | None) -> bool:
    """Compare the session's token with the one presented, in constant time."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def origin_allowed(
    *,
    origin: str | None,
    referer: str | None,
    own_origin: str,
    allowed_origins: Iterable[str],
) -> bool:
    """Accept a request from this site or an allowed origin (Origin, else Referer)."""
    source = origin
    if not source and referer:
        parts = urlsplit(referer)
        source = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    if not source:
        # Browsers send Origin on every cross-site state-changing request;
        # a request without Origin or Referer is not a cross-site form post.
        return True
    source = source.rstrip("/").lower()
    if source == "null":
        return False
    return source == own_origin.lower() or source in {o.lower() for o in allowed_origins}
