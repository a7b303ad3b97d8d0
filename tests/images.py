"""Real test images made with Pillow: phone photos, alpha, animation, broken and hostile files."""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

from PIL import ExifTags, Image, ImageCms, ImageDraw, PngImagePlugin

# Colours of the four quadrants of the phone photo as it should be SEEN (after orientation 6).
SEEN_TOP_LEFT = (0, 0, 255)  # blue
SEEN_TOP_RIGHT = (255, 0, 0)  # red
SEEN_BOTTOM_LEFT = (255, 255, 0)  # yellow
SEEN_BOTTOM_RIGHT = (0, 255, 0)  # green

GPS_LATITUDE = (48.0, 51.0, 29.52)
XMP_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="48,51.492N" exif:GPSLongitude="2,17.4E"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
FRAME_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
FRAME_DURATIONS = (100, 200, 300)


def _save(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, format=fmt, **options)
    return out.getvalue()


def gps_exif(orientation: int | None = 6) -> Image.Exif:
    """EXIF as a phone writes it: camera, orientation and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 17.0, 24.0),
    }
    return exif


def raw_sensor_image(width: int = 120, height: int = 80) -> Image.Image:
    """Quadrants as the sensor stored them, so that rotating 90 degrees clockwise shows
    blue/red over yellow/green (the SEEN_* colours)."""
    im = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(im)
    half_w, half_h = width // 2, height // 2
    draw.rectangle((0, 0, half_w - 1, half_h - 1), fill=SEEN_TOP_RIGHT)  # red
    draw.rectangle((half_w, 0, width - 1, half_h - 1), fill=SEEN_BOTTOM_RIGHT)  # green
    draw.rectangle((0, half_h, half_w - 1, height - 1), fill=SEEN_TOP_LEFT)  # blue
    draw.rectangle((half_w, half_h, width - 1, height - 1), fill=SEEN_BOTTOM_LEFT)  # yellow
    return im


def phone_jpeg(width: int = 120, height: int = 80) -> bytes:
    """A sideways phone JPEG: EXIF Orientation=6, GPS in EXIF and XMP, and a comment."""
    return _save(
        raw_sensor_image(width, height),
        "JPEG",
        quality=95,
        exif=gps_exif(6),
        xmp=XMP_GPS,
        comment=b"shot at home",
    )


def plain_jpeg(
    width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """An upright JPEG with no metadata."""
    return _save(Image.new("RGB", (width, height), colour), "JPEG", quality=90)


def noisy_jpeg(width: int, height: int, seed: int = 1) -> bytes:
    """A JPEG of random pixels (large for its size: good for byte limits)."""
    rng = random.Random(seed)
    im = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    return _save(im, "JPEG", quality=95)


def png_with_alpha(width: int = 40, height: int = 30) -> bytes:
    """RGBA PNG: left half opaque red, right half fully transparent, one half-transparent pixel,
    plus EXIF with GPS and a text chunk (metadata that must go)."""
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((0, 0, width // 2 - 1, height - 1), fill=(255, 0, 0, 255))
    im.putpixel((width - 1, height - 1), (0, 0, 255, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 48.86N 2.29E")
    return _save(im, "PNG", pnginfo=info, exif=gps_exif(None))


def palette_png(width: int = 30, height: int = 20) -> bytes:
    """P-mode PNG with a transparent palette entry (index 0) on the left third."""
    im = Image.new("P", (width, height), 1)
    im.putpalette([0, 0, 0, 0, 128, 255, 255, 128, 0] + [0] * (256 - 3) * 3)
    ImageDraw.Draw(im).rectangle((0, 0, width // 3 - 1, height - 1), fill=0)
    ImageDraw.Draw(im).rectangle((2 * width // 3, 0, width - 1, height - 1), fill=2)
    return _save(im, "PNG", transparency=0)


def animated_gif(width: int = 32, height: int = 24) -> bytes:
    """Three solid frames (red, green, blue), 100/200/300 ms, looping forever, with a comment."""
    frames = [Image.new("RGB", (width, height), colour) for colour in FRAME_COLOURS]
    return _save(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=list(FRAME_DURATIONS),
        loop=0,
        comment=b"made at 48.86N 2.29E",
    )


def webp_image(width: int = 50, height: int = 40, *, lossless: bool = True) -> bytes:
    """A WebP with alpha: opaque green top half, transparent bottom half."""
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((0, 0, width - 1, height // 2 - 1), fill=(0, 255, 0, 255))
    return _save(im, "WEBP", lossless=lossless, quality=90, exif=gps_exif(None))


def truncated_jpeg() -> bytes:
    """A real JPEG cut off part-way through its image data."""
    data = noisy_jpeg(200, 150)
    return data[: len(data) * 6 // 10]


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    """Noise that no image decoder accepts (checked: it starts with no known signature)."""
    data = random.Random(seed).randbytes(size)
    assert not data.startswith((b"\xff\xd8", b"\x89PNG", b"GIF8", b"RIFF"))
    return data


def svg() -> bytes:
    """A small SVG document (XML text, not a raster image)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<script>alert(1)</script><rect width="100" height="100" fill="red"/></svg>\n'
    )


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


