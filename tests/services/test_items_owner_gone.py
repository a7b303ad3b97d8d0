"""An upload that loses its account half-way answers 401 and keeps no files."""

from __future__ import annotations

import uuid

import httpx
import pytest

from gamecoll.errors import NotAuthenticated
from gamecoll.services.item_rules import ItemFields
from gamecoll.services.items import ItemService
from tests.conftest import LiveApp
from tests.helpers import PASSWORD, bearer, register
from tests.images import plain_jpeg


async def test_an_item_for_an_account_deleted_meanwhile(
    live: LiveApp, client: httpx.AsyncClient
) -> None:
    tokens = await register(client)
    # The upload was authenticated; then the account went, before the row was written.
    deleted = await client.request(
        "DELETE", "/auth/user/me", json={"password": PASSWORD}, headers=bearer(tokens)
    )
    assert deleted.status_code == 204
    items: ItemService = live.app.ctx.services.items
    with pytest.raises(NotAuthenticated, match="no longer exists"):
        await items.create(
            user_id=uuid.UUID(tokens["user"]["id"]),
            fields=ItemFields.clean({"name": "Chrono Trigger"}),
            image=plain_jpeg(),
        )
    left = [path for path in live.settings.image_dir.rglob("*") if path.is_file()]
    assert left == []
