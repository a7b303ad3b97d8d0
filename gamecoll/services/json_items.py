"""Decode the items of a collection's JSON one at a time, in bounded memory.

`{"items": [...]}` as exported (its `format` checked on the way), or a bare list: each item is
decoded as soon as it is complete and may be at most ROW_MAX_BYTES, so a file of any size is
read with a buffer of about one item.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, Final, Protocol

from gamecoll.errors import ValidationFailed
from gamecoll.services.exchange_format import FORMAT_NAME, FORMAT_VERSION

ROW_MAX_BYTES: Final = 256 * 1024
_CHUNK: Final = 64 * 1024
_WHITESPACE: Final = " \t\r\n"


def bad_file(message: str) -> ValidationFailed:
    """A 422 about the file as a whole."""
    return ValidationFailed(message, fields={"file": message})


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class JsonItems:
    """Decode the items of `{"items": [...]}` (or `[...]`) from a text stream, one at a time."""

    def __init__(self, stream: _Readable) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8-sig")()
        self._stream = stream
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()
        self.offset = 0  # characters consumed before the buffer, for messages

    def _more(self) -> bool:
        if self._eof:
            return False
        data = self._stream.read(_CHUNK)
        try:
            text = self._decode.decode(data, final=not data)
        except UnicodeDecodeError:
            raise bad_file("The JSON file is not UTF-8 text.") from None
        self.offset += self._pos
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0
        self._eof = not data
        return True

    def _peek(self) -> str:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._more():
                return ""

    def _expect(self, char: str, where: str) -> None:
        found = self._peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise bad_file(
                f"The JSON file is not a collection: expected {char!r} {where}, "
                f"found {shown} at character {self.offset + self._pos:,}."
            )
        self._pos += 1

    def _value(self, what: str) -> Any:
        """Decode one value at the position, reading more while it is incomplete."""
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buffer) - self._pos > ROW_MAX_BYTES:
                    raise bad_file(
                        f"{what} is larger than {ROW_MAX_BYTES // 1024} KiB or not valid JSON."
                    ) from None
                if not self._more():
                    raise bad_file(
                        f"The JSON file is not valid: {exc.msg} at character "
                        f"{self.offset + exc.pos:,}."
                    ) from None
                continue
            except RecursionError:
                raise bad_file(f"{what} is nested too deeply.") from None
            if end - self._pos > ROW_MAX_BYTES:
                raise bad_file(f"{what} is larger than {ROW_MAX_BYTES // 1024} KiB.")
            self._pos = end
            return value

    def items(self) -> Iterator[Any]:
        first = self._peek()
        if first == "{":
            self._pos += 1
            self._find_items()
        elif first != "[":
            raise bad_file("The JSON file must be an object with `items` (as exported) or a list.")
        else:
            self._pos += 1
        if self._peek() == "]":
            self._pos += 1
            return
        number = 0
        while True:
            number += 1
            if self._peek() == "":
                raise bad_file("The JSON file is not valid: it ends before its list of items does.")
            if self._peek() != "{":
                raise bad_file(f"Item {number} of the JSON file is not an object.")
            yield self._value(f"Item {number} of the JSON file")
            if self._peek() == ",":
                self._pos += 1
                continue
            self._expect("]", f"after item {number}")
            return

    def _find_items(self) -> None:
        """Skip to the `items` list of the top object, checking `format` on the way."""
        while True:
            if self._peek() == "}":
                raise bad_file("The JSON file has no `items` list.")
            key = self._value("A key of the JSON file")
            if not isinstance(key, str):
                raise bad_file("The JSON file is not valid: a key is not a string.")
            self._expect(":", f"after the key {key!r}")
            if key == "items":
                self._expect("[", "after `items`")
                return
            value = self._value(f"The value of {key!r}")
            if key == "format" and value != FORMAT_NAME:
                raise bad_file(f"The JSON file's format is {value!r}, not {FORMAT_NAME!r}.")
            if key == "version" and (type(value) is not int or value != FORMAT_VERSION):
                raise bad_file(
                    f"The JSON file's version is {value!r}; this server reads version "
                    f"{FORMAT_VERSION}."
                )
            if self._peek() == "}":
                raise bad_file("The JSON file has no `items` list.")
            self._expect(",", f"after the value of {key!r}")
