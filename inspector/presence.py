"""Proof of visit: the phone's location at start and at send, read strictly, and what a reviewer should doubt.

The page asks the browser for its position when the inspector taps "Mulai
inspeksi" and "Kirim" (the browser's own permission prompt is the consent)
and posts it in four hidden fields: ``lat``, ``lon``, ``accuracy`` (metres)
and ``location``, the outcome (``given``, ``refused``, ``unavailable``; empty
when the page ran without JavaScript). ``read`` turns those fields into the
location kept on the inspection; ``read_point`` reads a photo's place, which the
phone takes from the original before making it smaller; ``assess`` compares the
kept locations, the photos' places and their capture times with the LKS's point
and the inspection's window (the same 300 m rule for all).

Everything here is a pure function: no request, no store, no clock.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from .timefmt import stored_time

STATUSES = ("given", "refused", "unavailable")
NOT_RECORDED = "none"  # the page sent no outcome (no JavaScript, or an old page)
LABELS = {"given": "tercatat", "refused": "ditolak di ponsel", "unavailable": "tidak tersedia",
          NOT_RECORDED: "tidak tercatat"}
FAR_METRES = 300  # further than this from the LKS's point is flagged
CLOCK_SKEW = timedelta(minutes=15)  # a phone's clock may be this far off
MAX_ACCURACY = 100_000  # metres; a browser reporting worse than this has no position worth keeping
EARTH_RADIUS = 6_371_008.8  # metres, the mean radius
_NUMBER = re.compile(r"-?[0-9]{1,6}(\.[0-9]{1,12})?")  # plain decimals: no exponent, NaN or infinity
FIELDS = ("lat", "lon", "accuracy")


class LocationRejected(ValueError):
    """Location fields that no honest page sends; ``message`` is for the user, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _number(text: str, low: float, high: float, what: str) -> float:
    if len(text) > 24 or not _NUMBER.fullmatch(text):
        raise LocationRejected(f"Data lokasi tidak valid: {what} bukan angka.")
    value = float(text)
    if not (math.isfinite(value) and low <= value <= high):
        raise LocationRejected(f"Data lokasi tidak valid: {what} di luar batas.")
    return value


def read(form) -> dict:
    """The location posted in ``form`` (a mapping of strings) as it is kept; raises LocationRejected.

    ``{"status": "given", "lat", "lon", "accuracy"}`` or ``{"status": "refused" | "unavailable" | "none"}``.
    Coordinates come only with ``given``, and ``given`` only with all three numbers.
    """
    status = form.get("location", "") or ""
    values = {name: (form.get(name, "") or "").strip() for name in FIELDS}
    if status and status not in STATUSES:
        raise LocationRejected("Data lokasi tidak valid: status tidak dikenal.")
    if status != "given":
        if any(values.values()):
            raise LocationRejected("Data lokasi tidak valid: koordinat tanpa izin lokasi.")
        return {"status": status or NOT_RECORDED}
    if not all(values.values()):
        raise LocationRejected("Data lokasi tidak valid: lintang, bujur dan akurasi harus lengkap.")
    return {"status": "given", "lat": round(_number(values["lat"], -90, 90, "lintang"), 7),
            "lon": round(_number(values["lon"], -180, 180, "bujur"), 7),
            "accuracy": round(_number(values["accuracy"], 0, MAX_ACCURACY, "akurasi"), 1)}


def read_point(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    """A photo's place as the phone read it from the original (``gps_lat``, ``gps_lon``): both or neither;
    raises LocationRejected for anything else. 0, 0 (a camera without a fix) is no place."""
    lat, lon = (lat or "").strip(), (lon or "").strip()
    if not lat and not lon:
        return None
    if not (lat and lon):
        raise LocationRejected("Data lokasi tidak valid: lintang dan bujur foto harus lengkap.")
    point = (round(_number(lat, -90, 90, "lintang foto"), 7), round(_number(lon, -180, 180, "bujur foto"), 7))
    return None if point == (0.0, 0.0) else point


def photo_places(photos: list[dict], lks: dict) -> list[dict]:
    """Each photo against the LKS's point: its number, item, distance (m, or None) and whether it is far."""
    point, found = _point(lks), []
    for n, photo in enumerate(photos, 1):
        gps = photo.get("gps")
        distance = None
        if point is not None and isinstance(gps, (list, tuple)) and len(gps) == 2:
            distance = distance_m(float(gps[0]), float(gps[1]), *point)
        found.append({"n": n, "id": photo.get("id"), "item": photo.get("item") or "", "distance": distance,
                      "located": bool(gps), "far": distance is not None and distance > FAR_METRES})
    return found


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points in decimal degrees (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))


