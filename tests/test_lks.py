"""The LKS register: field rules, CSV import, the admin's LKS pages, QR posters and the public QR page."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image

from inspector import lks as lks_rules
from tests.support.auth import AuthActions, client_as
from tests.support.builders import PASSWORD, ROLE_USERS, make_app, seed_app

CODE_RE = re.compile(rf"^[{lks_rules.CODE_ALPHABET}]{{{lks_rules.CODE_LENGTH}}}$")

# A complete, valid LKS as the admin form or a CSV row would send it (all strings).
GOOD = {
    "name": "Panti Asuhan Uji Melati", "kind": "lksa", "address": "Jl. Uji No. 1, RT 01/RW 02",
    "kecamatan": "Pinang", "kelurahan": "Kunciran Indah", "lat": "-6.2157", "lon": "106.6383",
    "contact_name": "Ibu Ani Uji", "contact_phone": "0812-1111-2222", "registered": "ya",
    "registration_number": "REG/001/2026", "accreditation": "A", "accreditation_expiry": "2027-06-30",
    "capacity": "40", "code": "",
}


def _lat_lon_reason(label, low, high):
    return f"{label} harus angka antara {low} dan {high} (wilayah Kota Tangerang)."


LAT_REASON = _lat_lon_reason("Lintang", -6.30, -6.10)
LON_REASON = _lat_lon_reason("Bujur", 106.55, 106.78)
CAPACITY_REASON = "Kapasitas harus bilangan bulat 1 sampai 10000."
CODE_REASON = f"Kode harus 5 karakter dari {lks_rules.CODE_ALPHABET}."
DATE_REASON = "Tanggal harus berformat TTTT-BB-HH, misalnya 2027-06-30."

BAD_INPUTS = [
    ("missing name", {"name": ""}, "name", "Nama wajib diisi."),
    ("blank name", {"name": "   "}, "name", "Nama wajib diisi."),
    ("too-long name", {"name": "P" * 121}, "name", "Nama terlalu panjang (maksimal 120 karakter)."),
    ("missing address", {"address": ""}, "address", "Alamat wajib diisi."),
    ("unknown kind", {"kind": "panti"}, "kind", "Jenis harus salah satu dari: lksa, lansia, disabilitas, lainnya."),
    ("missing kind", {"kind": ""}, "kind", "Pilih jenis LKS."),
    ("missing kecamatan", {"kecamatan": "", "kelurahan": ""}, "kecamatan", "Pilih kecamatan."),
    ("kecamatan of Tangerang Selatan", {"kecamatan": "Serpong", "kelurahan": "Cilenggang"}, "kecamatan",
     "Kecamatan tidak dikenal di Kota Tangerang."),
    ("kabupaten kecamatan", {"kecamatan": "Curug", "kelurahan": "Curug Kulon"}, "kecamatan",
     "Kecamatan tidak dikenal di Kota Tangerang."),
    ("kelurahan of another kecamatan", {"kelurahan": "Cimone"}, "kelurahan",
     "Kelurahan tidak ada di Kecamatan Pinang."),
    ("unknown kelurahan", {"kelurahan": "Kunciran Baru"}, "kelurahan", "Kelurahan tidak ada di Kecamatan Pinang."),
    ("lat south of the city", {"lat": "-6.35"}, "lat", LAT_REASON),
    ("lat positive (sign dropped)", {"lat": "6.2157"}, "lat", LAT_REASON),
    ("lat not a number", {"lat": "enam"}, "lat", LAT_REASON),
    ("lat NaN", {"lat": "nan"}, "lat", LAT_REASON),
    ("lon east of the city", {"lon": "106.85"}, "lon", LON_REASON),
    ("lon swapped with lat", {"lon": "-6.2157"}, "lon", LON_REASON),
    ("only lat", {"lon": ""}, "lon", "Isi lintang dan bujur bersama-sama."),
    ("only lon", {"lat": ""}, "lat", "Isi lintang dan bujur bersama-sama."),
    ("phone with letters", {"contact_phone": "0812-ABCD-123"}, "contact_phone",
     "Nomor telepon hanya boleh berisi angka, spasi, tanda - dan + di depan."),
    ("phone too short", {"contact_phone": "12345"}, "contact_phone",
     "Nomor telepon hanya boleh berisi angka, spasi, tanda - dan + di depan."),
    ("registered neither ya nor tidak", {"registered": "mungkin"}, "registered", "Terdaftar harus 'ya' atau 'tidak'."),
    ("unknown grade", {"accreditation": "D"}, "accreditation", "Akreditasi harus A, B, C atau kosong."),
    ("date day-first", {"accreditation_expiry": "30-06-2027"}, "accreditation_expiry", DATE_REASON),
    ("date that does not exist", {"accreditation_expiry": "2027-02-30"}, "accreditation_expiry", DATE_REASON),
    ("date as words", {"accreditation_expiry": "30 Juni 2027"}, "accreditation_expiry", DATE_REASON),
    ("grade without expiry", {"accreditation_expiry": ""}, "accreditation_expiry", "Isi tanggal berlaku akreditasi."),
    ("expiry without grade", {"accreditation": ""}, "accreditation_expiry",
     "Tanggal berlaku hanya diisi bila ada akreditasi."),
    ("capacity 0", {"capacity": "0"}, "capacity", CAPACITY_REASON),
    ("capacity abc", {"capacity": "abc"}, "capacity", CAPACITY_REASON),
    ("capacity 99999", {"capacity": "99999"}, "capacity", CAPACITY_REASON),
    ("capacity negative", {"capacity": "-5"}, "capacity", CAPACITY_REASON),
    ("capacity decimal", {"capacity": "12.5"}, "capacity", CAPACITY_REASON),
    ("capacity superscript digit", {"capacity": "\u00b2"}, "capacity", CAPACITY_REASON),
    ("code too short", {"code": "ABCD"}, "code", CODE_REASON),
    ("code too long", {"code": "ABCDEF"}, "code", CODE_REASON),
    ("code with look-alike 0", {"code": "AB0DE"}, "code", CODE_REASON),
    ("code with look-alike I", {"code": "ABIDE"}, "code", CODE_REASON),
    ("code with punctuation", {"code": "AB-DE"}, "code", CODE_REASON),
]


def test_good_input_has_no_errors():
    record, errors = lks_rules.clean(GOOD)
    assert errors == {}
    assert record == {
        "name": "Panti Asuhan Uji Melati", "kind": "lksa", "address": "Jl. Uji No. 1, RT 01/RW 02",
        "kecamatan": "Pinang", "kelurahan": "Kunciran Indah", "lat": -6.2157, "lon": 106.6383,
        "contact_name": "Ibu Ani Uji", "contact_phone": "0812-1111-2222", "registered": True,
        "registration_number": "REG/001/2026", "accreditation": "A", "accreditation_expiry": "2027-06-30",
        "capacity": 40, "code": "",
    }


@pytest.mark.parametrize(("changes", "field", "reason"), [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_gives_its_reason_on_its_field(changes, field, reason):
    _, errors = lks_rules.clean({**GOOD, **changes})
    assert errors == {field: reason}


def test_several_bad_fields_are_all_reported():
    _, errors = lks_rules.clean({"name": "", "kind": "x", "address": "", "kecamatan": "Pinang", "kelurahan": "Cimone",
                                "capacity": "0"})
    assert set(errors) == {"name", "kind", "address", "kelurahan", "capacity"}


@pytest.mark.parametrize(("changes", "expected"), [
    ({"kecamatan": "pinang", "kelurahan": "KUNCIRAN indah"}, {"kecamatan": "Pinang", "kelurahan": "Kunciran Indah"}),
    ({"kecamatan": "  KARAWACI ", "kelurahan": "cimone  jaya"}, {"kecamatan": "Karawaci", "kelurahan": "Cimone Jaya"}),
    ({"lat": "-6,2157", "lon": "106,6383"}, {"lat": -6.2157, "lon": 106.6383}),
    ({"lat": " -6.21571234 ", "lon": "106.63831234"}, {"lat": -6.215712, "lon": 106.638312}),
    ({"lat": "", "lon": ""}, {"lat": None, "lon": None}),
    ({"registered": "ya"}, {"registered": True}),
    ({"registered": "Ya"}, {"registered": True}),
    ({"registered": "tidak"}, {"registered": False}),
    ({"registered": "TIDAK"}, {"registered": False}),
    ({"registered": ""}, {"registered": False}),
    ({"registered": True}, {"registered": True}),
    ({"registered": False}, {"registered": False}),
    ({"kind": " LKSA "}, {"kind": "lksa"}),
    ({"accreditation": "b"}, {"accreditation": "B"}),
    ({"accreditation": "-", "accreditation_expiry": ""}, {"accreditation": "", "accreditation_expiry": ""}),
    ({"accreditation": "belum", "accreditation_expiry": ""}, {"accreditation": ""}),
    ({"name": "  Panti   Asuhan\tUji  "}, {"name": "Panti Asuhan Uji"}),
    ({"name": "P" * 120}, {"name": "P" * 120}),
    ({"capacity": "1"}, {"capacity": 1}),
    ({"capacity": "10000"}, {"capacity": 10000}),
    ({"capacity": " 25 "}, {"capacity": 25}),
    ({"capacity": ""}, {"capacity": None}),
    ({"contact_phone": "+62 21 555-1234"}, {"contact_phone": "+62 21 555-1234"}),
    ({"contact_phone": ""}, {"contact_phone": ""}),
    ({"code": "h7smb"}, {"code": "H7SMB"}),
], ids=lambda value: repr(value)[:40])
def test_good_input_is_normalised(changes, expected):
    record, errors = lks_rules.clean({**GOOD, **changes})
    assert errors == {}
    for field, value in expected.items():
        assert record[field] == value, field


def test_none_values_are_treated_as_empty():
    record, errors = lks_rules.clean({**GOOD, "lat": None, "lon": None, "capacity": None, "contact_phone": None,
                                     "accreditation": None, "accreditation_expiry": None, "code": None})
    assert errors == {}
    assert (record["lat"], record["lon"], record["capacity"], record["code"]) == (None, None, None, "")


# --- CSV import -----------------------------------------------------------------

COLUMNS = ["nama", "jenis", "alamat", "kelurahan", "kecamatan", "lintang", "bujur", "kontak_nama", "kontak_telepon",
           "terdaftar", "nomor_registrasi", "akreditasi", "akreditasi_berlaku_sampai", "kapasitas"]
ROW_MELATI = ["Panti Asuhan Uji Melati", "lksa", "Jl. Uji No. 1, RT 01/RW 02", "Kunciran Indah", "Pinang",
              "-6.2157", "106.6383", "Ibu Ani", "0812-1111-2222", "ya", "REG/001", "A", "2027-06-30", "40"]
ROW_DAMAI = ["Griya Lansia Uji Damai", "lansia", "Jl. Damai No. 2", "Cimone", "Karawaci",
             "", "", "", "", "tidak", "", "", "", ""]
ROW_MANDIRI = ["Rumah Disabilitas Uji Mandiri", "disabilitas", "Jl. Mandiri 3", "sudimara barat", "CILEDUG",
               "-6.23", "106.71", "Pak Budi", "+62 21 555 1234", "ya", "REG/003", "B", "2028-01-31", "25"]


def make_csv(rows, columns=COLUMNS, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def row(base, **changes):
    """A copy of a row with some columns changed by their CSV name."""
    values = dict(zip(COLUMNS, base))
    values.update(changes)
    return [values[c] for c in COLUMNS]


def test_csv_good_file_imports_every_row_with_unique_new_codes():
    taken = {"H7SMB", "SNZ8B"}
    records, problems = lks_rules.parse_csv(make_csv([ROW_MELATI, ROW_DAMAI, ROW_MANDIRI]), taken)
    assert problems == []
    assert [r["name"] for r in records] == [ROW_MELATI[0], ROW_DAMAI[0], ROW_MANDIRI[0]]
    codes = [r["code"] for r in records]
    assert all(CODE_RE.match(c) for c in codes), codes
    assert len(set(codes)) == 3 and not set(codes) & taken
    assert all(r["active"] is True for r in records)
    melati, damai, mandiri = records
    assert melati["address"] == "Jl. Uji No. 1, RT 01/RW 02"  # a quoted comma stays inside its field
    assert (melati["lat"], melati["lon"], melati["capacity"], melati["registered"]) == (-6.2157, 106.6383, 40, True)
    assert (damai["lat"], damai["capacity"], damai["registered"], damai["accreditation"]) == (None, None, False, "")
    # The sheet's Indonesian words for the kind are stored as the English codes.
    assert (melati["kind"], damai["kind"], mandiri["kind"]) == ("lksa", "elderly", "disability")
    assert (mandiri["kecamatan"], mandiri["kelurahan"]) == ("Ciledug", "Sudimara Barat")


def test_csv_keeps_given_codes_normalised():
    records, problems = lks_rules.parse_csv(make_csv([ROW_MELATI + [" abcde "]], COLUMNS + ["kode"]), set())
    assert problems == []
    assert records[0]["code"] == "ABCDE"


def test_csv_reports_every_bad_row_and_imports_nothing():
    data = make_csv([
        ROW_MELATI,                                             # row 2
        row(ROW_DAMAI, kecamatan="Serpong"),                    # row 3
        ROW_MANDIRI,                                            # row 4
        row(ROW_MELATI, nama="Panti Kedua", jenis="panti"),     # row 5
        row(ROW_MANDIRI, nama="Rumah Ketiga", lintang="-7,5"),  # row 6
    ])
    records, problems = lks_rules.parse_csv(data, set())
    assert records == []
    assert problems == [
        (3, "kecamatan", "Kecamatan tidak dikenal di Kota Tangerang."),
        (5, "jenis", "Jenis harus salah satu dari: lksa, lansia, disabilitas, lainnya."),
        (6, "lintang", LAT_REASON),
    ]


def test_csv_reports_every_bad_column_of_a_row():
    records, problems = lks_rules.parse_csv(make_csv([row(ROW_MELATI, nama="", kapasitas="banyak",
                                                             akreditasi_berlaku_sampai="")]), set())
    assert records == []
    assert sorted(problems) == [
        (2, "akreditasi_berlaku_sampai", "Isi tanggal berlaku akreditasi."),
        (2, "kapasitas", CAPACITY_REASON),
        (2, "nama", "Nama wajib diisi."),
    ]


def test_csv_missing_required_column():
    columns = [c for c in COLUMNS if c != "alamat"]
    data = make_csv([[v for c, v in zip(COLUMNS, ROW_MELATI) if c != "alamat"]], columns)
    assert lks_rules.parse_csv(data, set()) == ([], [(1, "alamat", "Kolom wajib tidak ada.")])


def test_csv_unknown_column():
    data = make_csv([ROW_MELATI + ["ani@example.org"]], COLUMNS + ["email"])
    assert lks_rules.parse_csv(data, set()) == ([], [(1, "email", "Kolom tidak dikenal.")])


def test_csv_header_is_case_and_space_insensitive():
    data = make_csv([ROW_MELATI], [f" {c.upper()} " for c in COLUMNS])
    records, problems = lks_rules.parse_csv(data, set())
    assert problems == [] and records[0]["name"] == ROW_MELATI[0]


def test_csv_duplicate_code_within_the_file():
    columns = COLUMNS + ["kode"]
    data = make_csv([ROW_MELATI + ["ABCDE"], ROW_DAMAI + ["XYZ23"], ROW_MANDIRI + ["abcde"]], columns)
    records, problems = lks_rules.parse_csv(data, set())
    assert records == []
    assert problems == [(4, "kode", "Kode sudah dipakai LKS lain.")]


def test_csv_code_already_used_by_an_existing_lks():
    data = make_csv([ROW_MELATI + [""], ROW_DAMAI + ["H7SMB"]], COLUMNS + ["kode"])
    records, problems = lks_rules.parse_csv(data, {"H7SMB"})
    assert records == []
    assert problems == [(3, "kode", "Kode sudah dipakai LKS lain.")]


def test_csv_semicolon_separated_from_indonesian_excel():
    rows = [row(ROW_MELATI, lintang="-6,2157", bujur="106,6383"), row(ROW_MANDIRI, lintang="-6,23", bujur="106,71"),
            ROW_DAMAI]
    records, problems = lks_rules.parse_csv(make_csv(rows, delimiter=";"), set())
    assert problems == []
    assert [r["name"] for r in records] == [ROW_MELATI[0], ROW_MANDIRI[0], ROW_DAMAI[0]]
    assert records[0]["address"] == "Jl. Uji No. 1, RT 01/RW 02"
    assert (records[0]["lat"], records[0]["lon"]) == (-6.2157, 106.6383)
    assert (records[1]["lat"], records[1]["lon"]) == (-6.23, 106.71)


def test_csv_utf8_with_bom():
    data = b"\xef\xbb\xbf" + make_csv([row(ROW_MELATI, nama="Panti Asuhan Bunda Àisyah")])
    records, problems = lks_rules.parse_csv(data, set())
    assert problems == []
    assert records[0]["name"] == "Panti Asuhan Bunda Àisyah"


def test_csv_not_utf8():
    data = make_csv([row(ROW_MELATI, nama="Panti Asuhan Bunda Àisyah")], encoding="cp1252")
    assert lks_rules.parse_csv(data, set()) == ([], [(0, "-", "Berkas harus CSV dengan pengodean UTF-8.")])


def test_csv_with_nul_bytes():
    data = make_csv([ROW_MELATI]) + b"\x00\x00\x00PK\x03\x04"
    assert lks_rules.parse_csv(data, set()) == ([], [(0, "-", "Berkas bukan CSV teks.")])


def test_csv_empty_file():
    records, problems = lks_rules.parse_csv(b"", set())
    assert records == []
    assert problems and all(reason for _, _, reason in problems)


def test_csv_header_only():
    assert lks_rules.parse_csv(make_csv([]), set()) == ([], [(0, "-", "Berkas tidak berisi satu baris data pun.")])


def test_csv_blank_rows_are_skipped():
    records, problems = lks_rules.parse_csv(make_csv([ROW_MELATI, [""] * len(COLUMNS), ROW_DAMAI]), set())
    assert problems == []
    assert [r["name"] for r in records] == [ROW_MELATI[0], ROW_DAMAI[0]]


def test_csv_row_longer_than_header():
    records, problems = lks_rules.parse_csv(make_csv([ROW_MELATI, ROW_DAMAI + ["lebih"]]), set())
    assert records == []
    assert problems == [(3, "-", "Baris memiliki kolom lebih banyak dari judul.")]


def test_csv_over_2_mb():
    data = make_csv([ROW_MELATI])
    data += b"#" * (lks_rules.MAX_IMPORT_BYTES + 1 - len(data))
    assert len(data) == 2 * 1024 * 1024 + 1
    assert lks_rules.parse_csv(data, set()) == ([], [(0, "-", "Berkas terlalu besar (maksimal 2 MB).")])


def test_csv_of_exactly_2_mb_is_read():
    rows = [row(ROW_MELATI, nama=f"Panti Asuhan Uji {i}", alamat="Jl. Uji No. 1") for i in range(20)]
    padding = lks_rules.MAX_IMPORT_BYTES - len(make_csv(rows))
    for i, values in enumerate(rows):  # whitespace inside a field collapses; keep each field under csv's limit
        values[2] = "Jl. Uji " + " " * (padding // 20 + (padding % 20 if i == 0 else 0)) + "No. 1"
    data = make_csv(rows)
    assert len(data) == lks_rules.MAX_IMPORT_BYTES
    records, problems = lks_rules.parse_csv(data, set())
    assert problems == []
    assert len(records) == 20 and records[0]["address"] == "Jl. Uji No. 1"


# --- Admin pages: the register ----------------------------------------------------

FORM = {
    "name": "Panti Asuhan Uji Melati", "kind": "lksa", "address": "Jl. Uji No. 1, RT 01/RW 02",
    "kecamatan": "Pinang", "kelurahan": "Kunciran Indah", "lat": "-6.2157", "lon": "106.6383",
    "contact_name": "Ibu Ani Uji", "contact_phone": "0812-1111-2222", "registered": "y",
    "registration_number": "REG/001/2026", "accreditation": "A", "accreditation_expiry": "2027-06-30",
    "capacity": "40",
}


def field_errors(page: str) -> dict[str, str]:
    """The error shown under each field of a rendered form: {field id: text}."""
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page)}


def main_part(page: str) -> str:
    return page[page.index("<main>"):page.index("</main>")]


def listed_names(page: str) -> list[str]:
    part = page[page.index('<ul class="list">'):]
    return [html.unescape(n) for n in re.findall(r"<strong>(.*?)</strong>", part[:part.index("</ul>")])]


def lks_json(app) -> bytes:
    return (Path(app.config["INSPECTOR_DATA_DIR"]) / "lks.json").read_bytes()


@pytest.fixture
def admin(auth):
    auth.login_as("admin")
    return auth.client


def test_admin_creates_an_lks_with_a_generated_code(admin, store):
    before = {r["code"] for r in store.lks.all()}
    response = admin.post("/admin/lks/baru", data=FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/lks")
    created = [r for r in store.lks.all() if r["code"] not in before]
    assert len(created) == 1
    record = created[0]
    assert len(record["code"]) == 5 and set(record["code"]) <= set(lks_rules.CODE_ALPHABET)
    assert {k: record[k] for k in ("name", "kind", "kecamatan", "kelurahan", "lat", "lon", "registered",
                                   "accreditation", "accreditation_expiry", "capacity", "active")} == {
        "name": "Panti Asuhan Uji Melati", "kind": "lksa", "kecamatan": "Pinang", "kelurahan": "Kunciran Indah",
        "lat": -6.2157, "lon": 106.6383, "registered": True, "accreditation": "A",
        "accreditation_expiry": "2027-06-30", "capacity": 40, "active": True}
    page = admin.get("/admin/lks").get_data(as_text=True)
    assert f"kode {record['code']}" in page
    assert f"sudah ditambahkan dengan kode {record['code']}" in page


def test_admin_create_form_page(admin):
    response = admin.get("/admin/lks/baru")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tambah LKS" in page and 'name="kelurahan"' in page
    # kelurahan are grouped by kecamatan
    pinang = page.split('<optgroup label="Kec. Pinang">', 1)[1].split("</optgroup>", 1)[0]
    assert ">Kunciran Indah</option>" in pinang


def test_admin_create_with_errors_shows_them_by_the_fields_and_stores_nothing(admin, store):
    before = store.lks.all()
    response = admin.post("/admin/lks/baru", data={**FORM, "name": "", "kelurahan": "Cimone", "capacity": "abc",
                                                   "lat": "-6.2157", "lon": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page) == {
        "name": "Nama wajib diisi.",
        "kelurahan": "Kelurahan tidak ada di Kecamatan Pinang.",
        "capacity": CAPACITY_REASON,
        "lon": "Isi lintang dan bujur bersama-sama.",
    }
    capacity_input = re.search(r'<input [^>]*id="capacity"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in capacity_input and 'aria-describedby="capacity-error"' in capacity_input
    assert 'value="abc"' in capacity_input  # what was typed is kept for correction
    name_input = re.search(r'<input [^>]*id="name"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in name_input
    address_input = re.search(r'<textarea [^>]*id="address"[^>]*>', page).group(0)
    assert 'aria-invalid="false"' in address_input
    assert "Ada isian yang perlu diperbaiki" in page
    assert store.lks.all() == before


def test_admin_edit_keeps_the_code(admin, store):
    record = store.lks.all()[0]
    response = admin.get(f"/admin/lks/{record['id']}/ubah")
    assert response.status_code == 200
    assert f"Kode QR: {record['code']}" in response.get_data(as_text=True)
    assert f'value="{record["name"]}"' in response.get_data(as_text=True)
    response = admin.post(f"/admin/lks/{record['id']}/ubah",
                          data={**FORM, "name": "Panti Asuhan Nama Baru", "code": "ZZZZZ"})
    assert response.status_code == 302
    changed = store.lks.get(record["id"])
    assert changed["name"] == "Panti Asuhan Nama Baru"
    assert changed["code"] == record["code"]
    assert changed["capacity"] == 40
    assert store.lks.by_code("ZZZZZ") is None
    assert len(store.lks.all()) == 3


def test_admin_edit_with_errors_changes_nothing(admin, store):
    record = store.lks.all()[0]
    before = store.lks.get(record["id"])
    response = admin.post(f"/admin/lks/{record['id']}/ubah", data={**FORM, "kecamatan": "Serpong"})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == {"kecamatan": "Kecamatan tidak dikenal di Kota Tangerang."}
    assert store.lks.get(record["id"]) == before


def test_admin_edit_unknown_lks_is_404(admin):
    assert admin.get("/admin/lks/ltidakada/ubah").status_code == 404


def test_deactivate_hides_the_lks_and_reactivate_restores_it(app, admin, store):
    record = next(r for r in store.lks.all() if r["name"] == "Panti Asuhan Contoh Kasih")
    anonymous = app.test_client()
    inspector = client_as(app, "inspector")
    search = "/inspeksi/?q=Kasih"
    assert anonymous.get(f"/l/{record['code']}").status_code == 200
    assert f"/inspeksi/lks/{record['code']}" in inspector.get(search).get_data(as_text=True)

    response = admin.post(f"/admin/lks/{record['id']}/status")
    assert response.status_code == 302
    assert store.lks.get(record["id"])["active"] is False

    gone = anonymous.get(f"/l/{record['code']}")
    assert gone.status_code == 404
    page = gone.get_data(as_text=True)
    assert '<html lang="id">' in page and "Halaman tidak ditemukan" in page
    assert "Alamat ini tidak ada atau sudah tidak aktif." in page
    assert record["name"] not in page
    found = inspector.get(search).get_data(as_text=True)
    assert f"/inspeksi/lks/{record['code']}" not in found and "0 LKS ditemukan" in found
    assert inspector.get(f"/l/{record['code']}").status_code == 404
    assert inspector.get(f"/inspeksi/lks/{record['code']}").status_code == 404
    listing = admin.get("/admin/lks").get_data(as_text=True)
    assert record["name"] not in listed_names(listing)
    listing = admin.get("/admin/lks?nonaktif=1").get_data(as_text=True)
    assert record["name"] in listed_names(listing) and "Aktifkan" in listing

    assert admin.post(f"/admin/lks/{record['id']}/status").status_code == 302
    assert store.lks.get(record["id"])["active"] is True
    assert anonymous.get(f"/l/{record['code']}").status_code == 200
    assert f"/inspeksi/lks/{record['code']}" in inspector.get(search).get_data(as_text=True)


def test_status_change_is_for_admins_only(app, store):
    record = store.lks.all()[0]
    reviewer = client_as(app, "reviewer")
    assert reviewer.post(f"/admin/lks/{record['id']}/status").status_code == 403
    assert store.lks.get(record["id"])["active"] is True


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Panti Asuhan Contoh Kasih", "Panti Asuhan Contoh Rahmat 3", "Yayasan Contoh Tunas Mandiri Nurani 2"]),
    ("q=kasih", ["Panti Asuhan Contoh Kasih"]),
    ("q=Panti+Asuhan", ["Panti Asuhan Contoh Kasih", "Panti Asuhan Contoh Rahmat 3"]),
    ("q=jurumudi", ["Yayasan Contoh Tunas Mandiri Nurani 2"]),  # kelurahan
    ("q=3tdpf", ["Panti Asuhan Contoh Rahmat 3"]),  # code, lower case
    ("q=SNZ8B", ["Yayasan Contoh Tunas Mandiri Nurani 2"]),
    ("kecamatan=Cibodas", ["Panti Asuhan Contoh Rahmat 3"]),
    ("kecamatan=Pinang&q=kasih", ["Panti Asuhan Contoh Kasih"]),
    ("kecamatan=Pinang&q=rahmat", []),
    ("q=tidak-ada-yang-cocok", []),
    ("kecamatan=Bukan+Kecamatan", ["Panti Asuhan Contoh Kasih", "Panti Asuhan Contoh Rahmat 3",
                                   "Yayasan Contoh Tunas Mandiri Nurani 2"]),
])
def test_admin_list_search_and_kecamatan_filter(admin, query, expected):
    response = admin.get(f"/admin/lks?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert listed_names(page) == expected
    assert f"<p>{len(expected)} LKS.</p>" in page
    if not expected:
        assert "Tidak ada LKS yang cocok." in page


def upload(client, data: bytes | None, name: str = "lks.csv"):
    """POST a multipart body built here: Werkzeug's test client spools big bodies to a temporary file
    it never closes, which filterwarnings=error turns into a failure (ResourceWarning)."""
    boundary = "----inspector-test-boundary"
    body = b""
    if data is not None:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                 "Content-Type: text/csv\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return client.post("/admin/lks/impor", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_import_page(admin):
    response = admin.get("/admin/lks/impor")
    assert response.status_code == 200
    assert "akreditasi_berlaku_sampai" in response.get_data(as_text=True)


def test_import_good_file_adds_every_row(app, admin, store):
    response = upload(admin, make_csv([ROW_MELATI, ROW_DAMAI, ROW_MANDIRI]))
    assert response.status_code == 302
    records = store.lks.all()
    assert len(records) == 6
    names = {r["name"] for r in records}
    assert {ROW_MELATI[0], ROW_DAMAI[0], ROW_MANDIRI[0]} <= names
    assert len({r["code"] for r in records}) == 6
    assert "3 LKS berhasil diimpor." in admin.get("/admin/lks").get_data(as_text=True)
    imported = store.lks.by_code(next(r["code"] for r in records if r["name"] == ROW_MELATI[0]))
    assert imported["active"] is True and imported["id"]
    assert app.test_client().get(f"/l/{imported['code']}").status_code == 200


def test_import_with_one_bad_row_imports_nothing(app, admin):
    before = lks_json(app)
    data = make_csv([ROW_MELATI, row(ROW_DAMAI, kelurahan="Kunciran"), ROW_MANDIRI])
    response = upload(admin, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tidak ada yang diimpor: 1 masalah" in page
    rows = [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(<td>.*?)</tr>", page)]
    assert rows == [["3", "kelurahan", "Kelurahan tidak ada di Kecamatan Karawaci."]]
    assert lks_json(app) == before


def test_import_file_level_problem_is_shown(app, admin):
    before = lks_json(app)
    response = upload(admin, make_csv([ROW_MELATI], encoding="utf-16"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<td>-</td><td>-</td><td>Berkas harus CSV dengan pengodean UTF-8.</td>" in page
    assert lks_json(app) == before


def test_import_without_a_file(app, admin):
    before = lks_json(app)
    response = upload(admin, None)
    assert response.status_code == 400
    assert "Tidak ada yang diimpor" in response.get_data(as_text=True)
    assert lks_json(app) == before


def test_import_over_2_mb_through_the_page(app, admin):
    before = lks_json(app)
    data = make_csv([ROW_MELATI])
    response = upload(admin, data + b" " * (lks_rules.MAX_IMPORT_BYTES + 10 - len(data)))
    assert response.status_code == 400
    assert "Berkas terlalu besar (maksimal 2 MB)." in response.get_data(as_text=True)
    assert lks_json(app) == before


def test_import_is_for_admins_only(app, store):
    reviewer = client_as(app, "reviewer")
    assert upload(reviewer, make_csv([ROW_MELATI])).status_code == 403
    assert len(store.lks.all()) == 3


# --- QR posters -------------------------------------------------------------------

def decode_qr(png: bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, results
    return results[0]


def test_qr_png_holds_the_lks_url(admin, store):
    record = store.lks.all()[0]
    response = admin.get(f"/admin/lks/{record['id']}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert f'filename="qr-{record["code"]}.png"' in response.headers["Content-Disposition"]
    result = decode_qr(response.data)
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.text == "https://lks.tangerangkota.go.id/l/" + record["code"]
    assert len(result.text) < 40
    assert result.ec_level == "Q"


def test_qr_url_follows_the_base_url_setting(tmp_path):
    app = make_app(tmp_path, INSPECTOR_BASE_URL="http://192.168.1.20:8000/")
    lks = seed_app(app)
    client = app.test_client()
    AuthActions(client).login_as("admin")
    result = decode_qr(client.get(f"/admin/lks/{lks[1]['id']}/qr.png").data)
    assert result.text == f"http://192.168.1.20:8000/l/{lks[1]['code']}"


def test_qr_url_opens_the_public_page(app, admin, store):
    record = store.lks.all()[1]
    url = decode_qr(admin.get(f"/admin/lks/{record['id']}/qr.png").data).text
    page = app.test_client().get(urlsplit(url).path)
    assert page.status_code == 200 and record["name"] in page.get_data(as_text=True)


def test_qr_is_for_admins_only(app, store):
    record = store.lks.all()[0]
    assert client_as(app, "inspector").get(f"/admin/lks/{record['id']}/qr.png").status_code == 403
    anonymous = app.test_client().get(f"/admin/lks/{record['id']}/qr.png")
    assert anonymous.status_code == 302 and "/masuk" in anonymous.headers["Location"]


# --- The public page behind the QR --------------------------------------------------

def lks_named(store, name):
    return next(r for r in store.lks.all() if r["name"] == name)


def test_public_page_shows_the_public_facts(client, store):
    record = lks_named(store, "Yayasan Contoh Tunas Mandiri Nurani 2")
    response = client.get(f"/l/{record['code']}")
    assert response.status_code == 200
    page = main_part(response.get_data(as_text=True))
    assert "Yayasan Contoh Tunas Mandiri Nurani 2" in page
    assert f"Kode LKS {record['code']}" in page
    assert "Penyandang disabilitas" in page
    assert "Kel. Jurumudi, Kec. Benda" in page
    assert "Terdaftar di Dinas Sosial (DEMO/002/2026)" in page
    assert "C, berlaku sampai 28 Des 2026" in page
    assert "SAPA 129" in page and 'href="tel:129"' in page
    assert record["contact_phone"] not in response.get_data(as_text=True)
    assert record["contact_name"] not in response.get_data(as_text=True)
    assert "0812" not in response.get_data(as_text=True)
    assert "Mulai inspeksi" not in page


def test_public_page_of_an_unregistered_lks(client, store):
    record = lks_named(store, "Panti Asuhan Contoh Kasih")
    page = main_part(client.get(f"/l/{record['code']}").get_data(as_text=True))
    assert "Belum terdaftar" in page and "Terdaftar di Dinas Sosial" not in page
    assert "Belum terakreditasi" in page
    assert "Kel. Kunciran Indah, Kec. Pinang" in page
    assert "LKSA (panti asuhan anak)" in page
    assert record["contact_phone"] not in page and record["contact_name"] not in page


@pytest.mark.parametrize(("expiry", "expired"), [("2020-01-31", True), ("2099-12-31", False)])
def test_public_page_flags_expired_accreditation(client, store, expiry, expired):
    record = lks_named(store, "Panti Asuhan Contoh Rahmat 3")
    store.lks.change(record["id"], {"accreditation": "B", "accreditation_expiry": expiry})
    page = client.get(f"/l/{record['code']}").get_data(as_text=True)
    assert ("Masa berlaku akreditasi sudah habis." in page) is expired
    assert f"B, berlaku sampai {'31 Jan 2020' if expired else '31 Des 2099'}" in page


@pytest.mark.parametrize("path", ["/l/{code}", "/l/{lower}", "/L/{code}", "/L/{lower}"])
def test_public_page_login_link_returns_to_the_same_page(app, store, path):
    record = lks_named(store, "Panti Asuhan Contoh Kasih")
    target = path.format(code=record["code"], lower=record["code"].lower())
    client = app.test_client()
    response = client.get(target)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert record["name"] in page
    link = re.search(r'<a class="button secondary" href="([^"]+)">Masuk sebagai petugas</a>', page)
    assert link, "no sign-in link"
    href = html.unescape(link.group(1))
    assert urlsplit(href).path == "/masuk"
    assert parse_qs(urlsplit(href).query)["next"] == [target]
    signed_in = client.post(href, data={"username": ROLE_USERS["inspector"], "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == target
    start = client.get(target)
    assert start.status_code == 200 and "Mulai inspeksi" in start.get_data(as_text=True)


@pytest.mark.parametrize("code", ["ZZZZZ", "zzzzz", "H7SM", "H7SMBX", "X" * 40, "%3Cscript%3E"])
def test_unknown_code_is_an_indonesian_404(client, code):
    response = client.get(f"/l/{code}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Halaman tidak ditemukan" in page and "Alamat ini tidak ada atau sudah tidak aktif." in page
    assert "<script>" not in page


def test_inspector_gets_the_start_page(auth, client, store):
    record = lks_named(store, "Yayasan Contoh Tunas Mandiri Nurani 2")
    auth.login_as("inspector")
    response = client.get(f"/l/{record['code'].lower()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mulai inspeksi" in page and 'id="mulai"' in page
    assert record["name"] in page
    assert record["contact_phone"] in page  # officers may call the LKS
    assert "Masuk sebagai petugas" not in page


@pytest.mark.parametrize("role", ["admin", "reviewer", "operator"])
def test_other_roles_see_the_public_page(auth, client, store, role):
    record = lks_named(store, "Yayasan Contoh Tunas Mandiri Nurani 2")
    auth.login_as(role)
    page = client.get(f"/l/{record['code']}").get_data(as_text=True)
    assert record["name"] in page and "Penyandang disabilitas" in page
    assert 'id="mulai"' not in page



def test_names_lose_control_and_invisible_format_characters():
    """A right-to-left override or a NUL in a name would garble posters and pages: they are dropped."""
    record, errors = lks_rules.clean({**GOOD, "name": "Panti \u202eUji\u200f\u0000 Kasih\ufeff"})
    assert not errors
    assert record["name"] == "Panti Uji Kasih"
    assert lks_rules.plain_text("  a\tb \u2066c\u2069 ") == "a b c"
