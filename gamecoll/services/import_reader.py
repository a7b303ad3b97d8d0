"""Read an uploaded collection file (JSON, CSV or ZIP) row by row, in bounded memory.

The file is on disk (the request body was written there as it arrived). Nothing is read whole:

- JSON (`{"items": [...]}` as exported, or a bare list) is decoded one item at a time, each
  item at most ROW_MAX_BYTES;
- CSV is read a line at a time; it must be UTF-8 (a byte-order mark is allowed);
- a ZIP is checked before any entry is read: at most MAX_ENTRIES entries, each photo at most
  the image limit and `collection.json` at most COLLECTION_MAX_BYTES as declared, and no entry
  declaring more than MAX_RATIO times its compressed size (zip bombs); reads then stop at the
  declared size, so an entry lying about its size fails its check instead of filling memory.

Whatever is wrong with the file as a whole is a ValidationFailed (422) saying what and where;
what is wrong with one row is that row's refusal, reported by the import.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from gamecoll.errors import AppError
from gamecoll.services.exchange_format import (
    COLLECTION_FILE,
    PHOTO_COLUMNS,
    PHOTO_KEYS,
    CellError,
)
from gamecoll.services.item_forms import form_item_values
from gamecoll.services.item_rules import ITEM_FIELDS
from gamecoll.services.json_items import JsonItems, bad_file

IMPORT_FORMATS: Final = ("json", "csv", "zip")
MAX_ROWS: Final = 100_000
MAX_ENTRIES: Final = MAX_ROWS + 16
COLLECTION_MAX_BYTES: Final = 512 * 1024 * 1024
MAX_RATIO: Final = 200
_CHUNK: Final = 64 * 1024
_WHITESPACE: Final = " \t\r\n"


_bad = bad_file


def sniff_format(head: bytes) -> str | None:
    """Guess the format from the first bytes: ZIP, JSON or CSV (None: empty)."""
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf" + _WHITESPACE.encode())
    if not text:
        return None
    return "json" if text[:1] in (b"{", b"[") else "csv"


# -- CSV ---------------------------------------------------------------------------------------


def _csv_rows(stream: IO[bytes]) -> Iterator[Any]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise _bad("The CSV file is empty.")
        columns = [name.strip() for name in header]
        if "name" not in columns:
            raise _bad("The CSV file's first line must name the columns, `name` among them.")
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                yield CellError(f"Line {line:,} has more cells than the header has columns.")
                continue
            yield _csv_row(dict(zip(columns, cells, strict=False)))
    except UnicodeDecodeError:
        raise _bad(
            f"The CSV file is not UTF-8 text (after line {line:,}); save it as UTF-8 and retry."
        ) from None
    except csv.Error as exc:
        raise _bad(f"The CSV file is not valid after line {line:,}: {exc}.") from None
    finally:
        text.detach()


def _csv_row(cells: dict[str, str]) -> dict[str, Any] | CellError:
    """A CSV line as the JSON values a row takes (read as the API reads a multipart form)."""
    form = {column: [text] for column, text in cells.items() if column in ITEM_FIELDS}
    try:
        row: dict[str, Any] = form_item_values(form)
    except AppError as exc:
        return CellError(exc.detail)
    for column in ("id", "created_at", "updated_at"):
        if cells.get(column):
            row[column] = cells[column]
    photo = {
        key: cells[column]
        for key, column in zip(PHOTO_KEYS, PHOTO_COLUMNS, strict=True)
        if cells.get(column)
    }
    if photo.get("file"):
        row["photo"] = photo
    return row


# -- the file ------------------------------------------------------------------------------------


@dataclass
class ImportFile:
    """An uploaded collection file: its rows, and for a ZIP its photos."""

    path: Path
    file_format: str
    max_photo_bytes: int

    def __post_init__(self) -> None:
        self._zip: zipfile.ZipFile | None = None

    def open(self) -> ImportFile:
        """Check the file as a whole (ZIP entries, sizes); raise 422 when it cannot be read."""
        if self.file_format == "zip":
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, EOFError):
                raise _bad("The file is not a ZIP archive that can be read.") from None
            self._check_entries(self._zip)
        return self

    def close(self) -> None:
        """Close the archive."""
        if self._zip is not None:
            self._zip.close()

    def _check_entries(self, archive: zipfile.ZipFile) -> None:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise _bad(f"The ZIP has {len(entries):,} entries; at most {MAX_ENTRIES:,} are read.")
        names = {entry.filename for entry in entries}
        if COLLECTION_FILE not in names:
            raise _bad(f"The ZIP has no {COLLECTION_FILE} (as an export has).")
        for entry in entries:
            limit = (
                COLLECTION_MAX_BYTES if entry.filename == COLLECTION_FILE else self.max_photo_bytes
            )
            if entry.file_size > limit and not entry.is_dir():
                raise _bad(
                    f"{entry.filename} is {entry.file_size:,} bytes once unpacked; "
                    f"the limit is {limit:,} bytes."
                )
            ratio = entry.file_size // max(entry.compress_size, 1)
            if ratio > MAX_RATIO and entry.file_size > _CHUNK:
                raise _bad(
                    f"{entry.filename} unpacks to {ratio:,} times its packed size: "
                    "the archive looks like a zip bomb."
                )

    def rows(self) -> Iterator[Any]:
        """Each row as a dict (or a CellError for a CSV row that cannot be read), in order."""
        if self.file_format == "zip":
            assert self._zip is not None
            with self._zip.open(COLLECTION_FILE) as stream:
                yield from _rows_checked(JsonItems(_Capped(stream)).items())
            return
        with self.path.open("rb") as stream:
            if self.file_format == "csv":
                yield from _rows_checked(_csv_rows(stream))
            else:
                yield from _rows_checked(JsonItems(stream).items())

    def count(self) -> int:
        """Read every row once (checking the file's syntax and encoding): how many there are."""
        return sum(1 for _ in self.rows())

    def photo(self, name: object) -> bytes:
        """Read a photo of the archive, at most the image limit (ValueError saying why not)."""
        if self._zip is None:
            raise ValueError("Photos come only in a ZIP export; this row's photo was left out.")
        if not isinstance(name, str) or not name.startswith("photos/") or ".." in name:
            raise ValueError("photo.file must name a file under photos/ in the archive.")
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise ValueError(f"The archive has no {name}.") from None
        try:
            with self._zip.open(info) as stream:
                data = stream.read(self.max_photo_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise ValueError(f"{name} cannot be read from the archive ({exc}).") from None
        if len(data) > self.max_photo_bytes:
            raise ValueError(f"{name} is larger than {self.max_photo_bytes:,} bytes.")
        return data


class _Capped(io.RawIOBase):
    """A reader that refuses to give more than COLLECTION_MAX_BYTES (sizes may lie)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._left = COLLECTION_MAX_BYTES

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left + 1)
        try:
            data = self._stream.read(want)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise _bad(f"{COLLECTION_FILE} cannot be read from the archive ({exc}).") from None
        self._left -= len(data)
        if self._left < 0:
            raise _bad(f"{COLLECTION_FILE} is larger than {COLLECTION_MAX_BYTES:,} bytes.")
        return data


def _rows_checked(rows: Iterator[Any]) -> Iterator[Any]:
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise _bad(f"The file has more than {MAX_ROWS:,} items; split it.")
        yield row
