"""CSRF token comparison and the same-origin rule."""

from __future__ import annotations

from gamecoll.security.csrf import csrf_token_matches, new_csrf_token, origin_allowed


def test_tokens_are_random_and_compared_exactly() -> None:
    token = new_csrf_token()
    assert token != new_csrf_token() and len(token) >= 32
    assert csrf_token_matches(token, token)
    assert not csrf_token_matches(token, token + "x")
    assert not csrf_token_matches(token, None)
    assert not csrf_token_matches("", "")


def check(origin: str | None = None, referer: str | None = None) -> bool:
    return origin_allowed(
        origin=origin,
        referer=referer,
        own_origin="http://app.test",
        allowed_origins=["https://front.test"],
    )


def test_same_site_and_allowed_origins_pass() -> None:
    assert check(origin="http://app.test")
    assert check(origin="https://front.test")
    assert check(referer="http://app.test/gallery?x=1")


def test_other_sites_fail() -> None:
    assert not check(origin="https://evil.test")
    assert not check(origin="null")
    assert not check(referer="https://evil.test/page")
    assert not check(origin="http://app.test.evil.test")
