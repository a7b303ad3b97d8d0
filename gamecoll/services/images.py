"""Clean uploaded images and make their renditions (pure, synchronous, CPU-bound).

Everything here is blocking work for an image worker process (see image_workers.py); the checks
made before decoding (size, format, pixels, frames, decoded bytes) are in image_checks.py.

Every accepted image is decoded and re-encoded, even an upright JPEG without metadata: that is the
simple way to be sure the stored file carries no EXIF, GPS, XMP or comment, whatever segments
the upload had. Only the ICC colour profile is copied over, so colours stay right. JPEG stays
JPEG (quality 90; CMYK stays CMYK), PNG stays PNG (same mode), WebP stays WebP (lossless stays
lossless), GIF stays GIF; animated GIF, PNG and WebP keep their frames, durations and loop.

Bombs: the width and height are read from the header and checked against `max_pixels`, the
frames counted and the decoded size checked against `max_decoded_bytes`, before anything is
decoded; Pillow's remaining checks (GIF frames that grow the canvas) raise
DecompressionBombError or, where warnings are errors, the warning: both are reported as
ValidationFailed too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageFile, ImageOps

from gamecoll.services.image_checks import (
    DAMAGED,
    DECODE_ERRORS,
    MAX_FRAMES,
    ImageLimits,
    check_pixels,
    check_size,
    checked_header,
    identify,
    invalid,
    too_many_pixels,
)
from gamecoll.services.image_encode import encode_frames, in_stored_form, webp_lossless
from gamecoll.services.renditions import (
    DISPLAY_SIZE,
    THUMB_SIZE,
    Renditions,
    encode,
    fit,
    make_renditions,
    shrink,
)

# Pillow format name -> (content type, extension, stored format).
_OUTPUT: Final[dict[str, tuple[str, str, str]]] = {
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "MPO": ("image/jpeg", "jpg", "JPEG"),  # phone JPEGs with a second picture: keep the first
    "PNG": ("image/png", "png", "PNG"),
    "WEBP": ("image/webp", "webp", "WEBP"),
    "GIF": ("image/gif", "gif", "GIF"),
}
_DRAFT_FORMATS: Final = frozenset({"JPEG", "MPO"})  # decoders that can scale while decoding
_ORIENTATION_TAG: Final = 0x0112
_QUARTER_TURNS: Final = frozenset({5, 6, 7, 8})
_ORIENTATION_KEYS: Final = frozenset({"exif", "xmp", "XML:com.adobe.xmp", "Raw profile type exif"})


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A cleaned image ready to store, and its WebP thumbnail.

    `extension` has no dot ("jpg", "png", "webp", "gif"); `width` and `height` are after the
    EXIF orientation was applied; `sha256` is the hex digest of `content`, `upload_sha256` that
    of the bytes as they were sent (what a client knows before uploading: duplicates).
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
    upload_sha256: str


def process_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_decoded_bytes: int = 200_000_000,
    thumb_size: int = THUMB_SIZE,
    max_frames: int = MAX_FRAMES,
    keep_stored_form: bool = False,
) -> ProcessedImage:
    """Decode, check, orient, strip and re-encode an upload, and make its renditions.

    Raises PayloadTooLarge (over `max_bytes`), UnsupportedMediaType (not JPEG, PNG, WebP or GIF),
    ValidationFailed (damaged, or more than `max_pixels` pixels or `max_decoded_bytes` once
    decoded, or too many frames). At most one full-size copy of a still image is held: the
    renditions of a JPEG are decoded a second time at a reduced scale (draft mode), the others
    are reduced from the decoded image before any conversion. With `keep_stored_form` (imports),
    a file already in the stored form (see `in_stored_form`) is kept byte for byte.
    """
    if thumb_size < 1:
        raise ValueError("thumb_size must be at least 1")
    limits = ImageLimits(max_bytes, max_pixels, max_decoded_bytes, max_frames)
    check_size(data, max_bytes)
    made: Renditions | None = None
    try:
        with identify(data) as im:
            header = checked_header(im, limits)
            icc = _icc_profile(im)
            animated = header.frames > 1
            if header.format in _DRAFT_FORMATS and not animated:
                made = _draft_renditions(data, icc, thumb_size)
            im.load()  # really decode: truncated or corrupt data fails here
            keep = keep_stored_form and in_stored_form(im, header.format)
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
        raise too_many_pixels(max_pixels) from exc
    except DECODE_ERRORS as exc:
        raise invalid(DAMAGED) from exc

    content_type, extension, out_format = _OUTPUT[header.format]
    first = frames[0]
    width, height = first.size
    shrunk = (
        None if made is not None else shrink(first, icc, size=first.size, thumb_size=thumb_size)
    )
    if keep:
        content = data
    else:
        lossless = webp_lossless(data)
        content = encode_frames(frames, durations, loop, out_format, icc, lossless=lossless)
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
        upload_sha256=hashlib.sha256(data).hexdigest(),
    )


def renditions_of_stored(data: bytes, limits: ImageLimits) -> Renditions:
    """Make the renditions of an image already stored (cleaned and upright): for backfills."""
    check_size(data, limits.max_bytes)
    try:
        with identify(data) as im:
            header = checked_header(im, limits)
            icc = _icc_profile(im)
            if header.format in _DRAFT_FORMATS:
                return _draft_renditions(data, icc, THUMB_SIZE)
            im.load()
            return make_renditions(im, icc, size=im.size, thumb_size=THUMB_SIZE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(limits.max_pixels) from exc
    except DECODE_ERRORS as exc:
        raise invalid(DAMAGED) from exc


def _draft_renditions(data: bytes, icc: bytes | None, thumb_size: int) -> Renditions:
    """Decode a JPEG again at the smallest scale that still covers the display rendition."""
    with identify(data) as im:
        stored = im.size
        quarter_turn = im.getexif().get(_ORIENTATION_TAG) in _QUARTER_TURNS
        im.draft(None, fit(stored, DISPLAY_SIZE))
        im.load()
        upright = ImageOps.exif_transpose(im)
    size = (stored[1], stored[0]) if quarter_turn else stored
    return make_renditions(upright, icc, size=size, thumb_size=thumb_size)


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
            raise invalid(f"The animation has more than {max_frames} frames.")
        check_pixels(im.size, max_pixels)  # a GIF frame may grow the canvas
        total += im.width * im.height
        if total > max_pixels:
            raise invalid(
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
