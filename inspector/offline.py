"""What a phone keeps to work without signal: the list of LKS start pages and blank checklists to prepare.

An inspector's phone is prepared for the LKS the inspector is expected to visit (every active LKS, until areas
or assignments exist) and for the checklists of their kinds, one blank page per checklist version. The list
names pages by address only; the phone fetches each page as the signed-in inspector, so every page it keeps
was answered by the server's own access checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import checklists, inspections


def checklist_key(checklist: checklists.Checklist) -> str:
    """One blank page per checklist version: ``<id>/<version>``."""
    return f"{checklist.id}/{checklist.version}"


def preparation(lks_records: Iterable[dict], catalog: dict, start_url: Callable[[str], str],
                blank_url: Callable[[checklists.Checklist], str]) -> dict:
    """The LKS (active only, by name) with their start page and checklists, and every checklist they need."""
    lks_rows, needed = [], {}
    for record in sorted((r for r in lks_records if r.get("active")), key=lambda r: (r["name"].lower(), r["code"])):
        kinds = checklists.for_kind(catalog, record["kind"])
        for checklist in kinds:
            needed[checklist_key(checklist)] = checklist
        lks_rows.append({"code": record["code"], "name": record["name"], "kind": record["kind"],
                         "kelurahan": record.get("kelurahan", ""), "kecamatan": record.get("kecamatan", ""),
                         "start_url": start_url(record["code"]),
                         "checklists": [checklist_key(c) for c in kinds]})
    return {"lks": lks_rows,
            "checklists": [{"key": key, "id": c.id, "version": c.version, "title": c.title, "url": blank_url(c)}
                           for key, c in sorted(needed.items())]}


def blank_checklist(catalog: dict, checklist_id: str, version: int) -> checklists.Checklist | None:
    """The checklist a blank page shows: only the version this server offers now (a phone keeps that one)."""
    checklist = catalog.get(checklist_id) if len(checklist_id or "") <= 64 else None
    if checklist is None or checklist.version != version:
        return None
    return checklist


CHANGED_VERSION = ("Daftar periksa ini sudah diganti versi baru sejak ponsel disiapkan. Buka halaman LKS dengan "
                   "sinyal dan mulai inspeksi lagi.")
BAD_TOKEN = "Kode kunjungan dari ponsel tidak sah. Mulai inspeksi lagi dari halaman LKS."
NOT_FOR_KIND = "Daftar periksa ini bukan untuk jenis LKS ini."


def open_from_phone(store, catalog: dict, lks: dict, inspector: dict, token: str, checklist_id: str,
                    version: str, location: dict | None = None) -> tuple[dict | None, bool, str]:
    """The inspection a draft made on the phone becomes: made once per phone ``token`` (a repeat, a retry after
    a lost answer, returns the same one); (record, made now, reason). The answers, photos and the send follow
    through the inspection's own routes, with its key."""
    if not isinstance(token, str) or not inspections.START_TOKEN.fullmatch(token):
        return None, False, BAD_TOKEN
    checklist = catalog.get(checklist_id) if isinstance(checklist_id, str) and len(checklist_id) <= 64 else None
    if checklist is None or lks["kind"] not in checklist.kinds:
        return None, False, NOT_FOR_KIND
    if str(version) != str(checklist.version):
        return None, False, CHANGED_VERSION
    record, made = inspections.begin(store, checklist, lks, inspector, token, location)
    return record, made, ""


def scoring_rules(checklist: checklists.Checklist) -> list[dict]:
    """What static/score.js needs to score a draft on the phone as ``checklists.score`` does, per section."""
    return [{"id": section.id, "items": [
        {"id": item.id, "type": item.type, "fail_answer": item.fail_answer, "fail_values": sorted(item.fail_values),
         "weight": item.weight, "critical": item.critical, "scored": item.scored(),
         "photo_on_fail": item.photo_on_fail} for item in section.items]}
        for section in checklist.sections]
