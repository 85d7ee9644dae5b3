"""Proof of visit: distances, the reviewer's flags, the location kept at start and at each send, and one
inspection per start form (its one-time token). Through the pure functions and the Flask test client."""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import ExifTags, Image

from inspector import presence, review, inspections
from inspector.auth import User
from inspector.presence import LocationRejected
from inspector.timefmt import WIB
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector, make_app, seed_app
from tests.support.photos import jpeg, upload

# Two points in Kota Tangerang (Kunciran Indah, Pinang) 0.0027 degrees of latitude apart: on the
# haversine sphere (R = 6371008.8 m) that is 0.0027 * pi / 180 * R = 300.23 m.
KUNCIRAN = (-6.2200, 106.6650)
NORTH_300 = (-6.2173, 106.6650)
QUARTER_MERIDIAN = math.pi / 2 * presence.EARTH_RADIUS  # equator to pole, 10 007 557 m


# --- the maths -------------------------------------------------------------------------------------

def test_distances_on_the_sphere_are_known_values():
    assert presence.distance_m(*KUNCIRAN, *KUNCIRAN) == 0
    assert presence.distance_m(*KUNCIRAN, *NORTH_300) == pytest.approx(300.23, abs=0.05)
    assert presence.distance_m(*NORTH_300, *KUNCIRAN) == pytest.approx(300.23, abs=0.05)
    # East-west the same 0.0027 degrees shrink by cos(latitude): 300.23 * cos(6.22 deg) = 298.46 m
    assert presence.distance_m(*KUNCIRAN, KUNCIRAN[0], KUNCIRAN[1] + 0.0027) == pytest.approx(298.46, abs=0.05)
    assert presence.distance_m(0, 0, 90, 0) == pytest.approx(QUARTER_MERIDIAN, abs=1)
    assert presence.distance_m(0, 179.9, 0, -179.9) == pytest.approx(0.2 * math.pi / 180 * presence.EARTH_RADIUS,
                                                                      abs=1)  # across the date line, not round
    assert presence.format_distance(45.4) == "45 m"
    assert presence.format_distance(1234) == "1,2 km"


# --- reading the posted fields ---------------------------------------------------------------------

@pytest.mark.parametrize("form, kept", [
    ({"location": "given", "lat": "-6.2200000", "lon": "106.6650000", "accuracy": "20.0"},
     {"status": "given", "lat": -6.22, "lon": 106.665, "accuracy": 20.0}),
    ({"location": "given", "lat": " -90", "lon": "180", "accuracy": "100000"},
     {"status": "given", "lat": -90.0, "lon": 180.0, "accuracy": 100000.0}),
    ({"location": "refused", "lat": "", "lon": "", "accuracy": ""}, {"status": "refused"}),
    ({"location": "unavailable"}, {"status": "unavailable"}),
    ({"location": ""}, {"status": "none"}),
    ({}, {"status": "none"}),
])
def test_read_keeps_what_an_honest_page_sends(form, kept):
    assert presence.read(form) == kept


GIVEN = {"location": "given", "lat": "-6.22", "lon": "106.665", "accuracy": "20"}
BAD_FORMS = [
    ({"location": "diberikan"}, "status tidak dikenal"),
    ({**GIVEN, "lat": "90.5"}, "lintang di luar batas"),
    ({**GIVEN, "lat": "-91"}, "lintang di luar batas"),
    ({**GIVEN, "lon": "180.01"}, "bujur di luar batas"),
    ({**GIVEN, "lon": "-200"}, "bujur di luar batas"),
    ({**GIVEN, "accuracy": "-1"}, "akurasi di luar batas"),
    ({**GIVEN, "accuracy": "100000.1"}, "akurasi di luar batas"),
    ({**GIVEN, "lat": "nan"}, "lintang bukan angka"),
    ({**GIVEN, "lon": "inf"}, "bujur bukan angka"),
    ({**GIVEN, "lat": "-6e0"}, "lintang bukan angka"),
    ({**GIVEN, "lat": "-٦.٢"}, "lintang bukan angka"),  # Arabic-Indic digits, which float() would take
    ({**GIVEN, "lat": "-6." + "1" * 40}, "lintang bukan angka"),
    ({**GIVEN, "lat": "-6,22"}, "lintang bukan angka"),
    ({**GIVEN, "accuracy": ""}, "harus lengkap"),
    ({"location": "given"}, "harus lengkap"),
    ({"location": "refused", "lat": "-6.22"}, "koordinat tanpa izin"),
    ({"location": "", "lat": "-6.22", "lon": "106.665", "accuracy": "5"}, "koordinat tanpa izin"),
]


