"""Image checks and cleaning, with real images made by tests/images.py."""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageSequence

from gamecoll.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from gamecoll.services.image_checks import ACCEPTED_FORMATS, decode_base64_image
from gamecoll.services.images import ProcessedImage, process_image
from tests import images as make

MIB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MIB, "max_pixels": 50_000_000}


def run(data: bytes, **limits: int) -> ProcessedImage:
    return process_image(data, **{**LIMITS, **limits})


def open_image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def pixel(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = im.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def close_to(actual: object, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_no_metadata(data: bytes) -> None:
    """What a user would look for: no EXIF, GPS, XMP, comments or text chunks anywhere."""
    im = open_image(data)
    assert dict(im.getexif()) == {}
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
        assert key not in im.info
    for marker in (b"Exif", b"EXIF", b"eXIf", b"tEXt", b"iTXt", b"xmpmeta", b"48.86N", b"GPS"):
        assert marker not in data, marker


# -- phone photos: orientation and metadata ---------------------------------------------------


def test_phone_jpeg_is_stored_upright_without_gps_or_exif() -> None:
    source = make.phone_jpeg(120, 80)
    assert open_image(source).getexif().get_ifd(0x8825)  # the test photo really has GPS

    result = run(source)

    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert (result.width, result.height) == (80, 120)  # 90 degrees turned: now portrait
    stored = open_image(result.content)
    assert stored.format == "JPEG" and stored.size == (80, 120)
    assert close_to(stored.getpixel((20, 30)), make.SEEN_TOP_LEFT)
    assert close_to(stored.getpixel((60, 30)), make.SEEN_TOP_RIGHT)
    assert close_to(stored.getpixel((20, 90)), make.SEEN_BOTTOM_LEFT)
    assert close_to(stored.getpixel((60, 90)), make.SEEN_BOTTOM_RIGHT)
    assert_no_metadata(result.content)
    assert b"shot at home" not in result.content


def test_thumbnail_is_upright_webp_without_metadata() -> None:
    result = run(make.phone_jpeg(1200, 800), thumb_size=400)

    thumb = open_image(result.thumbnail)
    assert thumb.format == "WEBP"
    assert thumb.size == (result.thumb_width, result.thumb_height) == (267, 400)
    assert close_to(thumb.getpixel((60, 100)), make.SEEN_TOP_LEFT)
    assert close_to(thumb.getpixel((200, 100)), make.SEEN_TOP_RIGHT)
    assert close_to(thumb.getpixel((60, 300)), make.SEEN_BOTTOM_LEFT)
    assert close_to(thumb.getpixel((200, 300)), make.SEEN_BOTTOM_RIGHT)
    assert_no_metadata(result.thumbnail)


def test_result_fields_describe_the_stored_content() -> None:
    result = run(make.plain_jpeg(64, 48))

    assert result.size == len(result.content)
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert open_image(result.content).size == (result.width, result.height) == (64, 48)


def test_small_images_are_not_enlarged_for_the_thumbnail() -> None:
    result = run(make.plain_jpeg(64, 48))
    assert (result.thumb_width, result.thumb_height) == (64, 48)


def test_thumb_size_bounds_the_longest_side() -> None:
    result = run(make.noisy_jpeg(900, 300), thumb_size=150)
    assert (result.thumb_width, result.thumb_height) == (150, 50)


# -- transparency, palettes, animation, WebP -------------------------------------------------


def test_png_alpha_is_kept_and_metadata_dropped() -> None:
    result = run(make.png_with_alpha(40, 30))

    assert (result.content_type, result.extension) == ("image/png", "png")
    stored = open_image(result.content)
    assert stored.mode == "RGBA"
    assert stored.getpixel((5, 5)) == (255, 0, 0, 255)
    assert pixel(stored, (30, 5))[3] == 0
    assert stored.getpixel((39, 29)) == (0, 0, 255, 128)
    assert_no_metadata(result.content)

    thumb = open_image(result.thumbnail).convert("RGBA")
    assert pixel(thumb, (5, 5))[3] == 255
    assert pixel(thumb, (30, 5))[3] == 0


def test_palette_png_keeps_its_colours_and_transparent_entry() -> None:
    source = open_image(make.palette_png(30, 20)).convert("RGBA")

    result = run(make.palette_png(30, 20))

    stored = open_image(result.content)
    assert stored.format == "PNG"
    assert stored.convert("RGBA").tobytes() == source.tobytes()
    assert pixel(stored.convert("RGBA"), (2, 2))[3] == 0
    thumb = open_image(result.thumbnail).convert("RGBA")
    assert pixel(thumb, (2, 2))[3] == 0
    assert close_to(thumb.getpixel((15, 10)), (0, 128, 255, 255))


def test_animated_gif_keeps_frames_durations_and_loop() -> None:
    result = run(make.animated_gif(32, 24))

    assert (result.content_type, result.extension) == ("image/gif", "gif")
    stored = Image.open(io.BytesIO(result.content))
    assert getattr(stored, "n_frames", 1) == 3
    assert stored.info.get("loop") == 0
    seen = [
        (frame.info.get("duration"), frame.convert("RGB").getpixel((5, 5)))
        for frame in ImageSequence.Iterator(stored)
    ]
    assert seen == list(zip(make.FRAME_DURATIONS, make.FRAME_COLOURS, strict=True))
    assert b"48.86N" not in result.content  # the GIF comment is gone


def test_animated_gif_thumbnail_is_a_still_webp_of_the_first_frame() -> None:
    result = run(make.animated_gif(32, 24))

    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "WEBP"
    assert getattr(thumb, "n_frames", 1) == 1
    assert close_to(thumb.convert("RGB").getpixel((5, 5)), make.FRAME_COLOURS[0], 10)


def test_transparent_animation_keeps_every_frame_exactly() -> None:
    source = make.transparent_animated_gif()

    result = run(source)

    def frames(data: bytes) -> list[bytes]:
        im = Image.open(io.BytesIO(data))
        return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(im)]

    assert frames(result.content) == frames(source)


def test_webp_stays_webp_lossless_stays_lossless_and_alpha_is_kept() -> None:
    source = make.webp_image(50, 40, lossless=True)

    result = run(source)

    assert (result.content_type, result.extension) == ("image/webp", "webp")
    assert b"VP8L" in result.content
    assert open_image(result.content).tobytes() == open_image(source).tobytes()
    assert pixel(open_image(result.content), (5, 35))[3] == 0
    assert_no_metadata(result.content)


def test_lossy_webp_is_stored_lossy() -> None:
    result = run(make.webp_image(50, 40, lossless=False))
    assert b"VP8L" not in result.content
    assert pixel(open_image(result.content), (5, 5))[3] == 255


# -- colour -----------------------------------------------------------------------------------


def test_icc_profile_is_kept_while_exif_goes() -> None:
    result = run(make.jpeg_with_icc())

    stored = open_image(result.content)
    assert stored.info.get("icc_profile") == make.icc_profile()
    assert_no_metadata(result.content)
    assert open_image(result.thumbnail).info.get("icc_profile") == make.icc_profile()


def test_cmyk_jpeg_stays_cmyk_and_thumbnail_is_rgb_with_the_right_colour() -> None:
    result = run(make.cmyk_jpeg())

    stored = open_image(result.content)
    assert (stored.format, stored.mode) == ("JPEG", "CMYK")
    assert close_to(stored.getpixel((5, 5)), (0, 255, 255, 0), 10)
    thumb = open_image(result.thumbnail)
    assert thumb.mode == "RGB"
    assert close_to(thumb.getpixel((5, 5)), (255, 0, 0), 20)


def test_16_bit_grey_png_stays_16_bit_and_its_thumbnail_is_not_white() -> None:
    result = run(make.grey16_png(level=3000))

    stored = open_image(result.content)
    assert (stored.mode, stored.getpixel((0, 0))) == ("I;16", 3000)
    assert close_to(open_image(result.thumbnail).getpixel((0, 0)), (12, 12, 12), 8)


def test_transparent_colour_of_an_rgb_png_is_kept() -> None:
    result = run(make.rgb_png_with_transparent_colour())

    assert open_image(result.content).info.get("transparency") == (9, 9, 9)
    thumb = open_image(result.thumbnail).convert("RGBA")
    assert pixel(thumb, (2, 2))[3] == 0
    assert pixel(thumb, (17, 2))[3] == 255


def test_multi_picture_jpeg_is_stored_as_a_plain_jpeg_of_the_main_picture() -> None:
    result = run(make.mpo_jpeg())

    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    stored = open_image(result.content)
    assert stored.format == "JPEG"
    assert getattr(stored, "n_frames", 1) == 1
    assert close_to(stored.getpixel((5, 5)), (200, 0, 0), 10)
    assert_no_metadata(result.content)


@pytest.mark.parametrize(
    ("mode", "colour"), [("1", 1), ("L", 90), ("LA", (90, 128)), ("P", 3), ("RGB", (1, 2, 3))]
)
def test_every_png_mode_is_stored_and_thumbnailed(mode: str, colour: int | tuple[int, ...]) -> None:
    out = io.BytesIO()
    Image.new(mode, (30, 20), colour).save(out, format="PNG")

    result = run(out.getvalue())

    assert open_image(result.content).mode == mode
    assert open_image(result.thumbnail).mode in ("RGB", "RGBA")


def test_cmyk_jpeg_with_a_broken_profile_still_gets_a_thumbnail() -> None:
    out = io.BytesIO()
    broken = b"\x00" * 16 + b"CMYK" + b"\x00" * 200
    Image.new("CMYK", (20, 10), (0, 255, 255, 0)).save(out, "JPEG", icc_profile=broken)

    result = run(out.getvalue())

    assert close_to(open_image(result.thumbnail).getpixel((5, 5)), (255, 0, 0), 20)


# -- refused uploads --------------------------------------------------------------------------


def test_truncated_jpeg_is_damaged() -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(make.truncated_jpeg())
    assert caught.value.status == 422
    assert "damaged or truncated" in caught.value.detail
    assert "image" in caught.value.fields


def test_jpeg_signature_with_garbage_header_is_damaged() -> None:
    with pytest.raises(ValidationFailed, match="damaged"):
        run(b"\xff\xd8\xff" + make.random_bytes(2000))


def test_random_bytes_are_not_an_image() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        run(make.random_bytes())
    assert caught.value.status == 415
    assert "JPEG, PNG, WebP, GIF" in caught.value.detail


def test_svg_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedMediaType, match="SVG"):
        run(make.svg())


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO"])
def test_other_real_formats_are_refused(fmt: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, format=fmt)
    with pytest.raises(UnsupportedMediaType, match="accepted: JPEG, PNG, WebP, GIF"):
        run(out.getvalue())


