"""Personal access tokens through the API: create, list, revoke, last use, expiry, and
every scope of every token against every route of the app."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import httpx
import pytest

from gamecoll.http.scopes import route_scopes
from gamecoll.security.access_tokens import SCOPES
from tests.api.second_factor_support import move_back
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register
from tests.images import plain_jpeg
from tests.mailbox import SmtpServer, link_in, smtp, token_of

__all__ = ["smtp"]

ITEMS = "/collection/items"
# What no token may ever do, whatever its scopes: manage tokens, factors, the password,
# the email, sessions or the account, and use the pages (a policy, checked on the routes).
NEVER_FOR_TOKENS = re.compile(
    r"^(auth/(tokens|mfa|password|email|sessions|reauth|logout|login|register|refresh|gpu)"
    r"|settings|gallery|login|logout|register)"
)


def never_for_tokens(methods: set[str], path: str) -> bool:
    """Tell whether a route is one that no token may call (the policy above)."""
    return bool(NEVER_FOR_TOKENS.match(path)) or (path == "auth/user/me" and "GET" not in methods)


@pytest.fixture
def app_env(smtp: SmtpServer) -> dict[str, str]:
    return {"SMTP_URL": smtp.url, "MAIL_RETRY_SECONDS": "1", "RATE_LIMIT_LOGIN_PER_MINUTE": "100"}


async def make_token(
    client: httpx.AsyncClient, auth: dict[str, str], scopes: list[str], **extra: Any
) -> dict[str, Any]:
    made = await client.post(
        "/auth/tokens", json={"name": "+".join(scopes), "scopes": scopes, **extra}, headers=auth
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def use(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


async def test_create_list_use_and_revoke(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    tokens = await register(client)
    auth = bearer(tokens)
    email = tokens["user"]["email"]
    made = await make_token(client, auth, ["collection:read", "profile:read"], expires_in_days=30)
    assert re.fullmatch(r"gcp_[A-Za-z0-9_\-]{43}", made["token"])
    assert made["scopes"] == ["profile:read", "collection:read"]
    assert made["last_used_at"] is None and made["expires_at"] > made["created_at"]
    listed = (await client.get("/auth/tokens", headers=auth)).json()["tokens"]
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]

    me = await client.get("/auth/user/me", headers=use(made))
    assert me.json()["email"] == email
    assert (await client.get(ITEMS, headers=use(made))).status_code == 200
    used = (await client.get("/auth/tokens", headers=auth)).json()["tokens"][0]
    assert used["last_used_at"] is not None
    # Created and first used: logged, and each mailed as a notice.
    activity = (await client.get("/auth/activity", headers=auth)).json()["activity"]
    events = [entry["event"] for entry in activity]
    assert events[:2] == ["access_token_first_used", "access_token_created"]
    await smtp.wait_for(email, count=2, subject="A security change")

    # No CSRF token is needed, even with the session's cookies in the same client.
    posted = await client.post(ITEMS, json={"name": "Zelda"}, headers=use(made))
    assert error_of(posted)["code"] == "insufficient_scope"
    assert error_of(posted)["required_scopes"] == ["collection:write", "images:upload"]

    assert (await client.delete(f"/auth/tokens/{made['id']}", headers=auth)).status_code == 204
    gone = await client.get("/auth/user/me", headers=use(made))
    assert gone.status_code == 401 and error_of(gone)["code"] == "invalid_token"
    assert (await client.get("/auth/tokens", headers=auth)).json()["tokens"] == []
    other = await register(client)
    not_mine = await client.delete(f"/auth/tokens/{uuid.uuid4()}", headers=bearer(other))
    assert not_mine.status_code == 404


async def test_expired_and_malformed_tokens_are_refused(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    auth = bearer(await register(client))
    made = await make_token(client, auth, ["profile:read"], expires_in_days=1)
    assert (await client.get("/auth/user/me", headers=use(made))).status_code == 200
    await move_back(live.settings, "access_tokens", "expires_at", 24 * 60 + 1)
    expired = await client.get("/auth/user/me", headers=use(made))
    assert expired.status_code == 401 and "expired" in error_of(expired)["message"]
    for bad in ("gcp_", "gcp_" + "a" * 43, "gcp_" + "é" * 43, made["token"] + "x"):
        header = f"Bearer {bad}".encode()  # the é as UTF-8 bytes, as a client may send it
        answer = await client.get("/auth/user/me", headers={"Authorization": header})
        assert answer.status_code in (400, 401), bad


async def test_bad_requests_say_what_was_wrong(client: httpx.AsyncClient) -> None:
    auth = bearer(await register(client))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "", "scopes": ["profile:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["profile:read"]}, "name"),
        ({"name": "a\u200bb", "scopes": ["profile:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": ["profile:read", "profile:read"]}, "scopes"),
        ({"name": "x", "scopes": ["profile:read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["profile:read"], "expires_in_days": "7"}, "expires_in_days"),
        ({"name": "x", "scopes": "profile:read"}, "scopes"),
    ]
    for body, field in cases:
        answer = await client.post("/auth/tokens", json=body, headers=auth)
        assert answer.status_code == 422, (body, answer.text)
        named = error_of(answer)["fields"]
        assert any(key.split(".")[0] == field for key in named), (body, named)


async def test_images_upload_adds_items_with_photos_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    auth = bearer(await register(client))
    upload = use(await make_token(client, auth, ["images:upload"]))
    photo = base64.b64encode(plain_jpeg()).decode()
    made = await client.post(ITEMS, json={"name": "Mother 3", "image": photo}, headers=upload)
    assert made.status_code == 201 and made.json()["image"] is not None
    files = {"image": ("cart.jpg", plain_jpeg(colour=(30, 90, 200)), "image/jpeg")}
    form = await client.post(ITEMS, data={"name": "Earthbound"}, files=files, headers=upload)
    assert form.status_code == 201
    bare = await client.post(ITEMS, json={"name": "No photo"}, headers=upload)
    assert bare.status_code == 422 and "image" in error_of(bare)["fields"]
    for method, path in (("GET", ITEMS), ("GET", f"{ITEMS}/{made.json()['id']}")):
        refused = await client.request(method, path, headers=upload)
        assert error_of(refused)["code"] == "insufficient_scope"
    listed = (await client.get(ITEMS, headers=auth)).json()["items"]
    assert sorted(i["name"] for i in listed) == ["Earthbound", "Mother 3"]


async def test_tokens_die_with_a_reset_that_asks_and_with_the_account(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    tokens = await register(client)
    auth = bearer(tokens)
    email = tokens["user"]["email"]
    token = await make_token(client, auth, ["profile:read"])
    for count, revoke in ((1, False), (2, True)):
        await client.post("/auth/password/forgot", json={"email": email})
        mails = await smtp.wait_for(email, count=count, subject="Reset your")
        reset = {
            "token": token_of(link_in(mails[-1], "/reset")),
            "new_password": f"{PASSWORD} {count}",
            "revoke_access_tokens": revoke,
        }
        assert (await client.post("/auth/password/reset", json=reset)).status_code == 204
        alive = await client.get("/auth/user/me", headers=use(token))
        assert alive.status_code == (401 if revoke else 200)  # kept unless the user asks

    login = await client.post("/auth/login", json={"email": email, "password": f"{PASSWORD} 2"})
    auth = bearer(login.json())
    client.cookies.clear()
    token = await make_token(client, auth, ["profile:read"])
    gone = await client.request(
        "DELETE", "/auth/user/me", json={"password": f"{PASSWORD} 2"}, headers=auth
    )
    assert gone.status_code == 204
    assert (await client.get("/auth/user/me", headers=use(token))).status_code == 401


def refused_for_scope(answer: httpx.Response) -> bool:
    """Tell whether a 403 is insufficient_scope: the JSON code, or the page's message."""
    if answer.headers.get("content-type", "").startswith("text/html"):
        return "Access tokens cannot be used here" in answer.text
    return bool(error_of(answer)["code"] == "insufficient_scope")


