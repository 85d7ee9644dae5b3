"""Receiving one uploaded photo: read at most the configured size, process it, turn a refusal into its message."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..photos import PhotoRejected, ProcessedPhoto, process


@dataclass(frozen=True)
class ReceivedPhoto:
    """What came of one file field: the bytes sent (``b""`` when none), and the processed photo or why not."""

    data: bytes = b""
    photo: ProcessedPhoto | None = None
    reason: str | None = None  # Indonesian, for the person who sent it
    status: int = 200  # the HTTP status a refusal answers with

    @property
    def sent(self) -> bool:
        return bool(self.data)


def max_photo_bytes() -> int:
    return int(current_app.config["INSPECTOR_MAX_PHOTO_MB"]) * 1024 * 1024


def receive_photo(upload) -> ReceivedPhoto:
    """Read and process ``upload`` (a file of ``request.files``, or None); one byte past the limit is read so
    that a file too big is told so instead of cut short."""
    limit = max_photo_bytes()
    data = upload.read(limit + 1) if upload is not None else b""
    if not data:
        return ReceivedPhoto()
    try:
        return ReceivedPhoto(data, process(data, max_bytes=limit))
    except PhotoRejected as rejected:
        return ReceivedPhoto(data, None, rejected.message, rejected.status)
