"""The settings page's Security section without JavaScript: plain forms, whole pages."""

from __future__ import annotations

import html
import re

from tests.api.second_factor_support import clear_of_step_edge
from tests.helpers import PASSWORD, totp_code
from tests.web.conftest import Visitor, guest, member

__all__ = ["guest", "member"]


async def test_set_up_an_authenticator_app_and_turn_it_off(member: Visitor) -> None:
    page = await member.get("/settings")
    assert 'id="security"' in page.text and "Set up an authenticator app" in page.text
    wrong = await member.form("/settings/security/totp/setup", {"current_password": "nope"})
    assert wrong.status_code == 422 and "The current password is not right." in wrong.text
    setup = await member.form("/settings/security/totp/setup", {"current_password": PASSWORD})
    assert setup.status_code == 200 and "<svg" in setup.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text)
    assert secret is not None
    bad = await member.form("/settings/security/totp/confirm", {"code": "000000"})
    assert bad.status_code == 400 and "This code is not right" in bad.text
    assert "<svg" in bad.text  # the QR code stays on the page for another try
    await clear_of_step_edge()
    done = await member.form(
        "/settings/security/totp/confirm", {"code": totp_code(secret.group(1))}
    )
    assert done.status_code == 200 and "The authenticator app is on." in done.text
    codes = re.findall(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>", done.text)
    assert len(codes) == 10
    again = await member.get("/settings")
    assert codes[0] not in again.text and "10 recovery codes left" in again.text
    assert "Authenticator app set up" in again.text  # the recent activity

    off = await member.form("/settings/security/totp/disable", {"code": codes[0]})
    assert off.status_code == 200 and "The authenticator app is off." in off.text


async def test_create_and_revoke_an_access_token(member: Visitor) -> None:
    none = await member.form("/settings/security/tokens", {"name": "phone"})
    assert none.status_code == 422 and "Choose one or more" in html.unescape(none.text)
    made = await member.http.post(
        "/settings/security/tokens",
        data={
            "csrf_token": member.csrf,
            "name": "backup script",
            "scopes": ["collection:read", "profile:read"],
            "expires_in_days": "30",
        },
    )
    assert made.status_code == 201
    token = re.search(r'<code class="secret">(gcp_[A-Za-z0-9_\-]{43})</code>', made.text)
    assert token is not None
    async with member.live.client() as script:
        me = await script.get(
            "/auth/user/me", headers={"Authorization": f"Bearer {token.group(1)}"}
        )
        assert me.json()["email"] == member.email
    page = await member.get("/settings")
    assert "backup script" in page.text and token.group(1) not in page.text
    token_id = re.search(r"/settings/security/tokens/([0-9a-f-]{36})/revoke", page.text)
    assert token_id is not None
    revoked = await member.form(f"/settings/security/tokens/{token_id.group(1)}/revoke", {})
    assert "The token is revoked." in revoked.text and "backup script" not in revoked.text


async def test_signing_out_everywhere_else_needs_a_recent_login_or_the_password(
    member: Visitor,
) -> None:
    from tests.api.second_factor_support import move_back

    async with member.live.client() as other:  # a second session to sign out
        await other.post("/auth/login", json={"email": member.email, "password": PASSWORD})
    await move_back(member.live.settings, "sessions", "reauthenticated_at", 6)
    stale = await member.form("/settings/sessions/end-others", {})
    assert stale.status_code == 403 and "Enter your password to confirm it is you." in stale.text
    done = await member.form("/settings/sessions/end-others", {"current_password": PASSWORD})
    assert done.status_code == 303 and done.headers["location"].endswith("#sessions")


async def test_login_asks_for_the_code_without_javascript(guest: Visitor) -> None:
    from tests.api.second_factor_support import with_totp

    async with guest.live.client() as api:
        tokens, secret, codes = await with_totp(api)
    email = tokens["user"]["email"]
    asked = await guest.post("/login", data={"username": email, "password": PASSWORD})
    assert asked.status_code == 200 and "Enter your code" in asked.text
    assert "gc_access" not in asked.headers.get("set-cookie", "")  # no session yet
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', asked.text)
    assert mfa_token is not None
    form = {"mfa_token": mfa_token.group(1), "next": "/settings"}
    wrong = await guest.post("/login/code", data={**form, "code": "000000"})
    assert wrong.status_code == 400 and "This code is not right" in wrong.text
    assert mfa_token.group(1) in wrong.text  # the same attempt goes on
    await clear_of_step_edge()
    done = await guest.post("/login/code", data={**form, "code": totp_code(secret, 1)})
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    assert (await guest.get("/settings")).status_code == 200
    spent = await guest.post("/login/code", data={**form, "code": codes[0]})
    assert "enter your password again" in spent.text and 'action="/login"' in spent.text


async def test_the_code_form_works_with_htmx_in_place_of_the_login_form(guest: Visitor) -> None:
    from tests.api.second_factor_support import with_totp

    async with guest.live.client() as api:
        tokens, _, codes = await with_totp(api)
    asked = await guest.post(
        "/login",
        data={"username": tokens["user"]["email"], "password": PASSWORD},
        headers={"HX-Request": "true"},
    )
    assert '<form id="login-form"' in asked.text and "<html" not in asked.text
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', asked.text)
    assert mfa_token is not None
    done = await guest.post(
        "/login/code",
        data={"mfa_token": mfa_token.group(1), "code": codes[2], "next": "/gallery"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and done.headers["hx-redirect"] == "/gallery"
