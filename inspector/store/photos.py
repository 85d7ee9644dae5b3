"""Photo files under the data folder, beside their inspection: never under static/, names generated."""

from __future__ import annotations

import re
from pathlib import Path

from .engine import atomic_write, make_folders
from .records import new_id

_PHOTO_ID = re.compile(r"^p[0-9a-f]{12}$")
_OWNER = re.compile(r"^[a-z0-9-]{1,64}$")


class PhotoStore:
    """JPEG files and thumbnails; the record of each photo lives in its owner's record."""

    def __init__(self, root: Path):
        self.root = root / "photos"

    def _path(self, owner: str, photo_id: str, thumb: bool) -> Path:
        if not _OWNER.fullmatch(owner or "") or not _PHOTO_ID.fullmatch(photo_id or ""):
            raise ValueError("bad photo reference")
        return self.root / owner / f"{photo_id}{'.thumb' if thumb else ''}.jpg"

    def save(self, owner: str, jpeg: bytes, thumb: bytes) -> str:
        """Write a photo and its thumbnail durably; returns the new photo id."""
        photo_id = new_id("p")
        path = self._path(owner, photo_id, False)
        make_folders(path.parent)
        atomic_write(self._path(owner, photo_id, True), thumb)
        atomic_write(path, jpeg)
        return photo_id

    def read(self, owner: str, photo_id: str, thumb: bool = False) -> bytes | None:
        try:
            return self._path(owner, photo_id, thumb).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, owner: str, photo_id: str) -> None:
        """Remove a photo and its thumbnail that no record refers to."""
        for thumb in (False, True):
            try:
                self._path(owner, photo_id, thumb).unlink()
            except FileNotFoundError:
                pass