@pytest.mark.parametrize("form, reason", BAD_FORMS)
def test_read_refuses_anything_else_with_an_indonesian_reason(form, reason):
    with pytest.raises(LocationRejected) as refused:
        presence.read(form)
    assert refused.value.message.startswith("Data lokasi tidak valid: ") and reason in refused.value.message


# --- the flags -------------------------------------------------------------------------------------

LKS_POINT = {"id": "l0123456789ab", "lat": KUNCIRAN[0], "lon": KUNCIRAN[1]}
NEAR = {"status": "given", "lat": -6.2204, "lon": 106.6650, "accuracy": 20.0}  # 44.5 m south
FAR = {"status": "given", "lat": NORTH_300[0] + 0.00002, "lon": NORTH_300[1], "accuracy": 15.0}  # 302.5 m
STARTED, SENT = "2026-11-27T03:00:00+00:00", "2026-11-27T04:00:00+00:00"


def inspection(start=NEAR, sends=(NEAR,), photos=()) -> dict:
    return {"created_at": STARTED, "submitted_at": SENT, "start_location": start, "photos": list(photos),
            "versions": [{"n": n, "submitted_at": SENT, "location": where} for n, where in enumerate(sends, 1)]}


def test_near_at_start_and_send_raises_no_flag():
    found = presence.assess(inspection(), LKS_POINT)
    assert found["flags"] == [] and found["notes"] == []
    assert found["start"]["distance"] == pytest.approx(44.48, abs=0.05)
    assert found["send"]["accuracy"] == 20.0 and found["send"]["status"] == "given"


@pytest.mark.parametrize("start, send, flags", [
    (FAR, NEAR, ["Saat mulai: 302 m dari titik LKS (lebih dari 300 m)."]),
    (NEAR, FAR, ["Saat kirim: 302 m dari titik LKS (lebih dari 300 m)."]),
    ({"status": "refused"}, NEAR, ["Saat mulai: izin lokasi ditolak di ponsel."]),
    (NEAR, {"status": "unavailable"},
     ["Saat kirim: lokasi tidak tersedia (sinyal GPS, batas waktu, atau bukan HTTPS)."]),
    ({"status": "none"}, None, ["Saat mulai: lokasi tidak tercatat.", "Saat kirim: lokasi tidak tercatat."]),
])
def test_each_doubt_has_its_flag(start, send, flags):
    assert presence.assess(inspection(start, (send,)), LKS_POINT)["flags"] == flags


def test_just_inside_300_m_is_not_flagged():
    inside = {**FAR, "lat": NORTH_300[0] - 0.00002}  # 298.0 m
    assert presence.assess(inspection(inside, (inside,)), LKS_POINT)["flags"] == []


def test_an_lks_without_coordinates_is_flagged_and_no_distance_is_made_up():
    found = presence.assess(inspection(FAR, (FAR,)), {"id": "l0123456789ab", "lat": None, "lon": None})
    assert found["flags"] == ["LKS belum punya koordinat: jarak tidak bisa dihitung."]
    assert found["start"]["distance"] is None and found["start"]["accuracy"] == 15.0


def test_only_the_latest_send_is_judged_but_every_send_is_listed():
    found = presence.assess(inspection(NEAR, (FAR, NEAR)), LKS_POINT)
    assert found["flags"] == []
    assert [s["far"] for s in found["sends"]] == [True, False] and [s["n"] for s in found["sends"]] == [1, 2]


