"""A4 QR posters: what a poster says and where, that its QR reads back (from the PNG and from the PDF
rasterised by poppler) at a printed width of at least 8 cm, the batch PDF, the routes and the CLI.

Each run rewrites docs/screenshots/poster.png (a downscaled poster of a demo LKS, printed on a fixed date).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from inspector import posters
from inspector.demo import demo_lks
from inspector.places import KECAMATAN
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS

BASE = "https://lks.tangerangkota.go.id"
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "poster.png"
MIN_WIDTH_PX = 945  # 8 cm at 300 dpi
PRINTED = date(2027, 1, 5)


def need_poppler():
    missing = [tool for tool in ("pdfinfo", "pdftoppm") if shutil.which(tool) is None]
    assert not missing, f"install poppler-utils (apt-get install poppler-utils): {missing}"


def decode(image: Image.Image):
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, results
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0]


def pdf_pages(pdf: bytes, tmp_path) -> int:
    need_poppler()
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert info.stderr == "", info.stderr  # poppler says so when it has to repair a file
    assert re.search(r"^Page size:\s+595\.2 x 841\.92 pts \(A4\)", info.stdout, re.M), info.stdout
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def rasterise(pdf: bytes, tmp_path) -> list[Image.Image]:
    """Every page of the PDF at 100 dpi, as poppler draws it."""
    need_poppler()
    path = tmp_path / "raster.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(path), str(tmp_path / "page")], check=True,
                   capture_output=True)
    pages = sorted(tmp_path.glob("page*.png"))
    images = []
    for page in pages:
        with Image.open(page) as image:
            images.append(image.convert("RGB"))
    return images


# --- One poster -----------------------------------------------------------------------------------

def test_poster_png_holds_the_url_in_a_qr_at_least_8_cm_wide(app, store):
    record = store.lks.all()[0]
    response = client_as(app, "admin").get(f"/admin/lks/{record['id']}/poster.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == f'attachment; filename="poster-{record["code"]}.png"'
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (2480, 3508)  # A4 at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    image = image.convert("RGB")
    result = decode(image)
    assert result.text == f"{BASE}/l/{record['code']}"
    assert result.ec_level == "Q"
    # The printed width of the symbol, from where zxing found its corners.
    corners = result.position
    width = corners.top_right.x - corners.top_left.x
    height = corners.bottom_left.y - corners.top_left.y
    assert min(width, height) >= MIN_WIDTH_PX, (width, height)
    assert width / 300 * 2.54 >= 9.5  # about 10 cm, as designed
    # The 4-module quiet zone around it is white.
    module = width / (4 * int(result.extra["Version"]) + 17)
    quiet = round(4 * module)
    x0, y0 = corners.top_left.x, corners.top_left.y
    x1, y1 = corners.bottom_right.x, corners.bottom_right.y
    for strip in ((x0 - quiet, y0 - quiet, x1 + quiet, y0 - 1), (x0 - quiet, y1 + 1, x1 + quiet, y1 + quiet),
                  (x0 - quiet, y0, x0 - 1, y1), (x1 + 1, y0, x1 + quiet, y1)):
        assert image.crop(strip).convert("L").getextrema() == (255, 255), strip


def test_poster_pdf_reads_back_after_poppler_rasterises_it(app, store, tmp_path):
    record = store.lks.all()[1]
    response = client_as(app, "admin").get(f"/admin/lks/{record['id']}/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="poster-{record["code"]}.pdf"'
    assert pdf_pages(response.data, tmp_path) == 1
    [page] = rasterise(response.data, tmp_path)
    assert page.size == (827, 1170)  # A4 at 100 dpi
    result = decode(page)
    assert result.text == f"{BASE}/l/{record['code']}"
    assert (result.position.top_right.x - result.position.top_left.x) / 100 * 2.54 >= 8


def test_the_route_lays_out_the_poster_of_that_lks(app, store, monkeypatch):
    """What the route's poster says: the layout it hands to ``draw`` (the image itself cannot be read back)."""
    drawn = []
    original = posters.draw
    monkeypatch.setattr(posters, "draw", lambda page: drawn.append(page) or original(page))
    record = store.lks.all()[2]
    assert client_as(app, "admin").get(f"/admin/lks/{record['id']}/poster.png").status_code == 200
    [page] = drawn
    text = " ".join(page.strings())
    assert page.url == f"{BASE}/l/{record['code']}"
    assert record["name"] in text and f"Kode LKS: {record['code']}" in text
    assert f"Dicetak {posters.format_date(posters.today_wib())}" in text


