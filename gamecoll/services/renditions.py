"""The smaller pictures made of every image: a display rendition and two thumbnails, all WebP.

- display: longest side at most 1600 px, for the detail view (instead of the original);
- thumbnail_2x: at most 800 px, for cards on 2x and 3x screens;
- thumbnail: at most 400 px, for cards.

They are made from the first frame, upright, in RGB or RGBA (alpha kept), never enlarged. The
source is shrunk first (an integer `reduce`, cheap and on the smallest data) and converted
after, so that no full-size copy is made; then each size is resampled from the one above it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageCms

DISPLAY_SIZE: Final = 1600
THUMB_SIZE: Final = 400
DISPLAY_QUALITY: Final = 82
THUMB_QUALITY: Final = 80
REDUCING_GAP: Final = 1
"""`reduce` keeps at least this many times the target size before the final resample.

1 keeps the reduced copy small (a 7000 px image is reduced to 1750 px, 12 MB, instead of
3500 px, 49 MB, next to the 196 MB decoded image); `reduce` averages whole blocks of pixels,
so the final resample from just above the target still looks right."""

_WIDE_GREY_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


@dataclass(frozen=True, slots=True)
class Renditions:
    """The encoded renditions of one image, and the small thumbnail's size."""

    display: bytes
    thumbnail_2x: bytes
    thumbnail: bytes
    thumb_width: int
    thumb_height: int


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Scale a size so that its longest side is at most `longest`, keeping the aspect."""
    width, height = size
    if max(width, height) <= longest:
        return width, height
    if width >= height:
        return longest, max(1, round(height * longest / width))
    return max(1, round(width * longest / height)), longest


def make_renditions(
    source: Image.Image,
    icc: bytes | None,
    *,
    size: tuple[int, int],
    thumb_size: int = THUMB_SIZE,
) -> Renditions:
    """Encode the renditions of an upright `source` whose full size is `size`.

    `source` may already be smaller than `size` (a JPEG decoded in draft mode); the sizes of
    the renditions are computed from `size`, so they do not depend on how it was decoded.
    """
    display_size = fit(size, DISPLAY_SIZE)
    reduced = _reduced(source, display_size)
    display, out_icc = to_rgb(reduced, icc, owned=reduced is not source)
    display = _resized(display, display_size)
    two_x = _resized(display, fit(size, 2 * thumb_size))
    one_x = _resized(two_x, fit(size, thumb_size))
    return Renditions(
        display=_webp(display, out_icc, DISPLAY_QUALITY),
        thumbnail_2x=_webp(two_x, out_icc, THUMB_QUALITY),
        thumbnail=_webp(one_x, out_icc, THUMB_QUALITY),
        thumb_width=one_x.width,
        thumb_height=one_x.height,
    )


def _reduced(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Shrink by an integer factor that keeps at least REDUCING_GAP times the target."""
    factor = min(im.width // max(1, target[0]), im.height // max(1, target[1])) // REDUCING_GAP
    if factor < 2:  # reducing by 1 is no reduction
        return im
    try:
        return im.reduce(factor)
    except ValueError:  # a mode reduce does not take (16-bit grey): resample later
        return im


def _resized(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    if im.size == size:
        return im
    resized = im.resize(size, Image.Resampling.LANCZOS)
    resized.info = {}
    return resized


def _webp(im: Image.Image, icc: bytes | None, quality: int) -> bytes:
    options: dict[str, object] = {"quality": quality, "method": 4}
    if icc is not None:
        options["icc_profile"] = icc
    im.info = {}
    out = io.BytesIO()
    im.save(out, format="WEBP", **options)
    return out.getvalue()


def icc_fits(icc: bytes, mode: str) -> bool:
    """Tell whether an ICC profile's colour space matches the image mode (header bytes 16-20)."""
    space = icc[16:20]
    if mode == "CMYK":
        return space == b"CMYK"
    if mode in ("L", "LA", "1", "I", "I;16"):
        return space == b"GRAY"
    return space == b"RGB "


def to_rgb(
    im: Image.Image, icc: bytes | None, *, owned: bool = False
) -> tuple[Image.Image, bytes | None]:
    """Return an RGB or RGBA copy (alpha kept), and the ICC profile that still describes it.

    With `owned`, the caller gives `im` away: an image already in RGB or RGBA is not copied.

    CMYK goes through its embedded profile to sRGB when there is one (then no profile is
    needed); 16-bit grey is scaled to 8 bits; a grey profile does not describe RGB pixels,
    so it is dropped.
    """
    if im.mode == "CMYK":
        if icc is not None and icc_fits(icc, "CMYK"):
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                converted = ImageCms.profileToProfile(
                    im, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                if converted is not None:
                    return converted, None
            except (ImageCms.PyCMSError, OSError):
                pass  # a broken profile: fall back to the plain conversion
        return im.convert("RGB"), None
    if im.mode in _WIDE_GREY_MODES:
        # 16/32-bit grey: scale to 8 bits (a plain conversion would clip to white).
        im = im.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if im.mode == "RGBA" or (im.mode == "RGB" and not im.has_transparency_data):
        converted = im if owned else im.copy()
    else:
        converted = im.convert("RGBA" if im.has_transparency_data else "RGB")
    return converted, icc if icc is not None and icc_fits(icc, "RGB") else None
