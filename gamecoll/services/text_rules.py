"""Checks every stored text goes through: no control characters, no lone surrogates."""

from __future__ import annotations

import unicodedata
from typing import Final

from gamecoll.errors import ValidationFailed

LINE_CONTROLS: Final = frozenset("\t\n\r")
"""Control characters that multi-line text (notes, metadata strings) may hold."""


def fail(field: str, message: str) -> ValidationFailed:
    """Return the 422 error that names `field` and says what is wrong with it."""
    return ValidationFailed(f"{field}: {message}", fields={field: message})


def check_text(value: str, field: str, *, allowed_controls: frozenset[str] = frozenset()) -> None:
    """Refuse control characters (NUL included) and lone surrogates, which no database stores."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in allowed_controls:
            if char == "\x00":
                raise fail(field, "Must not contain NUL characters.")
            raise fail(field, "Must not contain control characters.")
        if "\ud800" <= char <= "\udfff":
            raise fail(field, "Must be valid Unicode text.")


def clean_text(
    value: object, field: str, *, most: int, allowed_controls: frozenset[str] = frozenset()
) -> str:
    """Return the trimmed text of at most `most` characters, or raise 422."""
    if not isinstance(value, str):
        raise fail(field, "Must be a string.")
    text = value.strip()
    if len(text) > most:
        raise fail(field, f"Use at most {most} characters.")
    check_text(text, field, allowed_controls=allowed_controls)
    return text


def text_key(value: str) -> str:
    """Return the form under which a text is compared and sorted without regard to case."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