@cache
def pixel_bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit PNG of width x height black pixels: tiny on disk, huge once decoded."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def image_with_pixels(width: int, height: int) -> bytes:
    """An ordinary PNG of exactly width x height pixels (to sit just over a pixel limit)."""
    return _save(Image.new("RGB", (width, height), (10, 20, 30)), "PNG")


def icc_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS, with a description to recognise it by."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def jpeg_with_icc() -> bytes:
    """An RGB JPEG carrying an ICC profile (and EXIF, which must go while the profile stays)."""
    im = Image.new("RGB", (48, 32), (30, 120, 200))
    return _save(im, "JPEG", quality=92, icc_profile=icc_profile(), exif=gps_exif(1))


def cmyk_jpeg(width: int = 40, height: int = 30) -> bytes:
    """A CMYK JPEG (print workflow) of pure red: C=0, M=255, Y=255, K=0."""
    return _save(Image.new("CMYK", (width, height), (0, 255, 255, 0)), "JPEG", quality=95)


def transparent_animated_gif(width: int = 40, height: int = 30) -> bytes:
    """A red square moving right over a transparent background, four frames."""
    frames = []
    for index in range(4):
        frame = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        left = index * 8
        ImageDraw.Draw(frame).rectangle((left, 5, left + 9, 15), fill=(255, 0, 0, 255))
        frames.append(frame)
    return _save(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0, disposal=2
    )


def animated_gif_frames(count: int, width: int = 32, height: int = 24) -> bytes:
    """An animation of `count` frames in alternating colours."""
    frames = [
        Image.new("RGB", (width, height), FRAME_COLOURS[index % len(FRAME_COLOURS)])
        for index in range(count)
    ]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0)


def grey16_png(width: int = 20, height: int = 10, level: int = 3000) -> bytes:
    """A 16-bit greyscale PNG (dark grey: 3000 of 65535)."""
    return _save(Image.new("I;16", (width, height), level), "PNG")


def rgb_png_with_transparent_colour(width: int = 20, height: int = 10) -> bytes:
    """An RGB PNG whose tRNS chunk makes one colour (the left half) transparent."""
    im = Image.new("RGB", (width, height), (9, 9, 9))
    ImageDraw.Draw(im).rectangle((width // 2, 0, width - 1, height - 1), fill=(200, 100, 0))
    return _save(im, "PNG", transparency=(9, 9, 9))


def mpo_jpeg(width: int = 20, height: int = 10) -> bytes:
    """A multi-picture JPEG (MPO) as some phones write: a red main image and a green second one."""
    first = Image.new("RGB", (width, height), (200, 0, 0))
    second = Image.new("RGB", (width, height), (0, 200, 0))
    return _save(first, "MPO", save_all=True, append_images=[second], exif=gps_exif(1))
