"""The OpenAPI document says what the server does: every route's real answers match it."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.api.openapi_contract import Contract
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, totp_code, unique_email
from tests.images import plain_jpeg, png_with_alpha
from tests.mailbox import SmtpServer, link_in, smtp, token_of
from tests.passkeys import SoftAuthenticator

__all__ = ["smtp"]  # the contract's app sends its mail to a real SMTP server
PASSKEY_ORIGIN = "https://games.example"  # PUBLIC_BASE_URL: the passkeys' relying party


@pytest.fixture
def app_env(smtp: SmtpServer) -> dict[str, str]:
    return {"SMTP_URL": smtp.url, "MAIL_RETRY_SECONDS": "1", "PUBLIC_BASE_URL": PASSKEY_ORIGIN}


ITEMS = "/collection/items"
PAGES = {"/login", "/register", "/gallery", "/settings", "/logout", "/static/{name}"}
STATUS_OF_A_KIND = {
    # What the document promises for every operation of a kind (api/document.py).
    "body": {"400", "413", "415", "422"},
    "auth": {"401"},
    "auth_write": {"401", "403"},
}


async def document(live: LiveApp) -> dict[str, Any]:
    async with live.client() as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


async def test_document_is_valid_openapi_and_leaves_the_pages_out(live: LiveApp) -> None:
    spec = await document(live)
    validate(spec)  # openapi-spec-validator: raises on any error
    assert spec["openapi"].startswith("3.1")
    from gamecoll import __version__

    assert spec["info"]["version"] == __version__
    assert "Bearer" in spec["info"]["description"] and "X-CSRF-Token" in spec["info"]["description"]
    assert not PAGES & set(spec["paths"]), "HTML pages are not part of the API"
    assert not any(path.startswith(("/docs", "/gallery", "/settings")) for path in spec["paths"])
    ids = [op["operationId"] for methods in spec["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
    assert all(op_id.isidentifier() and op_id[0].islower() for op_id in ids), ids
    assert {"login", "register", "refreshTokens", "getMe", "listItems", "createItem"} <= set(ids)
    assert {"getItemThumbnail", "logout", "deleteItem"} <= set(ids)
    mail_ids = {"forgotPassword", "resetPassword", "verifyEmail", "resendVerification"}
    assert mail_ids | {"changeEmail", "confirmEmailChange", "listActivity"} <= set(ids)
    text = str(spec)
    assert "model_config" not in text and "*/*" not in text
    schemas = spec["components"]["schemas"]
    for name in (
        "User",
        "TokenResponse",
        "Item",
        "ItemPage",
        "ItemImage",
        "Session",
        "Error",
        "Accepted",
        "ActivityPage",
        "ForgotPasswordRequest",
        "ResetPasswordRequest",
        "EmailTokenRequest",
        "EmailChangeRequest",
    ):
        assert schemas[name]["title"] == name
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            assert op["summary"] and op["tags"], (method, path)
            for status, answer in op["responses"].items():
                status_answer = path in ("/auth", "/readyz") and status == "503"
                if status.startswith(("4", "5")) and not status_answer:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
                if status in ("204", "304"):
                    assert "content" not in answer, (path, status)
            if "requestBody" in op:
                assert STATUS_OF_A_KIND["body"] <= set(op["responses"]), (method, path)
            if op.get("security") and {} not in op["security"]:
                kind = "auth" if method == "get" else "auth_write"
                assert STATUS_OF_A_KIND[kind] <= set(op["responses"]), (method, path)


async def test_every_api_route_is_documented(live: LiveApp) -> None:
    from gamecoll.api.docs import declared_operation

    api_blueprints = {
        "status",
        "auth",
        "account",
        "items",
        "item_images",
        "recovery",
        "verification",
        "email_change",
        "activity",
        "duplicates",
        "exchange",
        "passkeys",
        "mfa",
        "access_tokens",
    }
    for route in live.app.router.routes:
        blueprint = route.name.split(".")[1] if route.name.count(".") >= 2 else ""
        if blueprint in api_blueprints:
            assert declared_operation(route.handler) is not None, route.path


async def test_every_answer_matches_the_document(live: LiveApp, smtp: SmtpServer) -> None:
    contract = Contract(await document(live))
    async with live.client(event_hooks={"response": [contract.hook()]}) as http:
        await walk(http)
        await walk_account_mail(http, smtp)
        await walk_passkeys(http)
        await walk_security(http)
    assert contract.problems == []
    succeeded = {op_id for op_id, status in contract.seen if status < 400}
    assert succeeded == contract.operation_ids(), contract.operation_ids() - succeeded


async def walk(http: httpx.AsyncClient) -> None:
    """Call every operation with success and with the errors a client meets most."""
    assert (await http.get("/", headers={"Accept": "application/json"})).status_code == 200
    browser = await http.get("/", headers={"Accept": "text/html"})
    assert browser.status_code == 303
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 200
    assert (await http.get("/auth")).status_code == 200

    email = unique_email()
    made = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201
    tokens = made.json()
    http.cookies.clear()  # bearer from here on; cookies are checked separately
    auth = bearer(tokens)
    again = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert again.status_code == 409
    weak = await http.post("/auth/register", json={"email": unique_email(), "password": "x"})
    assert error_of(weak)["fields"]["password"]
    broken = await http.post(
        "/auth/register", content=b"{", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    text = await http.post("/auth/register", content=b"hi", headers={"content-type": "text/plain"})
    assert text.status_code == 415

    login = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    form = await http.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert form.status_code == 200
    other_session = form.json()["refresh_token"]
    wrong = await http.post("/auth/login", json={"email": email, "password": "wrong password!"})
    assert wrong.status_code == 401
    http.cookies.clear()

    assert (await http.get("/auth/user/me")).status_code == 401
    assert (await http.get("/auth/user/me", headers=auth)).json()["email"] == email
    assert (await http.get("/auth/me", headers=auth)).status_code == 200
    gpu = {"gpu_endpoint": "http://192.168.1.20:8000"}
    assert (await http.put("/auth/gpu-endpoint", json=gpu, headers=auth)).status_code == 200
    bad_gpu = await http.put("/auth/gpu-endpoint", json={"gpu_endpoint": "ftp://x"}, headers=auth)
    assert bad_gpu.status_code == 422
    sessions = (await http.get("/auth/sessions", headers=auth)).json()["sessions"]
    assert len(sessions) == 3

    await walk_items(http, auth)
    await walk_item_lists(http, auth)

    gone = await http.delete(f"/auth/sessions/{uuid.uuid4()}", headers=auth)
    assert gone.status_code == 404
    others = [s["id"] for s in sessions if not s["current"]]
    assert (await http.delete(f"/auth/sessions/{others[0]}", headers=auth)).status_code == 204
    refreshed = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    spent = await http.post("/auth/refresh", json={"refresh_token": "not a token"})
    assert spent.status_code == 401
    auth = bearer(refreshed.json())
    change = {"current_password": PASSWORD, "new_password": PASSWORD + "!"}
    assert (await http.put("/auth/password", json=change, headers=auth)).status_code == 204
    assert other_session  # ended by the password change along with every other session

    not_allowed = await http.put("/healthz")
    assert not_allowed.status_code == 405
    assert not_allowed.headers["allow"] == "GET"
    assert error_of(not_allowed)["code"] == "method_not_allowed"

    again_login = await http.post("/auth/login", json={"email": email, "password": PASSWORD + "!"})
    http.cookies.clear()
    second = bearer(again_login.json())
    assert (await http.post("/auth/logout", headers=second)).status_code == 204
    wrong_password = await http.request(
        "DELETE", "/auth/user/me", json={"password": "not it at all"}, headers=auth
    )
    assert wrong_password.status_code == 422
    deleted = await http.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD + "!"}, headers=auth
    )
    assert deleted.status_code == 204
    assert "content-type" not in deleted.headers


async def walk_items(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    photo = plain_jpeg()
    encoded = base64.b64encode(photo).decode()
    first = await http.post(ITEMS, json={"name": "Chrono Trigger", "image": encoded}, headers=auth)
    assert first.status_code == 201
    item = first.json()
    files = {"image": ("cart.png", png_with_alpha(), "image/png")}
    second = await http.post(ITEMS, data={"name": "Earthbound"}, files=files, headers=auth)
    assert second.status_code == 201
    no_name = await http.post(ITEMS, json={"platform": "SNES"}, headers=auth)
    assert error_of(no_name)["fields"]["name"]

    page = await http.get(ITEMS, params={"limit": 1}, headers=auth)
    assert page.status_code == 200 and len(page.json()["items"]) == 1
    cursor = page.json()["next_cursor"]
    rest = await http.get(ITEMS, params={"limit": 1, "cursor": cursor}, headers=auth)
    assert rest.json()["items"][0]["id"] == item["id"]
    found = await http.get(ITEMS, params={"q": "chrono"}, headers=auth)
    assert [i["id"] for i in found.json()["items"]] == [item["id"]]
    for bad in ("", "0", "101", "x", "1" * 2000):
        refused = await http.get(f"{ITEMS}?limit={bad}", headers=auth)
        assert refused.status_code == 422, bad
        assert error_of(refused)["fields"] == {"limit": "Must be a whole number from 1 to 100."}

    url = f"{ITEMS}/{item['id']}"
    assert (await http.get(url, headers=auth)).json()["name"] == "Chrono Trigger"
    patched = await http.patch(url, json={"notes": "Boxed"}, headers=auth)
    assert patched.json()["notes"] == "Boxed"
    data = await http.get(f"{url}/image", headers=auth)
    assert base64.b64decode(data.json()["image"])
    etag = data.headers["etag"]
    same = await http.get(f"{url}/image", headers={**auth, "If-None-Match": etag})
    assert same.status_code == 304
    raw = await http.get(f"{url}/image/raw", headers=auth)
    assert raw.headers["content-type"] == "image/jpeg" and raw.content[:2] == b"\xff\xd8"
    thumb = await http.get(f"{url}/thumbnail", headers=auth)
    assert thumb.headers["content-type"] == "image/webp"
    for rendition in ("thumbnail/2x", "display"):
        made = await http.get(f"{url}/{rendition}", headers=auth)
        assert made.headers["content-type"] == "image/webp" and made.content[:4] == b"RIFF"
    twice = await http.post(ITEMS, json={"name": "Again", "image": encoded}, headers=auth)
    assert twice.status_code == 409 and error_of(twice)["item_id"] == item["id"]
    swap = await http.put(
        f"{url}/image",
        params={"allow_duplicate": "true"},  # Earthbound has this photo already
        files={"image": ("a.png", png_with_alpha(), "image/png")},
        headers=auth,
    )
    assert swap.json()["image"]["content_type"] == "image/png"
    png = await http.get(f"{url}/image/raw", headers=auth)
    assert png.headers["content-type"] == "image/png"
    assert (await http.delete(f"{url}/image", headers=auth)).status_code == 204
    assert (await http.get(f"{url}/thumbnail", headers=auth)).status_code == 404
    assert (await http.get(f"{url}/display", headers=auth)).status_code == 404
    await walk_exchange(http, auth)
    assert (await http.delete(url, headers=auth)).status_code == 204
    assert (await http.get(url, headers=auth)).status_code == 404
    assert (await http.get(f"{ITEMS}/not-a-uuid", headers=auth)).status_code == 404


async def walk_exchange(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """Duplicates check, the three exports, an import answered at once and one run as a job."""
    photo_sha = (await http.get(ITEMS, headers=auth)).json()["items"][0]["image"]["sha256"]
    check = await http.post(f"{ITEMS}/check", json={"sha256": [photo_sha, "0" * 64]}, headers=auth)
    assert check.json()["known"][0]["sha256"] == photo_sha
    bad_check = await http.post(f"{ITEMS}/check", json={"sha256": ["nope"]}, headers=auth)
    assert bad_check.status_code == 422
    exported = {}
    for fmt in ("json", "csv", "zip"):
        answer = await http.get("/collection/export", params={"format": fmt}, headers=auth)
        assert answer.status_code == 200, answer.text
        exported[fmt] = answer.content
    at_once = await http.post("/collection/import", content=exported["json"], headers=auth)
    assert at_once.status_code == 200 and at_once.json()["unchanged"] == 2
    job = await http.post(
        "/collection/import",
        params={"dry_run": "true"},
        content=exported["zip"],
        headers={**auth, "Content-Type": "application/zip"},
    )
    assert job.status_code == 202
    for _ in range(200):
        state = await http.get(job.headers["location"], headers=auth)
        if state.json()["state"] == "done":
            break
        await asyncio.sleep(0.05)
    assert state.json()["unchanged"] == 2
    assert (await http.get(f"/collection/import/{uuid.uuid4()}", headers=auth)).status_code == 404


async def walk_item_lists(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    """The collector's details, the list's filters, sorts and search, and the stats."""
    details = {
        "name": "Chrono Trigger",
        "platform": "SNES",
        "status": "owned",
        "region": "ntsc_u",
        "edition": "Player's Choice",
        "parts": ["game", "box", "manual"],
        "graded": {"company": "VGA", "grade": "85"},
        "condition": "near_mint",
        "barcode": "036000291452",
        "purchase": {"price": "49.90", "currency": "EUR", "date": "2020-02-02", "source": "Shop"},
        "quantity": 2,
        "tags": ["RPG"],
    }
    made = await http.post(ITEMS, json=details, headers=auth)
    assert made.status_code == 201 and made.json()["completeness"] == "graded"
    bad_barcode = await http.post(ITEMS, json={**details, "barcode": "036000291453"}, headers=auth)
    assert set(error_of(bad_barcode)["fields"]) == {"barcode"}
    filtered = await http.get(
        ITEMS,
        params={"status": "owned", "platform": "snes", "tag": ["rpg"], "sort": "-price"},
        headers=auth,
    )
    assert [i["id"] for i in filtered.json()["items"]] == [made.json()["id"]]
    searched = await http.get(ITEMS, params={"q": "player's choice"}, headers=auth)
    assert [i["id"] for i in searched.json()["items"]] == [made.json()["id"]]
    assert (await http.get(ITEMS, params={"sort": "size"}, headers=auth)).status_code == 422
    stats = await http.get("/collection/stats", headers=auth)
    assert stats.json()["purchases"] == [{"currency": "EUR", "total": "49.90", "items": 1}]
    assert (await http.delete(f"{ITEMS}/{made.json()['id']}", headers=auth)).status_code == 204


async def walk_account_mail(http: httpx.AsyncClient, smtp: SmtpServer) -> None:
    """Verification, activity, email change and reset, with the links from the mails."""
    email = unique_email()
    made = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201 and made.json()["user"]["email_verified"] is False
    http.cookies.clear()
    auth = bearer(made.json())

    assert (await http.post("/auth/email/verify/resend", headers=auth)).status_code == 202
    mails = await smtp.wait_for(email, count=2, subject="Confirm your email")
    token = token_of(link_in(mails[-1], "/verify"))
    assert (await http.post("/auth/email/verify", json={"token": token})).status_code == 204
    used = await http.post("/auth/email/verify", json={"token": token})
    assert error_of(used)["code"] == "token_invalid"
    assert (await http.post("/auth/email/verify/resend", headers=auth)).status_code == 409
    me = await http.get("/auth/user/me", headers=auth)
    assert me.json()["email_verified"] is True

    for password in ("not the password", PASSWORD):  # two entries in the activity log
        await http.post("/auth/login", json={"email": email, "password": password})
    http.cookies.clear()
    page = await http.get("/auth/activity", params={"limit": 1}, headers=auth)
    assert page.status_code == 200 and len(page.json()["activity"]) == 1
    cursor = page.json()["next_cursor"]
    assert cursor is not None
    rest = await http.get("/auth/activity", params={"cursor": cursor}, headers=auth)
    assert rest.status_code == 200
    bad_cursor = await http.get("/auth/activity", params={"cursor": "nope"}, headers=auth)
    assert bad_cursor.status_code == 400
    assert (await http.get("/auth/activity")).status_code == 401

    new_email = unique_email()
    wrong = {"new_email": new_email, "current_password": "not the password"}
    refused = await http.put("/auth/email", json=wrong, headers=auth)
    assert error_of(refused)["fields"]["current_password"]
    change = {"new_email": new_email, "current_password": PASSWORD}
    asked = await http.put("/auth/email", json=change, headers=auth)
    assert asked.status_code == 202 and new_email in asked.json()["message"]
    [confirm_mail] = await smtp.wait_for(new_email, subject="Confirm your new email")
    confirm = {"token": token_of(link_in(confirm_mail, "/email/confirm"))}
    assert (await http.post("/auth/email/confirm", json=confirm)).status_code == 204
    assert (await http.get("/auth/user/me", headers=auth)).json()["email"] == new_email

    forgot = await http.post("/auth/password/forgot", json={"email": new_email})
    assert forgot.status_code == 202
    [reset_mail] = await smtp.wait_for(new_email, subject="Reset your")
    reset_token = token_of(link_in(reset_mail, "/reset"))
    weak = await http.post("/auth/password/reset", json={"token": reset_token, "new_password": "x"})
    assert error_of(weak)["fields"]["new_password"]
    reset = {"token": reset_token, "new_password": PASSWORD + "?"}
    assert (await http.post("/auth/password/reset", json=reset)).status_code == 204
    assert (await http.get("/auth/user/me", headers=auth)).status_code == 401
    unknown = await http.post("/auth/password/reset", json=reset)
    assert error_of(unknown)["code"] == "token_invalid"


async def walk_passkeys(http: httpx.AsyncClient) -> None:
    """Register a passkey with a software authenticator, log in with it, rename, remove."""
    made = await http.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
    http.cookies.clear()
    auth = bearer(made.json())
    device = SoftAuthenticator(PASSKEY_ORIGIN)
    options = await http.post("/auth/passkeys/register/options", headers=auth)
    assert options.status_code == 200
    empty = await http.post("/auth/passkeys/register/verify", json={"credential": {}}, headers=auth)
    assert error_of(empty)["code"] == "passkey_malformed"
    answer = {"credential": device.create(options.json()), "name": "Phone"}
    added = await http.post("/auth/passkeys/register/verify", json=answer, headers=auth)
    assert added.status_code == 201
    passkey_id = added.json()["id"]

    login_options = await http.post("/auth/passkeys/login/options")
    assert login_options.status_code == 200
    signed = {"credential": device.get(login_options.json())}
    assert (await http.post("/auth/passkeys/login/verify", json=signed)).status_code == 200
    replayed = await http.post("/auth/passkeys/login/verify", json=signed)
    assert error_of(replayed)["code"] == "passkey_challenge_invalid"
    http.cookies.clear()

    assert len((await http.get("/auth/passkeys", headers=auth)).json()["passkeys"]) == 1
    reauth = await http.post("/auth/passkeys/reauth/options", headers=auth)
    confirmed = await http.post(
        "/auth/reauth", json={"passkey": device.get(reauth.json())}, headers=auth
    )
    assert confirmed.json()["method"] == "passkey"
    url = f"/auth/passkeys/{passkey_id}"
    assert (await http.patch(url, json={"name": "Old phone"}, headers=auth)).status_code == 200
    missing = await http.patch(f"/auth/passkeys/{uuid.uuid4()}", json={"name": "x"}, headers=auth)
    assert missing.status_code == 404
    wrong = await http.request("DELETE", url, json={"current_password": "nope"}, headers=auth)
    assert wrong.status_code == 422
    removed = await http.request("DELETE", url, json={"current_password": PASSWORD}, headers=auth)
    assert removed.status_code == 204


async def walk_security(http: httpx.AsyncClient) -> None:
    """The authenticator app, a login with it, re-authentication and access tokens."""
    email = unique_email()
    made = await http.post("/auth/register", json={"email": email, "password": PASSWORD})
    http.cookies.clear()
    auth = bearer(made.json())
    assert (await http.get("/auth/mfa", headers=auth)).json()["totp"] is False
    setup = await http.post("/auth/mfa/totp/setup", json={}, headers=auth)
    assert setup.status_code == 200 and setup.json()["qr_svg"].startswith("<svg")
    secret = setup.json()["secret"]
    wrong = await http.post("/auth/mfa/totp/confirm", json={"code": "12345"}, headers=auth)
    assert error_of(wrong)["code"] == "code_invalid"
    confirmed = await http.post(
        "/auth/mfa/totp/confirm", json={"code": totp_code(secret)}, headers=auth
    )
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert (await http.post("/auth/mfa/totp/setup", headers=auth)).status_code == 409

    asked = await http.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert error_of(asked)["code"] == "mfa_required"
    mfa_token = error_of(asked)["mfa_token"]
    expired = await http.post("/auth/login/mfa", json={"mfa_token": "x" * 43, "code": "000000"})
    assert error_of(expired)["code"] == "mfa_token_invalid"
    done = await http.post(
        "/auth/login/mfa", json={"mfa_token": mfa_token, "code": totp_code(secret, 1)}
    )
    assert done.status_code == 200
    http.cookies.clear()
    auth = bearer(done.json())
    renewed = await http.post(
        "/auth/mfa/recovery-codes", json={"current_password": PASSWORD}, headers=auth
    )
    codes = renewed.json()["recovery_codes"]
    again = await http.post("/auth/reauth", json={"code": codes[0]}, headers=auth)
    assert again.json() == {"method": "recovery_code", "valid_for": 300}
    used = await http.post("/auth/reauth", json={"code": codes[0]}, headers=auth)
    assert error_of(used)["code"] == "code_reused"

    token = await http.post(
        "/auth/tokens", json={"name": "backup script", "scopes": ["profile:read"]}, headers=auth
    )
    assert token.status_code == 201 and token.json()["token"].startswith("gcp_")
    script = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (await http.get("/auth/user/me", headers=script)).status_code == 200
    refused = await http.get("/auth/tokens", headers=script)
    assert error_of(refused)["code"] == "insufficient_scope"
    listed = await http.get("/auth/tokens", headers=auth)
    assert listed.json()["tokens"][0]["last_used_at"] is not None
    bad = await http.post("/auth/tokens", json={"name": "x", "scopes": ["admin"]}, headers=auth)
    assert bad.status_code == 422
    url = f"/auth/tokens/{token.json()['id']}"
    assert (await http.delete(url, headers=auth)).status_code == 204
    assert (await http.delete(url, headers=auth)).status_code == 404
    assert (await http.get("/auth/user/me", headers=script)).status_code == 401

    off = {"current_password": PASSWORD, "code": codes[1]}
    assert (
        await http.request("DELETE", "/auth/mfa/totp", json=off, headers=auth)
    ).status_code == 204
