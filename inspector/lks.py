"""The LKS register: fields, labels, validation, all-or-nothing CSV import, and every change an admin makes.

Each write here validates first and returns (record, errors) the way ``accounts`` does; LKS reported
from the field have their own module, ``provisional``.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from datetime import date

from .places import KECAMATAN, LAT_RANGE, LON_RANGE

# Stored codes are English (LKSA, like LKS, is a name); the Indonesian words an admin's spreadsheet uses are
# accepted as input, and read in checklist definitions archived before the codes were English.
KINDS = {
    "lksa": "LKSA (panti asuhan anak)",
    "elderly": "Lanjut usia",
    "disability": "Penyandang disabilitas",
    "other": "Lainnya",
}
KIND_WORDS = {"lansia": "elderly", "disabilitas": "disability", "lainnya": "other"}
GRADES = {"": "Belum terakreditasi", "A": "A", "B": "B", "C": "C"}
# QR-friendly public codes: upper case and digits without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 5
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}$")

# Field name -> CSV column (Indonesian, as an admin's spreadsheet would have it).
CSV_COLUMNS = {
    "name": "nama", "kind": "jenis", "address": "alamat", "kelurahan": "kelurahan", "kecamatan": "kecamatan",
    "lat": "lintang", "lon": "bujur", "contact_name": "kontak_nama", "contact_phone": "kontak_telepon",
    "registered": "terdaftar", "registration_number": "nomor_registrasi", "accreditation": "akreditasi",
    "accreditation_expiry": "akreditasi_berlaku_sampai", "capacity": "kapasitas", "code": "kode",
}
FIELDS = tuple(CSV_COLUMNS)  # every field of a record an admin fills in
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
CODE_TAKEN = "Kode sudah dipakai LKS lain."


def new_code(taken: set[str]) -> str:
    """A fresh public code not in ``taken``."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


