"""The smaller pictures made of every image: a display rendition and two thumbnails, all WebP.

- display: longest side at most 1600 px, for the detail view (instead of the original);
- thumbnail_2x: at most 800 px, for cards on 2x and 3x screens;
- thumbnail: at most 400 px, for cards.

They are made from the first frame, upright, in RGB or RGBA (alpha kept), never enlarged. The
source is converted and shrunk a band of rows at a time (an integer `reduce`), so that no
full-size copy is made; then each size is resampled from the one above it.
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

BAND_PIXELS: Final = 2_000_000
"""Pixels of the source converted and reduced at a time (8 MB as RGBA)."""

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


@dataclass(frozen=True, slots=True)
class Shrunk:
    """A source already converted and shrunk near the display size, ready to encode."""

    image: Image.Image
    icc: bytes | None
    size: tuple[int, int]  # the upright full size of the image
    thumb_size: int


def shrink(
    source: Image.Image,
    icc: bytes | None,
    *,
    size: tuple[int, int],
    thumb_size: int = THUMB_SIZE,
) -> Shrunk:
    """Convert and shrink an upright `source` whose full size is `size`, band by band.

    After this the full-size source is no longer needed: free it before `encode`, so that
    the WebP encoder's buffers never add to a full-size image.
    """
    image, out_icc = _shrunk_rgb(source, icc, fit(size, DISPLAY_SIZE))
    return Shrunk(image, out_icc, size, thumb_size)


def encode(shrunk: Shrunk) -> Renditions:
    """Resample and encode the three renditions."""
    size, thumb_size = shrunk.size, shrunk.thumb_size
    display = _resized(shrunk.image, fit(size, DISPLAY_SIZE))
    two_x = _resized(display, fit(size, 2 * thumb_size))
    one_x = _resized(two_x, fit(size, thumb_size))
    return Renditions(
        display=_webp(display, shrunk.icc, DISPLAY_QUALITY),
        thumbnail_2x=_webp(two_x, shrunk.icc, THUMB_QUALITY),
        thumbnail=_webp(one_x, shrunk.icc, THUMB_QUALITY),
        thumb_width=one_x.width,
        thumb_height=one_x.height,
    )


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
    return encode(shrink(source, icc, size=size, thumb_size=thumb_size))


def _shrunk_rgb(
    im: Image.Image, icc: bytes | None, target: tuple[int, int]
) -> tuple[Image.Image, bytes | None]:
    """Convert to RGB(A) and shrink by an integer factor, a band of rows at a time.

    Pillow's `reduce` (like `resize`) first converts a whole RGBA image to premultiplied
    alpha, a second full-size copy (196 MB more for 7000 x 7000), and converting a palette or
    CMYK image to RGB is one too; done band by band, only a band is ever copied. The result
    keeps at least REDUCING_GAP times the target size for the final resample.
    """
    factor = min(im.width // max(1, target[0]), im.height // max(1, target[1])) // REDUCING_GAP
    if factor < 2:  # at most twice the target: a whole copy is small enough
        return to_rgb(im, icc)
    rows = factor * max(1, BAND_PIXELS // (im.width * factor))
    out: Image.Image | None = None
    out_icc = icc
    for top in range(0, im.height, rows):
        band = im.crop((0, top, im.width, min(im.height, top + rows)))
        rgb, out_icc = to_rgb(band, icc, owned=True)
        small = rgb.reduce(factor)
        if out is None:
            size = (-(-im.width // factor), -(-im.height // factor))
            out = Image.new(small.mode, size)
        out.paste(small, (0, top // factor))
    assert out is not None
    return out, out_icc


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
