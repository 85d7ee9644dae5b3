"""The one free-space probe of the data folder's disk: everything that decides on space asks it (tests patch it)."""

from __future__ import annotations

import shutil
from pathlib import Path


def usage(root: str | Path) -> tuple[int, int]:
    """(free bytes an unprivileged writer may use, total bytes) of the file system holding ``root``."""
    found = shutil.disk_usage(root)
    return found.free, found.total
