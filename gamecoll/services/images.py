"""Validate, clean and make renditions of uploaded images (pure, synchronous, CPU-bound).

Everything here is blocking work: `probe_image` (header only) for a thread, the rest for an
image worker process (see image_workers.py). The format is decided by decoding the bytes
with Pillow's JPEG, PNG, WebP and GIF decoders only, never by a file name or a declared type.

Every accepted image is decoded and re-encoded, even an upright JPEG without metadata: that is the
simple way to be sure the stored file carries no EXIF, GPS, XMP or comment, whatever segments
the upload had. Only the ICC colour profile is copied over, so colours stay right. JPEG stays
JPEG (quality 90; CMYK stays CMYK), PNG stays PNG (same mode), WebP stays WebP (lossless stays
lossless), GIF stays GIF; animated GIF, PNG and WebP keep their frames, durations and loop.

Bombs: the width and height are read from the header and checked against `max_pixels`, the
frames counted and the decoded size checked against `max_decoded_bytes`, before anything is
decoded. The header is read without `Image.open`, whose own check against
the global `Image.MAX_IMAGE_PIXELS` can only warn through the process-wide warnings filters
(changing those per call is not thread-safe); Pillow's remaining checks (GIF frames that grow
the canvas) raise DecompressionBombError or, where warnings are errors, the warning: both are
reported as ValidationFailed too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
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
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from gamecoll.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from gamecoll.services.renditions import (
    DISPLAY_SIZE,
    THUMB_SIZE,
    Renditions,
    encode,
    fit,
    icc_fits,
    make_renditions,
    shrink,
)

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

JPEG_QUALITY: Final = 90
WEBP_QUALITY: Final = 90

_MIB: Final = 1024 * 1024
_ACCEPTED_TEXT: Final = "accepted: JPEG, PNG, WebP, GIF"
_DAMAGED: Final = "The image is damaged or truncated and cannot be decoded."

# Pillow format name -> (content type, extension, stored format).
_OUTPUT: Final[dict[str, tuple[str, str, str]]] = {
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "MPO": ("image/jpeg", "jpg", "JPEG"),  # phone JPEGs with a second picture: keep the first
    "PNG": ("image/png", "png", "PNG"),
    "WEBP": ("image/webp", "webp", "WEBP"),
    "GIF": ("image/gif", "gif", "GIF"),
}
_ANIMATED_FORMATS: Final = frozenset({"PNG", "WEBP", "GIF"})
_DRAFT_FORMATS: Final = frozenset({"JPEG", "MPO"})  # decoders that can scale while decoding
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
_ORIENTATION_TAG: Final = 0x0112
_QUARTER_TURNS: Final = frozenset({5, 6, 7, 8})
# Modes each encoder writes as they are; anything else is converted first.
_SAVE_MODES: Final[dict[str, frozenset[str]]] = {
    "JPEG": frozenset({"L", "RGB", "CMYK"}),
    "PNG": frozenset({"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
    "GIF": frozenset({"L", "P"}),
}
# Errors Pillow raises for data it cannot decode (beyond OSError).
_DECODE_ERRORS: Final = (
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
_ORIENTATION_KEYS: Final = frozenset({"exif", "xmp", "XML:com.adobe.xmp", "Raw profile type exif"})
# Modes in which a "transparency" entry (a palette index or a colour) stays meaningful.
_TRANSPARENCY_MODES: Final = frozenset({"1", "L", "I", "I;16", "P", "RGB"})
_WIDE_GREY_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_DATA_URL: Final = re.compile(r"data:(?P<type>[^,]*?);base64,", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A cleaned image ready to store, and its WebP thumbnail.

    `extension` has no dot ("jpg", "png", "webp", "gif"); `width` and `height` are after the
    EXIF orientation was applied; `sha256` is the hex digest of `content`.
    """

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    size: int
    sha256: str
    thumbnail: bytes
    thumb_width: int
    thumb_height: int
    thumbnail_2x: bytes
    display: bytes


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
    _check_size(data, limits.max_bytes)
    try:
        with _identify(data) as im:
            return _checked_header(im, limits)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(limits.max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise _invalid(_DAMAGED) from exc


def process_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_decoded_bytes: int = 200_000_000,
    thumb_size: int = THUMB_SIZE,
    max_frames: int = MAX_FRAMES,
) -> ProcessedImage:
    """Decode, check, orient, strip and re-encode an upload, and make its renditions.

    Raises PayloadTooLarge (over `max_bytes`), UnsupportedMediaType (not JPEG, PNG, WebP or GIF),
    ValidationFailed (damaged, or more than `max_pixels` pixels or `max_decoded_bytes` once
    decoded, or too many frames). At most one full-size copy of a still image is held: the
    renditions of a JPEG are decoded a second time at a reduced scale (draft mode), the others
    are reduced from the decoded image before any conversion.
    """
    if thumb_size < 1:
        raise ValueError("thumb_size must be at least 1")
    limits = ImageLimits(max_bytes, max_pixels, max_decoded_bytes, max_frames)
    _check_size(data, max_bytes)
    made: Renditions | None = None
    try:
        with _identify(data) as im:
            header = _checked_header(im, limits)
            icc = _icc_profile(im)
            animated = header.frames > 1
            if header.format in _DRAFT_FORMATS and not animated:
                made = _draft_renditions(data, icc, thumb_size)
            im.load()  # really decode: truncated or corrupt data fails here
            loop = im.info.get("loop")  # read before seeking: later frames may not carry it
            frames: list[Image.Image]
            durations: list[int] = []
            if animated:
                frames, durations = _read_frames(im, max_pixels, max_frames)
            else:
                ImageOps.exif_transpose(im, in_place=True)  # no full-size copy when upright
                frames = [im]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global guard (reached only by GIF frames growing the canvas, or when
        # warnings are errors): report it like ours.
        raise _too_many_pixels(max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise _invalid(_DAMAGED) from exc

    content_type, extension, out_format = _OUTPUT[header.format]
    first = frames[0]
    width, height = first.size
    shrunk = (
        None if made is not None else shrink(first, icc, size=first.size, thumb_size=thumb_size)
    )
    content = _encode(frames, durations, loop, out_format, icc, lossless=_webp_lossless(data))
    del frames, first, im  # the full-size pixels go before the renditions are encoded
    if made is None:
        assert shrunk is not None
        made = encode(shrunk)
    return ProcessedImage(
        content=content,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=made.thumbnail,
        thumb_width=made.thumb_width,
        thumb_height=made.thumb_height,
        thumbnail_2x=made.thumbnail_2x,
        display=made.display,
    )


def renditions_of_stored(data: bytes, limits: ImageLimits) -> Renditions:
    """Make the renditions of an image already stored (cleaned and upright): for backfills."""
    _check_size(data, limits.max_bytes)
    try:
        with _identify(data) as im:
            header = _checked_header(im, limits)
            icc = _icc_profile(im)
            if header.format in _DRAFT_FORMATS:
                return _draft_renditions(data, icc, THUMB_SIZE)
            im.load()
            return make_renditions(im, icc, size=im.size, thumb_size=THUMB_SIZE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(limits.max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise _invalid(_DAMAGED) from exc


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The image is {_mib(len(data))} MiB; the limit is {_mib(max_bytes)} MiB."
        )
    if not data:
        raise _invalid("The image is empty.")


def _checked_header(im: ImageFile.ImageFile, limits: ImageLimits) -> ImageHeader:
    """Check pixels, frames and decoded bytes from the header of an opened image."""
    source_format = str(im.format)
    _check_pixels(im.size, limits.max_pixels)
    frames = 1
    if source_format in _ANIMATED_FORMATS:
        # n_frames walks the frame headers without decoding a frame.
        frames = max(1, int(getattr(im, "n_frames", 1)))
        if frames > limits.max_frames:
            raise _invalid(f"The animation has more than {limits.max_frames} frames.")
    # Frames after the first are held as RGBA, whatever the first frame's mode.
    pixel_bytes = _PIXEL_BYTES.get(im.mode, 4) if frames == 1 else 4
    header = ImageHeader(source_format, im.width, im.height, pixel_bytes, frames)
    if header.decoded_bytes > limits.max_decoded_bytes:
        what = f"{frames} frames of " if frames > 1 else ""
        raise _invalid(
            f"The image would take {_mib(header.decoded_bytes)} MiB once decoded "
            f"({what}{im.width}x{im.height} pixels of {pixel_bytes} bytes); "
            f"the limit is {_mib(limits.max_decoded_bytes)} MiB."
        )
    return header


def _draft_renditions(data: bytes, icc: bytes | None, thumb_size: int) -> Renditions:
    """Decode a JPEG again at the smallest scale that still covers the display rendition."""
    with _identify(data) as im:
        stored = im.size
        quarter_turn = im.getexif().get(_ORIENTATION_TAG) in _QUARTER_TURNS
        im.draft(None, fit(stored, DISPLAY_SIZE))
        im.load()
        upright = ImageOps.exif_transpose(im)
    size = (stored[1], stored[0]) if quarter_turn else stored
    return make_renditions(upright, icc, size=size, thumb_size=thumb_size)


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
        raise _invalid("The image data URL must be base64-encoded (data:image/...;base64,...).")
    text = "".join(text.split())
    if not text:
        raise _invalid("The image is empty.")
    text = text.replace("-", "+").replace("_", "/")
    unpadded = text.rstrip("=")
    if len(unpadded) % 4 == 1 or len(text) - len(unpadded) > 2:
        raise _invalid("The image is not valid base64.")
    # Exact decoded length of well-formed base64, known before decoding anything.
    if len(unpadded) * 3 // 4 > max_bytes:
        raise _too_large(max_bytes)
    try:
        decoded = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("The image is not valid base64.") from exc
    if not decoded:
        raise _invalid("The image is empty.")
    if len(decoded) > max_bytes:
        raise _too_large(max_bytes)
    return decoded


def _identify(data: bytes) -> ImageFile.ImageFile:
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
        except _DECODE_ERRORS as exc:
            # The signature matched this format, but its header is broken.
            raise _invalid(_DAMAGED) from exc
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


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _invalid(
            f"The image is {width}x{height} pixels ({width * height:,} in all); "
            f"the limit is {max_pixels:,} pixels."
        )


def _icc_profile(im: Image.Image) -> bytes | None:
    icc = im.info.get("icc_profile")
    return icc if isinstance(icc, bytes) and icc else None


def _read_frames(
    im: ImageFile.ImageFile, max_pixels: int, max_frames: int
) -> tuple[list[Image.Image], list[int]]:
    """Decode every frame (composited, oriented), keeping the total pixels under the limit."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    total = 0
    index = 0
    while True:
        try:
            im.seek(index)
        except EOFError:
            break
        if index >= max_frames:
            raise _invalid(f"The animation has more than {max_frames} frames.")
        _check_pixels(im.size, max_pixels)  # a GIF frame may grow the canvas
        total += im.width * im.height
        if total > max_pixels:
            raise _invalid(
                f"The animation has more than {max_pixels:,} pixels over all its frames "
                f"({index + 1} frames of {im.width}x{im.height} so far); "
                f"the limit is {max_pixels:,} pixels."
            )
        im.load()
        frame = im.convert("RGBA")
        # Only what exif_transpose reads; everything is dropped before saving.
        frame.info = {key: value for key, value in im.info.items() if key in _ORIENTATION_KEYS}
        frames.append(ImageOps.exif_transpose(frame))
        durations.append(int(im.info.get("duration", 0) or 0))
        index += 1
    return frames, durations


def _encode(
    frames: list[Image.Image],
    durations: list[int],
    loop: object,
    out_format: str,
    icc: bytes | None,
    *,
    lossless: bool,
) -> bytes:
    """Encode the frames with no metadata except the ICC profile (and GIF/PNG transparency)."""
    cleaned = [_for_format(frame, out_format) for frame in frames]
    options: dict[str, object] = {}
    if out_format == "JPEG":
        options = {"quality": JPEG_QUALITY, "optimize": False}
    elif out_format == "PNG":
        options = {"optimize": False, "compress_level": 6}
    elif out_format == "WEBP":
        options = {"lossless": lossless, "quality": 100 if lossless else WEBP_QUALITY, "method": 4}
    if icc is not None and out_format != "GIF" and icc_fits(icc, cleaned[0].mode):
        options["icc_profile"] = icc
    if len(cleaned) > 1:
        options.update(save_all=True, append_images=cleaned[1:], duration=durations)
        if isinstance(loop, int):
            options["loop"] = loop
        if out_format == "GIF" and any(_has_clear_pixels(frame) for frame in cleaned):
            # Frames are whole composited pictures: clear each one before the next is drawn,
            # or a pixel that turns transparent would keep the previous frame's colour.
            options["disposal"] = 2
    out = io.BytesIO()
    cleaned[0].save(out, format=out_format, **options)
    return out.getvalue()


def _for_format(im: Image.Image, out_format: str) -> Image.Image:
    """Return an image in a mode `out_format` writes, with every metadata entry dropped."""
    if im.mode not in _SAVE_MODES[out_format]:
        if out_format == "JPEG":
            im = im.convert("RGB")
        elif out_format == "GIF":
            pass  # the GIF encoder quantizes RGB/RGBA frames itself, keeping transparency
        else:
            im = im.convert("RGBA" if im.has_transparency_data else "RGB")
    transparency = im.info.get("transparency")
    keep = transparency is not None and im.mode in _TRANSPARENCY_MODES
    im.info = {"transparency": transparency} if keep else {}
    return im


def _has_clear_pixels(im: Image.Image) -> bool:
    """Tell whether any pixel is less than opaque."""
    if im.mode in ("RGBA", "LA", "PA"):
        low = im.getchannel("A").getextrema()[0]
        return isinstance(low, (int, float)) and low < 255
    return "transparency" in im.info


def _webp_lossless(data: bytes) -> bool:
    """Tell whether a WebP file's (first) image is lossless (a VP8L bitstream)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    offset, end = 12, len(data)
    while offset + 8 <= end:
        fourcc = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":
            offset += 8 + 16  # frame header; the frame's own chunks follow
            end = min(end, offset - 16 + size)
            continue
        offset += 8 + size + (size & 1)
    return False


def _mib(size: int) -> str:
    text = f"{size / _MIB:.2f}".rstrip("0").rstrip(".")
    return text if text != "0" else f"{size / _MIB:.6f}".rstrip("0")


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The image is larger than the limit of {_mib(max_bytes)} MiB.")


def _too_many_pixels(max_pixels: int) -> ValidationFailed:
    return _invalid(f"The image has too many pixels; the limit is {max_pixels:,}.")


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"image": message})
