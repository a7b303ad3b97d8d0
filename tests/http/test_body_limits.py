"""Every route refuses a body over its limit from the head alone; forms are counted first."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gamecoll.http.forms import FORM_FIELDS_MAX
from gamecoll.http.limits import SMALL_BODY
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, error_of, register
from tests.images import noisy_jpeg
from tests.rawhttp import send_raw
from tests.web.conftest import new_member, visitor_client

FORM = (b"Content-Type", b"application/x-www-form-urlencoded")
MILLION_FIELDS = 9_900_000  # 1,000,000 fields of `a=&` and more: the size of the probe's body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (b"POST", b"/auth/login"),
        (b"POST", b"/auth/register"),
        (b"POST", b"/auth/refresh"),
        (b"PUT", b"/auth/password"),
        (b"POST", b"/login"),
        (b"POST", b"/register"),
        (b"GET", b"/healthz"),
    ],
)
async def test_an_oversized_body_is_refused_before_it_is_sent(
    live: LiveApp, method: bytes, path: bytes
) -> None:
    # Only the head goes out: the answer cannot wait for (or read) the 9.9 MB it announces.
    answer = await send_raw(
        live,
        path,
        method=method,
        headers=[FORM],
        body=b"a=&" * (MILLION_FIELDS // 3),
        send_body=False,
    )
    assert answer.status == 413
    if path.startswith(b"/auth") or path == b"/healthz":
        error = answer.json()["error"]
        assert error["code"] == "payload_too_large"
        assert error["message"] == (
            "The request body is 9.44 MiB; this endpoint takes at most 64 KiB."
        )
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert b"64 KiB" in answer.body


async def test_the_server_keeps_answering_after_refusing(
    live: LiveApp, client: httpx.AsyncClient
) -> None:
    refusals = [
        send_raw(live, b"/auth/login", method=b"POST", headers=[FORM], body=b"a=&" * 3_300_000)
        for _ in range(4)
    ]
    answers = await asyncio.gather(*refusals)
    assert [answer.status for answer in answers] == [413] * 4
    assert (await client.get("/healthz")).status_code == 200


async def test_a_chunked_body_stops_at_the_limit(live: LiveApp) -> None:
    host, port = live.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        chunk = b"a=&" * 10_000
        for _ in range(SMALL_BODY // len(chunk) + 2):
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), 30)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"this endpoint takes at most 64 KiB" in body


async def test_a_body_within_the_limit_still_works(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    email = tokens["user"]["email"]
    padded = {"username": email, "password": PASSWORD, "scope": "x" * (SMALL_BODY - 500)}
    response = await client.post("/auth/login", data=padded)
    assert response.status_code == 200, response.text


async def test_too_many_form_fields_are_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    body = b"&".join(b"f%d=1" % index for index in range(FORM_FIELDS_MAX + 1))
    assert len(body) < SMALL_BODY
    response = await client.post(
        "/auth/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert error_of(response)["message"] == f"The form has more than {FORM_FIELDS_MAX} fields."


async def test_too_many_multipart_parts_are_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    part = b'--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\n1\r\n'
    body = part * (FORM_FIELDS_MAX + 1) + b"--XyZ--\r\n"
    response = await client.post(
        "/auth/login", content=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    assert response.status_code == 413
    assert error_of(response)["message"] == f"The form has more than {FORM_FIELDS_MAX} parts."


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"username=\xff\xfe&password=x", "application/x-www-form-urlencoded", "not valid UTF-8"),
        (
            b"--b\r\nno header colon\r\n\r\nx\r\n--b--",
            "multipart/form-data; boundary=b",
            "malformed",
        ),
        (b"whatever", "multipart/form-data", "no boundary"),
    ],
)
async def test_malformed_forms_are_400(
    client: httpx.AsyncClient, content: bytes, content_type: str, message: str
) -> None:
    response = await client.post(
        "/auth/login", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert message in error_of(response)["message"]


async def test_item_text_and_image_routes_keep_their_larger_limits(
    client: httpx.AsyncClient,
) -> None:
    tokens = await register(client)
    notes = "é" * 5000  # 10 kB of UTF-8: within the item limit, over nothing
    created = await client.post(
        "/collection/items", json={"name": "Ys", "notes": notes}, headers=bearer(tokens)
    )
    assert created.status_code == 201, created.text
    big = await client.post(
        "/collection/items",
        json={"name": "Ys", "metadata": {"k": "v" * (SMALL_BODY * 2)}},
        headers=bearer(tokens),
    )
    # Over 64 KiB but inside the item's 1 MiB JSON limit: judged by the metadata rule (16 KiB).
    assert big.status_code == 422
    assert "metadata" in error_of(big)["fields"]


async def test_the_gallery_upload_takes_photos_and_the_edit_form_long_notes(
    live: LiveApp,
) -> None:
    async with visitor_client(live) as http:
        member = await new_member(live, http)
        photo = noisy_jpeg(300, 300)
        assert len(photo) > SMALL_BODY
        upload = await member.form(
            "/gallery",
            {"name": "Ys", "platform": "PC Engine"},
            files=[("images", ("ys.jpg", photo, "image/jpeg"))],
        )
        assert upload.status_code == 303, upload.text[:300]
        items = await http.get("/collection/items", headers=bearer(member.tokens))
        item = items.json()["items"][0]
        assert item["image"] is not None
        notes = "🎮" * 5000  # 60 kB once percent-encoded, beside the other fields
        saved = await member.form(f"/gallery/{item['id']}", {"name": "🎮" * 200, "notes": notes})
        assert saved.status_code == 303, saved.text[:300]
