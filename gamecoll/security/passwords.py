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


# Hashes written since the salted pre-hash: passlib's `bcrypt_sha256` v2 format,
# `$bcrypt-sha256$v=2,t=2b,r=<cost>$<22-char salt>$<31-char digest>`.
SALTED_PREFIX = "$bcrypt-sha256$v=2,"
# Older hashes are plain bcrypt (`$2b$<cost>$...`) over an unsalted SHA-256: verified, then
# upgraded by the next successful login.
_SALT_CHARS = 22


def _legacy_prehash(password: str) -> bytes:
    """Return the old unsalted pre-hash (base64 SHA-256), kept to verify old hashes."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def _salted_prehash(password: str, salt: str) -> bytes:
    """Reduce a password to 44 bytes with HMAC-SHA256 keyed by the hash's own salt.

    Keyed by the salt, the value bcrypt sees is different for every account, so a plain
    SHA-256 of the password leaked elsewhere cannot be tested against our hashes
    ("password shucking"); 44 bytes also stay under bcrypt's 72-byte limit.
    """
    key = hmac.new(salt.encode("ascii"), password.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(key)


def hash_password(password: str, rounds: int) -> str:
    """Hash a password with bcrypt at the given cost, behind the salted pre-hash."""
    config = bcrypt.gensalt(rounds).decode("ascii")  # "$2b$12$" + 22 salt characters
    salt = config[-_SALT_CHARS:]
    full = bcrypt.hashpw(_salted_prehash(password, salt), config.encode("ascii"))
    digest = full.decode("ascii")[len(config) :]
    return f"{SALTED_PREFIX}t=2b,r={rounds}${salt}${digest}"


def _parse_salted(password_hash: str) -> tuple[str, str] | None:
    """Split a salted hash into the bcrypt hash it stands for and its salt; None if malformed."""
    parts = password_hash.split("$")
    # ["", "bcrypt-sha256", "v=2,t=2b,r=12", salt, digest]
    if len(parts) != 5 or len(parts[3]) != _SALT_CHARS:
        return None
    params = dict(item.partition("=")[::2] for item in parts[2].split(","))
    rounds = params.get("r", "")
    if params.get("v") != "2" or params.get("t") != "2b" or not rounds.isdigit():
        return None
    return f"$2b${int(rounds):02d}${parts[3]}{parts[4]}", parts[3]


def verify_password(password: str, password_hash: str) -> bool:
    """Check a password against a stored hash (salted or legacy); False on a malformed one."""
    try:
        if password_hash.startswith(SALTED_PREFIX):
            parsed = _parse_salted(password_hash)
            if parsed is None:
                return False
            bcrypt_hash, salt = parsed
            return bcrypt.checkpw(_salted_prehash(password, salt), bcrypt_hash.encode("ascii"))
        return bcrypt.checkpw(_legacy_prehash(password), password_hash.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False


def is_legacy(password_hash: str) -> bool:
    """Tell whether a stored hash uses the old unsalted pre-hash (and should be upgraded)."""
    return not password_hash.startswith(SALTED_PREFIX)


def hash_rounds(password_hash: str) -> int:
    """Read the cost factor from a stored hash, 0 when unreadable."""
    if password_hash.startswith(SALTED_PREFIX):
        parsed = _parse_salted(password_hash)
        password_hash = parsed[0] if parsed else ""
    parts = password_hash.split("$")
    try:
        return int(parts[2])
    except (IndexError, ValueError):
        return 0