def _point(lks: dict) -> tuple[float, float] | None:
    lat, lon = lks.get("lat"), lks.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and not isinstance(lat, bool):
        return float(lat), float(lon)
    return None


def measure(location: dict | None, lks: dict) -> dict:
    """One kept location against the LKS: status, label, distance and accuracy (m, or None), the point itself."""
    location = location or {"status": NOT_RECORDED}
    status = location.get("status") if location.get("status") in LABELS else NOT_RECORDED
    point, distance = _point(lks), None
    if status == "given" and point is not None:
        distance = distance_m(location["lat"], location["lon"], *point)
    return {"status": status, "label": LABELS[status], "distance": distance,
            "accuracy": location.get("accuracy") if status == "given" else None,
            "far": distance is not None and distance > FAR_METRES,
            "point": (location["lat"], location["lon"]) if status == "given" else None}


def photo_times(photos: list[dict], started: str | None, submitted: str | None) -> tuple[int, int]:
    """(photos taken outside [started, submitted] widened by CLOCK_SKEW, photos without a capture time)."""
    start, end = stored_time(started), stored_time(submitted)
    outside = undated = 0
    for photo in photos:
        taken = stored_time(photo.get("taken_at"))
        if taken is None:
            undated += 1
        elif start is not None and end is not None and not (start - CLOCK_SKEW <= taken <= end + CLOCK_SKEW):
            outside += 1
    return outside, undated


def assess(record: dict, lks: dict) -> dict:
    """What the reviewer sees in "Bukti kunjungan": the start and every send measured, the flags, a note on photos.

    Flags look at the start and the latest send (the version under review).

    ``flags`` is a list of short Indonesian sentences, each a reason to doubt the
    inspection took place at the LKS; ``notes`` are facts worth knowing that are not
    a reason alone.
    """
    versions = record.get("versions") or []
    start = {**measure(record.get("start_location"), lks), "at": record.get("created_at")}
    sends = [{**measure(v.get("location"), lks), "n": v.get("n"), "at": v.get("submitted_at")} for v in versions]
    send = sends[-1] if sends else measure(None, lks)
    flags, notes = [], []
    for moment, found in (("mulai", start), ("kirim", send)):
        if found["far"]:
            flags.append(f"Saat {moment}: {format_distance(found['distance'])} dari titik LKS "
                         f"(lebih dari {FAR_METRES} m).")
        elif found["status"] == "refused":
            flags.append(f"Saat {moment}: izin lokasi ditolak di ponsel.")
        elif found["status"] == "unavailable":
            flags.append(f"Saat {moment}: lokasi tidak tersedia (sinyal GPS, batas waktu, atau bukan HTTPS).")
        elif found["status"] == NOT_RECORDED:
            flags.append(f"Saat {moment}: lokasi tidak tercatat.")
    if _point(lks) is None:
        flags.append("LKS belum punya koordinat: jarak tidak bisa dihitung.")
    photos = record.get("photos") or []
    outside, undated = photo_times(photos, record.get("created_at"), record.get("submitted_at"))
    if outside:
        flags.append(f"{outside} foto diambil di luar waktu kunjungan (lebih dari "
                     f"{int(CLOCK_SKEW.total_seconds() // 60)} menit sebelum mulai atau sesudah kirim).")
    if undated:
        notes.append(f"{undated} dari {len(photos)} foto tanpa waktu pengambilan (tidak bisa diperiksa).")
    places = photo_places(photos, lks)
    far = sum(1 for place in places if place["far"])
    if far:
        flags.append(f"{far} foto diambil lebih dari {FAR_METRES} m dari titik LKS.")
    return {"start": start, "send": send, "sends": sends, "flags": flags, "notes": notes,
            "lks_point": _point(lks) is not None, "photos": places}


def format_distance(metres: float) -> str:
    """'45 m', '1,2 km' (Indonesian decimal comma)."""
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.1f} km".replace(".", ",")
