"""Names that look alike are one account; invisible characters are refused, naming the field."""

from __future__ import annotations

import unicodedata

import httpx
import pytest

from tests.helpers import PASSWORD, error_of, register, unique_email


def fullwidth(text: str) -> str:
    """Write ASCII letters and digits in their fullwidth forms (U+FF01 to U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


async def attempt(client: httpx.AsyncClient, **body: str) -> httpx.Response:
    return await client.post("/auth/register", json={"password": PASSWORD, **body})


@pytest.mark.parametrize(
    ("first", "lookalike"),
    [
        pytest.param("admin@example.com", fullwidth("admin") + "@example.com", id="fullwidth"),
        pytest.param("admin@example.com", "ADM\u0130N@EXAMPLE.COM", id="dotted-capital-i"),
        pytest.param("admin@example.com", "adm\u0131n@example.com", id="dotless-i"),
        pytest.param(
            unicodedata.normalize("NFC", "josé@example.com"),
            unicodedata.normalize("NFD", "josé@example.com"),
            id="nfd-vs-nfc",
        ),
        pytest.param("strasse@example.com", "STRA\u1e9eE@example.com", id="case-folding"),
    ],
)
async def test_a_lookalike_email_is_the_same_account(
    client: httpx.AsyncClient, first: str, lookalike: str
) -> None:
    await register(client, email=first)
    taken = await attempt(client, email=lookalike)
    assert taken.status_code == 409, taken.text
    assert "email" in error_of(taken)["fields"]
    # And it logs in to the one account.
    login = await client.post("/auth/login", json={"email": lookalike, "password": PASSWORD})
    assert login.status_code == 200, login.text


@pytest.mark.parametrize(
    ("lookalike", "status"),
    [
        pytest.param(fullwidth("admin"), 409, id="fullwidth"),
        pytest.param("ADMIN", 409, id="case"),
        pytest.param("adm\u0131n", 422, id="dotless-i"),
        pytest.param(unicodedata.normalize("NFD", "admé"), 422, id="accent"),
    ],
)
async def test_a_lookalike_username_is_not_a_new_account(
    client: httpx.AsyncClient, lookalike: str, status: int
) -> None:
    await register(client, username="admin")
    answer = await attempt(client, email=unique_email(), username=lookalike)
    assert answer.status_code == status, answer.text
    assert "username" in error_of(answer)["fields"]


@pytest.mark.parametrize(
    "sneaky",
    [
        pytest.param("ad\u200bmin", id="zero-width-space"),
        pytest.param("\u202eadmin", id="right-to-left-override"),
        pytest.param("admin\u200d", id="zero-width-joiner"),
        pytest.param("ad\u2066min", id="isolate"),
        pytest.param("ad\u0007min", id="control"),
        pytest.param("ad\u3164min", id="hangul-filler"),
        pytest.param("ad\u00admin", id="soft-hyphen"),
    ],
)
@pytest.mark.parametrize("field", ["email", "username"])
async def test_invisible_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, sneaky: str, field: str
) -> None:
    body = (
        {"email": f"{sneaky}@example.com"}
        if field == "email"
        else {
            "email": unique_email(),
            "username": sneaky,
        }
    )
    answer = await attempt(client, **body)
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert list(error["fields"]) == [field]
    assert "invisible" in error["fields"][field]


async def test_the_stored_email_is_the_normalised_one(client: httpx.AsyncClient) -> None:
    tokens = await register(client, email=fullwidth("PLAYER.One") + "@Example.com")
    assert tokens["user"]["email"] == "player.one@example.com"


async def test_a_fullwidth_username_is_stored_as_ascii(client: httpx.AsyncClient) -> None:
    tokens = await register(client, username=fullwidth("Mario"))
    assert tokens["user"]["username"] == "Mario"
    login = await client.post("/auth/login", json={"username": "MARIO", "password": PASSWORD})
    assert login.status_code == 200
