"""The LKS operator's pages: their own approved inspections only, nothing confidential, a score chart, follow-ups.

Inspections are made through the real flow (``inspector.inspections`` start, answers, photos, submit, then
``review.decide``) with the repository's LKSA checklist, whose confidential items (tanda kekerasan,
suara anak, ...) are answered with the marker ``RAHASIA-UJI-123`` and given a photo.
"""

from __future__ import annotations

import io
import re
from collections import deque
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest

from inspector import accounts
from inspector.chart import score_chart
from inspector.timefmt import today_wib
from tests.support.auth import client_as
from tests.support.builders import PASSWORD, ROLE_USERS
from tests.support.inspection_builders import VISIBLE_NOTE, inspection_in, photos_of
from tests.support.photos import jpeg

SECRET = "RAHASIA-UJI-123"


# --- making inspections through the real flow (tests/support/inspection_builders.py) ---------------

CONFIDENTIAL_ANSWERS = {
    "tanda_kekerasan": ("ya", f"{SECRET} memar di lengan"),
    "catatan_kekerasan": f"{SECRET} cerita lengkap",
    "dugaan_staf": f"{SECRET} pengasuh X",
    "boleh_bicara_anak": ("ya", f"{SECRET} izin"),
    "anak_merasa_aman": ("tidak", f"{SECRET} takut"),
    "keluhan_anak": (["dibentak", "makanan"], f"{SECRET} keluhan"),
    "catatan_wawancara_anak": f"{SECRET} kata anak",
}


@pytest.fixture
def world(app):
    """The operator's LKS (lks[0]) with approved, merged, draft, submitted and rejected inspections; another LKS."""
    store = app.extensions["store"]
    lks = store.lks.all()
    own, other = lks[0], lks[2]
    assert own["kind"] == other["kind"] == "lksa"
    first = inspection_in(app, own, {"skck_pengasuh": ("tidak", VISIBLE_NOTE), "catatan_umum": "Dapur perlu dicat ulang.",
                               **CONFIDENTIAL_ANSWERS},
                    photos=("skck_pengasuh", "tanda_kekerasan", "catatan_wawancara_anak", ""),
                    when="2025-03-10T03:00:00+00:00")
    base = {k: v for k, v in own.items() if k not in ("id", "code", "created_at", "updated_at")}
    provisional = store.lks.create(**{**base, "code": "PRV01", "name": "Laporan lapangan", "provisional": False,
                                      "active": False, "merged_into": own["id"]})
    merged = inspection_in(app, provisional, {"kebijakan_perlindungan": "tidak"}, when="2025-06-01T03:00:00+00:00")
    latest = inspection_in(app, own, {"apar": "tidak"}, when="2025-09-02T03:00:00+00:00")
    draft = inspection_in(app, own, {"kebijakan_perlindungan": "tidak"}, photos=("kebijakan_perlindungan",), status="draft")
    sent = inspection_in(app, own, {"kebijakan_perlindungan": "tidak"}, photos=("kebijakan_perlindungan",),
                   status="submitted")
    rejected = inspection_in(app, own, {"kebijakan_perlindungan": "tidak"}, photos=("kebijakan_perlindungan",),
                       status="rejected")
    foreign = inspection_in(app, other, {"kebijakan_perlindungan": ("tidak", "Catatan LKS lain."), **CONFIDENTIAL_ANSWERS},
                      photos=("kebijakan_perlindungan", "tanda_kekerasan", ""))
    checklist = app.extensions["checklists"]["lksa"]
    confidential = [i for i in checklist.items() if i.confidential]
    assert len(confidential) >= 5
    client = app.test_client()
    assert client.post("/masuk", data={"username": ROLE_USERS["operator"], "password": PASSWORD}).status_code == 302
    return SimpleNamespace(store=store, own=own, other=other, first=first, merged=merged, latest=latest, draft=draft,
                           sent=sent, rejected=rejected, foreign=foreign, checklist=checklist,
                           confidential=confidential, client=client,
                           secret_photos={p["id"] for r in (first, foreign) for p in r["photos"]
                                          if checklist.item(p["item"]) and checklist.item(p["item"]).confidential})


class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.forms: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link") and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        elif tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])
        elif tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action") or ""))