async def _fill(path: str, item_id: str) -> str:
    def one(match: re.Match[str]) -> str:
        kind = match.group(2) or "str"
        if match.group(1) == "item_id":
            return item_id
        return str(uuid.uuid4()) if kind == "uuid" else "htmx.min.js"

    return "/" + re.sub(r"<(\w+)(?::(\w+))?>", one, path)


async def test_every_scope_of_every_token_against_every_route(
    client: httpx.AsyncClient, live: LiveApp
) -> None:
    """Generated from the app's route table: a token passes only where its route names one
    of its scopes, and elsewhere gains nothing over an anonymous request."""
    auth = bearer(await register(client))
    client.cookies.clear()
    item = await client.post(ITEMS, json={"name": "Chrono Trigger"}, headers=auth)
    item_id = item.json()["id"]
    tokens = {scope: use(await make_token(client, auth, [scope])) for scope in SCOPES}
    tokens["every scope"] = use(await make_token(client, auth, list(SCOPES)))
    checked = 0
    for route in live.app.router.routes:
        declared = route_scopes(route.handler)
        assert declared <= set(SCOPES)
        if never_for_tokens(set(route.methods), route.path):
            assert not declared, f"{route.path} must never take a token"
        path = await _fill(route.path, item_id)
        for method in sorted(route.methods):
            body = {} if method in ("POST", "PUT", "PATCH", "DELETE") else None
            anonymous = await client.request(method, path, json=body)
            client.cookies.clear()
            for name, headers in tokens.items():
                allowed = bool(declared & ({name} if name in SCOPES else set(SCOPES)))
                answer = await client.request(method, path, json=body, headers=headers)
                client.cookies.clear()
                where = f"{method} {path} with {name}: {answer.status_code} {answer.text[:200]}"
                if allowed:
                    assert answer.status_code not in (401, 403), where
                elif answer.status_code == 403:
                    assert refused_for_scope(answer), where
                else:  # the route ignored the token: exactly what an anonymous call gets
                    assert answer.status_code == anonymous.status_code, where
                checked += 1
    assert checked >= 5 * 60