def test_empty_upload_is_invalid() -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        run(b"")


def test_pixel_bomb_is_refused_from_its_header() -> None:
    bomb = make.pixel_bomb_png(30_000, 30_000)
    assert len(bomb) < 200_000  # tiny file, 900 million pixels

    with pytest.raises(ValidationFailed) as caught:
        run(bomb)
    assert "30000x30000" in caught.value.detail
    assert "50,000,000" in caught.value.detail


def test_pillow_bomb_warning_never_fires_and_global_state_is_untouched() -> None:
    # 100 million pixels: over Pillow's global warning threshold, under its error threshold.
    bomb = make.pixel_bomb_png(10_000, 10_000)
    filters_before = list(warnings.filters)
    limit_before = Image.MAX_IMAGE_PIXELS

    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        with pytest.raises(ValidationFailed, match="10000x10000"):
            run(bomb)

    assert [
        w for w in caught_warnings if issubclass(w.category, Image.DecompressionBombWarning)
    ] == []
    assert list(warnings.filters) == filters_before
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_image_just_over_the_pixel_limit_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(make.image_with_pixels(101, 100), max_pixels=10_000)
    assert "101x100" in caught.value.detail and "10,000" in caught.value.detail

    assert run(make.image_with_pixels(100, 100), max_pixels=10_000).width == 100


