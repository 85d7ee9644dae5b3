"""Photo pipeline on real images made here: upright, bounded, stripped, dated, placed, or refused."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile

from inspector import photos
from inspector.photos import PhotoRejected, process

RED = (220, 20, 20)
GREY = (90, 110, 130)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
BOMB = "Resolusi foto terlalu besar"


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def exif_with(orientation=None, original=None, offset=None, datetime_=None, gps=None) -> Image.Exif:
    """EXIF as a phone writes it; ``gps`` is ((lat_ref, lat_dms), (lon_ref, lon_dms))."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraUji"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if datetime_:
        exif[ExifTags.Base.DateTime] = datetime_
    tags = exif.get_ifd(ExifTags.IFD.Exif)
    if original:
        tags[ExifTags.Base.DateTimeOriginal] = original
    if offset:
        tags[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        (lat_ref, lat), (lon_ref, lon) = gps
        place = exif.get_ifd(ExifTags.IFD.GPSInfo)
        place.update({ExifTags.GPS.GPSLatitudeRef: lat_ref, ExifTags.GPS.GPSLatitude: lat,
                      ExifTags.GPS.GPSLongitudeRef: lon_ref, ExifTags.GPS.GPSLongitude: lon})
    return exif


def small_jpeg(exif: Image.Exif | None = None, **params) -> bytes:
    return encode(Image.new("RGB", (64, 48), GREY), "JPEG", exif=exif or Image.Exif(), **params)


def noisy_jpeg(size=(640, 480)) -> bytes:
    """Noise, so the JPEG has enough entropy that cutting it loses real scan data."""
    return encode(Image.effect_noise(size, 60).convert("RGB"), "JPEG", quality=90)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny 1-bit PNG whose header claims width x height: a pixel flood if anyone decoded it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(bytes(1 + (width + 7) // 8) * 8)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def assert_no_metadata(jpeg: bytes) -> None:
    img = opened(jpeg)
    assert img.format == "JPEG" and img.mode == "RGB"
    assert len(img.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(img.info)
    for marker in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com", b"KameraUji", b"\xff\xfe"):
        assert marker not in jpeg, marker


# A 12 MP phone photo, stored sideways ------------------------------------------------------------

@pytest.fixture(scope="module")
def phone_photo() -> photos.ProcessedPhoto:
    """4000x3000 stored with Orientation 6, a red top-left corner, capture time, GPS in Tangerang, sRGB ICC."""
    img = Image.new("RGB", (4000, 3000), GREY)
    ImageDraw.Draw(img).rectangle((0, 0, 599, 599), fill=RED)
    exif = exif_with(orientation=6, original="2026:03:14 09:26:53",
                     gps=(("S", (6.0, 12.0, 56.52)), ("E", (106.0, 38.0, 17.88))))
    return process(encode(img, "JPEG", quality=90, exif=exif, icc_profile=SRGB_ICC))


def is_red(pixel) -> bool:
    return pixel[0] > 180 and pixel[1] < 80 and pixel[2] < 80


def test_phone_photo_is_upright_and_bounded(phone_photo):
    img = opened(phone_photo.jpeg)
    assert img.size == (phone_photo.width, phone_photo.height) == (1200, 1600)
    # Orientation 6: turn 90 degrees clockwise, so the stored top-left corner ends top-right.
    assert is_red(img.getpixel((1200 - 60, 60)))
    for corner in ((60, 60), (60, 1600 - 60), (1200 - 60, 1600 - 60)):
        assert not is_red(img.getpixel(corner)), corner
    assert phone_photo.source_format == "JPEG"


def test_phone_photo_keeps_no_metadata(phone_photo):
    assert_no_metadata(phone_photo.jpeg)
    assert_no_metadata(phone_photo.thumb)


def test_phone_photo_time_and_place_are_read(phone_photo):
    assert phone_photo.taken_at == "2026-03-14T02:26:53+00:00"  # 09:26:53 WIB
    assert phone_photo.gps == pytest.approx((-6.2157, 106.6383), abs=1e-6)


def test_phone_photo_thumb_and_hash(phone_photo):
    assert max(opened(phone_photo.thumb).size) <= photos.THUMB_SIDE
    assert opened(phone_photo.thumb).size == (240, 320)
    assert phone_photo.sha256 == hashlib.sha256(phone_photo.jpeg).hexdigest()


# Metadata ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("exif", "expected"), [
    (exif_with(original="2026:03:14 09:26:53"), "2026-03-14T02:26:53+00:00"),
    (exif_with(original="2026:03:14 09:26:53", offset="+08:00"), "2026-03-14T01:26:53+00:00"),
    (exif_with(original="2026:01:01 03:00:00", offset="-03:00"), "2026-01-01T06:00:00+00:00"),
    (exif_with(original="2026:01:01 03:00:00", offset="rusak"), "2025-12-31T20:00:00+00:00"),
    (exif_with(datetime_="2026:03:14 09:26:53"), "2026-03-14T02:26:53+00:00"),
    (exif_with(original="0000:00:00 00:00:00"), None),
    (exif_with(), None),
], ids=["wib", "offset", "negative-offset", "bad-offset", "datetime-only", "zeroes", "none"])
def test_taken_at(exif, expected):
    assert process(small_jpeg(exif)).taken_at == expected


@pytest.mark.parametrize(("gps", "expected"), [
    ((("S", (6.0, 12.0, 56.52)), ("E", (106.0, 38.0, 17.88))), (-6.2157, 106.6383)),
    ((("N", (40.0, 41.0, 21.0)), ("W", (74.0, 2.0, 40.0))), (40.689167, -74.044444)),
    ((("S", (6.2157, 0.0, 0.0)), ("E", (106.6383, 0.0, 0.0))), (-6.2157, 106.6383)),
    ((("X", (6.0, 12.0, 56.52)), ("E", (106.0, 38.0, 17.88))), None),
    ((("S", (96.0, 0.0, 0.0)), ("E", (106.0, 38.0, 17.88))), None),
    ((("S", (6.0, 75.0, 0.0)), ("E", (106.0, 38.0, 17.88))), None),
    ((("N", (0.0, 0.0, 0.0)), ("E", (0.0, 0.0, 0.0))), None),
    (None, None),
], ids=["tangerang", "north-west", "decimal-degrees", "bad-ref", "past-pole", "bad-minutes", "null-island",
        "absent"])
def test_gps(gps, expected):
    found = process(small_jpeg(exif_with(gps=gps))).gps
    assert found == (pytest.approx(expected, abs=1e-6) if expected else None)


def test_gps_without_a_ref_is_dropped():
    exif = exif_with(gps=(("S", (6.0, 12.0, 56.52)), ("E", (106.0, 38.0, 17.88))))
    del exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef]
    assert process(small_jpeg(exif)).gps is None


def test_icc_xmp_and_comment_are_stripped_and_colours_kept():
    img = Image.new("RGB", (200, 100), (10, 200, 30))
    data = encode(img, "JPEG", quality=95, icc_profile=SRGB_ICC, comment=b"<script>alert(1)</script>",
                  xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', exif=exif_with(original="2026:03:14 09:26:53"))
    result = process(data)
    assert_no_metadata(result.jpeg)
    assert b"<script" not in result.jpeg and b"xmpmeta" not in result.jpeg
    assert opened(result.jpeg).getpixel((100, 50)) == pytest.approx((10, 200, 30), abs=4)


# Pillow only warns about broken EXIF; pytest's filterwarnings=error would turn that into a refusal
# that production never makes, so let the warning be a warning here.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_malformed_exif_costs_the_metadata_not_the_photo():
    result = process(small_jpeg(exif=b"Exif\x00\x00II*\x00" + b"\xff" * 40))
    assert (result.taken_at, result.gps, result.width) == (None, None, 64)
    assert_no_metadata(result.jpeg)


def test_unreadable_icc_profile_is_dropped_not_fatal():
    result = process(small_jpeg(icc_profile=b"bukan profil warna" * 8))
    assert_no_metadata(result.jpeg)


# Formats and modes ------------------------------------------------------------------------------

def test_png_with_alpha_lies_on_white():
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, 99, 99), fill=(0, 0, 255, 255))
    result = process(encode(img, "PNG"))
    out = opened(result.jpeg)
    assert result.source_format == "PNG" and out.mode == "RGB" and out.size == (300, 200)
    assert out.getpixel((250, 150)) == pytest.approx((255, 255, 255), abs=3)
    assert out.getpixel((50, 50)) == pytest.approx((0, 0, 255), abs=3)


