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


# Made by passlib 1.7.4's bcrypt_sha256 (v2) for "pässwörd x": the format is the same.
PASSLIB_V2 = "$bcrypt-sha256$v=2,t=2b,r=4$gS27ufOlQVTdedSEe5r7VO$xXTZElGPL2m5aW0NGBV30QfVF093KLC"


def _legacy_hash(password: str, rounds: int = 4) -> str:
    """Hash the way gamecoll did before the salted pre-hash: bcrypt(base64(SHA-256))."""
    import base64
    import hashlib

    import bcrypt

    pre = base64.b64encode(hashlib.sha256(password.encode()).digest())
    return bcrypt.hashpw(pre, bcrypt.gensalt(rounds)).decode()


def test_new_hashes_carry_the_salted_prehash_marker() -> None:
    stored = passwords.hash_password("correct horse 1", rounds=4)
    assert stored.startswith("$bcrypt-sha256$v=2,t=2b,r=4$")
    assert not passwords.is_legacy(stored)
    assert passwords.hash_rounds(stored) == 4


def test_a_leaked_plain_sha256_does_not_open_a_new_hash() -> None:
    """Password shucking: the bcrypt input is no longer the password's plain SHA-256."""
    import base64
    import hashlib

    import bcrypt

    password = "correct horse 2"
    stored = passwords.hash_password(password, rounds=4)
    _, _, _params, salt, digest = stored.split("$")
    inner = f"$2b$04${salt}{digest}".encode()
    leaked = base64.b64encode(hashlib.sha256(password.encode()).digest())
    assert not bcrypt.checkpw(leaked, inner)
    assert passwords.verify_password(password, stored)


def test_same_password_gives_different_prehash_per_salt() -> None:
    one = passwords.hash_password("same password", rounds=4)
    two = passwords.hash_password("same password", rounds=4)
    assert one != two
    assert passwords.verify_password("same password", one)
    assert passwords.verify_password("same password", two)


def test_passlib_bcrypt_sha256_v2_hash_verifies() -> None:
    assert passwords.verify_password("pässwörd x", PASSLIB_V2)
    assert not passwords.verify_password("pässwörd y", PASSLIB_V2)


def test_legacy_hashes_still_verify_and_are_marked_for_upgrade() -> None:
    old = _legacy_hash("an old password")
    assert passwords.verify_password("an old password", old)
    assert not passwords.verify_password("another password", old)
    assert passwords.is_legacy(old)


@pytest.mark.parametrize(
    "stored",
    [
        "$bcrypt-sha256$v=2,t=2b,r=4$short$xXTZElGPL2m5aW0NGBV30QfVF093KLC",
        "$bcrypt-sha256$v=3,t=2b,r=4$gS27ufOlQVTdedSEe5r7VO$xXTZElGPL2m5aW0NGBV30QfVF093KLC",
        "$bcrypt-sha256$v=2,t=2b,r=x$gS27ufOlQVTdedSEe5r7VO$xXTZElGPL2m5aW0NGBV30QfVF093KLC",
        "$bcrypt-sha256$v=2,t=2b,r=4$gS27ufOlQVTdedSEe5r7VO",
        "$bcrypt-sha256$v=2,t=2b,r=4$gS27ufOlQVTdedSEe5r7VO$",
    ],
)
def test_malformed_salted_hashes_are_a_plain_mismatch(stored: str) -> None:
    assert passwords.verify_password("pässwörd x", stored) is False
