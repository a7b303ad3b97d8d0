"""The collection's items: list, create, show, change, delete (images: item_images.py)."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, Request

from gamecoll.api.docs import Answer, Body, Param, links_with, operation
from gamecoll.api.duplicates import ALLOW_DUPLICATE, DUPLICATE_TEXT
from gamecoll.api.item_list_schemas import (
    CURSOR,
    LIMIT,
    LIMIT_TEXT,
    PLATFORM,
    QUERY,
    SEARCH_TEXT,
    SORT_TEXT,
    TAG_FILTER,
    choice,
)
from gamecoll.api.item_schemas import ItemCreateIn, ItemOut, ItemPageOut, ItemPatchIn
from gamecoll.api.item_uploads import read_body_within_limit, read_upload
from gamecoll.errors import ValidationFailed
from gamecoll.http.body import json_data, validate
from gamecoll.http.guard import authenticated, principal
from gamecoll.http.responses import json_text, no_content, page_json, private_json
from gamecoll.services.item_details import COMPLETENESS, REGIONS, STATUSES
from gamecoll.services.item_json import ITEMS_PATH, item_json, item_url
from gamecoll.services.item_lists import SORTS, clean_list_params
from gamecoll.services.item_rules import ItemFields, clean_changes, clean_limit
from gamecoll.services.items import ItemService

bp = Blueprint("items", url_prefix=ITEMS_PATH)
bp.on_request(read_body_within_limit)

NO_ITEM = "No such item of yours"
BAD_IMAGE = "Not JSON or a form, or the image is not JPEG, PNG, WebP or GIF"
ITEM_OPERATIONS = (
    "getItem",
    "updateItem",
    "setItemImage",
    "getItemImage",
    "getItemImageRaw",
    "getItemThumbnail",
    "deleteItemImage",
    "deleteItem",
)


@bp.get("")
@operation(
    "listItems",
    tag="collection",
    params=(
        Param("limit", LIMIT, LIMIT_TEXT),
        Param("cursor", CURSOR, "`next_cursor` of the previous page; absent or empty: the first."),
        Param("q", QUERY, SEARCH_TEXT),
        Param("platform", PLATFORM, "Exactly this platform (any case)."),
        Param("status", choice(STATUSES), "Only items with this status."),
        Param("region", choice(REGIONS), "Only items of this region."),
        Param("completeness", choice(COMPLETENESS), "Only items this complete."),
        Param("tag", TAG_FILTER, "Only items with this tag (any case); repeat: with every one."),
        Param("sort", choice(SORTS), SORT_TEXT),
    ),
    answers={200: (ItemPageOut, "A page of items, in the list's order")},
    errors={422: "A bad limit, cursor, filter, sort or search"},
    auth=True,
    scopes=("collection:read",),
)
@authenticated
async def list_items(request: Request, items: ItemService) -> HTTPResponse:
    """List the user's items a page at a time: filtered, sorted or searched."""
    args = request.get_args(keep_blank_values=True)  # an empty `limit=` is refused, not ignored
    user_id, limit, cursor = (
        principal(request).user.id,
        clean_limit(args.get("limit")),
        args.get("cursor"),
    )
    params = clean_list_params(args)
    made = await items.page_json(user_id=user_id, params=params, limit=limit, cursor=cursor)
    if made is not None:
        return page_json("items", made.items, made.next_cursor)
    page = await items.page(user_id=user_id, params=params, limit=limit, cursor=cursor)
    return page_json("items", (json_text(item_json(i)) for i in page.items), page.next_cursor)


@bp.post("", stream=True, ctx_body="image")
@operation(
    "createItem",
    tag="collection",
    params=(ALLOW_DUPLICATE,),
    body=Body(ItemCreateIn, multipart="ItemCreateForm"),
    answers={
        201: Answer(
            ItemOut,
            "The new item",
            {"Location": {"type": "string"}},
            links_with("item_id", "$response.body#/id", *ITEM_OPERATIONS),
        ),
    },
    errors={
        409: DUPLICATE_TEXT,
        413: "The body or the image is too large",
        415: BAD_IMAGE,
        422: "A field is not valid, or the image is damaged or too big",
        503: "The database or the image storage is unavailable; nothing was saved",
        507: "The image storage is full; nothing was saved",
    },
    auth=True,
    scopes=("collection:write", "images:upload"),
)
@authenticated
async def create_item(request: Request, items: ItemService) -> HTTPResponse:
    """Add an item, with an optional image (base64 in JSON, or a multipart file part).

    An access token with `images:upload` but not `collection:write` must send an image.
    """
    who = principal(request)
    photo_only = who.scopes is not None and "collection:write" not in who.scopes
    upload = await read_upload(request, items, image_required=photo_only)
    fields = ItemFields.clean(validate(ItemCreateIn, upload.fields).model_dump())
    item = await items.create(
        user_id=who.user.id,
        fields=fields,
        image=upload.image,
        allow_duplicate=upload.allow_duplicate,
    )
    response = private_json(item_json(item), status=201)
    response.headers["location"] = item_url(item)
    return response


@bp.get("/<item_id:uuid>")
@operation(
    "getItem",
    tag="collection",
    answers={200: (ItemOut, "The item")},
    errors={404: NO_ITEM},
    auth=True,
    scopes=("collection:read",),
)
@authenticated
async def get_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Show one item."""
    item = await items.get(user_id=principal(request).user.id, item_id=item_id)
    return private_json(item_json(item))


@bp.patch("/<item_id:uuid>", stream=True, ctx_body="json")
@operation(
    "updateItem",
    tag="collection",
    body=Body(ItemPatchIn),
    answers={200: (ItemOut, "The changed item")},
    errors={404: NO_ITEM},
    auth=True,
    scopes=("collection:write",),
)
@authenticated
async def update_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Change an item's fields (only those sent; null sets a field's default)."""
    item = await items.get(user_id=principal(request).user.id, item_id=item_id)
    data = json_data(request)
    model = validate(ItemPatchIn, data)
    if "image" in data:
        message = "Change the image with PUT /collection/items/{item_id}/image."
        raise ValidationFailed(message, fields={"image": message})
    changes = clean_changes(model.model_dump(include=model.model_fields_set))
    return private_json(item_json(await items.update(item=item, changes=changes)))


@bp.delete("/<item_id:uuid>")
@operation(
    "deleteItem",
    tag="collection",
    answers={204: (None, "Deleted, with its image files")},
    errors={404: NO_ITEM},
    auth=True,
    scopes=("collection:write",),
)
@authenticated
async def delete_item(request: Request, item_id: uuid.UUID, items: ItemService) -> HTTPResponse:
    """Delete an item and its image files."""
    await items.delete(user_id=principal(request).user.id, item_id=item_id)
    return no_content()
