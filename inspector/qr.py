"""QR codes for the LKS posters: the URL each poster holds and its image."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_Q


def lks_url(base_url: str, code: str) -> str:
    """What a poster's QR holds: the base URL and ``/l/<code>``."""
    return f"{base_url.rstrip('/')}/l/{code}"


def qr_image(data: str, box_size: int = 10):
    """A black-on-white QR image, error correction Q, with the standard 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def qr_png(data: str, box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    qr_image(data, box_size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
