"""What an upload may be, checked before any pixel is decoded (pure, synchronous).

The size in bytes, the base64 text, the format (decided by Pillow's JPEG, PNG, WebP and GIF
decoders only, never by a file name or a declared type), the pixels, the frames and the memory
the decoded pixels would take (`max_decoded_bytes`). The header is read without `Image.open`,
whose own check against the global `Image.MAX_IMAGE_PIXELS` can only warn through the
process-wide warnings filters (changing those per call is not thread-safe). `probe_image`
(header only) runs in a thread; images.py uses the same checks in the image workers.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Final

from PIL import (
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from gamecoll.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

# Importing the plugins registers their decoders in Image.OPEN; nothing else is loaded.
_PLUGINS: Final = (JpegImagePlugin, PngImagePlugin, WebPImagePlugin, GifImagePlugin)

ACCEPTED_FORMATS: Final[tuple[str, ...]] = ("JPEG", "PNG", "WEBP", "GIF")
"""Pillow format names an upload may decode as (in the order they are tried)."""

ACCEPTED_CONTENT_TYPES: Final[tuple[str, ...]] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
)
"""Media types of the stored files, for documentation and `Accept` hints."""

MAX_FRAMES: Final = 1000
"""Most frames an animated image may have."""

_MIB: Final = 1024 * 1024
_ACCEPTED_TEXT: Final = "accepted: JPEG, PNG, WebP, GIF"
DAMAGED: Final = "The image is damaged or truncated and cannot be decoded."
_ANIMATED_FORMATS: Final = frozenset({"PNG", "WEBP", "GIF"})
# Bytes Pillow holds per pixel of a decoded mode (three-band RGB takes four); others take four.
_PIXEL_BYTES: Final[dict[str, int]] = {
    "1": 1,
    "L": 1,
    "P": 1,
    "I;16": 2,
    "I;16B": 2,
    "I;16L": 2,
    "I;16N": 2,
}
# Errors Pillow raises for data it cannot decode (beyond OSError).
DECODE_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    ImageCms.PyCMSError,
)
_DATA_URL: Final = re.compile(r"data:(?P<type>[^,]*?);base64,", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What an upload may be: bytes sent, pixels, bytes once decoded, frames."""

    max_bytes: int
    max_pixels: int
    max_decoded_bytes: int = 200_000_000
    max_frames: int = MAX_FRAMES


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What an image's header says, read without decoding any pixel."""

    format: str
    width: int
    height: int
    pixel_bytes: int
    frames: int

    @property
    def decoded_bytes(self) -> int:
        """Memory the decoded pixels take: width x height x bytes per pixel x frames."""
        return self.width * self.height * self.pixel_bytes * self.frames


def probe_image(data: bytes, limits: ImageLimits) -> ImageHeader:
    """Read the header and check every limit before anything is decoded.

    Frames are counted by walking the frame headers (no frame is decoded). Raises
    PayloadTooLarge, UnsupportedMediaType or ValidationFailed like `process_image`.
    """
    check_size(data, limits.max_bytes)
    try:
        with identify(data) as im:
            return checked_header(im, limits)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(limits.max_pixels) from exc
    except DECODE_ERRORS as exc:
        raise invalid(DAMAGED) from exc


def check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The image is {_mib(len(data))} MiB; the limit is {_mib(max_bytes)} MiB."
        )
    if not data:
        raise invalid("The image is empty.")


