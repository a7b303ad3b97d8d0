"""How the gallery's pages see an item: cards, the detail view, filters and notices."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote, unquote

from sanic import HTTPResponse, Request

from gamecoll.http.limits import size_text
from gamecoll.models import Item
from gamecoll.services.image_checks import ACCEPTED_CONTENT_TYPES
from gamecoll.services.item_json import image_json
from gamecoll.services.item_rules import (
    NAME_MAX,
    NOTES_MAX,
    PLATFORM_MAX,
    QUERY_MAX,
)
from gamecoll.services.renditions import DISPLAY_SIZE, THUMB_SIZE, fit
from gamecoll.web.gallery_filters import list_params, list_query
from gamecoll.web.item_details import details_view

LIMITS: Final = {"name": NAME_MAX, "platform": PLATFORM_MAX, "notes": NOTES_MAX, "q": QUERY_MAX}
ACCEPT: Final = ",".join(ACCEPTED_CONTENT_TYPES)
UPLOAD_FIELD: Final = "images"
# A duplicate photo on the pages: the API's message names a query flag people do not see.
DUPLICATE_PAGE_TEXT: Final = "You already have this photo in your collection."
PHOTO_FIELD: Final = "image"
# Grid cards are at most about 300 CSS px wide: the 400 px thumbnail, or the 800 px one on
# dense screens.
CARD_SIZES: Final = "(max-width: 520px) 46vw, 300px"
DETAIL_SIZES: Final = "(max-width: 760px) 100vw, 640px"
# A one-time notice for the next page (a game added or deleted), so a reload does not repeat it.
NOTICE_COOKIE: Final = "gamecoll_notice"
NOTICE_MAX: Final = 300


filters_of = list_params  # the list's filters, search and sort (gallery_filters.py)
query = list_query


def card(item: Item, *, filters: str = "", eager: bool = False) -> dict[str, Any]:
    """Shape an item for a grid card: thumbnails as a `srcset`, sizes for width/height."""
    image = image_json(item)
    size = (item.image_width or THUMB_SIZE, item.image_height or THUMB_SIZE)
    width, height = fit(size, THUMB_SIZE)
    srcset = ""
    if image:
        srcset = f"{image['thumbnail_url']} {width}w"
        wide = fit(size, THUMB_SIZE * 2)[0]
        if image["thumbnail_2x_url"] and wide > width:
            srcset += f", {image['thumbnail_2x_url']} {wide}w"
    return {
        "id": str(item.id),
        "name": item.name,
        "platform": item.platform,
        "href": f"/gallery/{item.id}{filters}",
        "delete": f"/gallery/{item.id}/delete{filters}",
        "thumb": image["thumbnail_url"] if image else None,
        "srcset": srcset,
        "sizes": CARD_SIZES,
        "width": width,
        "height": height,
        "eager": eager,
    }


def detail(item: Item) -> dict[str, Any]:
    """Shape an item for the detail view: the display rendition, the original for zoom."""
    image = image_json(item)
    photo: dict[str, Any] | None = None
    if image:
        width, height = int(item.image_width or 1), int(item.image_height or 1)
        shown_width, shown_height = fit((width, height), DISPLAY_SIZE)
        display = image["display_url"]
        srcset = f"{image['raw_url']} {width}w"
        if display and (shown_width, shown_height) != (width, height):
            srcset = f"{display} {shown_width}w, {srcset}"  # the original only for zoom
        elif display:
            srcset = f"{display} {width}w"  # as large as the original: never fetch that
        photo = {
            "src": display or image["raw_url"],
            "srcset": srcset,
            "sizes": DETAIL_SIZES,
            "raw": image["raw_url"],
            "width": shown_width if display else width,
            "height": shown_height if display else height,
            "original_width": width,
            "original_height": height,
            "size": size_text(int(item.image_size or 0)),
        }
    return {
        "id": str(item.id),
        "name": item.name,
        "platform": item.platform,
        "notes": item.notes,
        "created": item.created_at.strftime("%Y-%m-%d"),
        "created_iso": item.created_at.isoformat(),
        "image": photo,
        "details": details_view(item),
    }


def max_image_text(max_bytes: int) -> str:
    """Say the per-photo limit for people, in the unit every message uses (MiB)."""
    return size_text(max_bytes)


def added_message(count: int) -> str:
    """Say how many games were added."""
    return "Added 1 game." if count == 1 else f"Added {count} games."


def set_notice(response: HTTPResponse, request: Request, text: str) -> HTTPResponse:
    """Carry a message to the next page only (a reload of that page does not repeat it)."""
    response.add_cookie(
        NOTICE_COOKIE,
        quote(text[:NOTICE_MAX], safe=""),
        path="/gallery",
        max_age=120,
        httponly=True,
        samesite="Lax",
        secure=request.scheme == "https",
    )
    return response


def take_notice(request: Request) -> str:
    """Return the one-time message the previous answer left ('' when none)."""
    raw = request.cookies.get(NOTICE_COOKIE) or ""
    text = unquote(raw)[:NOTICE_MAX]
    return "".join(c for c in text if c.isprintable())


def clear_notice(response: HTTPResponse, request: Request) -> HTTPResponse:
    """Drop the one-time message once it has been shown."""
    if request.cookies.get(NOTICE_COOKIE):
        response.delete_cookie(NOTICE_COOKIE, path="/gallery")
    return response