def inspection_links(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/operator/inspeksi/([a-z0-9-]+)"', html)))  # in order, once


def stored_files(app, *folders) -> dict[str, bytes]:
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    found = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not path.name.endswith(".lock"):
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


# --- 1. what the operator sees ------------------------------------------------------------------

def test_the_operator_sees_only_approved_inspections_of_their_lks_newest_first_with_a_chart(app, world):
    response = world.client.get("/operator/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The merged provisional record's inspection counts as theirs; the other LKS, the draft, the waiting
    # and the rejected inspections do not appear at all.
    assert inspection_links(html) == [world.latest["id"], world.merged["id"], world.first["id"]]
    for hidden in (world.foreign, world.draft, world.sent, world.rejected):
        assert hidden["id"] not in html
    assert world.own["name"] in html and world.other["name"] not in html

    svg = re.search(r"<svg\b([^>]*)>(.*?)</svg>", html, re.S)
    assert svg, "no inline SVG chart"
    attrs, body = svg.groups()
    assert 'role="img"' in attrs and "aria-label=" in attrs and "<title>" in body
    circles = re.findall(r'<circle[^>]*\bcx="([\d.]+)"[^>]*\bcy="([\d.]+)"', body)
    assert len(circles) == 3
    line = re.search(r'<polyline[^>]*points="([^"]+)"', body).group(1).split()
    assert line == [f"{x},{y}" for x, y in circles]
    assert [float(x) for x, _ in circles] == sorted(float(x) for x, _ in circles)  # oldest on the left
    for label in ("10 Mar 2025", "1 Jun 2025", "2 Sep 2025", "0%", "100%"):
        assert label in body

    # The score counts visible items only: a hidden failing answer does not show through.
    first = world.first["score"]
    assert set(first["critical_failed"]) & {i.id for i in world.confidential}
    page = world.client.get(f"/operator/inspeksi/{world.first['id']}").get_data(as_text=True)
    visible_percent = re.search(r'<p class="big">(\d+)%</p>', page).group(1)
    assert int(visible_percent) != round(first["percent"])
    assert "1 temuan" in page and VISIBLE_NOTE in page and "Dapur perlu dicat ulang." in page
    assert "Kritis" not in page and "Rahasia" not in page


def test_an_lks_without_approved_inspections_shows_no_chart(app, world):
    quiet = world.store.lks.all()[1]
    _, errors = accounts.create(world.store, {"username": "operator3", "password": PASSWORD, "role": "operator",
                                              "name": "Operator baru", "agency": "", "lks_ids": [quiet["id"]]})
    assert not errors, errors
    html = client_as(app, "operator3").get("/operator/").get_data(as_text=True)
    assert quiet["name"] in html and "Belum ada inspeksi yang disetujui" in html
    assert "<svg" not in html and "/operator/inspeksi/" not in html


# --- 2. nothing confidential anywhere -------------------------------------------------------------

def test_a_crawl_of_every_operator_page_and_photo_finds_nothing_confidential(app, world):
    forbidden = [SECRET, *world.secret_photos, "Suara anak"]
    for item in world.confidential:
        forbidden.append(item.question)
        if item.guidance:
            forbidden.append(item.guidance)
    assert len(world.secret_photos) == 3
    seen, queue, leaks, photos = set(), deque(["/operator/"]), [], 0
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        with world.client.get(path) as response:  # closes the static files it sends
            body = response.get_data()
        if response.status_code in (301, 302, 303):
            queue.append(urlsplit(urljoin("http://localhost" + path, response.location)).path)
            continue
        assert response.status_code == 200, (path, response.status_code)
        body = body.decode("latin-1" if response.mimetype.startswith("image/") else "utf-8")
        leaks += [(path, text) for text in forbidden if text in body]
        photos += response.mimetype == "image/jpeg"
        if response.mimetype != "text/html":
            continue
        parsed = Links(body)
        for href in parsed.hrefs:
            parts = urlsplit(urljoin("http://localhost" + path, href))
            if parts.scheme in ("http", "https") and parts.netloc == "localhost":
                queue.append(parts.path)
    assert not leaks, leaks
    for record in (world.first, world.merged, world.latest):
        assert f"/operator/inspeksi/{record['id']}" in seen
    assert photos >= 4  # the visible finding's photo and the general photo, each large and small
    for photo_id in photos_of(world.first, "skck_pengasuh") + photos_of(world.first, ""):
        assert f"/operator/inspeksi/{world.first['id']}/foto/{photo_id}/kecil" in seen
    for photo_id in photos_of(world.first, "tanda_kekerasan") + photos_of(world.first, "catatan_wawancara_anak"):
        for suffix in ("", "/besar", "/kecil"):
            assert world.client.get(f"/operator/inspeksi/{world.first['id']}/foto/{photo_id}{suffix}").status_code == 404


def test_an_invalid_follow_up_post_does_not_echo_anything_confidential(app, world):
    """The 400 page of a refused follow-up (for a confidential item) is the same safe page."""
    response = world.client.post(f"/operator/inspeksi/{world.first['id']}/tindak-lanjut",
                                 data={"butir": "tanda_kekerasan", "isi": "coba", "tanggal": today_wib().isoformat()})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert SECRET not in html and world.checklist.item("tanda_kekerasan").question not in html
    assert not any(p in html for p in world.secret_photos)


# --- 3. another LKS's or an unapproved record: not found -------------------------------------------

def test_no_operator_route_opens_a_record_that_is_not_an_approved_inspection_of_their_lks(app, world):
    client = world.client
    # A follow-up of the other LKS, made by that LKS's own operator, to try through the wrong inspection.
    _, errors = accounts.create(world.store, {"username": "operator2", "password": PASSWORD, "role": "operator",
                                                     "name": "Operator lain", "agency": "", "lks_ids": [world.other["id"]]})
    assert not errors, errors
    other_client = client_as(app, "operator2")
    assert other_client.get(f"/operator/inspeksi/{world.foreign['id']}").status_code == 200  # it is viewable: to them
    assert other_client.post(f"/operator/inspeksi/{world.foreign['id']}/tindak-lanjut", data={
        "butir": "kebijakan_perlindungan", "isi": "Sudah dibuat.", "tanggal": today_wib().isoformat(),
        "foto": (io.BytesIO(jpeg()), "a.jpg")}).status_code == 303
    foreign_fu = world.store.followups.for_inspection(world.other["id"], world.foreign["id"])[0]
    assert other_client.get(f"/operator/inspeksi/{world.foreign['id']}/tindak-lanjut/{foreign_fu['id']}/foto"
                            ).status_code == 200

    before = stored_files(app, "followups", "photos", "inspections")
    refused = [world.foreign, world.draft, world.sent, world.rejected]
    inspection_ids = [r["id"] for r in refused] + ["l000000000000-202501-000000000000", "x" * 65, "..%2F..%2Fetc"]
    photo_ids = [p["id"] for r in refused for p in r["photos"]] + sorted(world.secret_photos)
    assert len(photo_ids) >= 8
    good = {"butir": "kebijakan_perlindungan", "isi": "Sudah dibuat.", "tanggal": today_wib().isoformat()}
    problems = []

    def expect_refused(method, path, **kwargs):
        status = client.open(path, method=method, **kwargs).status_code
        if status not in (403, 404):
            problems.append((method, path, status))

    for sid in inspection_ids:
        expect_refused("GET", f"/operator/inspeksi/{sid}")
        expect_refused("POST", f"/operator/inspeksi/{sid}/tindak-lanjut", data=good)
        expect_refused("GET", f"/operator/inspeksi/{sid}/tindak-lanjut/{foreign_fu['id']}/foto")
        for pid in photo_ids:
            for suffix in ("", "/kecil"):
                expect_refused("GET", f"/operator/inspeksi/{sid}/foto/{pid}{suffix}")
    # Their own approved inspection does not open another record's photos or follow-ups either.
    own = world.first["id"]
    for pid in photo_ids:
        expect_refused("GET", f"/operator/inspeksi/{own}/foto/{pid}")
    expect_refused("GET", f"/operator/inspeksi/{own}/tindak-lanjut/{foreign_fu['id']}/foto")
    expect_refused("GET", f"/operator/inspeksi/{own}/foto/{photos_of(world.first, 'skck_pengasuh')[0]}/raksasa")
    assert not problems, problems
    assert stored_files(app, "followups", "photos", "inspections") == before
    # The other LKS's operator is refused the first operator's inspection in turn.
    assert other_client.get(f"/operator/inspeksi/{own}").status_code == 404


# --- 4. follow-ups ---------------------------------------------------------------------------------

def followup_data(**changes):
    data = {"butir": "skck_pengasuh", "isi": "Dua pengasuh sudah mengurus SKCK ke Polres.",
            "tanggal": (today_wib() + timedelta(days=30)).isoformat()}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit_entries(store, action):
    return store.audit.entries(action=action, limit=None)


def test_a_follow_up_is_stored_apart_from_the_approved_record_and_audited(app, world):
    store, sid = world.store, world.first["id"]
    record_before = store.inspections.get(sid)
    response = world.client.post(f"/operator/inspeksi/{sid}/tindak-lanjut",
                                 data=followup_data(foto=(io.BytesIO(jpeg((0, 160, 0))), "bukti.jpg")))
    assert response.status_code == 303
    assert response.location.endswith(f"/operator/inspeksi/{sid}#temuan-skck_pengasuh")
    [followup] = store.followups.for_inspection(world.own["id"], sid)
    assert (followup["item_id"], followup["text"], followup["accepted"]) == (
        "skck_pengasuh", "Dua pengasuh sudah mengurus SKCK ke Polres.", None)
    assert store.photos.read(followup["id"], followup["photo"]["id"]).startswith(b"\xff\xd8")
    assert (Path(app.config["INSPECTOR_DATA_DIR"]) / "followups" / f"{world.own['id']}.json").is_file()
    assert store.inspections.get(sid) == record_before  # the approved record is never edited
    [entry] = audit_entries(store, "followup_added")
    assert entry["target_id"] == sid and entry["details"]["followup_id"] == followup["id"]
    page = world.client.get(f"/operator/inspeksi/{sid}").get_data(as_text=True)
    assert "Dua pengasuh sudah mengurus SKCK ke Polres." in page and "Menunggu Dinsos" in page
    photo_url = f"/operator/inspeksi/{sid}/tindak-lanjut/{followup['id']}/foto/kecil"
    assert photo_url in page and world.client.get(photo_url).mimetype == "image/jpeg"


@pytest.mark.parametrize("changes, status, message", [
    ({"isi": ""}, 400, "Tulis apa yang sudah atau akan dilakukan."),
    ({"isi": "   \n "}, 400, "Tulis apa yang sudah atau akan dilakukan."),
    ({"isi": None}, 400, "Tulis apa yang sudah atau akan dilakukan."),
    ({"isi": "x" * 1001}, 400, "Maksimal 1000 karakter."),
    ({"tanggal": ""}, 400, "Isi tanggal target selesai."),
    ({"tanggal": "2025-13-45"}, 400, "Tanggal tidak valid (TTTT-BB-HH)."),
    ({"tanggal": "besok"}, 400, "Tanggal tidak valid (TTTT-BB-HH)."),
    ({"tanggal": "2025-03-09"}, 400, "Tanggal tidak boleh sebelum tanggal inspeksi."),
    ({"tanggal": "2099-01-01"}, 400, "Tanggal paling jauh 2 tahun dari sekarang."),
    ({"butir": "terdaftar_dinsos"}, 400, "Tindak lanjut hanya untuk temuan pada inspeksi ini."),  # passed item
    ({"butir": "tanda_kekerasan"}, 400, "Tindak lanjut hanya untuk temuan pada inspeksi ini."),  # confidential
    ({"butir": "anak_merasa_aman"}, 400, "Tindak lanjut hanya untuk temuan pada inspeksi ini."),  # confidential
    ({"butir": "tidak_ada"}, 400, "Tindak lanjut hanya untuk temuan pada inspeksi ini."),
    ({"foto": (io.BytesIO(b"bukan foto"), "bukti.jpg")}, 400, "Berkas bukan foto JPEG, PNG atau WebP."),
])
def test_a_bad_follow_up_is_refused_with_a_reason_and_nothing_is_stored(app, world, changes, status, message):
    before = stored_files(app, "followups", "photos")
    response = world.client.post(f"/operator/inspeksi/{world.first['id']}/tindak-lanjut", data=followup_data(**changes))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert stored_files(app, "followups", "photos") == before
    assert world.store.followups.for_lks(world.own["id"]) == []
    assert audit_entries(world.store, "followup_added") == []


def test_a_follow_up_for_another_lks_or_an_unapproved_inspection_is_not_found(app, world):
    before = stored_files(app, "followups", "photos")
    for record in (world.foreign, world.sent, world.draft, world.rejected):
        data = followup_data(butir="kebijakan_perlindungan", foto=(io.BytesIO(jpeg()), "a.jpg"))
        assert world.client.post(f"/operator/inspeksi/{record['id']}/tindak-lanjut", data=data).status_code == 404
    assert stored_files(app, "followups", "photos") == before
    assert audit_entries(world.store, "followup_added") == []


def test_the_reviewer_sees_and_accepts_a_follow_up_and_the_operator_cannot(app, world):
    sid = world.first["id"]
    assert world.client.post(f"/operator/inspeksi/{sid}/tindak-lanjut",
                             data=followup_data(foto=(io.BytesIO(jpeg()), "a.jpg"))).status_code == 303
    [followup] = world.store.followups.for_inspection(world.own["id"], sid)
    accept_url = f"/tinjau/{sid}/tindak-lanjut/{followup['id']}/terima"

    assert world.client.post(accept_url).status_code == 403  # an operator cannot accept their own follow-up
    assert world.store.followups.get(world.own["id"], followup["id"])["accepted"] is None

    reviewer = client_as(app, ROLE_USERS["reviewer"])
    page = reviewer.get(f"/tinjau/{sid}").get_data(as_text=True)
    section = page[page.index('id="tindak-lanjut"'):]
    assert "Dua pengasuh sudah mengurus SKCK ke Polres." in section and accept_url in section and "Terima" in section
    photo_url = f"/operator/inspeksi/{sid}/tindak-lanjut/{followup['id']}/foto/kecil"
    assert photo_url in section and reviewer.get(photo_url).mimetype == "image/jpeg"

    # Not through another inspection, nor an unknown follow-up.
    for client in (reviewer, world.client):
        assert client.get(f"/operator/inspeksi/{world.latest['id']}/tindak-lanjut/{followup['id']}/foto"
                          ).status_code == 404
    assert reviewer.post(f"/tinjau/{world.latest['id']}/tindak-lanjut/{followup['id']}/terima").status_code == 404
    assert reviewer.post(f"/tinjau/{sid}/tindak-lanjut/f000000000000/terima").status_code == 404
    assert world.store.followups.get(world.own["id"], followup["id"])["accepted"] is None

    response = reviewer.post(accept_url)
    assert response.status_code == 303 and response.location.endswith(f"/tinjau/{sid}#tindak-lanjut")
    accepted = world.store.followups.get(world.own["id"], followup["id"])["accepted"]
    assert accepted["by"] == world.store.users.by_username(ROLE_USERS["reviewer"])["id"]
    assert reviewer.post(accept_url).status_code == 303  # a second tap changes nothing
    [entry] = audit_entries(world.store, "followup_accepted")
    assert entry["details"]["followup_id"] == followup["id"] and entry["target_id"] == sid
    assert "Diterima Dinsos" in world.client.get(f"/operator/inspeksi/{sid}").get_data(as_text=True)
    assert "Terima</button>" not in reviewer.get(f"/tinjau/{sid}").get_data(as_text=True)


def test_follow_up_forms_carry_a_csrf_token_and_are_refused_without_one(tmp_path):
    from tests.support.builders import make_app, seed_app

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    seed_app(app)
    store = app.extensions["store"]
    record = inspection_in(app, store.lks.all()[0], {"skck_pengasuh": "tidak"})
    client = app.test_client()
    login = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    assert client.post("/masuk", data={"username": ROLE_USERS["operator"], "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = client.get(f"/operator/inspeksi/{record['id']}").get_data(as_text=True)
    assert re.search(r'<form method="post"[^>]*tindak-lanjut"[^>]*>\s*<input[^>]*name="csrf_token"', page)
    response = client.post(f"/operator/inspeksi/{record['id']}/tindak-lanjut", data=followup_data())
    assert response.status_code == 400
    assert store.followups.for_lks(record["lks_id"]) == []


# --- the chart on its own ----------------------------------------------------------------------------

def test_the_chart_escapes_its_title_and_draws_nothing_without_points():
    from datetime import date

    assert score_chart([], "Kosong") == ""
    assert score_chart([(date(2025, 1, 1), None)], "Kosong") == ""
    svg = score_chart([(date(2025, 1, 5), 120), (date(2024, 12, 1), -5)], 'Panti <b>"A" & B</b>')
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;" in svg
    assert "1 Des 2024" in svg and "5 Jan 2025" in svg
    ys = [float(y) for y in re.findall(r'<circle[^>]*cy="([\d.]+)"', svg)]
    assert len(ys) == 2 and ys[0] > ys[1]  # clamped to 0 and 100: the older point is lower


def test_the_public_page_shows_the_date_of_the_last_approved_inspection_and_nothing_of_it(app, world):
    """Anyone scanning the poster learns when Dinsos last approved an inspection, never what it found."""
    anonymous = app.test_client()
    page = anonymous.get(f"/l/{world.own['code']}").get_data(as_text=True)
    assert "Inspeksi terakhir oleh Dinas Sosial: <strong>2 Sep 2025</strong>" in page  # `latest`, 2 Sep 2025 WIB
    apar = world.checklist.item("apar").question
    for hidden in (VISIBLE_NOTE, SECRET, apar, "temuan", "Skor"):
        assert hidden not in page
    never = next(r for r in world.store.lks.all() if r["id"] not in (world.own["id"], world.other["id"])
                 and r.get("active") and not r.get("provisional"))
    assert "belum ada yang disetujui" in anonymous.get(f"/l/{never['code']}").get_data(as_text=True)