def test_photo_times_outside_the_inspection_window_are_flagged_with_15_minutes_for_clock_skew():
    photos = [{"taken_at": "2026-11-27T02:46:00+00:00"},  # 14 min before the start: a phone's clock, fine
              {"taken_at": "2026-11-27T04:14:59+00:00"},  # just inside after the send
              {"taken_at": "2026-11-27T02:44:00+00:00"},  # 16 min before
              {"taken_at": "2026-11-26T10:00:00+00:00"},  # the day before
              {"taken_at": None}]
    found = presence.assess(inspection(photos=photos), LKS_POINT)
    assert found["flags"] == ["2 foto diambil di luar waktu kunjungan (lebih dari 15 menit sebelum mulai "
                              "atau sesudah kirim)."]
    assert found["notes"] == ["1 dari 5 foto tanpa waktu pengambilan (tidak bisa diperiksa)."]
    assert presence.photo_times(photos, STARTED, SENT) == (2, 1)


def test_photos_without_a_capture_time_are_mentioned_but_not_flagged():
    found = presence.assess(inspection(photos=[{"taken_at": None}, {}]), LKS_POINT)
    assert found["flags"] == [] and found["notes"] == ["2 dari 2 foto tanpa waktu pengambilan (tidak bisa diperiksa)."]


# --- the pages: one app for the module, one signed-in client per role --------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("presence"))
    lks = seed_app(app)
    store = app.extensions["store"]
    add_inspector(store)
    clients = {role: client_as(app, ROLE_USERS[role]) for role in ("inspector", "reviewer", "operator")}
    clients["other"] = client_as(app, "petugas2")
    assert lks[0]["kind"] == "lksa" and isinstance(lks[0]["lat"], float) and isinstance(lks[0]["lon"], float)
    return SimpleNamespace(app=app, store=store, lks=lks, clients=clients,
                           checklist=app.extensions["checklists"]["lksa"], data=Path(app.config["INSPECTOR_DATA_DIR"]),
                           reviewer=User(store.users.by_username(ROLE_USERS["reviewer"])))


def near(lks, metres: float = 45, accuracy: str = "20") -> dict:
    """Location fields of a phone ``metres`` north of the LKS's point (and 2 m east: no coordinate is the LKS's)."""
    return {"location": "given", "lat": f"{lks['lat'] + metres / 111195.0:.7f}", "lon": f"{lks['lon'] + 0.000018:.7f}",
            "accuracy": accuracy}


def token(n: int) -> str:
    return f"uji-token-{n:08d}-abcdef"


def start(site, data: dict, client=None, lks=None):
    return (client or site.clients["inspector"]).post(f"/inspeksi/lks/{(lks or site.lks[0])['code']}/mulai",
                                                      data={"checklist": "lksa", **data})


def started(site, data: dict) -> str:
    response = start(site, data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.location.rsplit("/", 1)[1]


def fill(site, sid: str):
    """Every required answer and the front photo, saved through the form."""
    client, key = site.clients["inspector"], site.store.inspections.get(sid)["inspection_key"]
    answers = {}
    for item in site.checklist.items():
        if item.required and item.type != "photo":
            if item.type == "yes_no":
                answers[item.id] = "tidak" if item.fail_answer == "ya" else "ya"
            elif item.type in ("choice", "multi"):
                answers[item.id] = next(v for v, _ in item.options if v not in item.fail_values)
            else:
                answers[item.id] = {"number": str(int(item.min)), "date": "2025-01-15"}.get(item.type, "Ada")
    response = client.post(f"/kunjungan/{sid}", data={"inspection_key": key, "action": "simpan", **answers,
                                                      "foto_depan__photos": upload(jpeg())},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return key


def send(site, sid: str, location: dict):
    key = site.store.inspections.get(sid)["inspection_key"]
    return site.clients["inspector"].post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key, **location})


def folder_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def text_of(response) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def presence_card(response) -> str:
    """The text of the reviewer's "Bukti kunjungan" card."""
    assert response.status_code == 200
    card = re.search(r'<section class="card presence" id="bukti-kunjungan">.*?</section>',
                     response.get_data(as_text=True), flags=re.S)
    assert card, "no Bukti kunjungan card"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card.group(0))).split())


def coordinates_in(text: str, *locations: dict) -> list[str]:
    """The coordinates of ``locations`` (as posted, as kept, or as shown to 4-6 places) found in ``text``."""
    found = []
    for where in locations:
        for value in (where["lat"], where["lon"]):
            for shown in {f"{float(value):.4f}", f"{float(value):.6f}", str(value), str(float(value))}:
                if shown in text:
                    found.append(shown)
    return found


