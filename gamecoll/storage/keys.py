"""Storage keys: `<user id>/<name>` paths, checked the same way by every backend."""

from __future__ import annotations

import re
from typing import Final

_COMPONENT: Final = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}"
_KEY: Final = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
NAME: Final = re.compile(_COMPONENT)
"""One component of a key: what a folder or file name must look like."""
MAX_KEY_LENGTH: Final = 1024


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative POSIX path, else raise ValueError.

    Allowed: components of [A-Za-z0-9._-] joined by "/", none empty or starting with a dot
    (so no "..", no hidden or temporary names), no leading "/", no backslash.
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or _KEY.fullmatch(key) is None:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> None:
    """Raise ValueError unless `prefix` is "" or the start of a valid key."""
    if prefix == "":
        return
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
