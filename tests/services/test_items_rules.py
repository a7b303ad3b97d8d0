"""The collection's pure rules: field cleaning, cursors, body limits, ETag matching."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from gamecoll.api.item_images import etag_matches
from gamecoll.api.item_uploads import UPLOAD_OVERHEAD, body_limit
from gamecoll.config import load_settings
from gamecoll.errors import ValidationFailed
from gamecoll.models.item_lists import orders
from gamecoll.models.keyset import InvalidCursor
from gamecoll.services.item_rules import (
    METADATA_MAX_BYTES,
    ItemFields,
    clean_changes,
    clean_filter,
    clean_limit,
    clean_metadata,
    clean_name,
    clean_notes,
    clean_platform,
)
from tests.conftest import base_env


def field_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return next(iter(exc.value.fields))


def test_name_is_trimmed_and_between_1_and_200_characters() -> None:
    assert clean_name("  Chrono Trigger \t") == "Chrono Trigger"
    assert clean_name("é" * 200) == "é" * 200
    for bad in ("", "   ", "x" * 201, "a\x00b", "a\nb", "a\x7fb", "\ud800", None, 3):
        with pytest.raises(ValidationFailed) as exc:
            clean_name(bad)
        assert field_of(exc) == "name"


def test_nul_gets_its_own_message() -> None:
    with pytest.raises(ValidationFailed, match="NUL"):
        clean_name("Zel\x00da")


def test_platform_and_notes() -> None:
    assert clean_platform(None) == ""
    assert clean_platform("  SNES ") == "SNES"
    assert clean_notes(None) == ""
    assert clean_notes(" line 1\n\tline 2\r\n ") == "line 1\n\tline 2"
    for bad in ("p" * 101, "a\tb", 5):
        with pytest.raises(ValidationFailed):
            clean_platform(bad)
    for bad in ("n" * 5001, "a\x00b", "a\x1bb"):
        with pytest.raises(ValidationFailed):
            clean_notes(bad)


def test_metadata_is_a_json_object_of_at_most_16_kib() -> None:
    assert clean_metadata(None) == {}
    fits = {"k": "v" * (METADATA_MAX_BYTES - 8)}
    assert len(json.dumps(fits, separators=(",", ":")).encode()) == METADATA_MAX_BYTES
    assert clean_metadata(fits) == fits
    deep: Any = "leaf"
    for _ in range(31):  # with the outer object: 32 levels
        deep = [deep]
    assert clean_metadata({"d": deep}) == {"d": deep}
    too_deep: Any = "leaf"
    for _ in range(40):
        too_deep = {"x": too_deep}
    for bad in (
        [],
        "text",
        {"k": "v" * (METADATA_MAX_BYTES - 7)},
        {"k": "é" * (METADATA_MAX_BYTES // 2)},  # bytes, not characters
        {"k": float("nan")},
        {"k": [float("-inf")]},
        {"k": "\x00"},
        {"\x00": 1},
        {"k": "\udc80"},
        too_deep,
    ):
        with pytest.raises(ValidationFailed) as exc:
            clean_metadata(bad)
        assert field_of(exc) == "metadata"


def test_item_fields_and_changes() -> None:
    fields = ItemFields.clean({"name": " A ", "metadata": {"x": 1}})
    assert fields == ItemFields(name="A", platform="", notes="", metadata={"x": 1})
    assert clean_changes({}) == {}
    assert clean_changes({"platform": None, "other": 1}) == {"platform": ""}
    with pytest.raises(ValidationFailed):
        clean_changes({"name": None})


def test_limit_and_filters() -> None:
    assert clean_limit(None) == 50
    assert clean_limit("1") == 1
    assert clean_limit(" 100 ") == 100
    assert clean_limit("007") == 7
    for bad in ("", " ", "0", "101", "-5", "1.5", "ten", "1e2", "²", "٣", "1" * 5000):
        with pytest.raises(ValidationFailed):
            clean_limit(bad)
    assert clean_filter("  ", "q", 10) is None
    assert clean_filter(" mario ", "q", 10) == "mario"
    with pytest.raises(ValidationFailed):
        clean_filter("x" * 11, "q", 10)
    with pytest.raises(ValidationFailed):
        clean_filter("a\x00", "q", 10)


ADDED = orders("sqlite")["added"]
BY_NAME = orders("postgres")["name"]


def test_cursor_round_trip_is_exact_and_opaque() -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    item_id = uuid.uuid4()
    cursor = ADDED.encode([created, item_id])
    assert str(item_id) not in cursor
    assert all(c.isalnum() or c in "-_" for c in cursor)  # URL-safe, no padding
    assert ADDED.decode(cursor) == [created, item_id]
    whole_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ADDED.decode(ADDED.encode([whole_second, item_id]))[0] == whole_second
    folded = "straße ｚｅｌｄａ " * 40  # noqa: RUF001 - fullwidth on purpose
    assert BY_NAME.decode(BY_NAME.encode([folded, item_id])) == [folded, item_id]


def test_a_cursor_belongs_to_its_order() -> None:
    cursor = ADDED.encode([datetime(2026, 1, 2, tzinfo=UTC), uuid.uuid4()])
    with pytest.raises(InvalidCursor):
        orders("sqlite")["-added"].decode(cursor)


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("order", "cursor"),
    [
        ("added", ""),
        ("added", "%%%"),
        ("added", "A" * 6001),
        ("added", _b64({"a": 1})),
        ("added", _b64(["added", "2026-01-01T00:00:00+00:00"])),
        ("added", _b64(["added", "2026-01-01T00:00:00", str(uuid.uuid4())])),  # no time zone
        ("added", _b64(["added", "yesterday", str(uuid.uuid4())])),
        ("added", _b64(["added", "2026-01-01T00:00:00+00:00", "not-a-uuid"])),
        ("added", _b64(["added", 1, 2])),
        ("added", _b64(["2026-01-01T00:00:00+00:00", str(uuid.uuid4())])),  # no order's name
        ("added", base64.urlsafe_b64encode(b"\xff\xfe").decode()),
        ("price", _b64(["price", 2**63, str(uuid.uuid4())])),
        ("price", _b64(["price", True, str(uuid.uuid4())])),
        ("name", _b64(["name", 5, str(uuid.uuid4())])),
    ],
)
def test_bad_cursors_are_refused(order: str, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        orders("postgres")[order].decode(cursor)


def test_body_limits_follow_the_image_limit() -> None:
    settings = load_settings(base_env(MAX_IMAGE_BYTES="3000"), dotenv=None)
    json_limit, json_text = body_limit(settings, "image", "application/json")
    assert json_limit == 4000 + UPLOAD_OVERHEAD  # base64 of 3000 bytes is 4000 characters
    assert "base64" in json_text
    form_limit, form_text = body_limit(settings, "image", "multipart/form-data")
    assert form_limit == 3000 + UPLOAD_OVERHEAD
    assert "base64" not in form_text
    assert body_limit(settings, "json", "application/json")[0] == settings.request_max_json_bytes
    # Sanic's own cap (REQUEST_MAX_SIZE) never cuts a body the route accepts.
    assert json_limit <= max(settings.request_max_size, json_limit)


def test_etag_matching() -> None:
    etag = '"abc"'
    assert etag_matches('"abc"', etag)
    assert etag_matches('W/"abc"', etag)
    assert etag_matches('"x", "abc"', etag)
    assert etag_matches("*", etag)
    assert not etag_matches(None, etag)
    assert not etag_matches("", etag)
    assert not etag_matches('"abcd"', etag)
    assert not etag_matches("abc", etag)
