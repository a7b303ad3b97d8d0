"""Login, registration, logout and redirects, as a browser and as htmx sees them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD, register, unique_email
from tests.web.conftest import HTMX, Visitor, csrf_from_page, seed_items, visitor_client


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "hx-request" in response.headers["vary"].lower()
    assert response.headers["cache-control"] == "no-store"


async def test_login_page_is_a_page_with_labelled_fields(guest: Visitor) -> None:
    response = await guest.get("/login")
    assert response.status_code == 200
    assert_page_headers(response)
    html = response.text
    assert html.startswith("<!doctype html>")
    assert '<label for="username">' in html and 'id="username"' in html
    assert '<label for="password">' in html and 'autocomplete="current-password"' in html
    assert 'method="post" action="/login"' in html  # works without JavaScript
    assert 'hx-post="/login"' in html
    assert "<script>" not in html and "onclick" not in html  # no inline script
    assert '<meta name="htmx-config"' in html


async def test_login_form_logs_in_and_goes_to_the_gallery(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        tokens = await register(api, username="ada")
    response = await guest.post("/login", data={"username": "ADA", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/gallery"
    assert {"gc_access", "gc_refresh", "gc_csrf"} <= set(guest.http.cookies.keys())
    page = await guest.get("/gallery")
    assert page.status_code == 200
    assert tokens["user"]["email"] in (await guest.get("/settings")).text


NEXT_CASES = [
    ("/settings", "/settings"),
    ("/gallery?q=zelda&platform=SNES", "/gallery?q=zelda&platform=SNES"),
    ("//evil.example/x", "/gallery"),
    ("https://evil.example/", "/gallery"),
    ("/\\evil.example", "/gallery"),
    ("javascript:alert(1)", "/gallery"),
    ("/login", "/gallery"),
    ("settings", "/gallery"),
]


async def test_login_follows_only_same_site_next(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        tokens = await register(api)
    for next_value, expected in NEXT_CASES:
        page = await guest.get("/login", params={"next": next_value})
        assert page.status_code == 200
        assert f'name="next" value="{expected}"' in page.text.replace("&amp;", "&")
        response = await guest.post(
            "/login",
            data={"username": tokens["user"]["email"], "password": PASSWORD, "next": next_value},
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected, next_value
        guest.http.cookies.clear()


async def test_login_by_htmx_answers_with_hx_redirect(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        tokens = await register(api)
    response = await guest.post(
        "/login",
        data={"username": tokens["user"]["email"], "password": PASSWORD, "next": "/settings"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/settings"
    assert "gc_access" in guest.http.cookies


async def test_wrong_password_is_shown_in_the_form(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        tokens = await register(api)
    data = {"username": tokens["user"]["email"], "password": "not the password"}
    page = await guest.post("/login", data=data)
    assert page.status_code == 401
    assert page.text.startswith("<!doctype html>")
    assert "The email, username or password is not right." in page.text
    assert f'value="{tokens["user"]["email"]}"' in page.text  # kept
    fragment = await guest.post("/login", data=data, headers=HTMX)
    assert fragment.status_code == 401
    assert fragment.text.lstrip().startswith("<form")  # only the form, swapped in place
    assert "The email, username or password is not right." in fragment.text
    assert "not the password" not in fragment.text  # a password is never echoed


async def test_missing_fields_are_marked_next_to_the_field(guest: Visitor) -> None:
    response = await guest.post("/login", data={"username": "", "password": ""}, headers=HTMX)
    assert response.status_code == 422
    html = response.text
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="username-error"' in html
    assert '<p class="field-error" id="password-error">This field is required.</p>' in html


class TestRateLimit:
    @pytest.fixture
    def app_env(self) -> dict[str, str]:
        return {"RATE_LIMIT_LOGIN_PER_MINUTE": "2"}

    async def test_the_rate_limit_message_is_shown(self, guest: Visitor) -> None:
        data = {"username": "nobody@example.com", "password": "whatever123"}
        for _ in range(2):
            assert (await guest.post("/login", data=data)).status_code == 401
        page = await guest.post("/login", data=data)
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) >= 1
        assert "Too many login requests from your address" in page.text
        fragment = await guest.post("/login", data=data, headers=HTMX)
        assert fragment.status_code == 429
        assert 'role="alert"' in fragment.text and "try again in" in fragment.text


async def test_login_from_another_site_is_refused(guest: Visitor) -> None:
    response = await guest.post(
        "/login",
        data={"username": "a@example.com", "password": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


async def test_register_form_creates_the_account(guest: Visitor) -> None:
    email = unique_email()
    response = await guest.post(
        "/register", data={"email": email, "username": "newbie", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/gallery"
    assert email in (await guest.get("/settings")).text


async def test_register_errors_are_inline(guest: Visitor, live: LiveApp) -> None:
    async with live.client() as api:
        tokens = await register(api, username="taken")
    weak = await guest.post(
        "/register", data={"email": "not-an-email", "password": "short"}, headers=HTMX
    )
    assert weak.status_code == 422
    assert 'id="email-error"' in weak.text and 'id="password-error"' in weak.text
    assert "Use at least 8 characters." in weak.text
    taken = await guest.post(
        "/register",
        data={"email": tokens["user"]["email"], "password": PASSWORD},
        headers=HTMX,
    )
    assert taken.status_code == 409
    assert "An account with this email already exists." in taken.text
    name = await guest.post(
        "/register", data={"email": unique_email(), "username": "TAKEN", "password": PASSWORD}
    )
    assert name.status_code == 409
    assert "This username is taken." in name.text


async def test_logged_in_visitors_skip_the_login_page(member: Visitor) -> None:
    response = await member.get("/login", params={"next": "/settings"})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    assert (await member.get("/register")).headers["location"] == "/gallery"


async def test_pages_send_guests_to_login_and_back(guest: Visitor) -> None:
    response = await guest.get("/gallery", params={"q": "mario kart"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/gallery%3Fq%3Dmario%2Bkart"
    page = await guest.get(response.headers["location"])
    assert 'name="next" value="/gallery?q=mario+kart"' in page.text


async def test_logout_needs_the_csrf_token_and_ends_the_session(member: Visitor) -> None:
    refused = await member.post("/logout")
    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    response = await member.form("/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=logged_out"
    assert "gc_access" not in member.http.cookies
    assert "You are logged out." in (await member.get("/login?notice=logged_out")).text
    assert (await member.get("/settings")).status_code == 303


async def test_ended_session_during_htmx_asks_to_log_in_again(
    member: Visitor, live: LiveApp
) -> None:
    async with visitor_client(live) as other_http:
        other = Visitor(other_http, live, email=member.email)
        await other.login(member.email)
        # The first browser ends every other session (the second one).
        response = await member.htmx("/settings/sessions/end-others", {})
        assert response.status_code == 200
        ended = await other.htmx("/gallery", headers={"HX-Current-URL": f"{live.url}/gallery?q=x"})
        # 401 and nothing to swap: app.js opens its login dialog and makes the request again.
        assert ended.status_code == 401
        assert ended.headers["hx-reswap"] == "none"
        assert ended.headers["x-session-ended"] == "true"
        assert ended.text == ""
        # Without htmx it is a plain redirect.
        await other.login(member.email)
        await member.htmx("/settings/sessions/end-others", {})
        plain = await other.get("/settings")
        assert plain.status_code == 303
        assert plain.headers["location"] == "/login?next=/settings&notice=ended"
        login = await other.get(plain.headers["location"])
        assert 'class="message message-info"' in login.text  # news, not a success


async def test_a_form_sent_after_the_session_ended_survives_the_login(
    member: Visitor, live: LiveApp
) -> None:
    made = await seed_items(live, member.tokens, ["Draft"])
    item_id = made[0]["id"]
    async with visitor_client(live) as other_http:
        other = Visitor(other_http, live, email=member.email)
        await other.login(member.email)
        csrf = other.csrf
        await member.htmx("/settings/sessions/end-others", {})
        typed = {"csrf_token": csrf, "name": "Typed <name>", "platform": "N64", "notes": "Kept"}
        refused = await other.form(f"/gallery/{item_id}?q=dr", typed)
        # The login page, holding what was typed (never the old token).
        assert refused.status_code == 401
        assert f'name="draft_action" value="/gallery/{item_id}?q=dr"' in refused.text
        assert 'name="draft:name" value="Typed &lt;name&gt;"' in refused.text
        assert csrf not in refused.text
        wrong = await other.form(
            "/login",
            {
                "username": member.email,
                "password": "wrong password",
                "draft_action": f"/gallery/{item_id}",
                "draft:notes": "Kept",
            },
        )
        assert wrong.status_code == 401 and 'name="draft:notes" value="Kept"' in wrong.text
        back = await other.form(
            "/login",
            {
                "username": member.email,
                "password": PASSWORD,
                "draft_action": f"/gallery/{item_id}?q=dr",
                "draft:name": "Typed <name>",
                "draft:platform": "N64",
                "draft:notes": "Kept",
                "draft:csrf_token": "stolen",
            },
        )
        assert back.status_code == 200
        assert "What you typed has not been sent yet." in back.text
        assert f'action="/gallery/{item_id}?q=dr"' in back.text
        assert "stolen" not in back.text
        other.csrf = csrf_from_page(back.text)  # the new session's token, in the page
        sent = await other.form(
            f"/gallery/{item_id}?q=dr",
            {"csrf_token": other.csrf, "name": "Typed <name>", "platform": "N64", "notes": "Kept"},
        )
        assert sent.status_code == 303
        assert "Typed &lt;name&gt;" in (await other.get(f"/gallery/{item_id}")).text


async def test_root_keeps_json_for_api_clients(live: LiveApp) -> None:
    async with live.client() as api:
        response = await api.get("/")
    assert response.headers["content-type"].startswith("application/json")


async def test_root_sends_browsers_to_the_gallery_or_the_login_page(
    guest: Visitor, member: Visitor
) -> None:
    assert (await guest.get("/")).headers["location"] == "/login"
    assert (await member.get("/")).headers["location"] == "/gallery"
    assert "accept" in (await member.get("/")).headers["vary"].lower()


async def test_unknown_page_is_an_html_404_for_browsers(guest: Visitor) -> None:
    response = await guest.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nothing is here." in response.text


async def test_csrf_token_is_in_the_meta_tag_and_forms(member: Visitor) -> None:
    html = (await member.get("/settings")).text
    token = csrf_from_page(html)
    assert token == member.http.cookies["gc_csrf"]
    assert html.count(f'name="csrf_token" value="{token}"') >= 4
