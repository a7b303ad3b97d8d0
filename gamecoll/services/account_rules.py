"""The account's field rules (email, username, password, GPU endpoint), shared by the API and
the pages: each returns the clean value or says why not."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gamecoll.errors import ValidationFailed
from gamecoll.security.identities import display_form, has_invisible, identity_key
from gamecoll.security.passwords import password_problem

USERNAME_RE = re.compile(r"[A-Za-z0-9_.\-]{3,32}")
# Deliberately simple: one @, something before, a dotted domain after, no spaces.
EMAIL_RE = re.compile(r"[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f.]+")
EMAIL_MAX = 254
GPU_ENDPOINT_MAX = 2048


def fail(field: str, message: str) -> ValidationFailed:
    """Build a 422 naming one field."""
    return ValidationFailed(message, fields={field: message})


INVISIBLE_MESSAGE = (
    "Remove the invisible or control characters (such as zero-width spaces or "
    "text-direction marks)."
)


def clean_email(value: str, field: str = "email") -> str:
    """Normalise an email address (NFKC, case-folded, trimmed) or raise 422."""
    raw = value.strip()
    if not raw:
        raise fail(field, "Enter your email address.")
    if has_invisible(raw):
        raise fail(field, INVISIBLE_MESSAGE)
    email = identity_key(raw)
    if len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email):
        raise fail(field, "Enter a valid email address, like name@example.com.")
    return email


def clean_username(value: str | None, field: str = "username") -> str | None:
    """Check a username (3 to 32 of A-Z a-z 0-9 _ . -); empty means none."""
    if value is None or value.strip() == "":
        return None
    if has_invisible(value.strip()):
        raise fail(field, INVISIBLE_MESSAGE)
    username = display_form(value)  # fullwidth letters become ASCII ones
    if not USERNAME_RE.fullmatch(username):
        raise fail(field, "Use 3 to 32 letters, digits, dots, dashes or underscores.")
    return username


def username_key(username: str | None) -> str | None:
    """Return the key under which a username is unique (normalised, case-folded)."""
    return identity_key(username) if username else None


def account_key(identifier: str) -> str:
    """Return the key a login's email or username is looked up by (as stored)."""
    return identity_key(identifier)


def check_new_password(value: str, field: str = "password") -> str:
    """Check a new password against the length and common-password rules."""
    problem = password_problem(value)
    if problem:
        raise fail(field, problem)
    return value


def clean_gpu_endpoint(value: str | None, field: str = "gpu_endpoint") -> str | None:
    """Check a GPU server URL: http(s), a host, no user-info, at most 2048 characters."""
    if value is None or value.strip() == "":
        return None
    url = value.strip()
    if len(url) > GPU_ENDPOINT_MAX:
        raise fail(field, f"Use at most {GPU_ENDPOINT_MAX} characters.")
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise fail(field, "The URL cannot contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise fail(field, "Enter a valid URL, like http://192.168.1.20:8000.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise fail(field, "The URL must start with http:// or https://.")
    if not parts.hostname:
        raise fail(field, "The URL must name a host, like http://192.168.1.20:8000.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise fail(field, "The URL cannot contain a user name or password.")
    if port == 0:
        raise fail(field, "The port must be between 1 and 65535.")
    return url
