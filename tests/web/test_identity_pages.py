"""The register and login pages apply the same name rules as the API."""

from __future__ import annotations

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, register, unique_email
from tests.web.conftest import HTMX, Visitor


def fullwidth(text: str) -> str:
    """Write ASCII letters and digits in their fullwidth forms (U+FF01 to U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


async def test_register_page_refuses_lookalikes_and_invisibles(
    guest: Visitor, live: LiveApp
) -> None:
    async with live.client() as api:
        await register(api, email="root@example.com", username="root")
    lookalike = await guest.post(
        "/register",
        data={"email": unique_email(), "username": fullwidth("root"), "password": PASSWORD},
        headers=HTMX,
    )
    assert lookalike.status_code == 409
    assert "This username is taken." in lookalike.text
    hidden = await guest.post(
        "/register",
        data={"email": "ro\u200bot@example.com", "password": PASSWORD},
        headers=HTMX,
    )
    assert hidden.status_code == 422
    assert 'id="email-error"' in hidden.text and "invisible" in hidden.text


async def test_login_page_finds_the_account_by_a_lookalike(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        await register(api, email="root@example.com")
    response = await guest.post(
        "/login", data={"username": fullwidth("ROOT") + "@example.com", "password": PASSWORD}
    )
    assert response.status_code == 303