def test_image_just_over_the_byte_limit_is_too_large() -> None:
    data = make.phone_jpeg()

    with pytest.raises(PayloadTooLarge) as caught:
        run(data, max_bytes=len(data) - 1)
    assert caught.value.status == 413
    assert "MiB" in caught.value.detail

    assert run(data, max_bytes=len(data)).width == 80


def test_byte_limit_message_gives_mebibytes() -> None:
    with pytest.raises(PayloadTooLarge, match="limit is 1 MiB"):
        run(make.random_bytes(MIB + 1), max_bytes=MIB)


def test_animation_over_the_frame_limit_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="more than 3 frames"):
        process_image(make.animated_gif_frames(5), **LIMITS, max_frames=3)
    assert run(make.animated_gif_frames(3)).content_type == "image/gif"


def test_animation_pixels_count_over_all_frames() -> None:
    # 3 frames of 32x24 = 2304 pixels in all; each frame alone is under the limit.
    with pytest.raises(ValidationFailed, match="over all its frames"):
        run(make.animated_gif(32, 24), max_pixels=2000)


def test_processing_in_threads_gives_the_same_results() -> None:
    inputs = [make.phone_jpeg(), make.png_with_alpha(), make.animated_gif(), make.cmyk_jpeg()]
    expected = [run(data).sha256 for data in inputs]
    bomb = make.pixel_bomb_png(10_000, 10_000)

    def work(index: int) -> str:
        if index % 5 == 4:
            with pytest.raises(ValidationFailed):
                run(bomb)
            return "refused"
        return run(inputs[index % 5]).sha256

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(work, range(40)))

    assert got == ["refused" if index % 5 == 4 else expected[index % 5] for index in range(40)]


