"""The printable report in Chromium's print-to-PDF (A4), read back with poppler-utils.

Each run rewrites docs/screenshots/report-a4-page1.png (the first PDF page as an image).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from inspector import accounts, review
from inspector.auth import User
from tests.support.builders import PASSWORD
from tests.support.inspection_builders import SECRET_NOTE, sent_inspection
from tests.support.phone import SCREENSHOTS, assert_only_local, sign_in

pytestmark = pytest.mark.browser
POPPLER = ("pdftotext", "pdfinfo", "pdfimages", "pdftoppm")


@pytest.fixture(scope="module")
def printed_case(live_server):
    """A decided LKSA inspection with critical findings, notes, photos, a comment and an addendum,
    by an inspector of its own (so the other browser tests' lists stay as they expect)."""
    app = live_server.app
    store = app.extensions["store"]
    _, errors = accounts.create(store, {"username": "petugas-cetak", "password": PASSWORD, "role": "inspector",
                                        "name": "Rina Wulandari", "agency": "Dinas Sosial", "lks_ids": []})
    assert not errors, errors
    lks = live_server.lks[2]
    assert lks["kind"] == "lksa"
    record = sent_inspection(app, lks, username="petugas-cetak",
                        fail=("tanda_kekerasan", "anak_tidak_sekolah", "dapur_bersih", "apar", "visi_misi"),
                        notes={"tanda_kekerasan": "Dua anak dengan memar di lengan; pengasuh tidak bisa menjelaskan.",
                               "catatan_kekerasan": SECRET_NOTE, "dapur_bersih": "Beras disimpan di lantai.",
                               "apar": "APAR kedaluwarsa sejak 2023."},
                        values={"pengurus_ditemui": "Bpk. Hasan, ketua yayasan"}, extra_photos=("", ""))
    reviewer = User(store.users.by_username("peninjau1"))
    review.add_comment(store, record["id"], reviewer, "Mohon kirim foto APAR baru setelah diganti.")
    decided, reason = review.decide(store, record["id"], reviewer, "approve", "Temuan kritis diteruskan ke UPTD PPA.")
    assert reason is None
    review.add_addendum(store, record["id"], reviewer, "Nomor izin yang benar: 463/012/Dinsos/2024.")
    return {**store.inspections.get(record["id"]), "lks": lks}


def test_report_prints_to_a4_pdf_with_the_lks_and_its_photos(page, live_server, printed_case, requests_seen, tmp_path):
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    assert not missing, f"install poppler-utils (apt-get install poppler-utils): {missing}"
    sign_in(page, live_server.url, "reviewer")
    response = page.goto(f"{live_server.url}/tinjau/{printed_case['id']}/cetak")
    assert response.status == 200
    assert page.evaluate("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    pdf = tmp_path / "laporan.pdf"
    page.pdf(path=str(pdf), format="A4")

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 1
    width, height = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups())
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, info  # A4: 210 x 297 mm

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    squashed = " ".join(text.split())
    assert printed_case["lks"]["name"] in squashed
    assert printed_case["lks"]["code"] in squashed
    assert "Temuan kritis (2)" in squashed
    assert "Rina Wulandari (Dinas Sosial)" in squashed
    assert "Nomor izin yang benar: 463/012/Dinsos/2024." in squashed
    assert "Dicetak" in squashed and "WIB oleh Uji reviewer" in squashed
    assert f"Halaman 1 dari {pages}" in squashed  # the page numbers of the @page margin box
    assert "Kembali ke tinjauan" not in squashed and "Keluar" not in squashed  # no navigation in print
    first_page = text.split("\f")[0]
    assert "Temuan kritis" in first_page  # critical findings open the report

    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 >= len(printed_case["photos"])  # every thumbnail printed

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(SCREENSHOTS / "report-a4-page1")], check=True)
    assert (SCREENSHOTS / "report-a4-page1.png").stat().st_size > 10_000
    assert_only_local(requests_seen)
