"""What list pages read from the query string (the review queue's filters, a kecamatan), and the LKS search.

Shared by the blueprints that list the same things: the reviewer's queue and its CSV export read one set of
filters; the admin's list, the inspector's search and the dashboard read one kecamatan.
"""

from __future__ import annotations

from datetime import date

from flask import request

from .. import review
from ..places import KECAMATAN


def day(value: str) -> str:
    """A real calendar day as yyyy-mm-dd; '' for anything else (malformed or impossible dates are ignored)."""
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 and value[4] == "-" else ""
    except ValueError:
        return ""


def kecamatan_arg() -> str:
    """``?kecamatan=``, when it names one of the city's kecamatan; '' otherwise."""
    kecamatan = request.args.get("kecamatan", "")
    return kecamatan if kecamatan in KECAMATAN else ""


def queue_filters() -> dict:
    """The review queue's filters, as ``review.queue`` takes them (waiting inspections unless asked)."""
    args = request.args
    status = args.get("status", "submitted")
    if status not in review.LABELS and status != "":
        status = "submitted"
    dates = [day(args.get(k, "")[:10]) for k in ("dari", "sampai")]
    return {"status": status, "kecamatan": kecamatan_arg(),
            "lks_id": args.get("lks", "")[:32], "inspector_id": args.get("petugas", "")[:32],
            "date_from": dates[0], "date_to": dates[1]}


def search_lks(records: list[dict], query: str = "", kecamatan: str = "") -> list[dict]:
    """Filter LKS by words in name, kelurahan, kecamatan or code, and by kecamatan; sorted by name."""
    words = query.lower().split()[:8]
    found = []
    for record in records:
        if kecamatan and record.get("kecamatan") != kecamatan:
            continue
        haystack = " ".join(str(record.get(f, "")) for f in ("name", "kelurahan", "kecamatan", "code")).lower()
        if all(word in haystack for word in words):
            found.append(record)
    return sorted(found, key=lambda r: r["name"].lower())
