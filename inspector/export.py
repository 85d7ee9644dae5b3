"""Inspections leaving the system: a CSV table for a spreadsheet, and a checksummed evidence bundle.

CSV: one row per inspection, the same fixed columns first, then one value
and one note column per checklist item. Inspections of several checklists
(or of several versions of one) share a file: their items are joined by
checklist, each checklist's items in the order of its newest version.
Confidential items are included only when ``include_confidential`` is true
(a reviewer's export); an export for anyone else must pass False, and then
no confidential column, answer or note is written.

Bundle: a zip of one inspection for investigators (police, Kemensos) with
every answer (confidential ones too), the checklist definition it was
filled against, the original photos, its audit entries, the server's public
signing key (``key.pub.pem``), a SHA-256 of every file in ``MANIFEST.sha256``
(``sha256sum -c`` format) and ``MANIFEST.sha256.sig``: the Ed25519 signature
of the manifest's exact bytes, which ``openssl pkeyutl -verify -rawin`` checks
without the server (README.md shows how).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from . import evidence, inspections, review, timefmt
from .store import digests
from .checklists import Checklist, Item
from .timefmt import format_wib, to_wib

BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_START)
SHORT_QUESTION = 48
FIXED_COLUMNS = ("ID pengajuan", "Kode LKS", "Nama LKS", "Kecamatan", "Kelurahan", "Petugas (nama pengguna)",
                 "Instansi", "Status", "Dikirim (WIB)", "Skor (%)", "Jumlah temuan", "Kritis", "Daftar periksa")
# Fields of an inspection that are keys, not evidence: never written to a bundle.
SECRET_FIELDS = ("inspection_key",)
MANIFEST = "MANIFEST.sha256"
MISMATCHED_FOLDER = "photos-tidak-cocok"  # photos that do not match the audit chain: never under photos/
MISMATCH_NOTE = "TIDAK-COCOK.txt"
SIGNATURE = "MANIFEST.sha256.sig"
PUBLIC_KEY = "key.pub.pem"


# --- CSV ---------------------------------------------------------------------------------------

def safe_cell(value) -> str:
    """A cell as text that a spreadsheet shows and never evaluates: formulas get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def short_question(question: str, limit: int = SHORT_QUESTION) -> str:
    """The question cut at a word boundary to about ``limit`` characters."""
    question = " ".join(question.split())
    if len(question) <= limit:
        return question
    cut = question[:limit].rsplit(" ", 1)[0].rstrip(",.;:?")
    return cut + "…"


@dataclass(frozen=True)
class ItemColumn:
    checklist_id: str
    item: Item  # from the newest version of the checklist that has it

    @property
    def key(self) -> str:
        return f"{self.checklist_id}/{self.item.id}"


def item_columns(checklists: list[Checklist], include_confidential: bool) -> list[ItemColumn]:
    """The union of the checklists' items, grouped by checklist id (sorted), newest version's order first.

    An item confidential in any version counts as confidential.
    """
    by_id: dict[str, list[Checklist]] = {}
    for checklist in checklists:
        by_id.setdefault(checklist.id, []).append(checklist)
    columns = []
    for checklist_id in sorted(by_id):
        versions = sorted(by_id[checklist_id], key=lambda c: c.version, reverse=True)
        secret = {i.id for c in versions for i in c.items() if i.confidential}
        seen: set[str] = set()
        for checklist in versions:
            for item in checklist.items():
                if item.id in seen:
                    continue
                seen.add(item.id)
                if include_confidential or item.id not in secret:
                    columns.append(ItemColumn(checklist_id, item))
    return columns


