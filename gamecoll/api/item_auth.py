"""Authentication that reads the requested item in the same round trip (the image routes)."""

from __future__ import annotations

import uuid

from sanic import Request

from gamecoll.http.guard import authenticate_reading
from gamecoll.models import Item
from gamecoll.models.item_access import ITEM_WITH_SESSION, item_of, item_values
from gamecoll.services.sessions import ExtendedCheck, Principal


async def authenticate_with_item(
    request: Request, item_id: uuid.UUID
) -> tuple[Principal, Item | None]:
    """Authenticate, and with a bearer token read the user's item in the same query.

    Cookie requests (which may need a refresh) authenticate as usual and get None: the
    caller reads the item itself, as it does when the item is not the user's.
    """
    check = ExtendedCheck(ITEM_WITH_SESSION, item_values(item_id))
    found, row = await authenticate_reading(request, check)
    return found, None if row is None else item_of(row)
