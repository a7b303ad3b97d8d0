"""Estimate how many bits of entropy a machine secret (the JWT signing key) really has.

The estimate is the cost, in bits, of the cheapest description of the secret in a small
language a guesser would use: characters drawn at random from the secret's own alphabet,
dictionary words, years, runs along the alphabet or the digits (`abcd`, `0246`, `9876`),
runs along a keyboard row (`qwerty`, `asdf`), and copies of something seen earlier in the
secret (`aaaa`, a repeated alphabet, `abcabcabc`). A secret made by a random generator has
no cheaper description than its random characters, so its estimate is its length times the
bits per character of its alphabet: `openssl rand -hex 32` gives 64 hex digits, 256 bits;
`secrets.token_urlsafe(48)` gives 64 base64url characters, 384 bits.

Unlike zxcvbn (written for human passwords, with a flat 10 guesses per random character),
it knows hex and base64 alphabets, so honest random keys get their real size.
"""

from __future__ import annotations

import math
import string
from collections import defaultdict
from functools import lru_cache

from gamecoll.security.passwords import common_passwords

MIN_SECRET_BITS = 256
"""What a production JWT secret must be worth."""
CHANCE_PATTERN_ALLOWANCE = 24
"""Bits a random 256-bit key may lose to patterns found in it by chance (a `1234`, a `1970`):
of 30,000 keys from `openssl rand -hex 32` the lowest estimate was 238.7 bits."""
ANALYSED_CHARACTERS = 1024
"""Only the start of a longer secret is analysed (its estimate is then a lower bound)."""

MIN_MATCH = 4
"""Shortest stretch taken as a pattern (shorter ones turn up by chance in random keys)."""
SEQUENCE_STEPS = (1, 2)
KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")
SECRET_WORDS = frozenset(
    (
        "secret",
        "secrets",
        "keys",
        "token",
        "tokens",
        "signing",
        "sign",
        "hmac",
        "hash",
        "auth",
        "session",
        "sessions",
        "password",
        "passwd",
        "pass",
        "changeme",
        "change",
        "replace",
        "example",
        "sample",
        "default",
        "demo",
        "test",
        "testing",
        "develop",
        "development",
        "stage",
        "staging",
        "prod",
        "production",
        "live",
        "local",
        "server",
        "gamecoll",
        "game",
        "games",
        "collection",
        "your",
        "with",
        "from",
        "this",
        "that",
    )
)
"""Words people put in secrets, beside the common-password list (shorter words match nothing)."""
PATTERN_BITS = 4.0
"""What saying "a pattern starts here, of this kind" costs, on top of the pattern itself."""
_COPY_CANDIDATES = 8
"""Earlier positions tried per position when looking for copies (bounds the work)."""
_LONGEST_COPY = 128
"""A longer copy is described as several (a few bits more, far less work)."""


def required_bits() -> int:
    """Return the lowest estimate accepted for a production secret."""
    return MIN_SECRET_BITS - CHANCE_PATTERN_ALLOWANCE


@lru_cache(maxsize=1)
def _words() -> frozenset[str]:
    return frozenset(w for w in common_passwords() | SECRET_WORDS if len(w) >= MIN_MATCH)


@lru_cache(maxsize=1)
def _longest_word() -> int:
    return max(len(w) for w in _words())


def alphabet_bits(secret: str) -> float:
    """Bits per character of a random string over the alphabet this secret appears to use."""
    chars = set(secret)
    if chars <= set(string.digits):
        return math.log2(10)
    if chars <= set(string.hexdigits) and not (chars & set("abcdef") and chars & set("ABCDEF")):
        return 4.0  # hex digits, one case
    size = 0
    if chars & set(string.ascii_lowercase):
        size += 26
    if chars & set(string.ascii_uppercase):
        size += 26
    if chars & set(string.digits):
        size += 10
    symbols = {c for c in chars if c in string.punctuation or c == " "}
    if symbols:
        # base64's or base64url's own symbols, or any symbol
        size += len(symbols) if symbols <= set("-_+/=") else 33
    if any(not c.isascii() for c in chars):
        size += 100
    return math.log2(max(size, 2))


def _class_size(char: str) -> int:
    if char.isdigit() and char.isascii():
        return 10
    if char.isascii() and char.isalpha():
        return 26
    return 0


