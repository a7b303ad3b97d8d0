"""The OpenAPI document says what the server does: every route's real answers match it."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
from openapi_spec_validator import validate

from tests.api.openapi_contract import Contract
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, unique_email
from tests.images import plain_jpeg, png_with_alpha
from tests.mailbox import SmtpServer, app_env, link_in, smtp, token_of

__all__ = ["app_env", "smtp"]  # the contract's app sends its mail to a real SMTP server

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
    swap = await http.put(
        f"{url}/image", files={"image": ("a.png", png_with_alpha(), "image/png")}, headers=auth
    )
    assert swap.json()["image"]["content_type"] == "image/png"
    png = await http.get(f"{url}/image/raw", headers=auth)
    assert png.headers["content-type"] == "image/png"
    assert (await http.delete(f"{url}/image", headers=auth)).status_code == 204
    assert (await http.get(f"{url}/thumbnail", headers=auth)).status_code == 404
    assert (await http.get(f"{url}/display", headers=auth)).status_code == 404
    assert (await http.delete(url, headers=auth)).status_code == 204
    assert (await http.get(url, headers=auth)).status_code == 404
    assert (await http.get(f"{ITEMS}/not-a-uuid", headers=auth)).status_code == 404


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