def test_accepted_formats_are_the_four_web_formats() -> None:
    assert set(ACCEPTED_FORMATS) == {"JPEG", "PNG", "WEBP", "GIF"}


# -- base64 -----------------------------------------------------------------------------------


def test_raw_base64_decodes() -> None:
    data = make.plain_jpeg()
    assert decode_base64_image(base64.b64encode(data).decode(), max_bytes=MIB) == data


def test_data_url_decodes_whatever_type_it_declares() -> None:
    data = make.plain_jpeg()
    encoded = base64.b64encode(data).decode()
    for header in ("data:image/jpeg;base64,", "DATA:image/png;base64,", "data:;base64,"):
        assert decode_base64_image(header + encoded, max_bytes=MIB) == data


def test_line_breaks_spaces_and_url_safe_alphabet_are_tolerated() -> None:
    data = bytes(range(256)) * 4  # has bytes that encode to "+" and "/"
    standard = base64.b64encode(data).decode()
    wrapped = "\n".join(standard[i : i + 76] for i in range(0, len(standard), 76))
    url_safe = base64.urlsafe_b64encode(data).decode().rstrip("=")

    assert decode_base64_image(f"  data:image/gif;base64,\r\n{wrapped}\n", max_bytes=MIB) == data
    assert decode_base64_image(url_safe, max_bytes=MIB) == data


@pytest.mark.parametrize(
    "value",
    [
        "not base64 at all!",
        "QUJD*RA==",
        "QQ===",  # too much padding
        "QUJDR",  # one character too many
        "QU=JD",  # padding in the middle
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>",
        "data:image/png,iVBORw0KGgo=",
    ],
)
def test_invalid_base64_is_a_422_on_the_image_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        decode_base64_image(value, max_bytes=MIB)
    assert caught.value.status == 422
    assert "image" in caught.value.fields


@pytest.mark.parametrize("value", ["", "   \n", "data:image/png;base64,", "===="])
def test_empty_base64_is_invalid(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        decode_base64_image(value, max_bytes=MIB)
    assert "image" in caught.value.fields


def test_base64_size_is_checked_exactly() -> None:
    data = b"\x01" * 1000
    encoded = base64.b64encode(data).decode()

    assert decode_base64_image(encoded, max_bytes=1000) == data
    with pytest.raises(PayloadTooLarge):
        decode_base64_image(encoded, max_bytes=999)


def test_oversized_base64_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("decoded although the length already said too large")

    monkeypatch.setattr(base64, "b64decode", no_decoding)  # the module the service uses
    with pytest.raises(PayloadTooLarge, match="MiB"):
        decode_base64_image("A" * (4 * MIB), max_bytes=MIB)


def test_base64_data_url_of_a_phone_photo_goes_through_processing() -> None:
    url = "data:image/jpeg;base64," + base64.b64encode(make.phone_jpeg()).decode()
    result = run(decode_base64_image(url, max_bytes=MIB))
    assert (result.width, result.height) == (80, 120)
    assert_no_metadata(result.content)
