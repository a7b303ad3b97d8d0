"""The pure second-factor helpers: TOTP steps and replay, recovery codes, token shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from gamecoll.security import access_tokens, recovery_codes, totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The first second of a step, and the last: the window's edges are one step either side.
START = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
LAST = START + timedelta(seconds=29)


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(int(moment.timestamp()))


def test_codes_of_the_step_and_one_either_side_are_accepted() -> None:
    step = totp.step_of(START)
    for at in (START, LAST):
        for offset in (-1, 0, 1):
            found = totp.check_code(
                SECRET, code_at(START + timedelta(seconds=30 * offset)), at=at, after=None
            )
            assert found.accepted and found.step == step + offset, (at, offset)
        for offset in (-2, 2):
            outside = code_at(START + timedelta(seconds=30 * offset))
            assert totp.check_code(SECRET, outside, at=at, after=None).step is None, (at, offset)


def test_a_code_of_the_last_used_step_or_before_is_a_replay() -> None:
    step = totp.step_of(START)
    same = totp.check_code(SECRET, code_at(START), at=START, after=step)
    assert same.replayed and not same.accepted
    older = totp.check_code(SECRET, code_at(START - timedelta(seconds=30)), at=START, after=step)
    assert older.replayed
    newer = totp.check_code(SECRET, code_at(START + timedelta(seconds=30)), at=START, after=step)
    assert newer.accepted


def test_typed_codes_are_digits_only() -> None:
    assert totp.clean_code(" 123 456 ") == "123456"
    for bad in ("12345", "1234567", "12a456", "١٢٣٤٥٦", ""):
        assert totp.clean_code(bad) is None, bad
        assert totp.check_code(SECRET, bad, at=START, after=None).step is None


def test_setup_uri_and_qr_code() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and secret != totp.new_secret()
    uri = totp.otpauth_uri(secret, account="ada@example.com", issuer="gamecoll")
    assert uri.startswith("otpauth://totp/gamecoll:ada%40example.com?") and secret in uri
    assert totp.qr_svg(uri).startswith("<svg") and "<script" not in totp.qr_svg(uri)
    assert totp.qr_data_uri(uri).startswith("data:image/svg+xml")


def test_recovery_codes_forgive_case_spaces_dashes_and_lookalikes() -> None:
    codes = recovery_codes.new_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    code = codes[0]
    assert recovery_codes.normalise(code.lower().replace("-", " ")) == code.replace("-", "")
    assert recovery_codes.normalise("ABCDE-0O1IL") == "ABCDE00111"
    for bad in ("ABCD", "ABCDE-FGHJK-1", "ABCDE_FGHJ!", ""):
        assert recovery_codes.normalise(bad) is None, bad
    assert recovery_codes.code_hash("a", "ABCDE00111") != recovery_codes.code_hash(
        "b", "ABCDE00111"
    )


def test_access_tokens_have_a_prefix_and_are_stored_as_a_hash() -> None:
    token, digest = access_tokens.new_access_token()
    assert access_tokens.well_formed(token) and token.startswith("gcp_")
    assert digest == access_tokens.access_token_hash(token) and token not in digest
    assert not access_tokens.well_formed(token + "x")
    assert access_tokens.looks_like_access_token(token)
    assert not access_tokens.looks_like_access_token("eyJhbGciOi...")