def _local_time(value: str | None) -> str:
    return to_wib(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def _checklists(store, digests) -> dict[str, Checklist | None]:
    """The archived checklist of each digest; None where the archive lacks it (its rows keep their fixed columns)."""
    found: dict[str, Checklist | None] = {}
    for digest in digests:
        if digest not in found:
            try:
                found[digest] = inspections.checklist_of(store, {"checklist": {"digest": digest}})
            except LookupError:
                found[digest] = None
    return found


def csv_lines(store, records: Iterable[dict], digests: Iterable[str], include_confidential: bool) -> Iterator[bytes]:
    """The inspections as CSV, one encoded line at a time: the byte-order mark and header first (their columns
    are the items of every checklist version in ``digests``: the digests of the records to come), then one
    line per record as ``records`` yields it, so a caller streaming from the store holds one record at a time.

    UTF-8 with a byte-order mark (so Excel reads Indonesian text right), CRLF lines, safe cells.
    """
    checklists = _checklists(store, digests)
    columns = item_columns([c for c in checklists.values() if c is not None], include_confidential)
    items = {digest: {item.id: item for item in c.items()} for digest, c in checklists.items() if c is not None}
    header = list(FIXED_COLUMNS)
    for column in columns:
        header += [f"{column.key} {short_question(column.item.question)}", f"{column.key} catatan"]
    lks = {r["id"]: r for r in store.lks.all()}
    users = {u["id"]: u for u in store.users.all()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[str]) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        # Most cells are plain text that cannot start a formula: only the others go through safe_cell.
        writer.writerow([cell if type(cell) is str and cell[:1] not in FORMULA_FIRST else safe_cell(cell)
                         for cell in cells])
        return buffer.getvalue().encode("utf-8")

    yield BOM.encode("utf-8") + line(header)
    for record in records:
        digest = record["checklist"]["digest"]
        if digest not in checklists:
            raise ValueError(f"inspection {record['id']} has checklist {digest}, not among the header's digests")
        yield line(_row(record, lks, users, columns, checklists[digest], items.get(digest, {})))


# The last line of an export that damaged data cut short (see docs/design.md): never taken for a whole file.
INCOMPLETE_LINE = "EKSPOR TIDAK LENGKAP: sebagian data rusak dan tidak terbaca. Beri tahu admin Inspector.\r\n".encode()


def _row(record: dict, lks: dict, users: dict, columns, checklist: Checklist | None, own: dict) -> list[str]:
    place = lks.get(record["lks_id"], {})
    inspector = users.get(record["inspector_id"], {})
    score = record.get("score") or {}
    row = [record["id"], place.get("code", ""), place.get("name", ""), place.get("kecamatan", ""),
           place.get("kelurahan", ""), inspector.get("username", ""), inspector.get("agency", ""),
           review.LABELS.get(record["status"], record["status"]), _local_time(record.get("submitted_at")),
           _number(score.get("percent")), str(len(score.get("failed", []))),
           "Ya" if record.get("critical") else "Tidak",
           f"{record['checklist']['id']} v{record['checklist'].get('version', '')}"]
    photos = inspections.photos_by_item(record)
    for column in columns:
        item = own.get(column.item.id) if checklist is not None and checklist.id == column.checklist_id else None
        if item is None:
            row += ["", ""]
            continue
        answer = record.get("answers", {}).get(item.id) or {}
        value = item.label_of(answer.get("value"))
        if item.type == "photo":
            count = len(photos.get(item.id, []))
            value = f"{count} foto" if count else ""
        row += [value, answer.get("note", "")]
    return row


def inspections_csv(store, records: list[dict], include_confidential: bool) -> bytes:
    """The whole CSV of ``records`` at once (a few records; exports stream ``csv_lines`` instead)."""
    return b"".join(csv_lines(store, records, [r["checklist"]["digest"] for r in records], include_confidential))



# --- Evidence bundle ---------------------------------------------------------------------------

def _json(data) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo_ids(record: dict) -> list[str]:
    """The photos of the record now and of every sent version, in first-seen order."""
    ids = [p["id"] for p in record.get("photos", [])]
    for version in record.get("versions", []):
        ids += [i for i in version.get("photo_ids", []) if i not in ids]
    return list(dict.fromkeys(ids))


def audit_lines(store, inspection_id: str) -> bytes:
    """The inspection's audit entries, oldest first, one JSON line each as the log writes them."""
    entries = store.audit.entries(target_id=inspection_id, limit=None, newest_first=False)
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries).encode("utf-8")