def checked_header(im: ImageFile.ImageFile, limits: ImageLimits) -> ImageHeader:
    """Check pixels, frames and decoded bytes from the header of an opened image."""
    source_format = str(im.format)
    check_pixels(im.size, limits.max_pixels)
    frames = 1
    if source_format in _ANIMATED_FORMATS:
        # n_frames walks the frame headers without decoding a frame.
        frames = max(1, int(getattr(im, "n_frames", 1)))
        if frames > limits.max_frames:
            raise invalid(f"The animation has more than {limits.max_frames} frames.")
    # Frames after the first are held as RGBA, whatever the first frame's mode.
    pixel_bytes = _PIXEL_BYTES.get(im.mode, 4) if frames == 1 else 4
    header = ImageHeader(source_format, im.width, im.height, pixel_bytes, frames)
    if header.decoded_bytes > limits.max_decoded_bytes:
        what = f"{frames} frames of " if frames > 1 else ""
        raise invalid(
            f"The image would take {_mib(header.decoded_bytes)} MiB once decoded "
            f"({what}{im.width}x{im.height} pixels of {pixel_bytes} bytes); "
            f"the limit is {_mib(limits.max_decoded_bytes)} MiB."
        )
    return header


def decode_base64_image(value: str, *, max_bytes: int) -> bytes:
    """Decode raw base64 or a `data:...;base64,` URL into bytes, checking the size first.

    Whitespace and line breaks are ignored, the URL-safe alphabet and missing padding are
    accepted. Raises ValidationFailed (empty or not base64) or PayloadTooLarge.
    """
    text = value.strip()
    match = _DATA_URL.match(text)
    if match is not None:
        text = text[match.end() :]
    elif text[:5].lower() == "data:":
        raise invalid("The image data URL must be base64-encoded (data:image/...;base64,...).")
    text = "".join(text.split())
    if not text:
        raise invalid("The image is empty.")
    text = text.replace("-", "+").replace("_", "/")
    unpadded = text.rstrip("=")
    if len(unpadded) % 4 == 1 or len(text) - len(unpadded) > 2:
        raise invalid("The image is not valid base64.")
    # Exact decoded length of well-formed base64, known before decoding anything.
    if len(unpadded) * 3 // 4 > max_bytes:
        raise _too_large(max_bytes)
    try:
        decoded = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid("The image is not valid base64.") from exc
    if not decoded:
        raise invalid("The image is empty.")
    if len(decoded) > max_bytes:
        raise _too_large(max_bytes)
    return decoded


def identify(data: bytes) -> ImageFile.ImageFile:
    """Open the header with the accepted decoders only.

    Same as `Image.open(fp, formats=ACCEPTED_FORMATS)` minus its global MAX_IMAGE_PIXELS check,
    which can only warn through the process-wide warnings filters; the caller checks the size
    against its own limit before decoding instead.
    """
    prefix = data[:16]
    for name in ACCEPTED_FORMATS:
        factory, accept = _opener(name)
        if accept is not None and accept(prefix) is not True:  # a str means "cannot decode here"
            continue
        try:
            return factory(io.BytesIO(data), "")
        except DECODE_ERRORS as exc:
            # The signature matched this format, but its header is broken.
            raise invalid(DAMAGED) from exc
    if _looks_like_svg(data):
        raise UnsupportedMediaType(f"SVG images are not accepted ({_ACCEPTED_TEXT}).")
    raise UnsupportedMediaType(f"This file is not an image in a known format ({_ACCEPTED_TEXT}).")


def _opener(
    name: str,
) -> tuple[
    Callable[[IO[bytes], str | bytes], ImageFile.ImageFile], Callable[[bytes], bool | str] | None
]:
    """Return Pillow's registered (factory, accept) pair for a format."""
    return Image.OPEN[name]


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in head


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise invalid(
            f"The image is {width}x{height} pixels ({width * height:,} in all); "
            f"the limit is {max_pixels:,} pixels."
        )


def _mib(size: int) -> str:
    text = f"{size / _MIB:.2f}".rstrip("0").rstrip(".")
    return text if text != "0" else f"{size / _MIB:.6f}".rstrip("0")


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The image is larger than the limit of {_mib(max_bytes)} MiB.")


def too_many_pixels(max_pixels: int) -> ValidationFailed:
    return invalid(f"The image has too many pixels; the limit is {max_pixels:,}.")


def invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"image": message})
