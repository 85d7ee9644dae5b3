"""Small builders several test modules share: photos and passing answers."""

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


def passing(item, posted: bool = True):
    """An answer of ``item`` that meets the standard: as the form posts it, or (posted=False) as stored."""
    if item.type == "yes_no":
        return "tidak" if item.fail_answer == "ya" else "ya"
    if item.type in ("choice", "multi"):
        value = next(v for v, _ in item.options if v not in item.fail_values)
        return [value] if item.type == "multi" else value
    if item.type == "number":
        return str(int(item.min)) if posted else int(item.min)
    return {"date": "2025-01-15", "text": "Ada", "longtext": "Ada"}.get(item.type)
