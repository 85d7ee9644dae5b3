"""Exports for the reviewer: the queue as CSV, the printable report, the evidence bundle (zip)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from inspector import export, review, inspections
from inspector.checklists import build
from inspector.store import audit as audit_store
from tests.support.auth import client_as, sign_in
from tests.support.builders import ROLE_USERS, add_account, add_lks
from tests.support.inspection_builders import SECRET_NOTE, sent_inspection

FIXED = ["ID pengajuan", "Kode LKS", "Nama LKS", "Kecamatan", "Kelurahan", "Petugas (nama pengguna)", "Instansi",
         "Status", "Dikirim (WIB)", "Skor (%)", "Jumlah temuan", "Kritis", "Daftar periksa"]
PUBLIC_NOTE = "Dapur kotor, kompor dekat kasur; sudah ditegur"
BENDA = {"address": "Jl. Uji No. 7", "kecamatan": "Benda", "kelurahan": "Belendung"}  # where the added LKS are


# --- helpers -------------------------------------------------------------------------------------

def lks_of(store, kind: str = "lksa", index: int = 0) -> dict:
    return [r for r in store.lks.all() if r["kind"] == kind][index]


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf"), response.data[:10]
    return list(csv.reader(io.StringIO(response.data[3:].decode("utf-8"), newline="")))


def by_header(table: list[list[str]]) -> list[dict]:
    header, *rows = table
    assert len(set(header)) == len(header), "duplicate column names"
    return [dict(zip(header, row, strict=True)) for row in rows]


def column(header: list[str], key: str) -> str:
    """The value column of ``checklist/item`` (not its note column)."""
    found = [h for h in header if h.startswith(key + " ") and not h.endswith(" catatan")]
    assert len(found) == 1, (key, found)
    return found[0]


def wib(utc_iso: str) -> str:
    """By hand, not through inspector.timefmt: UTC + 7 hours."""
    return (datetime.fromisoformat(utc_iso) + timedelta(hours=7)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def reviewer(app):
    return client_as(app, "reviewer")


@pytest.fixture
def case(app, store):
    """A sent LKSA inspection with a critical finding, a secret note, a public note and photos."""
    return sent_inspection(app, lks_of(store), fail=("tanda_kekerasan", "dapur_bersih"),
                      notes={"catatan_kekerasan": SECRET_NOTE, "dapur_bersih": PUBLIC_NOTE},
                      values={"catatan_kekerasan": "Memar di lengan kiri dua anak"}, extra_photos=("",))


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_is_an_attachment_in_utf8_with_bom_fixed_columns_then_items(app, store, reviewer, case):
    response = reviewer.get("/tinjau/ekspor/csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="inspeksi-lks-menunggu-\d{8}-\d{4}\.csv"', disposition), disposition
    assert "no-store" in response.headers["Cache-Control"]
    table = read_csv(response)
    header = table[0]
    assert header[:len(FIXED)] == FIXED
    lksa = app.extensions["checklists"]["lksa"]
    assert len(header) == len(FIXED) + 2 * len(list(lksa.items()))  # a value and a note column per item
    assert header[len(FIXED)].startswith("lksa/foto_depan Foto bagian depan panti")
    assert header[len(FIXED) + 1] == "lksa/foto_depan catatan"
    [row] = by_header(table)
    lks = store.lks.get(case["lks_id"])
    assert [row[h] for h in FIXED] == [
        case["id"], lks["code"], lks["name"], "Pinang", "Kunciran Indah", "petugas1", "Satpol PP",
        "Menunggu tinjauan", wib(case["submitted_at"]), f"{case['score']['percent']:g}", "2", "Ya", "lksa v1"]
    assert row[column(header, "lksa/tanda_kekerasan")] == "Ya"  # the label of the failing answer "ya"
    assert row[column(header, "lksa/dapur_bersih")] == "Tidak"
    assert row["lksa/dapur_bersih catatan"] == PUBLIC_NOTE
    assert row[column(header, "lksa/foto_depan")] == "1 foto"
    assert row[column(header, "lksa/jumlah_anak_hadir")] == lksa.item("jumlah_anak_hadir").label_of(
        case["answers"]["jumlah_anak_hadir"]["value"])
    assert row[column(header, "lksa/dokumen_anak")] == dict(lksa.item("dokumen_anak").options)[
        case["answers"]["dokumen_anak"]["value"][0]]
    # The reviewer's export carries the confidential answers
    assert row["lksa/catatan_kekerasan catatan"] == SECRET_NOTE
    assert row[column(header, "lksa/catatan_kekerasan")] == "Memar di lengan kiri dua anak"


def test_the_csv_is_streamed_line_by_line_and_holds_what_the_whole_file_would(app, store, reviewer, case):
    other = sent_inspection(app, lks_of(store), fail=("apar",))
    with reviewer.get("/tinjau/ekspor/csv") as response:
        assert response.is_streamed
        streamed = b"".join(response.response)
    records = [store.inspections.get(r["id"]) for r in review.queue(store)]
    assert {r["id"] for r in records} == {case["id"], other["id"]}
    assert streamed == export.inspections_csv(store, records, include_confidential=True)
    assert streamed.count(b"\r\n") == 3


def test_queue_rows_written_before_they_named_their_checklist_version_still_export(app, store, case, reviewer):
    assert review.export_selection(store, status="") == ([case["id"]], {case["checklist"]["digest"]})
    month = store.review_index.months()[0]
    with store.review_index._month(month).transaction() as db:  # a summary row as the previous version wrote it
        db.table("rows").update(lambda doc: doc.pop("checklist_digest"))
    assert "checklist_digest" not in store.review_index.rows("000000", "999912")[0]
    assert review.export_selection(store, status="") == ([case["id"]], {case["checklist"]["digest"]})
    with reviewer.get("/tinjau/ekspor/csv?status=") as response:
        assert case["id"].encode() in response.get_data()
    with pytest.raises(ValueError, match="not among the header"):  # a row never goes under the wrong columns
        b"".join(export.csv_lines(store, [case], [], include_confidential=True))


def test_csv_uses_the_queue_filters(app, store, reviewer):
    other = add_lks(store, "Panti Asuhan Benda Sejahtera", "lksa", "BND01", **BENDA)
    pinang = sent_inspection(app, lks_of(store))
    benda = sent_inspection(app, other)
    decided = sent_inspection(app, lks_of(store, index=1))
    assert reviewer.post(f"/tinjau/{decided['id']}/keputusan", data={"keputusan": "approve"}).status_code == 303

    def ids(query: str) -> list[str]:
        response = reviewer.get("/tinjau/ekspor/csv" + query)
        assert response.status_code == 200
        return [row["ID pengajuan"] for row in by_header(read_csv(response))]

    assert sorted(ids("")) == sorted([pinang["id"], benda["id"]])  # default: waiting, as the queue
    assert ids("?kecamatan=Benda") == [benda["id"]]
    assert ids(f"?lks={pinang['lks_id']}") == [pinang["id"]]
    assert ids("?status=approved") == [decided["id"]]
    assert sorted(ids("?status=")) == sorted([pinang["id"], benda["id"], decided["id"]])
    assert ids("?status=submitted&kecamatan=Cibodas") == []
    today = datetime.now(timezone.utc).date()
    assert ids(f"?status=&dari={today + timedelta(days=2)}") == []
    # Same filters, same rows, same order as the queue
    assert ids("?status=&kecamatan=Pinang") == [r["id"] for r in review.queue(store, status="", kecamatan="Pinang")]
    assert "disetujui" in reviewer.get("/tinjau/ekspor/csv?status=approved").headers["Content-Disposition"]


def test_queue_page_links_to_the_csv_with_its_filters(app, store, reviewer):
    sent = sent_inspection(app, lks_of(store))
    html = reviewer.get("/tinjau/?status=&kecamatan=Pinang").get_data(as_text=True)
    match = re.search(r'<a [^>]*href="(/tinjau/ekspor/csv\?[^"]*)"[^>]*>Unduh CSV</a>', html)
    assert match, "no 'Unduh CSV' link"
    href = match.group(1).replace("&amp;", "&")
    assert "kecamatan=Pinang" in href and re.search(r"(^|[?&])status=(&|$)", href), href
    rows = by_header(read_csv(reviewer.get(href)))
    assert [r["ID pengajuan"] for r in rows] == [sent["id"]]
    assert "kecamatan=Cibodas" in reviewer.get("/tinjau/?kecamatan=Cibodas").get_data(as_text=True)


def test_csv_joins_the_items_of_different_checklists_grouped_by_checklist(app, store, reviewer):
    lansia = add_lks(store, "Panti Werdha Uji", "elderly", "LNS01", **BENDA)
    children = sent_inspection(app, lks_of(store))
    elderly = sent_inspection(app, lansia, checklist_id="umum", fail=("penghuni_dikurung",))
    table = read_csv(reviewer.get("/tinjau/ekspor/csv"))
    header = table[0]
    catalog = app.extensions["checklists"]
    keys = [h.split(" ", 1)[0] for h in header[len(FIXED)::2]]
    assert keys == [f"lksa/{i.id}" for i in catalog["lksa"].items()] + [f"umum/{i.id}" for i in catalog["umum"].items()]
    rows = {r["ID pengajuan"]: r for r in by_header(table)}
    assert rows[elderly["id"]]["Daftar periksa"] == "umum v1"
    assert rows[elderly["id"]][column(header, "umum/penghuni_dikurung")] == "Ya"
    assert rows[elderly["id"]][column(header, "umum/foto_depan")] == "1 foto"
    assert rows[elderly["id"]][column(header, "lksa/foto_depan")] == ""  # not its checklist
    assert all(rows[elderly["id"]][h] == "" for h in header if h.startswith("lksa/"))
    assert all(rows[children["id"]][h] == "" for h in header if h.startswith("umum/"))
    assert rows[children["id"]][column(header, "lksa/terdaftar_dinsos")] == "Ya"


def test_item_columns_join_versions_newest_first_and_keep_old_items():
    source = {"id": "uji", "title": "Uji", "version": 1, "kinds": ["lksa"],
              "sections": [{"id": "s", "title": "S", "items": [
        {"id": "lama", "question": "Pertanyaan lama?", "type": "yes_no"},
        {"id": "tetap", "question": "Pertanyaan tetap versi 1?", "type": "yes_no"}]}]}
    newer = {**source, "version": 2, "sections": [{"id": "s", "title": "S", "items": [
        {"id": "baru", "question": "Pertanyaan baru?", "type": "text", "confidential": True},
        {"id": "tetap", "question": "Pertanyaan tetap versi 2?", "type": "yes_no"}]}]}
    other = {**source, "id": "aaa"}
    v1, v2, first = (build(s)[0] for s in (source, newer, other))
    columns = export.item_columns([v1, v2, first], include_confidential=True)
    assert [c.key for c in columns] == ["aaa/lama", "aaa/tetap", "uji/baru", "uji/tetap", "uji/lama"]
    assert columns[3].item.question == "Pertanyaan tetap versi 2?"
    assert [c.key for c in export.item_columns([v1, v2], include_confidential=False)] == ["uji/tetap", "uji/lama"]


def test_without_confidential_no_confidential_column_or_value_appears(app, store, case):
    lksa = app.extensions["checklists"]["lksa"]
    secret_ids = [i.id for i in lksa.items() if i.confidential]
    assert len(secret_ids) >= 5
    record = store.inspections.get(case["id"])
    # Distinct free text in every confidential item, so a leaked value is recognisable
    record["answers"]["dugaan_staf"] = {"value": "Pengasuh T diduga memukul", "note": "laporan anak R"}
    record["answers"]["catatan_wawancara_anak"] = {"value": "Anak R takut pulang ke kamar", "note": ""}

    def text(include: bool) -> str:
        return export.inspections_csv(store, [record], include_confidential=include).decode("utf-8-sig")

    shown, hidden = text(True), text(False)
    for leaked in (SECRET_NOTE, "Memar di lengan kiri dua anak", "Pengasuh T diduga memukul", "laporan anak R",
                   "Anak R takut pulang ke kamar"):
        assert leaked in shown  # present in the reviewer's export, so its absence below means something
        assert leaked not in hidden
    header = next(csv.reader(io.StringIO(hidden)))
    assert not [h for h in header if h.split(" ", 1)[0].split("/")[-1] in secret_ids]
    assert len(header) == len(FIXED) + 2 * (len(list(lksa.items())) - len(secret_ids))
    assert PUBLIC_NOTE in hidden


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"klik\")", "'=HYPERLINK(\"http://x\",\"klik\")"), ("+62812", "'+62812"),
    ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("Aman = 1", "Aman = 1"), ("", ""),
    (None, ""), (12.5, "12.5")])
def test_safe_cell_defuses_formulas(value, expected):
    assert export.safe_cell(value) == expected


def test_csv_cells_that_would_run_as_formulas_start_with_a_quote(app, store, reviewer):
    place = add_lks(store, "=cmd|' /C calc'!A0", "lksa", "FRM01", **BENDA)
    sent_inspection(app, place, notes={"dapur_bersih": "@SUM(1+1)*cmd", "catatan_umum": "-2+3"},
               values={"pengurus_ditemui": "+62 812 0000", "catatan_umum": "=1+1"})
    table = read_csv(reviewer.get("/tinjau/ekspor/csv"))
    [row] = by_header(table)
    assert row["Nama LKS"] == "'=cmd|' /C calc'!A0"
    assert row["lksa/dapur_bersih catatan"] == "'@SUM(1+1)*cmd"
    assert row[column(table[0], "lksa/pengurus_ditemui")] == "'+62 812 0000"
    assert row[column(table[0], "lksa/catatan_umum")] == "'=1+1"
    assert row["lksa/catatan_umum catatan"] == "'-2+3"
    assert not [cell for line in table for cell in line if cell[:1] in ("=", "+", "-", "@")]


def test_csv_export_is_audited_with_its_filters_and_ids(app, store, reviewer, case):
    assert store.audit.entries(action="export_csv") == []
    reviewer.get("/tinjau/ekspor/csv?kecamatan=Pinang")
    [entry] = store.audit.entries(action="export_csv")
    reviewer_id = store.users.by_username(ROLE_USERS["reviewer"])["id"]
    assert (entry["actor_id"], entry["actor_role"]) == (reviewer_id, "reviewer")
    assert entry["details"]["rows"] == 1
    assert entry["details"]["kecamatan"] == "Pinang"
    assert entry["details"]["status"] == "submitted"
    assert entry["details"]["inspection_ids"] == [case["id"]]


@pytest.mark.parametrize("role", ["admin", "inspector", "operator"])
def test_exports_are_for_reviewers_only(app, store, case, role):
    client = client_as(app, role)
    for path in ("/tinjau/ekspor/csv", f"/tinjau/{case['id']}/cetak", f"/tinjau/{case['id']}/paket.zip"):
        response = client.get(path)
        assert response.status_code == 403, (role, path)
        assert b"PK" not in response.data[:2] and SECRET_NOTE.encode() not in response.data
    assert not [e for e in store.audit.entries(limit=None) if e["action"].startswith(("export", "report"))]


# --- The printable report ------------------------------------------------------------------------

def test_report_shows_header_critical_findings_first_then_every_answer_and_the_thread(app, store, reviewer, case):
    sid = case["id"]
    reviewer.post(f"/tinjau/{sid}/komentar", data={"komentar": "Mohon foto ulang kamar mandi."})
    assert reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": "approve", "komentar": "Sudah dicek."}
                         ).status_code == 303
    reviewer.post(f"/tinjau/{sid}/addendum", data={"isi": "Nomor izin yang benar: 463/77/2024."})
    response = reviewer.get(f"/tinjau/{sid}/cetak")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    lks = store.lks.get(case["lks_id"])
    for expected in (lks["name"], lks["code"], "Uji inspector", "Satpol PP", "Disetujui",
                     f"{case['score']['percent']:.0f}%",
                     "Mohon foto ulang kamar mandi.", "Sudah dicek.", "Nomor izin yang benar: 463/77/2024.",
                     PUBLIC_NOTE, SECRET_NOTE, "RAHASIA", "print.css"):
        assert expected in html, expected
    submitted = datetime.fromisoformat(case["submitted_at"]) + timedelta(hours=7)
    assert f"{submitted:%H.%M} WIB" in html
    critical_q = app.extensions["checklists"]["lksa"].item("tanda_kekerasan").question
    critical_at, all_at = html.index('id="kritis"'), html.index('id="jawaban"')
    assert critical_at < html.index(critical_q) < all_at  # the critical finding comes first...
    assert html.count(critical_q) == 2  # ...and again among all the answers
    assert html.index("Dapur") > html.index('id="temuan"')
    # No site navigation, footer with the print time
    assert 'aria-label="Menu akun"' not in html and "Keluar" not in html
    assert re.search(r"Dicetak \d{1,2} \w{3} \d{4} \d{2}\.\d{2} WIB oleh Uji reviewer", html)
    # Thumbnails of the stored photos, not lazily loaded (print must have them)
    for photo in case["photos"]:
        assert f"/kunjungan/{sid}/foto/{photo['id']}/kecil" in html
    assert 'loading="lazy"' not in html
    [entry] = store.audit.entries(action="report_printed")
    assert entry["target_id"] == sid and entry["actor_role"] == "reviewer"


def test_review_page_links_to_the_report_and_the_bundle(reviewer, case):
    html = reviewer.get(f"/tinjau/{case['id']}").get_data(as_text=True)
    assert re.search(rf'href="/tinjau/{case["id"]}/cetak"[^>]*>Cetak laporan<', html)
    assert re.search(rf'href="/tinjau/{case["id"]}/paket.zip"[^>]*>Unduh paket bukti<', html)


def test_report_without_critical_findings_says_so(app, store, reviewer):
    sent = sent_inspection(app, lks_of(store))
    html = reviewer.get(f"/tinjau/{sent['id']}/cetak").get_data(as_text=True)
    assert "Tidak ada temuan kritis." in html
    assert 'id="temuan"' not in html  # no other findings either


@pytest.mark.parametrize("suffix", ["cetak", "paket.zip"])
def test_unknown_or_draft_inspection_is_not_found(app, store, reviewer, suffix):
    checklist = app.extensions["checklists"]["lksa"]
    draft = inspections.start(store, checklist, lks_of(store), store.users.by_username("petugas1"))
    for sid in ("l000000000000-202601-000000000000", "tidak-ada", draft["id"], "x" * 80):
        assert reviewer.get(f"/tinjau/{sid}/{suffix}").status_code == 404, sid
    assert {e["action"] for e in store.audit.entries(limit=None)} == {"sign_in"}


# --- The evidence bundle -------------------------------------------------------------------------

def open_bundle(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_bundle_holds_record_checklist_photos_audit_and_a_manifest_that_verifies(app, store, reviewer, case):
    sid = case["id"]
    reviewer.get(f"/tinjau/{sid}/cetak")  # an audit entry of this inspection before the export
    response = reviewer.get(f"/tinjau/{sid}/paket.zip")
    lks = store.lks.get(case["lks_id"])
    assert response.headers["Content-Disposition"] == f'attachment; filename="paket-bukti-{lks["code"]}-{sid}.zip"'
    assert "no-store" in response.headers["Cache-Control"]
    bundle = open_bundle(response)
    assert bundle.testzip() is None
    names = set(bundle.namelist())
    photo_names = {f"photos/{p['id']}.jpg" for p in case["photos"]}
    assert len(photo_names) == 3  # the front, the failing kitchen, one general photo
    assert names == {"inspection.json", "checklist.json", "audit.jsonl", "README.txt", "key.pub.pem",
                     "MANIFEST.sha256", "MANIFEST.sha256.sig"} | photo_names
    # The manifest: a sha256sum line for every other file, each matching the file's bytes
    manifest = {}
    for line in bundle.read("MANIFEST.sha256").decode().splitlines():
        if line.startswith("# jejak audit: "):  # the chain's digest of a file: a comment to sha256sum -c
            continue
        digest, path = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line).groups()
        manifest[path] = digest
    assert set(manifest) == names - {"MANIFEST.sha256", "MANIFEST.sha256.sig"}
    assert {path: hashlib.sha256(bundle.read(path)).hexdigest() for path in manifest} == manifest
    # The photos are the stored originals, byte for byte
    for photo in case["photos"]:
        data = bundle.read(f"photos/{photo['id']}.jpg")
        assert data == store.photos.read(sid, photo["id"])
        assert hashlib.sha256(data).hexdigest() == photo["sha256"]
    # The full record, confidential answers included, the inspection key left out; the checklist it was filled against
    saved = json.loads(bundle.read("inspection.json"))
    assert saved["inspection"]["answers"] == store.inspections.get(sid)["answers"]
    assert saved["inspection"]["answers"]["catatan_kekerasan"]["note"] == SECRET_NOTE
    assert "inspection_key" not in saved["inspection"] and "inspection_key" not in bundle.read("inspection.json").decode()
    definition = store.checklists.get(case["checklist"]["digest"])
    assert saved["checklist"]["definition"] == definition == json.loads(bundle.read("checklist.json"))
    assert saved["lks"]["code"] == lks["code"]
    assert saved["inspector"]["username"] == "petugas1" and "password_hash" not in saved["inspector"]
    assert saved["export"]["by"]["username"] == ROLE_USERS["reviewer"]
    # The audit entries of this inspection, as the log wrote them
    lines = bundle.read("audit.jsonl").decode().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["action"] for e in entries] == ["report_printed"]
    assert all(audit_store.entry_hash(e) == e["hash"] for e in entries)
    log_lines = (store.audit.folder / f"{entries[0]['at'][:7]}.jsonl").read_text().splitlines()
    assert set(lines) <= set(log_lines)
    # The export itself is audited with the zip's SHA-256
    [export_entry] = store.audit.entries(action="export_bundle")
    digest = hashlib.sha256(response.data).hexdigest()
    assert export_entry["target_id"] == sid
    assert export_entry["details"]["zip_sha256"] == digest == response.headers["X-Content-SHA256"]
    assert export_entry["details"]["photos"] == 3
    assert "sha256sum -c MANIFEST.sha256" in bundle.read("README.txt").decode()


def test_bundle_audit_entries_span_months(app, store, case, monkeypatch):
    """Entries of the inspection in an earlier month's file are in the bundle too, oldest first."""
    assert store.audit.months() == []  # nothing logged yet: the first entries may open a past month's file
    someone = store.users.by_username(ROLE_USERS["inspector"])["id"]
    monkeypatch.setattr(audit_store, "_now", lambda: datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
    store.audit.append(someone, "inspector", "submitted", "inspection", case["id"])
    store.audit.append(someone, "inspector", "submitted", "inspection", "lain")
    monkeypatch.undo()
    reviewer = client_as(app, "reviewer")  # signing in logs in the current month
    reviewer.post(f"/tinjau/{case['id']}/komentar", data={"komentar": "Cek ulang."})
    assert store.audit.months()[0] == "2025-03" and len(store.audit.months()) == 2
    lines = open_bundle(reviewer.get(f"/tinjau/{case['id']}/paket.zip")).read("audit.jsonl").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["at"][:7], e["action"]) for e in entries] == [("2025-03", "submitted"),
                                                            (store.audit.months()[-1], "comment_added")]