def test_start_page_explains_and_carries_a_fresh_token_and_empty_location_fields(site):
    code = site.lks[0]["code"]
    first, second = (site.clients["inspector"].get(f"/inspeksi/lks/{code}").get_data(as_text=True) for _ in range(2))
    assert "Lokasi Anda dicatat sebagai bukti kunjungan dan hanya dilihat peninjau Dinas Sosial" in first
    assert re.search(r'src="/static/location\.js(\?v=[0-9a-f]+)?" defer', first)
    tokens = [re.findall(r'name="start_token" value="([^"]+)"', page) for page in (first, second)]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert inspections.START_TOKEN.fullmatch(tokens[0][0])
    for name in ("lat", "lon", "accuracy", "location"):
        assert f'name="{name}" value="" autocomplete="off"' in first
    assert "location.js" not in site.clients["inspector"].get("/inspeksi/kunjungan").get_data(as_text=True)


def test_start_keeps_the_location_and_the_audit_trail_only_its_outcome(site):
    where = near(site.lks[0])
    sid = started(site, {**where, "start_token": token(1)})
    record = site.store.inspections.get(sid)
    kept = record["start_location"]
    assert (kept["status"], kept["accuracy"], kept["at"]) == ("given", 20.0, record["created_at"])
    assert kept["lat"] == pytest.approx(float(where["lat"])) and kept["lon"] == pytest.approx(float(where["lon"]))
    [entry] = [e for e in site.store.audit.entries(limit=None) if e.get("target_id") == sid]
    assert entry["action"] == "inspection_started" and entry["details"]["location"] == "given"
    assert coordinates_in(json.dumps(site.store.audit.entries(limit=None)), where) == []

    refused = started(site, {"location": "refused", "start_token": token(2)})
    assert site.store.inspections.get(refused)["start_location"]["status"] == "refused"
    without_js = started(site, {"location": "", "lat": "", "lon": "", "accuracy": ""})
    assert site.store.inspections.get(without_js)["start_location"]["status"] == "none"


@pytest.mark.parametrize("form, reason", BAD_FORMS[:6] + BAD_FORMS[7:9] + BAD_FORMS[-2:])
def test_a_bad_location_at_start_is_a_400_and_starts_nothing(site, form, reason):
    before = folder_digest(site.data)
    response = start(site, {**form, "start_token": token(99)})
    assert response.status_code == 400
    assert "Data lokasi tidak valid: " in text_of(response) and reason in text_of(response)
    assert folder_digest(site.data) == before


@pytest.mark.parametrize("bad", ["pendek", "x" * 65, "token dengan spasi!!", "<script>alert(1)</script>xxxx",
                                 "ab/../../cd-efgh-ijkl"])
def test_a_malformed_start_token_is_a_400_and_starts_nothing(site, bad):
    before = folder_digest(site.data)
    response = start(site, {"start_token": bad})
    assert response.status_code == 400
    assert "Formulir mulai inspeksi tidak sah" in text_of(response)
    assert folder_digest(site.data) == before


def test_the_same_start_token_twice_opens_one_inspection(site):
    lks, inspector = site.lks[0], site.store.users.by_username(ROLE_USERS["inspector"])
    before = [r["id"] for r in site.store.inspections.for_lks(lks["id"])]
    first, again = (started(site, {**near(lks), "start_token": token(3)}) for _ in range(2))
    assert first == again
    after = [r["id"] for r in site.store.inspections.for_lks(lks["id"])]
    assert after == [first] + before
    mine = [r["id"] for r in site.store.inspections.for_inspector(inspector["id"], lks_id=lks["id"])]
    assert mine.count(first) == 1
    assert [e["action"] for e in site.store.audit.entries(limit=None) if e.get("target_id") == first] == \
        ["inspection_started"]
    # A new token is a new inspection; the same token at another LKS, or from another inspector, is theirs alone.
    assert started(site, {"start_token": token(4)}) != first
    elsewhere = start(site, {"start_token": token(3)}, lks=site.lks[2])
    assert elsewhere.status_code == 303 and not elsewhere.location.endswith(first)
    other = start(site, {"start_token": token(3)}, client=site.clients["other"])
    assert other.status_code == 303 and not other.location.endswith(first)


