"""Real, small photos for tests: JPEG bytes, a file for the test client's multipart form, a JPEG file on disk."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def jpeg(colour=(90, 110, 130), size=(64, 48)) -> bytes:
    """A real, small JPEG of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(data: bytes, name: str = "foto.jpg"):
    """A file for the test client's multipart form."""
    return (io.BytesIO(data), name, "image/jpeg")


def drawn_jpeg(seed: int) -> bytes:
    """A real JPEG with a shape on it, different for every ``seed`` (so no two share a digest)."""
    image = Image.new("RGB", (320, 240), (40 + seed * 37 % 200, 110, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20 + seed * 9 % 100, 30, 200, 200), fill=(200, 190, 160), outline=(20, 20, 20), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def jpeg_file(path, colour=(40, 110, 60), size=(640, 480)):
    """A real JPEG (a few shapes, not one flat colour) written to ``path``, as a phone's camera leaves one."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 80, 380, 400), fill=(200, 190, 160), outline=(20, 20, 20), width=6)
    draw.ellipse((420, 60, 600, 240), fill=(230, 200, 40))
    draw.line((0, size[1] - 40, size[0], size[1] - 60), fill=(90, 60, 30), width=12)
    image.save(path, "JPEG", quality=85)
    return path


def random_jpeg(rng: random.Random) -> bytes:
    """A small, real JPEG, different every time: a colour and a few rectangles drawn from ``rng``."""
    image = Image.new("RGB", (160, 120), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(150), rng.randrange(110)
        draw.rectangle((x, y, x + rng.randrange(5, 60), y + rng.randrange(5, 40)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