def plain_text(raw) -> str:
    """One line of text as people type it: control and invisible format characters (NUL, a
    right-to-left override that would reverse a name on a poster) removed, white space folded."""
    text = "".join(" " if c.isspace() else c for c in str(raw or "")
                   if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(text.split())


def _text(raw, limit: int) -> str:
    return plain_text(raw)[:limit + 1]


def clean(raw: dict) -> tuple[dict, dict[str, str]]:
    """Validate an LKS from form or CSV strings: (clean record, {field: Indonesian reason})."""
    errors: dict[str, str] = {}
    out: dict = {}

    def text(field, label, limit, required=False):
        value = _text(raw.get(field), limit)
        if len(value) > limit:
            errors[field] = f"{label} terlalu panjang (maksimal {limit} karakter)."
        elif required and not value:
            errors[field] = f"{label} wajib diisi."
        out[field] = value

    text("name", "Nama", 120, required=True)
    text("address", "Alamat", 300, required=True)
    text("contact_name", "Nama kontak", 100)
    text("registration_number", "Nomor registrasi", 60)

    kind = str(raw.get("kind") or "").strip().lower()
    kind = KIND_WORDS.get(kind, kind)
    if not kind:
        errors["kind"] = "Pilih jenis LKS."
    elif kind not in KINDS:
        errors["kind"] = "Jenis harus salah satu dari: " + ", ".join(["lksa", *KIND_WORDS]) + "."
    out["kind"] = kind

    kecamatan = _text(raw.get("kecamatan"), 40)
    kelurahan = _text(raw.get("kelurahan"), 40)
    kec_match = next((k for k in KECAMATAN if k.lower() == kecamatan.lower()), None)
    if not kecamatan:
        errors["kecamatan"] = "Pilih kecamatan."
    elif not kec_match:
        errors["kecamatan"] = "Kecamatan tidak dikenal di Kota Tangerang."
    else:
        kel_match = next((k for k in KECAMATAN[kec_match] if k.lower() == kelurahan.lower()), None)
        if not kel_match:
            errors["kelurahan"] = f"Kelurahan tidak ada di Kecamatan {kec_match}."
        kelurahan = kel_match or kelurahan
    out["kecamatan"], out["kelurahan"] = kec_match or kecamatan, kelurahan

    for field, label, (low, high) in (("lat", "Lintang", LAT_RANGE), ("lon", "Bujur", LON_RANGE)):
        value = str(raw.get(field) or "").strip().replace(",", ".")
        out[field] = None
        if value:
            try:
                number = float(value)
                if not low <= number <= high:
                    raise ValueError
                out[field] = round(number, 6)
            except ValueError:
                errors[field] = f"{label} harus angka antara {low} dan {high} (wilayah Kota Tangerang)."
    if (out["lat"] is None) != (out["lon"] is None) and "lat" not in errors and "lon" not in errors:
        errors["lon" if out["lon"] is None else "lat"] = "Isi lintang dan bujur bersama-sama."

    phone = _text(raw.get("contact_phone"), 20)
    if phone and not _PHONE.match(phone):
        errors["contact_phone"] = "Nomor telepon hanya boleh berisi angka, spasi, tanda - dan + di depan."
    out["contact_phone"] = phone

    registered = raw.get("registered")
    if isinstance(registered, str):
        flag = registered.strip().lower()
        if flag not in ("ya", "tidak", "y", "t", "1", "0", "true", "false", "", "on"):
            errors["registered"] = "Terdaftar harus 'ya' atau 'tidak'."
        registered = flag in ("ya", "y", "1", "true", "on")
    out["registered"] = bool(registered)

    grade = str(raw.get("accreditation") or "").strip().upper()
    if grade in ("-", "TIDAK", "BELUM"):
        grade = ""
    if grade not in GRADES:
        errors["accreditation"] = "Akreditasi harus A, B, C atau kosong."
    out["accreditation"] = grade

    expiry = str(raw.get("accreditation_expiry") or "").strip()
    out["accreditation_expiry"] = ""
    if expiry:
        try:
            out["accreditation_expiry"] = date.fromisoformat(expiry).isoformat()
        except ValueError:
            errors["accreditation_expiry"] = "Tanggal harus berformat TTTT-BB-HH, misalnya 2027-06-30."
    if grade and not expiry and "accreditation" not in errors:
        errors["accreditation_expiry"] = "Isi tanggal berlaku akreditasi."
    if expiry and not grade and "accreditation_expiry" not in errors:
        errors["accreditation_expiry"] = "Tanggal berlaku hanya diisi bila ada akreditasi."

    capacity = str(raw.get("capacity") or "").strip()
    out["capacity"] = None
    if capacity:
        if capacity.isascii() and capacity.isdigit() and 0 < int(capacity) <= 10000:
            out["capacity"] = int(capacity)
        else:
            errors["capacity"] = "Kapasitas harus bilangan bulat 1 sampai 10000."

    code = str(raw.get("code") or "").strip().upper()
    if code and not _CODE.match(code):
        errors["code"] = f"Kode harus {CODE_LENGTH} karakter dari {CODE_ALPHABET}."
    out["code"] = code
    return out, errors


def parse_csv(data: bytes, taken_codes: set[str]) -> tuple[list[dict], list[tuple[int, str, str]]]:
    """Parse an import file: (records, [(row number, column, reason)]). Any error means import nothing."""
    if len(data) > MAX_IMPORT_BYTES:
        return [], [(0, "-", "Berkas terlalu besar (maksimal 2 MB).")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, "-", "Berkas harus CSV dengan pengodean UTF-8.")]
    if "\x00" in text:
        return [], [(0, "-", "Berkas bukan CSV teks.")]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    required = [CSV_COLUMNS[f] for f in ("name", "kind", "address", "kelurahan", "kecamatan")]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS.values()]
    if missing or unknown:
        problems = []
        if missing:
            problems.append((1, ", ".join(missing), "Kolom wajib tidak ada."))
        if unknown:
            problems.append((1, ", ".join(unknown), "Kolom tidak dikenal."))
        return [], problems
    reader.fieldnames = header
    column_of = {column: field for field, column in CSV_COLUMNS.items()}
    records, errors, seen_codes = [], [], set(taken_codes)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        return [], [(reader.line_num + 1, "-", f"Baris tidak bisa dibaca sebagai CSV ({error}).")]
    for count, (index, row) in enumerate(rows, start=1):
        if count > MAX_IMPORT_ROWS:
            errors.append((index, "-", f"Terlalu banyak baris (maksimal {MAX_IMPORT_ROWS})."))
            break
        if None in row:
            errors.append((index, "-", "Baris memiliki kolom lebih banyak dari judul."))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        record, row_errors = clean({column_of[c]: v for c, v in row.items()})
        for field, reason in row_errors.items():
            errors.append((index, CSV_COLUMNS[field], reason))
        if record["code"]:
            if record["code"] in seen_codes:
                errors.append((index, "kode", CODE_TAKEN))
        elif not row_errors:
            record["code"] = new_code(seen_codes)
        seen_codes.add(record["code"])
        record["active"] = True
        records.append(record)
    if not records and not errors:
        errors.append((0, "-", "Berkas tidak berisi satu baris data pun."))
    return ([] if errors else records), errors



def create(store, raw: dict) -> tuple[dict | None, dict[str, str]]:
    """Add an active LKS from form strings, with a fresh code unless one is given: (record, {}) or (None, errors)."""
    fields, errors = clean(raw)
    if errors:
        return None, errors
    fields["code"] = fields["code"] or new_code(store.lks.codes())
    try:
        return store.lks.create(active=True, **fields), {}
    except ValueError:
        return None, {"code": CODE_TAKEN}


def change(store, lks_id: str, raw: dict) -> tuple[dict | None, dict[str, str]]:
    """Change an LKS's fields from form strings; its public code stays (it is printed on its poster)."""
    current = store.lks.get(lks_id)
    if current is None:
        return None, {"name": "LKS tidak ditemukan."}
    fields, errors = clean({**raw, "code": current["code"]})
    if errors:
        return None, errors
    return store.lks.change(lks_id, fields), {}


def set_active(store, lks_id: str, active: bool) -> dict | None:
    """Show the LKS in the lists again, or take it off them; its records stay."""
    return store.lks.change(lks_id, {"active": active})


def import_csv(store, data: bytes) -> tuple[list[dict], list[tuple[int, str, str]]]:
    """Add every LKS of an import file, or none: (records, []) or ([], [(row number, column, reason)])."""
    records, problems = parse_csv(data, store.lks.codes())
    if problems:
        return [], problems
    try:
        return store.lks.create_many(records), []
    except ValueError:
        return [], [(0, "kode", "Kode bentrok dengan LKS yang baru ditambahkan; unggah ulang.")]
