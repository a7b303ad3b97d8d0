"""The settings page: GPU endpoint, password, sessions and account deletion."""

from __future__ import annotations

import re

from tests.conftest import LiveApp
from tests.helpers import PASSWORD
from tests.web.conftest import Visitor, visitor_client

NEW_PASSWORD = "a completely new passphrase"


async def test_settings_page_shows_account_and_sections(member: Visitor) -> None:
    response = await member.get("/settings")
    assert response.status_code == 200
    html = response.text
    assert member.email in html and "member" in html
    for section in ('id="gpu"', 'id="password"', 'id="sessions"', 'id="delete"'):
        assert section in html
    assert 'id="gpu-test"' in html and "data-js-only hidden" in html  # the button needs JS
    assert "/static/js/settings.js?v=" in html
    assert '<span class="badge">This device</span>' in html


async def test_gpu_endpoint_without_javascript(member: Visitor) -> None:
    response = await member.form("/settings/gpu-endpoint", {"gpu_endpoint": "http://10.0.0.5:8000"})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings?saved=gpu#gpu"
    page = await member.get("/settings?saved=gpu")
    assert 'value="http://10.0.0.5:8000"' in page.text
    assert "GPU endpoint saved." in page.text
    bad = await member.form("/settings/gpu-endpoint", {"gpu_endpoint": "ftp://10.0.0.5"})
    assert bad.status_code == 422
    assert bad.text.startswith("<!doctype html>")
    assert "The URL must start with http:// or https://." in bad.text
    assert 'value="ftp://10.0.0.5"' in bad.text  # what was typed stays
    cleared = await member.form("/settings/gpu-endpoint", {"gpu_endpoint": ""})
    assert cleared.headers["location"] == "/settings?saved=gpu_cleared#gpu"


async def test_gpu_endpoint_with_htmx(member: Visitor) -> None:
    ok = await member.htmx("/settings/gpu-endpoint", {"gpu_endpoint": "https://gpu.lan:7860"})
    assert ok.status_code == 200
    assert ok.text.lstrip().startswith('<section id="gpu"')
    assert "GPU endpoint saved." in ok.text and 'value="https://gpu.lan:7860"' in ok.text
    bad = await member.htmx("/settings/gpu-endpoint", {"gpu_endpoint": "http://user:pw@gpu.lan"})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text
    assert "The URL cannot contain a user name or password." in bad.text
    me = await member.http.get("/auth/user/me", headers={"Accept": "application/json"})
    assert me.json()["gpu_endpoint"] == "https://gpu.lan:7860"


async def test_state_changes_need_the_csrf_token(member: Visitor) -> None:
    for url in ("/settings/gpu-endpoint", "/settings/password", "/settings/delete"):
        response = await member.post(url, data={"gpu_endpoint": "http://x.lan"})
        assert response.status_code == 403, url
        fragment = await member.post(
            url, data={"gpu_endpoint": "http://x.lan"}, headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 403
        assert fragment.headers["hx-retarget"] == "#flash"  # shown in the alert area
        assert 'role="alert"' in fragment.text


async def test_change_password_ends_the_other_sessions(member: Visitor, live: LiveApp) -> None:
    async with visitor_client(live) as other_http:
        other = Visitor(other_http, live)
        await other.login(member.email)
        wrong = await member.htmx(
            "/settings/password", {"current_password": "nope", "new_password": NEW_PASSWORD}
        )
        assert wrong.status_code == 422
        assert "The current password is not right." in wrong.text
        weak = await member.htmx(
            "/settings/password", {"current_password": PASSWORD, "new_password": "short"}
        )
        assert weak.status_code == 422
        assert 'id="new_password-error"' in weak.text
        ok = await member.htmx(
            "/settings/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert ok.status_code == 200
        assert "Every other session has been signed out." in ok.text
        # The sessions list is refreshed out of band: only this device is left.
        assert '<section id="sessions"' in ok.text and 'hx-swap-oob="true"' in ok.text
        assert ok.text.count("data-session-id=") == 1
        ended = await other.get("/gallery")
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/login?")
        # The new password works, the old one does not.
        async with visitor_client(live) as third_http:
            third = Visitor(third_http, live)
            await third.login(member.email, NEW_PASSWORD)
            refused = await third_http.post(
                "/login", data={"username": member.email, "password": PASSWORD}
            )
            assert refused.status_code == 401


async def test_sessions_can_be_signed_out(member: Visitor, live: LiveApp) -> None:
    async with visitor_client(live) as other_http:
        other = Visitor(other_http, live)
        await other.login(member.email)
        page = (await member.get("/settings")).text
        ids = re.findall(r'data-session-id="([0-9a-f-]+)"', page)
        assert len(ids) == 3  # registration (API), this browser, the other one
        current = re.search(r'class="session current" data-session-id="([0-9a-f-]+)"', page)
        assert current is not None
        newest_other = re.search(r'<li class="session" data-session-id="([0-9a-f-]+)"', page)
        assert newest_other is not None  # most recently used first: the other browser
        other_id = newest_other.group(1)
        response = await member.htmx(f"/settings/sessions/{other_id}/end", {})
        assert response.status_code == 200
        assert "That session has been signed out." in response.text
        assert other_id not in response.text
        assert (await other.get("/settings")).status_code == 303
        again = await member.htmx(f"/settings/sessions/{other_id}/end", {})
        assert again.status_code == 404
        assert "No live session with this id." in again.text
        # Signing out this device is logging out.
        me = await member.form(f"/settings/sessions/{current.group(1)}/end", {})
        assert me.status_code == 303
        assert me.headers["location"] == "/login?notice=logged_out"


async def test_sign_out_everywhere_else_without_javascript(member: Visitor, live: LiveApp) -> None:
    async with visitor_client(live) as a, visitor_client(live) as b:
        for http in (a, b):
            await Visitor(http, live).login(member.email)
        response = await member.form("/settings/sessions/end-others", {})
        assert response.status_code == 303
        assert response.headers["location"] == "/settings?saved=others#sessions"
        page = await member.get("/settings?saved=others")
        assert "Every other session has been signed out." in page.text
        assert page.text.count("data-session-id=") == 1
        assert (await a.get("/gallery")).status_code == 303


async def test_delete_account_after_typing_the_password(member: Visitor, live: LiveApp) -> None:
    wrong = await member.htmx("/settings/delete", {"password": "not it"})
    assert wrong.status_code == 422
    assert '<section id="delete"' in wrong.text
    assert "The password is not right." in wrong.text
    response = await member.form("/settings/delete", {"password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=deleted"
    assert "gc_access" not in member.http.cookies
    async with visitor_client(live) as http:
        refused = await http.post("/login", data={"username": member.email, "password": PASSWORD})
    assert refused.status_code == 401