def test_layout_says_everything_and_nothing_overlaps_or_leaves_the_page():
    record = {"name": "Panti Asuhan Contoh Kasih", "code": "H7SMB"}
    page = posters.layout(record, BASE, printed_on=PRINTED)
    strings = page.strings()
    text = " ".join(strings)
    for needed in ("Panti Asuhan Contoh Kasih", "Kode LKS: H7SMB", "Petugas:", "pindai kode ini untuk mulai inspeksi.",
                   "Masyarakat:", "SAPA 129", "Telepon 129", "WhatsApp 08111-129-129", "DINAS SOSIAL KOTA TANGERANG",
                   "Dinas Sosial Kota Tangerang", "Dicetak 5 Jan 2027", "lks.tangerangkota.go.id/l/H7SMB"):
        assert needed in text, needed
    assert "pindai untuk melihat status lembaga ini dan cara melapor." in " ".join(
        s for s in strings if s not in ("Petugas:", "Masyarakat:"))
    assert_fits(page)
    # The hotline: inside the red box, the biggest text on the page.
    hotline = next(t for t in page.texts if t.text == "SAPA 129")
    red = next(b for b in page.blocks if b.color == posters.RED)
    assert inside(hotline.box, red.box)
    assert hotline.size == max(t.size for t in page.texts)
    assert hotline.size / 300 * 2.54 >= 1.5  # a 1.5 cm line: readable across a room
    numbers = next(t for t in page.texts if "WhatsApp" in t.text)
    assert inside(numbers.box, red.box) and numbers.size >= 70
    footer = next(t for t in page.texts if t.text.startswith("Dinas Sosial"))
    assert footer.y == max(t.y for t in page.texts)  # at the bottom


@pytest.mark.parametrize("name, shortened", [
    ("Yayasan Lembaga Kesejahteraan Sosial Anak Contoh Kasih Bunda Nurani Sejahtera Mandiri Berkah Abadi Jaya "
     "Raya X", False),  # 120 characters, the register's limit
    ("PantiAsuhanContoh" * 7, False),  # 119 characters without a space
    ("Rumah Singgah Contoh " * 14, True),  # past the register's limit: more than three lines at the smallest size
])
@pytest.mark.parametrize("dpi", [300, 150])
def test_long_names_wrap_to_three_lines_inside_the_page(name, shortened, dpi):
    name = name.strip()
    page = posters.layout({"name": name, "code": "ABCDE"}, BASE, dpi, PRINTED)
    assert_fits(page)
    name_lines = [t for t in page.texts if t.y < page.qr_at[1] and t.color == posters.INK]
    assert 1 <= len(name_lines) <= 3
    joined = "".join(t.text for t in name_lines).replace(" ", "")
    if shortened:
        assert joined.endswith("…") and name.replace(" ", "").startswith(joined[:-1])
    else:
        assert joined == name.replace(" ", "")
    assert page.qr_cm >= 9.5


