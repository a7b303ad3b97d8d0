"""The production secret check: random keys pass, keys with words, runs and repeats fail."""

from __future__ import annotations

import random
import secrets
import string
import subprocess

import pytest

from gamecoll.config import ConfigError, load_settings
from gamecoll.security.secret_strength import (
    MIN_SECRET_BITS,
    estimate_bits,
    required_bits,
    secret_problem,
)

WEAK = [
    "my-jwt-secret-for-production-2026",
    "0123456789" * 4,
    string.ascii_lowercase * 2,
    string.ascii_lowercase + string.ascii_uppercase + string.digits,
    "qwertyuiopasdfghjklzxcvbnm1234567890qwertyuiop",
    "a" * 64,
    "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc",
    "9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA",
    "correct-horse-battery-staple-correct-horse-battery-staple",
    "ChangeMe-ChangeMe-ChangeMe-ChangeMe-ChangeMe-ChangeMe!",
    "production-secret-key-for-gamecoll-jwt-signing-2026-replace-me",
    "k" * 16 + "0123456789abcdefghij",
    # random, but only 32 characters: about 210 bits
    "vR7!kq2#Lm9@xP4$zT1&bN6*cW3^hJ8%",
    secrets.token_hex(24),  # 192 bits
]


@pytest.mark.parametrize("secret", WEAK)
def test_weak_secrets_are_refused(secret: str) -> None:
    assert estimate_bits(secret) < required_bits()
    assert secret_problem(secret) is not None


def test_generated_keys_pass() -> None:
    assert secret_problem(secrets.token_urlsafe(48)) is None
    assert secret_problem(secrets.token_hex(32)) is None  # 64 hex digits: 256 bits


def test_openssl_keys_pass() -> None:
    for args in (["-hex", "32"], ["-base64", "48"], ["-base64", "32"]):
        key = subprocess.run(
            ["openssl", "rand", *args], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert secret_problem(key) is None, key


def test_random_keys_rarely_lose_bits_to_chance_patterns() -> None:
    rng = random.Random(20261201)
    hex_keys = ["".join(rng.choice("0123456789abcdef") for _ in range(64)) for _ in range(2000)]
    b64url = string.ascii_letters + string.digits + "-_"
    url_keys = ["".join(rng.choice(b64url) for _ in range(64)) for _ in range(500)]
    assert all(secret_problem(key) is None for key in hex_keys + url_keys)
    assert 250 < sum(map(estimate_bits, hex_keys)) / len(hex_keys) <= 256
    assert 370 < sum(map(estimate_bits, url_keys)) / len(url_keys) <= 384


def test_estimates_name_the_alphabet() -> None:
    assert estimate_bits("") == 0
    assert estimate_bits("f3a9") == pytest.approx(16)  # too short for any pattern
    assert estimate_bits("8305") == pytest.approx(4 * 3.3219, abs=0.01)  # digits only
    assert estimate_bits("Zq7x") == pytest.approx(4 * 5.954, abs=0.01)  # 62 characters


def test_long_repetitive_secret_is_weak() -> None:
    assert secret_problem("ab" * 50_000) is not None


def test_production_config_refuses_a_weak_secret_in_one_line() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(
            {"APP_ENV": "production", "JWT_SECRET_KEY": "my-jwt-secret-for-production-2026"}
        )
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("JWT_SECRET_KEY looks like about")
    assert f"{MIN_SECRET_BITS} needed" in message
    assert "openssl rand -base64 48" in message and "token_urlsafe(48)" in message


def test_production_config_accepts_a_generated_secret() -> None:
    key = secrets.token_urlsafe(48)
    assert load_settings({"APP_ENV": "production", "SECRET_KEY": key}).jwt_secret_key == key


def test_development_keeps_accepting_any_long_enough_secret() -> None:
    assert load_settings({"JWT_SECRET_KEY": "0123456789" * 4}).jwt_secret_key == "0123456789" * 4
