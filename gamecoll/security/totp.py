"""TOTP (RFC 6238: 30-second steps, 6 digits, SHA-1) and its setup QR code; pure functions.

A code is checked against the step of the given moment and one step either side (a phone's
clock may be off by a few seconds, and a code typed at the end of its step arrives in the
next). The caller stores the step a code matched and passes it back as `after`: a code of
that step or an earlier one is a replay and never matches again.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pyotp
import segno

STEP_SECONDS: Final = 30
DIGITS: Final = 6
DRIFT_STEPS: Final = 1
SECRET_LENGTH: Final = 32  # base32 characters: 160 bits, the key length RFC 4226 recommends
_CODE: Final = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """Make a fresh random base32 secret."""
    return pyotp.random_base32(length=SECRET_LENGTH)


def clean_code(code: str) -> str | None:
    """Return the six digits of a typed code (spaces allowed), or None if it is not one."""
    digits = code.replace(" ", "").strip()
    return digits if _CODE.fullmatch(digits) else None


def step_of(moment: datetime) -> int:
    """Return the time step a moment falls in."""
    return int(moment.timestamp()) // STEP_SECONDS


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The outcome of a check: the step the code matched, and whether it was a replay."""

    step: int | None
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        """Tell whether the code may be used."""
        return self.step is not None and not self.replayed


def check_code(secret: str, code: str, *, at: datetime, after: int | None) -> CodeCheck:
    """Check a code at a moment; `after` is the step of the last accepted code (or None)."""
    digits = clean_code(code)
    if digits is None:
        return CodeCheck(step=None)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = step_of(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return CodeCheck(step=step, replayed=after is not None and step <= after)
    return CodeCheck(step=None)


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """Draw the URI as a QR code: an inline SVG element (no XML declaration)."""
    return str(
        segno.make(uri, error="m").svg_inline(scale=4, title="Scan with your authenticator app")
    )
