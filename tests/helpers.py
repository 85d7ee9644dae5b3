"""Small builders several test modules share: real photos and uploads."""

from __future__ import annotations

import io

from PIL import Image


def jpeg(colour=(90, 110, 130), size=(64, 48)) -> bytes:
    """A real, small JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(data: bytes, name: str = "foto.jpg"):
    """A file for the test client's multipart form."""
    return (io.BytesIO(data), name, "image/jpeg")

