"""Recovery codes for a lost authenticator: ten one-time codes, stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

COUNT: Final = 10
# Crockford-style alphabet without I, L, O and U: nothing to misread when typing it in.
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP: Final = 5  # two groups of five: 50 random bits per code
_TYPED: Final = re.compile(r"[0-9A-Z]{10}")


def new_codes() -> list[str]:
    """Make a fresh set of codes, shown as `XXXXX-XXXXX`."""
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
        codes.append(f"{raw[:GROUP]}-{raw[GROUP:]}")
    return codes


def normalise(code: str) -> str | None:
    """Return a typed code in stored form (case, spaces and dashes ignored), or None."""
    raw = code.replace("-", "").replace(" ", "").strip().upper()
    raw = raw.translate(str.maketrans("ILOU", "110V"))
    return raw if _TYPED.fullmatch(raw) and all(c in ALPHABET for c in raw) else None


def code_hash(owner: str, code: str) -> str:
    """Return the SHA-256 of an account's normalised code (50 random bits; guesses count
    towards the lockout). The owner's id goes in, so equal codes of two accounts differ."""
    return hashlib.sha256(f"gamecoll-recovery:{owner}:{code}".encode("ascii")).hexdigest()