def test_the_same_start_token_at_the_same_moment_opens_one_inspection(site):
    lks, inspector = site.lks[2], site.store.users.by_username(ROLE_USERS["inspector"])
    barrier, results = threading.Barrier(4), []

    def tap():
        barrier.wait()
        results.append(inspections.begin(site.store, site.checklist, lks, inspector, token(5), {"status": "none"}))
    threads = [threading.Thread(target=tap) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({record["id"] for record, _ in results}) == 1
    assert sorted(made for _, made in results) == [False, False, False, True]
    mine = [r["id"] for r in site.store.inspections.for_inspector(inspector["id"], lks_id=lks["id"])
            if r.get("start_token") == token(5)]
    assert mine == [results[0][0]["id"]]


def test_send_keeps_a_location_per_version_and_a_resubmit_gets_its_own(site):
    lks = site.lks[0]
    sid = started(site, {**near(lks, 30), "start_token": token(6)})
    fill(site, sid)
    assert send(site, sid, near(lks, 60, "12.5")).status_code == 303
    record = site.store.inspections.get(sid)
    [first] = record["versions"]
    assert first["location"]["status"] == "given" and first["location"]["accuracy"] == 12.5
    assert first["location"]["at"] == record["submitted_at"]
    # A repeat of the same send keeps the first one's location.
    assert send(site, sid, {"location": "refused"}).status_code == 303
    assert site.store.inspections.get(sid)["versions"] == [first]

    _, reason = review.decide(site.store, sid, site.reviewer, "return", "Foto kurang jelas.")
    assert reason is None
    assert send(site, sid, {"location": "unavailable"}).status_code == 303
    record = site.store.inspections.get(sid)
    assert [v["location"]["status"] for v in record["versions"]] == ["given", "unavailable"]
    assert record["start_location"]["status"] == "given"
    sent = [e for e in site.store.audit.entries(limit=None) if e.get("target_id") == sid
            and e["action"] in ("submitted", "resubmitted")]
    assert sorted((e["action"], e["details"]["location"]) for e in sent) == [("resubmitted", "unavailable"),
                                                                             ("submitted", "given")]


@pytest.mark.parametrize("form, reason", [BAD_FORMS[1], BAD_FORMS[7], BAD_FORMS[-2], BAD_FORMS[0]])
def test_a_bad_location_at_send_is_a_400_and_sends_nothing(site, form, reason):
    sid = started(site, {"start_token": token(7)})  # the same draft for every case
    fill(site, sid)
    before = folder_digest(site.data)
    response = send(site, sid, form)
    assert response.status_code == 400 and reason in text_of(response)
    assert folder_digest(site.data) == before
    assert site.store.inspections.get(sid)["status"] == "draft"


@pytest.fixture(scope="module")
def sent_far(site):
    """An inspection started 45 m from the LKS and sent 800 m away, then approved."""
    lks = site.lks[0]
    sid = started(site, {**near(lks, 45), "start_token": token(8)})
    fill(site, sid)
    assert send(site, sid, near(lks, 800, "35")).status_code == 303
    return sid


def test_the_reviewer_sees_distances_and_the_flag(site, sent_far):
    shown = presence_card(site.clients["reviewer"].get(f"/tinjau/{sent_far}"))
    assert "Bukti kunjungan" in shown
    assert "Saat mulai" in shown and "± 45 m dari titik LKS, akurasi 20 m" in shown
    assert "Saat kirim" in shown and "± 800 m dari titik LKS, akurasi 35 m" in shown
    assert "Perlu dicek Saat kirim: 800 m dari titik LKS (lebih dari 300 m)." in shown
    assert "Saat mulai: 45 m" not in shown  # near at start: no flag for it
    assert "1 dari 1 foto tanpa waktu pengambilan" in shown  # the test photo carries no EXIF time
    printed = text_of(site.clients["reviewer"].get(f"/tinjau/{sent_far}/cetak"))
    assert "Bukti kunjungan Mulai: ± 45 m dari titik LKS, akurasi 20 m · Kirim: ± 800 m dari titik LKS, " \
        "akurasi 35 m Perlu dicek Saat kirim: 800 m dari titik LKS (lebih dari 300 m)." in printed


def test_the_reviewer_sees_a_refused_location_and_an_lks_without_coordinates(site):
    lks = site.store.lks.create(code="TNPKRD", name="LKS Uji Tanpa Titik", kind="lksa", address="Jl. Uji No. 1",
                                kecamatan="Pinang", kelurahan="Kunciran Indah", active=True, registered=True,
                                lat=None, lon=None)
    response = start(site, {"location": "refused", "start_token": token(9)}, lks=lks)
    sid = response.location.rsplit("/", 1)[1]
    fill(site, sid)
    assert send(site, sid, near(site.lks[0], 10)).status_code == 303
    shown = text_of(site.clients["reviewer"].get(f"/tinjau/{sid}"))
    assert "Saat mulai: izin lokasi ditolak di ponsel." in shown
    assert "Lokasi tercatat, akurasi 20 m; jarak tidak bisa dihitung" in shown
    assert "LKS belum punya koordinat: jarak tidak bisa dihitung." in shown


def test_the_reviewer_sees_photos_taken_outside_the_inspection(site):
    lks = site.lks[0]
    sid = started(site, {**near(lks, 20), "start_token": token(10)})
    key = fill(site, sid)
    earlier = datetime.now(WIB) - timedelta(hours=3)
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = earlier.strftime("%Y:%m:%d %H:%M:%S")  # WIB, as a camera without offset
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 80, 40)).save(buffer, "JPEG", exif=exif)
    response = site.clients["inspector"].post(
        f"/kunjungan/{sid}", data={"inspection_key": key, "action": "simpan",
                                   "photos_general": upload(buffer.getvalue(), "lama.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert any(p["taken_at"] for p in site.store.inspections.get(sid)["photos"])
    assert send(site, sid, near(lks, 25)).status_code == 303
    card = presence_card(site.clients["reviewer"].get(f"/tinjau/{sid}"))
    assert card.count("Perlu dicek") == 1  # start and send near: the photo is the only doubt
    assert "Perlu dicek 1 foto diambil di luar waktu kunjungan (lebih dari 15 menit sebelum mulai atau sesudah " \
        "kirim)." in card


def test_operator_public_and_inspector_pages_never_show_the_location(site, sent_far):
    record = site.store.inspections.get(sent_far)
    kept = [record["start_location"], record["versions"][-1]["location"]]
    code = site.lks[0]["code"]
    # The reviewer's page shows the coordinates: the search below would find them.
    assert coordinates_in(site.clients["reviewer"].get(f"/tinjau/{sent_far}").get_data(as_text=True), *kept)
    _, reason = review.decide(site.store, sent_far, site.reviewer, "approve")
    assert reason is None
    pages = {
        "inspector summary": site.clients["inspector"].get(f"/kunjungan/{sent_far}/ringkasan"),
        "inspector inspections": site.clients["inspector"].get("/inspeksi/kunjungan"),
        "operator home": site.clients["operator"].get("/operator/"),
        "operator inspection": site.clients["operator"].get(f"/operator/inspeksi/{sent_far}"),
        "public": site.app.test_client().get(f"/l/{code}"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = response.get_data(as_text=True)
        assert "Bukti kunjungan" not in body and "dari titik LKS" not in body, name
        assert coordinates_in(body, *kept) == [], name
    assert coordinates_in(json.dumps(site.store.audit.entries(limit=None)), *kept) == []


def test_the_summary_asks_for_the_location_only_while_it_can_be_sent(site):
    sid = started(site, {"start_token": token(11)})
    page = site.clients["inspector"].get(f"/kunjungan/{sid}/ringkasan").get_data(as_text=True)
    assert "Lokasi Anda dicatat sebagai bukti kunjungan" in page and "location.js" in page
    assert re.search(r'<form [^>]*action="/kunjungan/[^"]+/kirim"[^>]*data-location', page)
    assert 'name="location" value=""' in page
    reviewer_view = site.clients["reviewer"].get(f"/kunjungan/{sid}/ringkasan").get_data(as_text=True)
    assert "location.js" not in reviewer_view