README = """Paket bukti pengawasan LKS — Dinas Sosial Kota Tangerang

Pengajuan: {inspection_id}
LKS: {lks_name} ({lks_code})
Dibuat: {exported_at} oleh {exported_by}

Isi paket:
  inspection.json   rekaman lengkap pengajuan (semua jawaban, termasuk jawaban RAHASIA),
                    data LKS, petugas, dan daftar periksa yang dipakai saat mengisi
  checklist.json    definisi daftar periksa (pertanyaan) persis seperti saat diisi
  photos/*.jpg      foto asli seperti tersimpan di server ({photo_count} berkas){missing}
  audit.jsonl       catatan jejak audit pengajuan ini (satu entri per baris, berantai SHA-256:
                    'prev' menunjuk entri sebelumnya di log lengkap server, bukan di berkas ini)
  {manifest}   SHA-256 setiap berkas di atas; baris '# jejak audit:' memberi SHA-256 yang
                    tercatat di jejak audit server untuk tiap foto dan rekaman, dan apakah cocok
  TIDAK-COCOK.txt   (hanya bila ada) data yang tidak cocok dengan jejak audit; foto seperti itu
                    ada di photos-tidak-cocok/, bukan di photos/
  {public_key}       kunci publik server yang menandatangani paket ini
  {signature} tanda tangan Ed25519 server atas {manifest}

Sidik jari kunci penanda tangan: {fingerprint}

Memeriksa paket tanpa server (Linux/macOS, OpenSSL 3), di folder hasil ekstrak:
1. Tanda tangan (harus "Signature Verified Successfully"):
   openssl pkeyutl -verify -pubin -inkey {public_key} -rawin -in {manifest} -sigfile {signature}
2. Keutuhan setiap berkas (setiap baris harus berstatus OK):
   sha256sum -c {manifest}
3. Kunci: sidik jari berikut harus sama dengan yang di atas DAN dengan sidik jari
   yang diberikan Dinas Sosial lewat jalur lain (surat resmi, bukan paket ini):
   openssl pkey -pubin -in {public_key} -outform DER | sha256sum
Kode SHA-256 paket zip ini juga tercatat di jejak audit server (aksi 'export_bundle').

DOKUMEN RAHASIA: berisi data anak/penghuni dan temuan pengawasan.
Hanya untuk penyidik dan pejabat yang berwenang.
"""


