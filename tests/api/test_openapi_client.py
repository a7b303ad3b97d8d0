"""A frontend's view: generate a Python client from the live document and use it end to end."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from gamecoll.config import PROJECT_ROOT
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, unique_email
from tests.images import noisy_jpeg

CONFIG = PROJECT_ROOT / "docs" / "clients" / "openapi-python-client.yml"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "gamecoll_client"


async def generate_client(live: LiveApp, folder: Path) -> Any:
    """Run openapi-python-client on the live document; fail on any warning; import it."""
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = await asyncio.create_subprocess_exec(
        str(GENERATOR),
        "generate",
        "--url",
        f"{live.url}/openapi.json",
        "--config",
        str(CONFIG),
        "--meta",
        "none",
        "--output-path",
        str(folder / PACKAGE),
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "warning" not in text.lower(), text
    assert "error" not in text.lower(), text
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]  # the other database's run generated one too
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
async def client_package(live: LiveApp, tmp_path: Path) -> Any:
    return await generate_client(live, tmp_path)


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_generated_client_drives_a_whole_session(live: LiveApp, client_package: Any) -> None:
    async with contextlib.AsyncExitStack() as clients:  # each client closes its connections
        await whole_session(live, client_package, clients)


async def whole_session(live: LiveApp, client_package: Any, clients: Any) -> None:
    api = "api."
    models = module("models")
    types = module("types")
    anonymous = await clients.enter_async_context(
        client_package.Client(base_url=live.url, raise_on_unexpected_status=True)
    )
    email = unique_email()

    registered = await module(api + "auth.register").asyncio(
        client=anonymous, body=models.RegisterRequest(email=email, password=PASSWORD)
    )
    assert isinstance(registered, models.TokenResponse) and registered.user.email == email
    tokens = await module(api + "auth.login").asyncio(
        client=anonymous, body=models.LoginRequest(email=email, password=PASSWORD)
    )
    assert isinstance(tokens, models.TokenResponse) and tokens.token_type == "bearer"
    wrong = await module(api + "auth.login").asyncio(
        client=anonymous, body=models.LoginForm(username=email, password="not the password")
    )
    assert isinstance(wrong, models.Error) and wrong.error.code == "invalid_credentials"

    user = await clients.enter_async_context(
        client_package.AuthenticatedClient(base_url=live.url, token=tokens.access_token)
    )
    me = await module(api + "account.get_me").asyncio(client=user)
    assert isinstance(me, models.User) and me.email == email and me.id == registered.user.id
    endpoint = "http://192.168.1.20:8000"
    changed = await module(api + "account.set_gpu_endpoint").asyncio(
        client=user, body=models.GpuEndpointRequest(gpu_endpoint=endpoint)
    )
    assert isinstance(changed, models.User) and changed.gpu_endpoint == endpoint

    photo = types.File(payload=BytesIO(noisy_jpeg(640, 480)), file_name="cart.jpg")
    created = await module(api + "collection.create_item").asyncio(
        client=user, body=models.ItemCreateForm(name="Chrono Trigger", platform="SNES", image=photo)
    )
    assert isinstance(created, models.Item) and created.image is not None
    assert created.image.content_type == "image/jpeg" and created.image.width == 640
    second = await module(api + "collection.create_item").asyncio(
        client=user, body=models.ItemCreateRequest(name="Earthbound")
    )
    assert isinstance(second, models.Item) and second.image is None

    list_items = module(api + "collection.list_items")
    first_page = await list_items.asyncio(client=user, limit=1)
    assert isinstance(first_page, models.ItemPage)
    assert [item.name for item in first_page.items] == ["Earthbound"]
    assert isinstance(first_page.next_cursor, str)
    next_page = await list_items.asyncio(client=user, limit=1, cursor=first_page.next_cursor)
    assert [item.id for item in next_page.items] == [created.id]
    refused = await list_items.asyncio(client=user, limit=0)
    assert isinstance(refused, models.Error) and refused.error.code == "validation_error"

    thumbnail = await module(api + "collection.get_item_thumbnail").asyncio_detailed(
        created.id, client=user
    )
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    data = thumbnail.parsed.payload.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"

    deleted = await module(api + "collection.delete_item").asyncio_detailed(created.id, client=user)
    assert deleted.status_code == 204 and deleted.parsed is None
    missing = await module(api + "collection.get_item").asyncio(created.id, client=user)
    assert isinstance(missing, models.Error) and missing.error.code == "not_found"

    refreshed = await module(api + "auth.refresh_tokens").asyncio(
        client=await clients.enter_async_context(client_package.Client(base_url=live.url)),
        body=models.RefreshRequest(refresh_token=tokens.refresh_token),
    )
    assert isinstance(refreshed, models.TokenResponse)
    assert refreshed.refresh_token != tokens.refresh_token
    fresh = await clients.enter_async_context(
        client_package.AuthenticatedClient(base_url=live.url, token=refreshed.access_token)
    )
    logged_out = await module(api + "auth.logout").asyncio_detailed(client=fresh)
    assert logged_out.status_code == 204
    after = await module(api + "account.get_me").asyncio(client=fresh)
    assert isinstance(after, models.Error) and after.error.code == "invalid_token"