def test_webp_is_accepted():
    result = process(encode(Image.new("RGBA", (3200, 800), (200, 0, 0, 255)), "WEBP", quality=80))
    out = opened(result.jpeg)
    assert result.source_format == "WEBP" and out.format == "JPEG" and out.size == (1600, 400)
    assert out.getpixel((10, 10)) == pytest.approx((200, 0, 0), abs=6)


def palette_with_transparency() -> bytes:
    img = Image.new("P", (80, 60), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0, 0, 0] * 254)
    return encode(img, "PNG", transparency=0)


@pytest.mark.parametrize(("data", "pixel"), [
    (palette_with_transparency(), (255, 255, 255)),
    (encode(Image.new("LA", (80, 60), (0, 0)), "PNG"), (255, 255, 255)),
    (encode(Image.new("I;16", (80, 60), 40000), "PNG"), (156, 156, 156)),
    (encode(Image.new("1", (80, 60), 1), "PNG"), (255, 255, 255)),
    (encode(Image.new("L", (80, 60), 128), "JPEG"), (128, 128, 128)),
    (encode(Image.new("CMYK", (80, 60), (0, 255, 255, 0)), "JPEG"), (255, 0, 0)),
], ids=["palette-transparent", "grey-alpha", "grey-16-bit", "bilevel", "grey-jpeg", "cmyk-jpeg"])
def test_other_modes_come_out_rgb(data, pixel):
    out = opened(process(data).jpeg)
    assert out.mode == "RGB" and out.size == (80, 60)
    assert out.getpixel((40, 30)) == pytest.approx(pixel, abs=4)