# Names the register accepts (lks.clean: up to 120 characters of any printable Unicode), each of which once
# failed or could fail: every one must lay out whole, as PNG and PDF, alone and in a batch.
HOSTILE_NAMES = [
    "Panti Asuhan Yatim Piatu dan Dhuafa Al-Hidayah Nurul Iman Kelurahan Kunciran Indah",  # 82 characters
    "Panti Asuhan " + "Kesejahteraansosialanakbundanurani" + "xy",  # 49 characters, one 36-letter word
    "W" * 120,  # the register's limit, the widest letter, no space
    ("Yayasan Lembaga Kesejahteraan Sosial Anak Bunda Nurani Sejahtera Mandiri Berkah Abadi Jaya Raya "
     "Kunciran Indah Pinang X")[:120],  # the limit in words
    "Panti Asuhan Al-Ikhlāṣ Ñandú Ünïcödé Çağ Łódź Ελπίδα Надежда",  # accented and other scripts
    "دار الأيتام الأمل Panti Asuhan Harapan",  # right-to-left letters (drawn in stored order)
    "Panti Asuhan Ceria 😀🌈 Kasih",  # emoji: DejaVu has no glyph, a box is drawn, nothing fails
    "孤儿院 希望之家 Panti Asuhan",  # CJK: no glyph either
    "A",  # one letter
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("dpi", [300, 150])
def test_every_name_the_register_accepts_lays_out_whole(name, dpi):
    from inspector import lks as lks_rules

    assert lks_rules.plain_text(name) == name and len(name) <= 120  # the register takes it as it is
    page = posters.layout({"name": name, "code": "ABCDE"}, BASE, dpi, PRINTED)
    assert_fits(page)
    name_lines = [t for t in page.texts if t.y < page.qr_at[1] and t.color == posters.INK]
    assert 1 <= len(name_lines) <= 3
    assert "".join(t.text for t in name_lines).replace(" ", "") == name.replace(" ", "")  # nothing cut off


def test_a_long_word_is_shrunk_before_it_is_broken():
    name = "Panti Asuhan " + "Kesejahteraansosialanakbundanurani" + "xy"
    page = posters.layout({"name": name, "code": "ABCDE"}, BASE, 300, PRINTED)
    name_lines = [t.text for t in page.texts if t.y < page.qr_at[1] and t.color == posters.INK]
    assert name_lines == ["Panti Asuhan", "Kesejahteraansosialanakbundanurani" + "xy"]


def test_posters_of_hostile_names_are_served_as_png_and_pdf_and_in_one_batch(app, store, tmp_path):
    base = {k: v for k, v in store.lks.all()[0].items() if k not in ("id", "created_at", "updated_at", "code")}
    made = [store.lks.create(**{**base, "name": name, "code": f"Z{index:04d}", "kecamatan": "Cibodas",
                                "active": True, "provisional": False}) for index, name in enumerate(HOSTILE_NAMES)]
    admin = client_as(app, "admin")
    for record in made[:3]:
        for kind in ("png", "pdf"):
            response = admin.get(f"/admin/lks/{record['id']}/poster.{kind}")
            assert response.status_code == 200, (record["name"], kind)
    batch = admin.get("/admin/poster.pdf?kecamatan=Cibodas")
    assert batch.status_code == 200 and batch.data.startswith(b"%PDF")
    need_poppler()
    cibodas = [r for r in store.lks.all() if r.get("active") and not r.get("provisional") and r["kecamatan"] == "Cibodas"]
    assert pdf_pages(batch.data, tmp_path) == len(cibodas)


def test_a_page_that_cannot_be_laid_out_does_not_cost_the_batch(monkeypatch):
    real = posters.layout

    def fails_once(record, *args, **kwargs):
        if not record["name"].endswith("…"):
            raise posters.LayoutError("does not fit")
        return real(record, *args, **kwargs)

    monkeypatch.setattr(posters, "layout", fails_once)
    out = io.BytesIO()
    assert posters.write_pdf([{"name": "Panti Asuhan Contoh", "code": "ABCDE"}], BASE, out, 150) == 1


def assert_fits(page: posters.Layout):
    width, height = page.size
    boxes = [t.box for t in page.texts]
    for box in boxes + [page.qr_box]:
        assert inside(box, (0, 0, width, height)), box
    for text in page.texts:  # white text sits on a coloured block, dark text on white paper
        on = [b for b in page.blocks if inside(text.box, b.box)]
        assert bool(on) == (text.color == posters.WHITE), text
    for i, a in enumerate(boxes + [page.qr_box]):
        for b in boxes[i + 1:]:
            assert not overlap(a, b), (a, b)
    assert not any(overlap(page.qr_box, b.box) for b in page.blocks)
    assert page.qr_cm >= 8


def inside(box, outer) -> bool:
    return box[0] >= outer[0] and box[1] >= outer[1] and box[2] <= outer[2] and box[3] <= outer[3]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_without_dejavu_the_default_font_still_makes_a_readable_poster(monkeypatch):
    monkeypatch.setattr(posters, "FONT_FILES", {False: Path("/nonexistent/a.ttf"), True: Path("/nonexistent/b.ttf")})
    posters.font.cache_clear()
    try:
        page = posters.layout({"name": "Panti Asuhan Contoh Kasih", "code": "H7SMB"}, BASE, 150, PRINTED)
        assert_fits(page)
        assert decode(posters.draw(page)).text == f"{BASE}/l/H7SMB"
    finally:
        posters.font.cache_clear()


def test_screenshot_of_a_demo_poster():
    """docs/screenshots/poster.png: a third of the size, and its QR still reads."""
    record = demo_lks(1)[0]
    image = posters.poster_image(record, BASE, printed_on=PRINTED).resize((827, 1170), Image.Resampling.LANCZOS)
    assert decode(image).text == f"{BASE}/l/{record['code']}"
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    if not SCREENSHOT.is_file() or SCREENSHOT.read_bytes() != buffer.getvalue():
        SCREENSHOT.write_bytes(buffer.getvalue())


# --- The PDF file itself --------------------------------------------------------------------------

def test_pdf_cross_reference_points_at_every_object():
    """Checked here rather than left to poppler, which quietly repairs a broken table."""
    out = io.BytesIO()
    records = [{"name": f"Panti Uji {n}", "code": code} for n, code in enumerate(("AAAAA", "BBBBB"))]
    assert posters.write_pdf(records, BASE, out, 150, "Poster (uji) \\ 1", PRINTED) == 2
    pdf = out.getvalue()
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    table = pdf[xref_at:].split(b"trailer")[0].split(b"\n")
    assert table[0] == b"xref"
    first, count = map(int, table[1].split())
    rows = table[2:2 + count]
    assert first == 0 and rows[0] == b"0000000000 65535 f "
    for number, row in enumerate(rows[1:], start=1):
        offset = int(row[:10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), number
    assert b"/Size %d" % count in pdf
    assert b"/Count 2" in pdf and b"/Title (Poster \\(uji\\) \\\\ 1)" in pdf


def test_pdf_needs_a_page():
    with pytest.raises(ValueError):
        posters.write_pdf([], BASE, io.BytesIO())


# --- The batch --------------------------------------------------------------------------------------

@pytest.fixture
def pinang(app, store):
    """Pinang with 3 active registered LKS (one seeded, two added), one inactive, one reported from the
    field, and more elsewhere; returns the codes the Pinang batch must hold."""
    extra = [dict(r, kecamatan="Pinang", kelurahan="Kunciran") for r in demo_lks(20)[14:19]]
    extra[2]["active"] = False
    extra[3]["provisional"] = True
    extra[4]["kecamatan"], extra[4]["kelurahan"] = "Periuk", "Gebang Raya"
    created = store.lks.create_many(extra)
    expected = {r["code"] for r in store.lks.all()
                if r["kecamatan"] == "Pinang" and r.get("active") and not r.get("provisional")}
    assert len(expected) == 3 and created[2]["code"] not in expected and created[3]["code"] not in expected
    return expected


def test_batch_of_one_kecamatan_has_a_page_per_active_lks_there(app, store, pinang, tmp_path):
    response = client_as(app, "admin").get("/admin/poster.pdf?kecamatan=Pinang")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=poster-lks-pinang.pdf"
    assert pdf_pages(response.data, tmp_path) == len(pinang)
    pages = rasterise(response.data, tmp_path)
    assert len(pages) == len(pinang)
    found = [decode(page) for page in pages]
    assert {r.text for r in found} == {f"{BASE}/l/{code}" for code in pinang}
    for result in found:  # pages at 150 dpi, the QR still about 10 cm
        assert (result.position.top_right.x - result.position.top_left.x) / 100 * 2.54 >= 9.5


def test_batch_of_every_kecamatan(app, store, pinang, tmp_path):
    response = client_as(app, "admin").get("/admin/poster.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=poster-lks-semua.pdf"
    active = [r for r in store.lks.all() if r.get("active") and not r.get("provisional")]
    assert pdf_pages(response.data, tmp_path) == len(active) == 6
    assert client_as(app, "admin").get("/admin/poster.pdf?kecamatan=").data[:8] == b"%PDF-1.4"


def test_batch_selection_and_its_order():
    records = [{"name": "B", "code": "B", "kecamatan": "Pinang", "active": True},
               {"name": "a", "code": "A", "kecamatan": "Pinang", "active": True},
               {"name": "C", "code": "C", "kecamatan": "Benda", "active": True},
               {"name": "D", "code": "D", "kecamatan": "Pinang", "active": False},
               {"name": "E", "code": "E", "kecamatan": "Pinang", "active": True, "provisional": True}]
    assert [(n, [r["code"] for r in rs]) for n, rs in [posters.for_batch(records, " pinang ")]] == [("Pinang", ["A", "B"])]
    assert [r["code"] for r in posters.for_batch(records)[1]] == ["C", "A", "B"]
    with pytest.raises(posters.UnknownKecamatan):
        posters.for_batch(records, "Tangerang Selatan")


def test_unknown_kecamatan_is_refused_in_indonesian(app):
    response = client_as(app, "admin").get("/admin/poster.pdf?kecamatan=Serpong")
    assert response.status_code == 400
    assert "Kecamatan tidak dikenal" in response.get_data(as_text=True)


def test_kecamatan_without_active_lks_has_no_batch(app, store):
    empty = next(k for k in KECAMATAN if not any(r["kecamatan"] == k for r in store.lks.all()))
    response = client_as(app, "admin").get(f"/admin/poster.pdf?kecamatan={empty}")
    assert response.status_code == 404
    assert f"Belum ada LKS aktif di Kecamatan {empty}" in response.get_data(as_text=True)


def test_batch_is_bounded(app, monkeypatch):
    monkeypatch.setattr(posters, "MAX_BATCH", 2)
    response = client_as(app, "admin").get("/admin/poster.pdf")
    assert response.status_code == 400
    assert "terlalu banyak" in response.get_data(as_text=True)


# --- Who may ----------------------------------------------------------------------------------------

def test_only_the_admin_gets_posters(app, store):
    lks_id = store.lks.all()[0]["id"]
    paths = (f"/admin/lks/{lks_id}/poster.png", f"/admin/lks/{lks_id}/poster.pdf", "/admin/poster.pdf?kecamatan=Pinang")
    for role in ROLE_USERS:
        if role == "admin":
            continue
        client = client_as(app, role)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 403, (role, path)
            assert b"%PDF" not in response.data and b"PNG" not in response.data[:8]
    anonymous = app.test_client()
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"], path


@pytest.mark.parametrize("path", ["/admin/lks/tidak-ada/poster.png", "/admin/lks/tidak-ada/poster.pdf"])
def test_unknown_lks_is_not_found(app, path):
    assert client_as(app, "admin").get(path).status_code == 404


def test_admin_pages_link_to_the_posters(app, store):
    client = client_as(app, "admin")
    record = store.lks.all()[0]
    assert f'href="/admin/lks/{record["id"]}/poster.pdf"' in client.get("/admin/lks").get_data(as_text=True)
    index = client.get("/admin/").get_data(as_text=True)
    assert 'action="/admin/poster.pdf"' in index and "Cetak poster" in index


# --- The CLI ----------------------------------------------------------------------------------------

def test_cli_writes_the_batch_pdf(app, store, pinang, tmp_path):
    out = tmp_path / "poster-pinang.pdf"
    result = app.test_cli_runner().invoke(args=["posters", "batch", "--kecamatan", "Pinang", "--out", str(out),
                                                "--dpi", "150"])
    assert result.exit_code == 0, result.output
    assert f"{len(pinang)} posters written" in result.output
    assert pdf_pages(out.read_bytes(), tmp_path) == len(pinang)
    assert not list(tmp_path.glob("*.part"))


def test_cli_refuses_an_unknown_kecamatan(app, tmp_path):
    out = tmp_path / "x.pdf"
    result = app.test_cli_runner().invoke(args=["posters", "batch", "--kecamatan", "Serpong", "--out", str(out)])
    assert result.exit_code != 0
    assert "unknown kecamatan" in result.output and "Pinang" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.part"))
