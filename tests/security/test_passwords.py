"""Password hashing and rules, without the web layer."""

from __future__ import annotations

import pytest

from gamecoll.security import passwords


def test_long_passwords_are_not_truncated() -> None:
    base = "x" * 72
    stored = passwords.hash_password(base + "A", rounds=4)
    assert passwords.verify_password(base + "A", stored)
    # bcrypt alone would ignore everything past byte 72 and accept this one.
    assert not passwords.verify_password(base + "B", stored)


def test_multibyte_password_over_72_bytes_hashes_and_verifies() -> None:
    euros = "€" * 25  # 75 bytes
    stored = passwords.hash_password(euros, rounds=4)
    assert passwords.verify_password(euros, stored)
    assert not passwords.verify_password("€" * 24, stored)


def test_thousand_character_password() -> None:
    long = "é" * 1000
    assert passwords.password_problem(long) is None
    assert passwords.verify_password(long, passwords.hash_password(long, rounds=4))


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short", "at least 8"),
        ("x" * 1025, "at most 1024"),
        ("password", "most common"),
        ("Password123", "most common"),
        ("abc\x00defgh", "NUL"),
    ],
)
def test_password_problems(password: str, expected: str) -> None:
    problem = passwords.password_problem(password)
    assert problem is not None and expected in problem


def test_common_list_is_large() -> None:
    assert len(passwords.common_passwords()) >= 10_000


def test_malformed_hash_is_a_plain_mismatch() -> None:
    assert passwords.verify_password("whatever-it-is", "not-a-bcrypt-hash") is False


def test_hash_rounds_reads_the_cost() -> None:
    assert passwords.hash_rounds(passwords.hash_password("abcdefgh1", rounds=5)) == 5
    assert passwords.hash_rounds("garbage") == 0
