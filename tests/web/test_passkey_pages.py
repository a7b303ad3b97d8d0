"""The passkeys section of the settings page and the login page's passkey button."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer
from tests.passkeys import SoftAuthenticator
from tests.web.conftest import Visitor

ORIGIN = "https://games.example"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"PUBLIC_BASE_URL": ORIGIN}


async def add_passkey(live: LiveApp, tokens: dict[str, Any], name: str) -> dict[str, Any]:
    """Register a passkey through the API, as the page's script does."""
    device = SoftAuthenticator(ORIGIN)
    async with live.client() as api:
        options = await api.post("/auth/passkeys/register/options", headers=bearer(tokens))
        made = await api.post(
            "/auth/passkeys/register/verify",
            json={"credential": device.create(options.json()), "name": name},
            headers=bearer(tokens),
        )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def test_the_section_says_adding_needs_javascript(member: Visitor) -> None:
    html = (await member.get("/settings")).text
    assert 'id="passkeys"' in html and "You have no passkeys yet." in html
    assert 'id="passkey-add" class="passkey-add" data-passkey-add data-js-only hidden' in html
    assert "data-passkey-needs-js>Adding a passkey needs JavaScript" in html
    assert "/static/js/passkeys.js?v=" in html


async def test_rename_and_remove_without_javascript(member: Visitor, live: LiveApp) -> None:
    key = await add_passkey(live, member.tokens, "Phone")
    html = (await member.get("/settings")).text
    assert "<strong>Phone</strong>" in html and "not used yet" in html

    renamed = await member.form(f"/settings/passkeys/{key['id']}/rename", {"name": "Old phone"})
    assert renamed.status_code == 303
    assert renamed.headers["location"] == "/settings?passkey=renamed#passkeys"
    page = (await member.get(renamed.headers["location"])).text
    assert "Passkey renamed." in page and "<strong>Old phone</strong>" in page

    hidden = await member.form(f"/settings/passkeys/{key['id']}/rename", {"name": "a\u202eb"})
    assert hidden.headers["location"] == "/settings?passkey=bad_name#passkeys"
    assert "Use 1 to 64 visible characters" in (await member.get(hidden.headers["location"])).text

    url = f"/settings/passkeys/{key['id']}/remove"
    wrong = await member.form(url, {"current_password": "not my password"})
    assert wrong.headers["location"] == "/settings?passkey=wrong_password#passkeys"
    page = (await member.get(wrong.headers["location"])).text
    assert "The password is not right; the passkey was not removed." in page
    assert "<strong>Old phone</strong>" in page

    removed = await member.form(url, {"current_password": PASSWORD})
    assert removed.headers["location"] == "/settings?passkey=removed#passkeys"
    page = (await member.get(removed.headers["location"])).text
    assert "Passkey removed." in page and "You have no passkeys yet." in page
    assert "Passkey added" in page and "Passkey removed" in page  # the recent activity


async def test_rename_and_remove_with_htmx(member: Visitor, live: LiveApp) -> None:
    key = await add_passkey(live, member.tokens, "Laptop")
    renamed = await member.htmx(f"/settings/passkeys/{key['id']}/rename", {"name": "Desk"})
    assert renamed.status_code == 200
    assert renamed.text.lstrip().startswith('<section id="passkeys"')
    assert "<strong>Desk</strong>" in renamed.text
    url = f"/settings/passkeys/{key['id']}/remove"
    wrong = await member.htmx(url, {"current_password": "nope, not it"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    removed = await member.htmx(url, {"current_password": PASSWORD})
    assert "Passkey removed." in removed.text and "<strong>Desk</strong>" not in removed.text


async def test_forms_need_the_csrf_token_and_someone_elses_passkey_is_not_found(
    member: Visitor, live: LiveApp
) -> None:
    key = await add_passkey(live, member.tokens, "Phone")
    url = f"/settings/passkeys/{key['id']}/remove"
    forged = await member.post(url, data={"current_password": PASSWORD})
    assert forged.status_code == 403
    missing = await member.form(
        "/settings/passkeys/00000000-0000-4000-8000-000000000000/remove",
        {"current_password": PASSWORD},
    )
    assert missing.status_code == 404 and missing.text.startswith("<!doctype html>")
    assert "<strong>Phone</strong>" in (await member.get("/settings")).text


async def test_login_page_offers_a_passkey_when_javascript_runs(guest: Visitor) -> None:
    html = (await guest.get("/login?next=/gallery%3Fq%3Dmario")).text
    assert '<button type="button" id="passkey-login" data-js-only hidden>' in html
    assert 'data-next="/gallery?q=mario"' in html
    assert "Signing in with a passkey needs JavaScript" in html
    assert "/static/js/passkeys.js?v=" in html