def test_small_photo_is_not_enlarged():
    result = process(noisy_jpeg((640, 480)))
    assert (result.width, result.height) == (640, 480)
    assert opened(result.thumb).size == (320, 240)


def test_jpeg_with_html_inside_is_rebuilt_without_it():
    """A polyglot that does parse as a photo is harmless once re-encoded: only pixels survive."""
    script = b"<html><script>alert(document.cookie)</script></html>"
    data = small_jpeg(comment=script) + script
    result = process(data)
    assert b"<script" not in result.jpeg and b"<script" not in result.thumb
    assert_no_metadata(result.jpeg)


# Refused ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"",
    "bukan foto, cuma teks bernama foto.jpg\n".encode(),
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>',
    encode(Image.new("P", (40, 30)), "GIF"),
    encode(Image.new("RGB", (40, 30)), "TIFF"),
    encode(Image.new("RGB", (40, 30)), "BMP"),
    b"<html><body><script>alert(1)</script></body></html>" + b"\xff\xd8\xff\xe0" + bytes(200),
    b"\xff\xd8\xff\xe0" + bytes(10),
], ids=["empty", "text", "svg-script", "gif", "tiff", "bmp", "html-jpeg-polyglot", "jpeg-header-only"])
def test_not_a_photo(data):
    with pytest.raises(PhotoRejected) as rejected:
        process(data)
    assert (rejected.value.status, rejected.value.message) == (400, "Berkas bukan foto JPEG, PNG atau WebP.")


@pytest.mark.parametrize("data", [
    noisy_jpeg()[: len(noisy_jpeg()) // 2],
    encode(Image.effect_noise((640, 480), 60), "PNG")[:20_000],
], ids=["jpeg", "png"])
def test_truncated_photo(data):
    with pytest.raises(PhotoRejected) as rejected:
        process(data)
    assert (rejected.value.status, rejected.value.message) == (400, "Foto rusak atau terpotong. Ambil ulang fotonya.")


def test_truncated_jpeg_fails_only_its_own_upload():
    """No global LOAD_TRUNCATED_IMAGES: the next upload is judged afresh."""
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(PhotoRejected):
        process(noisy_jpeg()[:-2000])
    assert process(noisy_jpeg()).width == 640


@pytest.mark.parametrize(("width", "height"), [
    (8000, 8000),     # 64 MP: over our 50 MP, under Pillow's warning
    (10000, 10000),   # 100 MP: Pillow warns (an error under pytest's filterwarnings)
    (20000, 20000),   # 400 MP: Pillow's DecompressionBombError
], ids=["ours", "pillow-warning", "pillow-error"])
def test_pixel_flood_is_refused_before_decoding(monkeypatch, width, height):
    def never(self):
        raise AssertionError("pixels decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    data = png_declaring(width, height)
    assert len(data) < 200
    with pytest.raises(PhotoRejected) as rejected:
        process(data)
    assert rejected.value.status == 400
    assert rejected.value.message.startswith(BOMB) and "50 megapiksel" in rejected.value.message


def test_pixel_limit_is_configurable():
    with pytest.raises(PhotoRejected) as rejected:
        process(small_jpeg(), max_pixels=1500)
    assert rejected.value.status == 400 and "0,0015 megapiksel" in rejected.value.message


def test_too_many_bytes():
    with pytest.raises(PhotoRejected) as rejected:
        process(bytes(15 * 1024 * 1024 + 1))
    assert (rejected.value.status, rejected.value.message) == (413, "Foto terlalu besar (maksimal 15 MB).")
    data = small_jpeg()
    with pytest.raises(PhotoRejected) as rejected:
        process(data, max_bytes=len(data) - 1)
    assert rejected.value.status == 413
    assert process(data, max_bytes=len(data)).width == 64