def _sequences(secret: str, add: _Adder) -> None:
    """Runs with a constant step inside the digits or one case of the alphabet."""
    n = len(secret)
    for start in range(n - MIN_MATCH + 1):
        size = _class_size(secret[start])
        if not size:
            continue
        for step in (*SEQUENCE_STEPS, *(-s for s in SEQUENCE_STEPS)):
            end = start + 1
            while (
                end < n
                and ord(secret[end]) - ord(secret[end - 1]) == step
                and _same_class(secret[end], secret[start])
            ):
                end += 1
            if end - start >= MIN_MATCH:
                # start character, step and direction, length
                add(start, end, math.log2(size) + 2 + math.log2(end - start))


def _same_class(a: str, b: str) -> bool:
    return _class_size(a) == _class_size(b) and a.isupper() == b.isupper()


def _keyboard(secret: str, add: _Adder) -> None:
    """Runs along a keyboard row, either way."""
    lowered = secret.lower()
    rows = [*KEYBOARD_ROWS, *(row[::-1] for row in KEYBOARD_ROWS)]
    keys = sum(len(row) for row in rows)
    for start in range(len(secret)):
        for row in rows:
            at = row.find(lowered[start])
            if at < 0:
                continue
            length = 1
            while (
                start + length < len(secret)
                and at + length < len(row)
                and lowered[start + length] == row[at + length]
            ):
                length += 1
            if length >= MIN_MATCH:
                add(start, start + length, math.log2(keys) + math.log2(length))


def _dictionary(secret: str, add: _Adder) -> None:
    """Dictionary words and common passwords, in any case; four-digit years."""
    lowered = secret.lower()
    words = _words()
    word_bits = math.log2(len(words))
    longest = _longest_word()
    for start in range(len(secret)):
        for end in range(start + MIN_MATCH, min(len(secret), start + longest) + 1):
            part = lowered[start:end]
            if part in words:
                mixed = secret[start:end] not in (part, part.upper(), part.capitalize())
                add(start, end, word_bits + (1 if secret[start:end] != part else 0) + 4 * mixed)
        year = secret[start : start + 4]
        if len(year) == 4 and year.isdigit() and year[:2] in ("19", "20"):
            add(start, start + 4, math.log2(200))


def _copies(secret: str, add: _Adder) -> None:
    """Copies of earlier text, overlapping allowed (`aaaa` is `a` copied from one back)."""
    seen: defaultdict[str, list[int]] = defaultdict(list)
    n = len(secret)
    for pos in range(n - MIN_MATCH + 1):
        gram = secret[pos : pos + MIN_MATCH]
        for earlier in seen[gram][-_COPY_CANDIDATES:]:
            length = MIN_MATCH
            while (
                pos + length < n
                and length < _LONGEST_COPY
                and secret[earlier + length] == secret[pos + length]
            ):
                length += 1
            # where it was copied from, and how much
            add(pos, pos + length, math.log2(pos) + math.log2(length) + 1)
        seen[gram].append(pos)


class _Adder:
    """Collect the cheapest known description of each stretch `secret[start:end]`."""

    def __init__(self, n: int) -> None:
        self.ending: list[dict[int, float]] = [{} for _ in range(n + 1)]

    def __call__(self, start: int, end: int, bits: float) -> None:
        bits += PATTERN_BITS
        known = self.ending[end].get(start)
        if known is None or bits < known:
            self.ending[end][start] = bits


def estimate_bits(secret: str) -> float:
    """Return the estimated entropy of `secret` in bits (its cheapest description)."""
    secret = secret[:ANALYSED_CHARACTERS]
    n = len(secret)
    per_char = alphabet_bits(secret) if secret else 0.0
    add = _Adder(n)
    for finder in (_sequences, _keyboard, _dictionary, _copies):
        finder(secret, add)
    best = [0.0] * (n + 1)
    for end in range(1, n + 1):
        cost = best[end - 1] + per_char
        for start, bits in add.ending[end].items():
            cost = min(cost, best[start] + bits)
        best[end] = cost
    return best[n]


def secret_problem(secret: str) -> str | None:
    """Say why a production secret is too weak, or None when it is strong enough."""
    bits = estimate_bits(secret)
    if bits >= required_bits():
        return None
    return (
        f"looks like about {bits:.0f} bits of entropy, {MIN_SECRET_BITS} needed (it has "
        "words, runs, repeats or too few characters); make one with "
        "`openssl rand -base64 48` or "
        '`python -c "import secrets; print(secrets.token_urlsafe(48))"`'
    )
