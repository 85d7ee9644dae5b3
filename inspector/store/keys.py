"""The session key, kept in the data folder's ``secret_key`` file (mode 0600), made once on first use.

Left out of every backup (see backup.py): a copy of the key would let whoever
holds the backup forge a sign-in to the live server.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

FILE_NAME = "secret_key"


class SecretStore:
    """Secrets the installation makes for itself: today the key that signs session cookies."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def session_key(self) -> str:
        """The key in ``secret_key``; on first use a new one, published whole or not at all.

        The key is written to a private temporary file (mkstemp: mode 0600),
        fsynced, then hard-linked to its name: a reader sees no file or the
        whole key, and of processes making one at once the first link wins and
        the others read it.
        """
        path = self.root / FILE_NAME
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        key = secrets.token_hex(32)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{FILE_NAME}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)  # publishes a complete file, or fails if another process won
        except FileExistsError:
            return path.read_text().strip()
        finally:
            os.unlink(tmp)
        return key