def bundle_files(store, record: dict, exported_by: dict, exported_at: str | None = None, *,
                 signer) -> dict[str, bytes]:
    """Every file of the bundle by its path in the zip, the manifest and then its signature by ``signer`` (a
    ``store.signing.Signer``) last.

    Held against the audit chain (``evidence``): a photo whose file does not match the chain or its record goes
    under ``photos-tidak-cocok/`` (never ``photos/``), and ``TIDAK-COCOK.txt`` says what does not match. The
    manifest's comment lines give the chain's digest of each file it can name.
    """
    exported_at = exported_at or timefmt.utcnow()
    lks = store.lks.get(record["lks_id"]) or {}
    inspector = store.users.get(record["inspector_id"]) or {}
    definition = store.checklists.get(record["checklist"]["digest"])
    chained_record, chained_photos = evidence.latest_traces(store, record["id"])
    kept_sha = {p["id"]: p.get("sha256") for p in record.get("photos", [])}
    record_ok = chained_record is None or chained_record == digests.record_digest(record, "inspection")
    files: dict[str, bytes] = {}
    missing, mismatched, chain_notes = [], [], {}
    for photo_id in photo_ids(record):
        data = store.photos.read(record["id"], photo_id)
        if data is None:
            missing.append(photo_id)
            continue
        actual = sha256(data)
        wanted = {chained_photos.get(photo_id), kept_sha.get(photo_id)} - {None}
        good = bool(wanted) and all(actual == digest for digest in wanted)
        path = f"photos/{photo_id}.jpg" if good or not wanted else f"{MISMATCHED_FOLDER}/{photo_id}.jpg"
        if wanted and not good:
            mismatched.append(photo_id)
        files[path] = data
        chain_notes[path] = _chain_note(chained_photos.get(photo_id), actual)
    files["inspection.json"] = _json({
        "inspection": {k: v for k, v in record.items() if k not in SECRET_FIELDS},
        "checklist": {"ref": record["checklist"], "definition": definition},
        "lks": lks,
        "inspector": {k: inspector.get(k) for k in ("id", "username", "name", "agency", "role")},
        "export": {"at": exported_at, "by": exported_by, "missing_photo_ids": missing,
                   "mismatched_photo_ids": mismatched, "record_matches_audit_chain": record_ok,
                   "record_digest": digests.record_digest(record, "inspection"),
                   "audit_chain_record_digest": chained_record},
    })
    chain_notes["inspection.json"] = _chain_note(chained_record, digests.record_digest(record, "inspection"),
                                                 "SHA-256 JSON kanonik rekaman 'inspection' tanpa 'announced'")
    files["checklist.json"] = _json(definition)
    files["audit.jsonl"] = audit_lines(store, record["id"])
    if mismatched or not record_ok:
        files[MISMATCH_NOTE] = _mismatch_note(record["id"], record_ok, mismatched)
    files[PUBLIC_KEY] = signer.public_pem
    files["README.txt"] = README.format(
        inspection_id=record["id"], lks_name=lks.get("name", "?"), lks_code=lks.get("code", "?"),
        exported_at=format_wib(exported_at), exported_by=f"{exported_by.get('name', '')} "
        f"({exported_by.get('username', '')})", photo_count=len(photo_ids(record)) - len(missing) - len(mismatched),
        manifest=MANIFEST, signature=SIGNATURE, public_key=PUBLIC_KEY, fingerprint=signer.fingerprint,
        missing=f"\n                    tidak ditemukan di server: {', '.join(missing)}" if missing else "",
    ).encode("utf-8")
    ordered = dict(sorted(files.items()))
    lines = [f"{sha256(data)}  {path}\n" for path, data in ordered.items()]
    lines += [f"# jejak audit: {path} {note}\n" for path, note in sorted(chain_notes.items())]
    ordered[MANIFEST] = "".join(lines).encode("utf-8")
    ordered[SIGNATURE] = signer.sign(ordered[MANIFEST])
    return ordered


def _chain_note(chained: str | None, actual: str, over: str = "") -> str:
    """A manifest comment: the chain's digest of a file (or of the record it holds) and whether it matches."""
    what = f" ({over})" if over else ""
    if chained is None:
        return f"tidak tercatat di jejak audit{what}"
    return f"{chained}{what} {'cocok' if chained == actual else 'TIDAK COCOK: ' + actual}"


def _mismatch_note(inspection_id: str, record_ok: bool, mismatched: list[str]) -> bytes:
    lines = [f"{evidence.MISMATCH_TEXT}.", "", f"Pengajuan: {inspection_id}"]
    if not record_ok:
        lines.append("Rekaman kunjungan (inspection.json) berbeda dari versi terakhir yang tercatat di jejak audit.")
    if mismatched:
        lines += [f"Foto yang berbeda dari jejak audit atau dari sha256 di rekamannya (di folder {MISMATCHED_FOLDER}/, "
                  "bukan bukti yang sah):", *(f"  {photo_id}" for photo_id in mismatched)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_zip(files: dict[str, bytes], target, moment: datetime | None = None) -> None:
    """Write the files into a zip on the open binary file ``target``: JPEGs stored as they are, text deflated."""
    moment = to_wib(moment or timefmt.now())
    stamp = moment.timetuple()[:6]
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if path.endswith(".jpg") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
