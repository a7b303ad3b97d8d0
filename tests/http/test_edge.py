"""Raw bytes in headers, cookies, paths and queries get a clear 4xx, never a 500.

httpx refuses to send such requests, so they go out byte for byte over a socket.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, register, unique_email
from tests.rawhttp import RawAnswer, send_raw

JSON = (b"Content-Type", b"application/json")
HOSTILE = [b"\xff\xfe", b"a\x00b", b"\xc3", b"\xed\xa0\x80", b"a\x1bb"]
HOSTILE_IDS = ["not-utf8", "nul", "cut-utf8", "surrogate", "escape"]


def json_error(answer: RawAnswer, status: int | None = None) -> dict[str, object]:
    """Check for a 4xx with the API's error body and return its `error` object."""
    assert 400 <= answer.status < 500, (answer.status, answer.body)
    if status is not None:
        assert answer.status == status, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    error: dict[str, object] = answer.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


def register_body() -> bytes:
    return json.dumps({"email": unique_email(), "password": PASSWORD}).encode()


@pytest.mark.parametrize("path", [b"/auth/register", b"/auth/login"])
async def test_raw_bytes_in_headers_on_login_and_register(live: LiveApp, path: bytes) -> None:
    for header in (b"User-Agent", b"X-CSRF-Token", b"Authorization"):
        for value in HOSTILE:
            answer = await send_raw(
                live, path, method=b"POST", headers=[JSON, (header, value)], body=register_body()
            )
            error = json_error(answer, 400)
            assert error["message"] == (
                f"The header `{header.decode().lower()}` holds bytes that are not UTF-8 text "
                "or control characters."
            ), (header, value)


async def test_utf8_in_headers_is_fine(live: LiveApp) -> None:
    agent = "Spielkonsole ☃ Navigateur/1.0".encode()
    answer = await send_raw(
        live,
        b"/auth/register",
        method=b"POST",
        headers=[JSON, (b"User-Agent", agent)],
        body=register_body(),
    )
    assert answer.status == 201, answer.body


async def test_raw_bytes_in_the_bearer_token_and_auth_cookies(live: LiveApp) -> None:
    for value in HOSTILE:
        bearer_answer = await send_raw(
            live, b"/auth/user/me", headers=[(b"Authorization", b"Bearer " + value)]
        )
        json_error(bearer_answer, 400)
        for cookie in (b"gc_access", b"gc_refresh", b"gc_csrf"):
            answer = await send_raw(
                live, b"/auth/user/me", headers=[(b"Cookie", cookie + b"=" + value)]
            )
            json_error(answer, 400)


async def test_a_quoted_cookie_that_unescapes_to_nul(live: LiveApp) -> None:
    answer = await send_raw(
        live,
        b"/auth/refresh",
        method=b"POST",
        headers=[(b"Cookie", b'gc_refresh="abc\\000def"'), JSON],
        body=b"{}",
    )
    error = json_error(answer, 400)
    assert error["message"] == "The cookie `gc_refresh` holds control characters."


async def test_a_header_name_of_raw_bytes(live: LiveApp) -> None:
    answer = await send_raw(live, b"/auth/user/me", headers=[(b"X-\xff", b"1")])
    error = json_error(answer, 400)
    assert "unreadable name" in str(error["message"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (b"/static/" + b"a" * 300, 404),
        (b"/static/" + b"a/" * 1100, 414),
        (b"/static/%ff%fe", 404),
        (b"/static/a%00b.css", 404),
        (b"/static/" + b"%e2%82%ac" * 100, 404),
    ],
    ids=["long-name", "long-path", "not-utf8", "nul", "long-utf8-name"],
)
async def test_hostile_static_paths(live: LiveApp, path: bytes, status: int) -> None:
    answer = await send_raw(live, path, headers=[(b"Accept", b"text/html")])
    assert answer.status == status, answer.body[:200]
    assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [b"/auth/sessions/%ff", b"/auth/sessions/" + b"a" * 300, b"/collection/items/%00"],
)
async def test_hostile_api_paths(live: LiveApp, client: httpx.AsyncClient, path: bytes) -> None:
    tokens = await register(client)
    auth = bearer(tokens)["Authorization"].encode()
    answer = await send_raw(live, path, method=b"DELETE", headers=[(b"Authorization", auth)])
    json_error(answer, 404)


def forged_cursor(created: str) -> bytes:
    raw = json.dumps([created, "00000000-0000-0000-0000-000000000000"]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        (b"limit=" + b"9" * 5000, "limit", 422),
        (b"limit=" + b"9" * 2000, "limit", 422),
        (b"cursor=" + forged_cursor("0001-01-01T00:00:00+05:00"), "cursor", 422),
        (b"cursor=" + forged_cursor("9999-12-31T23:59:59-05:00"), "cursor", 422),
        (b"q=a%00b", "q", 422),
        (b"q=%ff", None, 400),
        (b"&".join([b"a=1"] * 60), None, 400),
    ],
    ids=[
        "limit-5000",
        "limit-2000",
        "cursor-year-0",
        "cursor-year-10000",
        "nul",
        "not-utf8",
        "fields",
    ],
)
async def test_hostile_list_queries(
    live: LiveApp, client: httpx.AsyncClient, query: bytes, field: str | None, status: int
) -> None:
    tokens = await register(client)
    auth = bearer(tokens)["Authorization"].encode()
    answer = await send_raw(live, b"/collection/items?" + query, headers=[(b"Authorization", auth)])
    error = json_error(answer, status)
    if field is not None:
        assert field in error["fields"]  # type: ignore[operator]
