"""Encode cleaned frames in their stored format, with no metadata but the ICC profile.

Also tells whether a file is already in that stored form (no EXIF, XMP, comments or text), so
that an import may keep a photo from an export byte for byte.
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

from gamecoll.services.renditions import icc_fits

JPEG_QUALITY: Final = 90
WEBP_QUALITY: Final = 90

# Modes each encoder writes as they are; anything else is converted first.
_SAVE_MODES: Final[dict[str, frozenset[str]]] = {
    "JPEG": frozenset({"L", "RGB", "CMYK"}),
    "PNG": frozenset({"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
    "GIF": frozenset({"L", "P"}),
}
# Modes in which a "transparency" entry (a palette index or a colour) stays meaningful.
_TRANSPARENCY_MODES: Final = frozenset({"1", "L", "I", "I;16", "P", "RGB"})


def encode_frames(
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


def webp_lossless(data: bytes) -> bool:
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


# What Pillow reports of a file in the stored form, per format: anything else (EXIF, XMP,
# comments, text chunks, application extensions other than the loop) means it is not.
_STORED_INFO: Final[dict[str, frozenset[str]]] = {
    "JPEG": frozenset(
        {
            "jfif",
            "jfif_version",
            "jfif_unit",
            "jfif_density",
            "dpi",
            "icc_profile",
            "progressive",
            "progression",
            "adobe",
            "adobe_transform",
        }
    ),
    "PNG": frozenset(
        {"icc_profile", "transparency", "gamma", "dpi", "srgb", "aspect", "loop", "duration"}
        | {"disposal", "blend", "default_image", "bbox"}
    ),
    "WEBP": frozenset({"icc_profile", "loop", "background", "duration", "timestamp"}),
    "GIF": frozenset({"version", "background", "transparency", "duration", "loop"}),
}
_STORED_JPEG_SEGMENTS: Final = {"APP0": b"JFIF\0", "APP2": b"ICC_PROFILE\0", "APP14": b"Adobe"}


def in_stored_form(im: Image.Image, image_format: str) -> bool:
    """Tell whether a decoded file carries nothing an upload would lose when cleaned.

    True for what this module writes: no EXIF (so no orientation to apply), XMP, comment or
    text, only the ICC profile and what draws the picture. Such a file can be kept as it is.
    """
    allowed = _STORED_INFO.get(image_format)
    if allowed is None or not set(im.info) <= allowed or len(im.getexif()):
        return False
    applist = getattr(im, "applist", [])
    return all(body.startswith(_STORED_JPEG_SEGMENTS.get(marker, b"-")) for marker, body in applist)
