"""Password rules and bcrypt hashing (blocking: call through the hashing pool)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
from functools import lru_cache
from pathlib import Path

import bcrypt

MIN_LENGTH = 8
MAX_LENGTH = 1024
_COMMON_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Load the common-password list once (lowercased entries)."""
    with gzip.open(_COMMON_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def password_problem(password: str) -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if "\x00" in password:
        return "The password cannot contain a NUL character."
    if password.lower() in common_passwords():
        return "This password is one of the most common ones; choose another."
    return None


def _prehash(password: str) -> bytes:
    """Reduce any password to 44 bytes so bcrypt's 72-byte limit never truncates it."""
    digest = hashlib.sha256(password.encode("utf-8")).digest()
    return base64.b64encode(digest)


def hash_password(password: str, rounds: int) -> str:
    """Hash a password with bcrypt at the given cost."""
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Check a password against a stored hash; False on any malformed hash."""
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def hash_rounds(password_hash: str) -> int:
    """Read the cost factor from a bcrypt hash (`$2b$12$...`), 0 when unreadable."""
    parts = password_hash.split("$")
    try:
        return int(parts[2])
    except (IndexError, ValueError):
        return 0


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two secrets without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