def read_manifest(text: str) -> dict[str, str]:
    """{path: sha256} from a ``sha256sum`` file."""
    found = {}
    for line in text.splitlines():
        digest, _, path = line.partition("  ")
        if digest and path:
            found[path] = digest
    return found


def test_bundle_names_a_photo_missing_from_disk_and_still_verifies(app, store, reviewer, case):
    gone = case["photos"][0]["id"]
    (store.photos.root / case["id"] / f"{gone}.jpg").unlink()
    bundle = open_bundle(reviewer.get(f"/tinjau/{case['id']}/paket.zip"))
    assert f"photos/{gone}.jpg" not in bundle.namelist()
    assert json.loads(bundle.read("inspection.json"))["export"]["missing_photo_ids"] == [gone]
    manifest = read_manifest(bundle.read("MANIFEST.sha256").decode())
    assert manifest == {p: hashlib.sha256(bundle.read(p)).hexdigest()
                        for p in bundle.namelist() if p not in ("MANIFEST.sha256", "MANIFEST.sha256.sig")}


def test_bundle_keeps_photos_of_earlier_versions(app, store, reviewer, case):
    """A photo removed before a resubmit is still evidence of what was sent first."""
    first = case["photos"][0]["id"]
    store.inspections.modify(case["id"], lambda r: {**r, "photos": r["photos"][1:]})
    bundle = open_bundle(reviewer.get(f"/tinjau/{case['id']}/paket.zip"))
    assert f"photos/{first}.jpg" in bundle.namelist()


def test_bundle_for_another_reviewer_account_works_and_anonymous_signs_in(app, store, case):
    add_account(store, "peninjau2", "reviewer", name="Peninjau Dua")  # with a second factor, as reviewers must
    client = app.test_client()
    path = f"/tinjau/{case['id']}/paket.zip"
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")
    sign_in(client, "peninjau2")
    assert open_bundle(client.get(path)).testzip() is None
