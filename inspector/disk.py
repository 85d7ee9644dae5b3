"""Free space on the data folder's disk: a write is accepted only if it leaves at least INSPECTOR_MIN_FREE_MB,
and every admin is alerted once when space falls below INSPECTOR_WARN_FREE_MB (the alert closes when it returns).

``room_for`` is asked before a request that writes is handled (``web.space``): a refused write stores nothing,
so that the phone keeps what it sent and sends it again later (status 507). The probe is one ``statvfs``
(``Store.disk_space``); the alert is raised or closed only when this process sees the state change, and on the
admin's page, so that a busy server does not write an alert state on every request.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import health

FULL = "Penyimpanan server penuh; jawaban Anda belum tersimpan."
FULL_HINT = "Isian Anda masih ada di halaman ini: coba simpan lagi nanti, dan beri tahu admin Inspector."
MB = 1024 * 1024

_low_seen: dict[int, bool] = {}  # per store (its id): whether this process last saw the space low


@dataclass(frozen=True)
class Space:
    free_bytes: int
    total_bytes: int
    min_bytes: int
    warn_bytes: int

    @property
    def low(self) -> bool:
        return self.free_bytes < max(self.warn_bytes, self.min_bytes)

    def leaves_room(self, incoming_bytes: int) -> bool:
        return self.free_bytes - max(0, incoming_bytes) >= self.min_bytes

    @property
    def free_mb(self) -> int:
        return self.free_bytes // MB

    @property
    def total_mb(self) -> int:
        return self.total_bytes // MB

    @property
    def min_mb(self) -> int:
        return self.min_bytes // MB

    @property
    def warn_mb(self) -> int:
        return self.warn_bytes // MB


def measure(store, config) -> Space:
    """The disk's free space now, with the thresholds of ``config`` (the app's settings)."""
    free, total = store.disk_space()
    return Space(free, total, int(config["INSPECTOR_MIN_FREE_MB"]) * MB, int(config["INSPECTOR_WARN_FREE_MB"]) * MB)


def watch(store, config, always: bool = False) -> Space:
    """Measure, and raise or close the admins' alert when the space crossed the warning line (``always``: check
    the alert's state whatever this process saw last, as the admin's page does)."""
    space = measure(store, config)
    key = id(store)
    if always or _low_seen.get(key) != space.low:
        _low_seen[key] = space.low
        if space.low:
            health.raise_alert(store, "disk", "data folder",
                               f"{space.free_mb} MB free of {space.total_mb} MB (warning below {space.warn_mb} MB, "
                               f"writes refused below {space.min_mb} MB)")
        else:
            health.close_alert(store, "disk")
    return space


def room_for(store, config, incoming_bytes: int) -> bool:
    """True when a write of about ``incoming_bytes`` leaves at least the configured free space."""
    return watch(store, config).leaves_room(incoming_bytes)
