"""Photo pipeline: judge an upload by its content, bound it, set it upright, strip it, re-encode it."""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image, ImageCms, ImageOps

from . import timefmt

MAX_SIDE = 1600
THUMB_SIDE = 320
JPEG_QUALITY = 82
THUMB_QUALITY = 78
FORMATS = ["JPEG", "PNG", "WEBP"]
WIB = timezone(timedelta(hours=7))

NOT_A_PHOTO = "Berkas bukan foto JPEG, PNG atau WebP."
CORRUPT = "Foto rusak atau terpotong. Ambil ulang fotonya."


class PhotoRejected(Exception):
    """An upload that is not kept: ``status`` for the HTTP response, ``message`` for the inspector."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    jpeg: bytes
    thumb: bytes
    width: int
    height: int
    taken_at: str | None
    gps: tuple[float, float] | None
    sha256: str
    source_format: str


def process(data: bytes, max_bytes: int = 15 * 1024 * 1024, max_pixels: int = 50_000_000) -> ProcessedPhoto:
    """Check one upload and re-encode it; raises PhotoRejected with a message for the inspector."""
    if len(data) > max_bytes:
        raise PhotoRejected(413, f"Foto terlalu besar (maksimal {_size_text(max_bytes)}).")
    too_big = PhotoRejected(400, f"Resolusi foto terlalu besar (maksimal {_number(max_pixels / 1e6)} megapiksel). "
                                 "Kecilkan resolusi kamera lalu ambil ulang.")
    img = _open(data, too_big)
    width, height = img.size
    if width * height > max_pixels:  # from the header alone: no pixel is decoded yet
        raise too_big
    source_format = img.format
    scale = MAX_SIDE / max(width, height)
    if source_format == "JPEG" and scale < 1:
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale: a 12 MP photo is never held at full size.
        img.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_big from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise PhotoRejected(400, CORRUPT) from error

    exif = _exif(img)
    taken_at, gps, icc = _taken_at(exif), _gps(exif), img.info.get("icc_profile")
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # noqa: BLE001 -- the pixels are turned first; only rewriting broken tags failed
        pass
    img = _flatten(img)
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    img = _to_srgb(img, icc)
    jpeg = _jpeg(img, JPEG_QUALITY, progressive=True)
    width, height = img.size
    img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(jpeg=jpeg, thumb=_jpeg(img, THUMB_QUALITY, progressive=False), width=width,
                          height=height, taken_at=taken_at, gps=gps, sha256=hashlib.sha256(jpeg).hexdigest(),
                          source_format=source_format)


def _open(data: bytes, too_big: PhotoRejected) -> Image.Image:
    """The image as its content says, never its name; its header read, its pixels not yet."""
    stream = io.BytesIO(data)
    try:
        return Image.open(stream, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own limit (MAX_IMAGE_PIXELS); the warning arrives as an error only where warnings are errors.
        raise too_big from error
    except Exception as error:  # UnidentifiedImageError, or whatever a mangled header trips over
        raise PhotoRejected(400, NOT_A_PHOTO) from error


def _flatten(img: Image.Image) -> Image.Image:
    """RGB, L or CMYK; transparency laid on white, 16-bit grey brought to 8 bits, palettes expanded."""
    if img.has_transparency_data:
        rgba = img.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", img.size, "white"), rgba).convert("RGB")
    if img.mode in ("RGB", "L", "CMYK"):
        return img
    if img.mode.startswith("I") or img.mode == "F":
        return img.convert("I").point(lambda value: value / 256).convert("L")
    return img.convert("RGB")


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB, so that dropping the colour profile does not shift the colours."""
    if icc:
        try:
            return ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                          ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable or mismatched profile: keep the numbers as they are
    return img if img.mode == "RGB" else img.convert("RGB")


def _jpeg(img: Image.Image, quality: int, progressive: bool) -> bytes:
    """A metadata-free JPEG: no EXIF, ICC, XMP or comment (a JPEG save would carry info['comment'])."""
    img.info.clear()
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality, optimize=True, progressive=progressive, exif=b"", icc_profile=None)
    return buffer.getvalue()


# Metadata is a courtesy: a malformed tag may cost the time or the place, never the photo.

def _exif(img: Image.Image) -> Image.Exif:
    try:
        return img.getexif()
    except Exception:  # noqa: BLE001
        return Image.Exif()


def _taken_at(exif: Image.Exif) -> str | None:
    """DateTimeOriginal (else DateTime) in UTC; without an offset tag the camera is taken to be on WIB."""
    try:
        tags = exif.get_ifd(ExifTags.IFD.Exif)
        stamp, offset = tags.get(ExifTags.Base.DateTimeOriginal), tags.get(ExifTags.Base.OffsetTimeOriginal)
        if not stamp:
            stamp, offset = exif.get(ExifTags.Base.DateTime), tags.get(ExifTags.Base.OffsetTime)
        moment = datetime.strptime(_text(stamp)[:19], "%Y:%m:%d %H:%M:%S")
        return moment.replace(tzinfo=_zone(offset)).astimezone(timezone.utc).isoformat()
    except Exception:  # noqa: BLE001
        return None


CLIENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?", re.ASCII)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
CLOCK_SKEW = timedelta(minutes=10)


def capture_time(value: str, now: datetime | None = None) -> str:
    """A capture time sent by the phone (ISO 8601; without an offset, WIB as for EXIF) in UTC.

    Raises ValueError for anything else, or a moment before 2000 or in the future
    (beyond a few minutes of clock difference between phone and server).
    """
    if not CLIENT_TIME.fullmatch(value or ""):
        raise ValueError("format")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    now = now or timefmt.now()
    if not EARLIEST <= moment <= now + CLOCK_SKEW:
        raise ValueError("range")
    return moment.astimezone(timezone.utc).isoformat()


def _zone(offset) -> timezone:
    try:
        return datetime.strptime(_text(offset), "%z").tzinfo or WIB
    except (TypeError, ValueError):
        return WIB


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees, south and west negative; None if absent, malformed or exactly 0, 0."""
    try:
        tags = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(tags[ExifTags.GPS.GPSLatitude], tags[ExifTags.GPS.GPSLatitudeRef], "N", "S")
        lon = _degrees(tags[ExifTags.GPS.GPSLongitude], tags[ExifTags.GPS.GPSLongitudeRef], "E", "W")
    except Exception:  # noqa: BLE001
        return None
    if not (abs(lat) <= 90 and abs(lon) <= 180) or lat == lon == 0:  # NaN fails the comparison too
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value, ref, positive: str, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    ref = _text(ref).upper()
    if not (degrees >= 0 and 0 <= minutes < 60 and 0 <= seconds < 60) or ref not in (positive, negative):
        raise ValueError(f"GPS {value!r} {ref!r}")
    return (-1 if ref == negative else 1) * (degrees + minutes / 60 + seconds / 3600)


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _size_text(size: int) -> str:
    """'15 MB', '1,5 MB', '500 KB': the limit as the inspector reads it."""
    if size >= 1024 * 1024:
        return f"{_number(round(size / 1024 / 1024, 1))} MB"
    return f"{_number(round(size / 1024, 1))} KB"
