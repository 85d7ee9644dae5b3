"""Hostile input on every route that reads it: broken multipart, oversized bodies, hostile photos and file
names, very long and odd Unicode text, script in text, missing or wrong CSRF tokens, other records' ids, and
password guessing. Each refusal must be a clear 4xx with an Indonesian text, and the store must not change.

"The store" is every file under the data folder except ``*.lock`` files and ``audit/``; where a request
legitimately writes (a sign-in attempt writes ``throttle.json`` and the audit log; an inspection save always saves
the draft), the test says exactly what changed.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import struct
import zlib
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from PIL import Image

from inspector import inspections
from inspector import lks as lks_rules
from inspector.checklists import for_kind
from inspector.photos import CORRUPT, NOT_A_PHOTO, process
from inspector.web.errors import ERROR_TEXT
from test_access import EXPECTED, INSPECTION_KEY, populate, routes, url_for_rule
from tests.support.auth import client_as
from tests.support.builders import PASSWORD, ROLE_USERS, add_inspector, make_app, seed_app
from tests.support.photos import jpeg

# --- Shared helpers ---------------------------------------------------------------------------------------

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
BOUNDARY = "----hostile-boundary"
ODD = "\u202e\u200f\u200d\U0001F469\u200d\U0001F467\u0000\ufeff"  # RTL override/mark, ZWJ, emoji family, NUL, BOM
LONG = ("A\u200f\u200d\U0001F600\u0000" * 20_000)  # 100 000 characters, RTL marks, ZWJ, emoji, NUL


def digest(app) -> dict[str, str]:
    """sha256 of every stored file, except lock files and the audit trail."""
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock") and p.relative_to(root).parts[0] != "audit"}


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def audit_actions(app) -> list[str]:
    folder = Path(app.config["INSPECTOR_DATA_DIR"]) / "audit"
    return [json.loads(line)["action"] for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def text(response) -> str:
    return response.get_data(as_text=True)


ERROR_MARKS = [title for title, _ in ERROR_TEXT.values()] + ['<p class="error"', 'class="flash error"']


def indonesian_refusal(response, status=None) -> bool:
    """A 4xx (``status`` if given) whose page carries an ERROR_TEXT title or the page's own field error."""
    if status is not None and response.status_code != status:
        return False
    return 400 <= response.status_code < 500 and any(mark in text(response) for mark in ERROR_MARKS)


def multipart(fields: dict | None = None, files: dict | None = None, boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """A multipart body built by hand (raw file names allowed, no temp files)."""
    body = b""
    for name, values in (fields or {}).items():
        for value in values if isinstance(values, list) else [values]:
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode()
            body += value.encode("utf-8") + b"\r\n"
    for name, (filename, data, ctype) in (files or {}).items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="').encode()
        body += filename.encode("utf-8", "surrogatepass") + f'"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_multipart(client, path, fields=None, files=None, **kwargs):
    body, ctype = multipart(fields, files)
    return client.post(path, data=body, content_type=ctype, **kwargs)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_flood_png(width=8_000, height=8_000) -> bytes:
    """A few dozen bytes declaring 64 megapixels (over the app's 50, under Pillow's own bomb limit)."""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    data = jpeg(size=(400, 300))
    return data[: len(data) // 2]


def polyglot() -> bytes:
    return jpeg() + b"<script>alert(1)</script>"


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
EVIL_NAME = "../../../evil\x00.jpg"


# --- The shared site: refused requests only ---------------------------------------------------------------

def second_inspection(app) -> dict:
    """Another draft inspection of the same LKS by the same inspector, with a photo of its own."""
    store = app.extensions["store"]
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    lks = store.lks.get(store.users.by_username(ROLE_USERS["operator"])["lks_ids"][0])
    inspection = inspections.start(store, for_kind(app.extensions["checklists"], lks["kind"])[0], lks, inspector)
    assert inspections.add_photo(store, inspection["id"], inspections.GENERAL, process(jpeg((1, 2, 3))), "b", 60) is None
    return {"inspection_b": inspection["id"], "photo_b": store.inspections.get(inspection["id"])["photos"][0]["id"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    app = make_app(root)
    seed_app(app)
    store = app.extensions["store"]
    values = populate(app)
    values.update(second_inspection(app))
    add_inspector(store)
    clients = {"anonymous": app.test_client(), "other inspector": client_as(app, "petugas2")}
    clients.update({role: client_as(app, username) for role, username in ROLE_USERS.items()})
    return SimpleNamespace(app=app, store=store, clients=clients, values=values, root=root)


def poster_for(endpoint: str) -> str:
    """A visitor allowed to use the route (the inspection's inspector for the inspection-key routes)."""
    who = EXPECTED[endpoint]
    if who == INSPECTION_KEY:
        return "inspector"
    if who == "everyone":
        return "anonymous"
    return sorted(who)[0] if "inspector" not in who else "inspector"


def post_routes(app):
    return [rule for rule in routes(app) if "POST" in rule.methods]


def test_post_routes_are_found(site):
    endpoints = {rule.endpoint for rule in post_routes(site.app)}
    assert {"inspection.save", "admin.lks_new", "operator.followup_add", "inspect.report_lks",
            "account.login", "review.comment"} <= endpoints
    assert len(endpoints) >= 25


MALFORMED = {
    "wrong boundary": (b'--other\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--other--\r\n',
                       f"multipart/form-data; boundary={BOUNDARY}"),
    "cut-off body": (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx'.encode(),
                     f"multipart/form-data; boundary={BOUNDARY}"),
    "no boundary": (b"--x\r\n\r\n", "multipart/form-data"),
    "garbage headers": (f"--{BOUNDARY}\r\n\x00\x01\x02\r\n\r\n--{BOUNDARY}--\r\n".encode(),
                        f"multipart/form-data; boundary={BOUNDARY}"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_multipart_on_every_post_route(strict, kind):
    """With CSRF on, as in production: an unreadable body carries no token (nor inspection key) -> 400."""
    body, ctype = MALFORMED[kind]
    problems = []
    for rule in sorted(post_routes(strict.app), key=lambda r: r.endpoint == "account.logout"):
        path = url_for_rule(rule, strict.values)
        visitor = poster_for(rule.endpoint)
        before, audit_before = digest(strict.app), len(audit_actions(strict.app))
        response = strict.clients[visitor].post(path, data=body, content_type=ctype)
        got = f"{rule.endpoint} {path} as {visitor}: {response.status_code}"
        if not indonesian_refusal(response, 400):
            problems.append(f"{got} (expected 400 with an Indonesian text)")
        if digest(strict.app) != before:
            problems.append(f"{got} changed {sorted(changed(before, digest(strict.app)))}")
        if len(audit_actions(strict.app)) != audit_before:
            problems.append(f"{got} wrote the audit trail")
    assert not problems, "\n".join(problems)
    for role, home in (("admin", "/admin/"), ("reviewer", "/tinjau/"), ("operator", "/operator/"),
                       ("inspector", "/inspeksi/")):
        assert strict.clients[role].get(home).status_code == 200  # the broken sign-out post signed no one out


def test_malformed_multipart_where_the_form_is_read_without_csrf(site):
    """Without CSRF (the inspection form is CSRF-exempt; the rest as tests run them): pages that read the form
    see an empty one and refuse it with their own Indonesian text; nothing is stored."""
    record = site.store.inspections.get(site.values["inspection_id"])
    cases = [("admin", "/admin/lks/baru"), ("admin", "/admin/akun/baru"), ("inspector", "/inspeksi/lks-baru"),
             ("anonymous", "/masuk"), ("inspector", f"/kunjungan/{record['id']}"),
             ("inspector", f"/kunjungan/{record['id']}/kirim"), ("inspector", f"/kunjungan/{record['id']}/foto"),
             ("reviewer", f"/tinjau/{site.values['sent_id']}/komentar"),
             ("operator", f"/operator/inspeksi/{site.values['approved_id']}/tindak-lanjut"),
             ("other inspector", "/akun/sandi"), ("anonymous", f"/l/{site.values['code']}/lapor"),
             ("reviewer", f"/tinjau/laporan-masyarakat/{site.values['concern_id']}/tangani")]
    for body, ctype in MALFORMED.values():
        for visitor, path in cases:
            before, audit_before = digest(site.app), len(audit_actions(site.app))
            response = site.clients[visitor].post(path, data=body, content_type=ctype)
            assert indonesian_refusal(response, 400), (path, response.status_code)
            assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before, path


# --- A body over the limit --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """CSRF on (as in production), a 4 KB body limit, a signed-in client per role."""
    app = make_app(tmp_path_factory.mktemp("strict"), WTF_CSRF_ENABLED=True)
    seed_app(app)
    values = populate(app)
    clients = {"anonymous": app.test_client()}
    for role, username in ROLE_USERS.items():
        clients[role] = client_as(app, username)  # through the real forms, CSRF tokens and all
    app.config["MAX_CONTENT_LENGTH"] = 4096
    return SimpleNamespace(app=app, store=app.extensions["store"], clients=clients, values=values)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no csrf_token on the page"
    return match.group(1)


def test_body_over_the_limit_on_every_post_route(strict):
    big, ctype = multipart({"name": "x" * 10_000, "komentar": "y" * 10_000},
                           {"photos_general": ("a.jpg", b"\xff" * 10_000, "image/jpeg")})
    problems = []
    for rule in post_routes(strict.app):
        path = url_for_rule(rule, strict.values)
        visitor = poster_for(rule.endpoint)
        before, audit_before = digest(strict.app), len(audit_actions(strict.app))
        response = strict.clients[visitor].post(path, data=big, content_type=ctype)
        got = f"{rule.endpoint} {path} as {visitor}: {response.status_code}"
        if response.status_code != 413 or ERROR_TEXT[413][0] not in text(response):
            problems.append(f"{got} (expected 413 {ERROR_TEXT[413][0]})")
        if digest(strict.app) != before or len(audit_actions(strict.app)) != audit_before:
            problems.append(f"{got} changed stored data")
    assert not problems, "\n".join(problems)
    assert strict.clients["admin"].get("/admin/").status_code == 200  # still signed in


# --- CSRF -------------------------------------------------------------------------------------------------

def test_missing_or_wrong_csrf_token_on_every_protected_post(strict):
    strict.app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    try:
        foreign = csrf_token(text(strict.app.test_client().get("/masuk")))  # a real token, of another session
        protected = [r for r in post_routes(strict.app) if EXPECTED[r.endpoint] != INSPECTION_KEY]
        assert len(protected) >= 20
        problems = []
        for rule in protected:
            path = url_for_rule(rule, strict.values)
            visitor = poster_for(rule.endpoint)
            client = strict.clients[visitor]
            for label, extra in (("missing", {}), ("foreign", {"csrf_token": foreign}),
                                 ("garbage", {"csrf_token": "x" * 90}), ("empty", {"csrf_token": ""})):
                data = {"username": ROLE_USERS["admin"], "password": PASSWORD, "komentar": "hai", "isi": "hai",
                        "keputusan": "approve", "name": "Nama Baru", "semua": "1", **extra}
                before, audit_before = digest(strict.app), len(audit_actions(strict.app))
                response = client.post(path, data=data)
                got = f"{label} token: {rule.endpoint} {path} as {visitor}: {response.status_code}"
                if response.status_code != 400 or "Formulir kedaluwarsa atau tidak sah" not in text(response):
                    problems.append(f"{got} (expected 400 'Formulir kedaluwarsa atau tidak sah')")
                if digest(strict.app) != before or len(audit_actions(strict.app)) != audit_before:
                    problems.append(f"{got} changed stored data")
        assert not problems, "\n".join(problems)
        for role, home in (("admin", "/admin/"), ("reviewer", "/tinjau/"), ("operator", "/operator/")):
            assert strict.clients[role].get(home).status_code == 200  # not signed out by the refused posts
    finally:
        strict.app.config["MAX_CONTENT_LENGTH"] = 4096


def test_inspection_posts_with_a_wrong_inspection_key_are_refused(site):
    """The inspection key is the inspection's CSRF token: another inspection's key, a garbage key -> 400, nothing changed."""
    client = site.clients["inspector"]
    key_b = site.store.inspections.get(site.values["inspection_b"])["inspection_key"]
    inspection = site.values["inspection_id"]
    for key in (key_b, "x" * 64, "", "\x00" * 8):
        for path in (f"/kunjungan/{inspection}", f"/kunjungan/{inspection}/kirim", f"/kunjungan/{inspection}/foto"):
            before = digest(site.app)
            response = client.post(path, data={"inspection_key": key, "action": "ringkasan"})
            assert indonesian_refusal(response, 400), (path, key, response.status_code)
            assert digest(site.app) == before


# --- Hostile photos ---------------------------------------------------------------------------------------

PHOTO_REFUSALS = {
    "pixel flood": (pixel_flood_png(), "flood.png", "image/png", "Resolusi foto terlalu besar"),
    "truncated jpeg": (truncated_jpeg(), "cut.jpg", "image/jpeg", CORRUPT),
    "svg with script": (SVG, "x.svg", "image/svg+xml", NOT_A_PHOTO),
    "html": (b"<html><script>alert(1)</script></html>", "x.jpg", "image/jpeg", NOT_A_PHOTO),
}


def test_the_hostile_photos_are_what_they_claim():
    header = Image.open(io.BytesIO(pixel_flood_png()))
    assert header.size[0] * header.size[1] > 50_000_000 and len(pixel_flood_png()) < 200
    with pytest.raises(Exception):
        Image.open(io.BytesIO(truncated_jpeg())).load()
    assert polyglot().endswith(b"<script>alert(1)</script>")


def inspection_item_with_photos(app, record) -> str:
    checklist = inspections.checklist_of(app.extensions["store"], record)
    return next(i.id for i in checklist.items() if i.type == "photo")


@pytest.mark.parametrize("kind", sorted(PHOTO_REFUSALS))
def test_hostile_photo_on_the_inspection_form_is_refused(site, kind):
    data, name, ctype, message = PHOTO_REFUSALS[kind]
    inspection = site.values["inspection_id"]
    record = site.store.inspections.get(inspection)
    item = inspection_item_with_photos(site.app, record)
    for field in (f"{item}__photos", "photos_general"):
        before = digest(site.app)
        response = post_multipart(site.clients["inspector"], f"/kunjungan/{inspection}",
                                  {"inspection_key": record["inspection_key"]}, {field: (name, data, ctype)})
        assert response.status_code == 400, (field, response.status_code)
        assert message in html.unescape(text(response)), field
        after = site.store.inspections.get(inspection)
        # A save always keeps the draft: only the inspection's own record file changes, and only its updated_at.
        assert {k: v for k, v in after.items() if k != "updated_at"} == \
            {k: v for k, v in record.items() if k != "updated_at"}
        assert changed(before, digest(site.app)) <= {f"inspections/{record['lks_id']}/{inspection.split('-')[1]}.json"}
        record = after


@pytest.mark.parametrize("kind", sorted(PHOTO_REFUSALS))
def test_hostile_photo_sent_on_its_own_is_refused(site, kind):
    """The page's script sends each photo alone (JSON answers): the same refusals, and nothing stored."""
    data, name, ctype, message = PHOTO_REFUSALS[kind]
    inspection = site.values["inspection_id"]
    record = site.store.inspections.get(inspection)
    photo_key = "hostile-" + kind.replace(" ", "-")
    for item in (inspection_item_with_photos(site.app, record), ""):
        before, audit_before = digest(site.app), audit_actions(site.app)
        response = post_multipart(site.clients["inspector"], f"/kunjungan/{inspection}/foto",
                                  {"inspection_key": record["inspection_key"], "item": item, "photo_key": photo_key},
                                  {"photo": (name, data, ctype)})
        assert response.status_code == 400, (item, response.status_code)
        assert response.is_json and message in response.get_json()["error"], item
        assert digest(site.app) == before and audit_actions(site.app) == audit_before


@pytest.mark.parametrize("kind", sorted(PHOTO_REFUSALS))
def test_hostile_front_photo_of_an_unregistered_lks_is_refused(site, kind):
    data, name, ctype, message = PHOTO_REFUSALS[kind]
    before, audit_before = digest(site.app), audit_actions(site.app)
    response = post_multipart(site.clients["inspector"], "/inspeksi/lks-baru", REPORT_FORM,
                              {"front_photo": (name, data, ctype)})
    assert response.status_code == 400
    assert message in html.unescape(text(response))
    assert digest(site.app) == before and audit_actions(site.app) == audit_before


@pytest.mark.parametrize("kind", sorted(PHOTO_REFUSALS))
def test_hostile_follow_up_photo_is_refused(site, kind):
    data, name, ctype, message = PHOTO_REFUSALS[kind]
    before, audit_before = digest(site.app), audit_actions(site.app)
    response = post_multipart(site.clients["operator"], f"/operator/inspeksi/{site.values['approved_id']}/tindak-lanjut",
                              followup_form(site.app), {"foto": (name, data, ctype)})
    assert response.status_code == 400
    assert message in html.unescape(text(response))
    assert digest(site.app) == before and audit_actions(site.app) == audit_before


REPORT_FORM = {"name": "Panti Temuan Lapangan", "kind": "lksa", "address": "Jl. Uji No. 9", "kecamatan": "Pinang",
               "kelurahan": "Kunciran Indah", "lat": "", "lon": ""}


def followup_form(app) -> dict:
    from inspector.timefmt import today_wib
    return {"butir": "skck_pengasuh", "isi": "Sudah diurus.", "tanggal": today_wib().isoformat()}


def outside_listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if "data" not in p.relative_to(root).parts[:1]}


@pytest.fixture
def fresh(tmp_path):
    """A fresh app (these tests store photos) with populate()'s records and signed-in clients."""
    app = make_app(tmp_path)
    seed_app(app)
    values = populate(app)
    clients = {role: client_as(app, username) for role, username in ROLE_USERS.items()}
    return SimpleNamespace(app=app, store=app.extensions["store"], clients=clients, values=values, root=tmp_path)


def assert_no_script_stored(app):
    root = Path(app.config["INSPECTOR_DATA_DIR"]) / "photos"
    for path in root.rglob("*"):
        if path.is_file():
            assert b"<script" not in path.read_bytes(), path


def test_polyglot_and_evil_file_names_on_every_photo_input(fresh):
    """A JPEG with HTML after it is re-encoded: no stored or served photo holds '<script'. A file name with
    '../' and NUL is never used: the stored names are generated, nothing lands outside the data folder."""
    outside = outside_listing(fresh.root)
    data_root = Path(fresh.app.config["INSPECTOR_DATA_DIR"])
    inspection = fresh.values["inspection_id"]
    record = fresh.store.inspections.get(inspection)
    item = inspection_item_with_photos(fresh.app, record)
    served = []

    # The inspection form: an item's photos and the general photos.
    count = len(record["photos"])
    response = post_multipart(fresh.clients["inspector"], f"/kunjungan/{inspection}", {"inspection_key": record["inspection_key"]},
                              {f"{item}__photos": (EVIL_NAME, polyglot(), "image/jpeg"),
                               "photos_general": ("..\\..\\evil\x00.html", polyglot() + b"\x00", "text/html")})
    assert response.status_code == 303, response.status_code
    photos = fresh.store.inspections.get(inspection)["photos"]
    assert len(photos) == count + 2
    for photo in photos[count:]:
        assert re.fullmatch(r"p[0-9a-f]{12}", photo["id"]), photo["id"]
        for suffix in ("", "/kecil"):
            served.append(fresh.clients["inspector"].get(f"/kunjungan/{inspection}/foto/{photo['id']}{suffix}"))

    # The unregistered LKS's front photo.
    response = post_multipart(fresh.clients["inspector"], "/inspeksi/lks-baru", REPORT_FORM,
                              {"front_photo": (EVIL_NAME, polyglot(), "image/jpeg")})
    assert response.status_code == 303, response.status_code
    new = next(r for r in fresh.store.lks.all() if r["name"] == REPORT_FORM["name"])
    assert re.fullmatch(r"p[0-9a-f]{12}", new["front_photo"]["id"])
    served.append(fresh.clients["admin"].get(f"/admin/lks/{new['id']}/foto-depan"))

    # The operator's follow-up photo.
    inspection = fresh.values["approved_id"]
    response = post_multipart(fresh.clients["operator"], f"/operator/inspeksi/{inspection}/tindak-lanjut",
                              followup_form(fresh.app), {"foto": (EVIL_NAME, polyglot(), "image/jpeg")})
    assert response.status_code == 303, response.status_code
    lks_id = fresh.store.inspections.get(inspection)["lks_id"]
    followup = [f for f in fresh.store.followups.for_inspection(lks_id, inspection) if f["photo"]][-1]
    served.append(fresh.clients["operator"].get(f"/operator/inspeksi/{inspection}/tindak-lanjut/{followup['id']}/foto"))

    for response in served:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.data.startswith(b"\xff\xd8") and b"<script" not in response.data
        assert "evil" not in response.headers.get("Content-Disposition", "")
    assert_no_script_stored(fresh.app)
    assert not [p for p in fresh.root.rglob("*evil*")]
    assert not [p for p in data_root.rglob("*") if not p.resolve().is_relative_to(data_root.resolve())]
    assert outside_listing(fresh.root) == outside


# --- Very long and odd Unicode text -------------------------------------------------------------------------

LKS_FIELDS = ["name", "kind", "address", "kecamatan", "kelurahan", "lat", "lon", "contact_name", "contact_phone",
              "registration_number", "accreditation", "accreditation_expiry", "capacity"]
GOOD_LKS = {"name": "Panti Asuhan Uji", "kind": "lksa", "address": "Jl. Uji No. 1", "kecamatan": "Pinang",
            "kelurahan": "Kunciran Indah", "lat": "-6.2157", "lon": "106.6383", "contact_name": "Ibu Ani",
            "contact_phone": "0812-1111-2222", "registration_number": "REG/1", "accreditation": "A",
            "accreditation_expiry": "2027-06-30", "capacity": "40"}
USER_FIELDS = ["username", "password", "name", "role", "agency"]
GOOD_USER = {"username": "baru1", "password": "sandi-baru-yang-kuat", "name": "Akun Baru", "role": "inspector",
             "agency": "Kelurahan"}


def test_long_text_in_every_lks_field_is_refused(site):
    assert len(LONG) == 100_000
    lks_id = site.values["lks_id"]
    problems = []
    for path, fields in (("/admin/lks/baru", LKS_FIELDS), (f"/admin/lks/{lks_id}/ubah", LKS_FIELDS),
                         ("/inspeksi/lks-baru", ["name", "kind", "address", "kecamatan", "kelurahan", "lat", "lon"])):
        client = site.clients["inspector" if path.startswith("/inspeksi") else "admin"]
        for field in fields:
            before = digest(site.app)
            files = {"front_photo": ("a.jpg", jpeg(), "image/jpeg")} if path.startswith("/inspeksi") else None
            response = post_multipart(client, path, {**GOOD_LKS, field: LONG}, files)
            page = text(response)
            if not (response.status_code == 400 and f'id="{field}-error"' in page):
                problems.append(f"{path} {field}: {response.status_code} (expected 400 with a field error)")
            if LONG[:50] in page and html.escape(LONG[:50]) != LONG[:50]:
                problems.append(f"{path} {field}: the 100k text is echoed back unescaped")
            if digest(site.app) != before:
                problems.append(f"{path} {field}: stored something")
    assert not problems, "\n".join(problems)


def test_long_text_in_every_account_field_is_refused(site):
    user_id = site.store.users.by_username("petugas2")["id"]
    problems = []
    for path, fields in (("/admin/akun/baru", USER_FIELDS), (f"/admin/akun/{user_id}/ubah", ["name", "role", "agency"])):
        for field in fields:
            before = digest(site.app)
            response = site.clients["admin"].post(path, data={**GOOD_USER, field: LONG})
            page = text(response)
            if not (response.status_code == 400 and f'id="{field}-error"' in page):
                problems.append(f"{path} {field}: {response.status_code} (expected 400 with a field error)")
            if digest(site.app) != before:
                problems.append(f"{path} {field}: stored something")
    assert not problems, "\n".join(problems)


def test_long_passwords_are_refused(site):
    user_id = site.store.users.by_username("petugas2")["id"]
    before = digest(site.app)
    response = site.clients["admin"].post(f"/admin/akun/{user_id}/sandi", data={"password": LONG})
    assert indonesian_refusal(response, 400)
    response = site.clients["other inspector"].post("/akun/sandi", data={"current": PASSWORD, "new": LONG,
                                                                       "repeat": LONG})
    assert response.status_code == 400 and 'id="new-error"' in text(response)
    assert digest(site.app) == before


def test_long_text_at_sign_in_is_refused_without_counting_a_failure(site):
    client = site.app.test_client()
    for data in ({"username": LONG, "password": PASSWORD}, {"username": ROLE_USERS["admin"], "password": LONG}):
        before, audit_before = digest(site.app), len(audit_actions(site.app))
        response = client.post("/masuk", data=data)
        assert response.status_code == 400 and '<p class="error"' in text(response)
        assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before


def test_long_text_in_inspection_notes_and_answers_is_not_stored(site):
    inspection = site.values["inspection_id"]
    record = site.store.inspections.get(inspection)
    checklist = inspections.checklist_of(site.store, record)
    text_items = [i.id for i in checklist.items() if i.type in ("text", "longtext", "number", "date")]
    note_items = [i.id for i in checklist.items()][:5]
    assert text_items and note_items
    for name in [f"{i}__note" for i in note_items] + text_items:
        response = site.clients["inspector"].post(f"/kunjungan/{inspection}", data={"inspection_key": record["inspection_key"],
                                                                              name: LONG})
        assert response.status_code == 400, name
        assert "Ada isian yang perlu diperbaiki" in text(response), name
        after = site.store.inspections.get(inspection)
        assert after["answers"] == record["answers"] and after["photos"] == record["photos"], name
        assert LONG[:50] not in json.dumps(after, ensure_ascii=False)


def test_long_comments_are_refused(site):
    sent = site.values["sent_id"]
    inspection = site.values["approved_id"]
    cases = [("reviewer", f"/tinjau/{sent}/komentar", {"komentar": LONG}, "Komentar maksimal 2000 karakter"),
             ("inspector", f"/tinjau/{sent}/komentar", {"komentar": LONG}, "Komentar maksimal 2000 karakter"),
             ("reviewer", f"/tinjau/{sent}/keputusan", {"keputusan": "return", "komentar": LONG},
              "Komentar maksimal 2000 karakter"),
             ("reviewer", f"/tinjau/{inspection}/addendum", {"isi": LONG}, "Isi addendum 1 sampai 2000 karakter"),
             ("operator", f"/operator/inspeksi/{inspection}/tindak-lanjut",
              {**followup_form(site.app), "isi": LONG}, "Maksimal 1000 karakter"),
             ("admin", f"/admin/lks/{site.values['lks_id']}/gabung", {"target": LONG}, "tidak ditemukan"),
             ("reviewer", "/tinjau/notifikasi/baca", {"id": LONG}, None),
             ("reviewer", "/tinjau/setujui-massal", {"pilih": ["x" * 70] * 300 + [LONG[:2000]]}, None),
             # 400 000 emoji (1.6 MB) in one urlencoded field: read, and refused by the comment rule.
             ("reviewer", f"/tinjau/{sent}/komentar", {"komentar": "\U0001F600" * 400_000},
              "Komentar maksimal 2000 karakter")]
    for visitor, path, data, message in cases:
        before, audit_before = digest(site.app), len(audit_actions(site.app))
        response = site.clients[visitor].post(path, data=data)
        assert response.status_code in (400, 404, 413, 303), (path, response.status_code)
        if message:
            assert response.status_code in (400, 404, 413), (path, response.status_code)
            assert message in text(response), (path, visitor)
        assert LONG not in text(response), path  # the follow-up form echoes at most 1100 characters
        assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before, path


def test_long_and_odd_text_in_a_public_concern_is_refused(site):
    """The public report form: 100 000 characters (RTL marks, ZWJ, emoji, NUL) in any field, a choice that is
    not offered, or a forged one-time token -> 400 with the field's Indonesian error; nothing stored, not
    even a rate-limit count."""
    code, client = site.values["code"], site.app.test_client()
    page = text(client.get(f"/l/{code}/lapor"))
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    good = {"what": "Anak-anak terlihat kurus dan tidak sekolah.", "when": "this_week", "contact": "",
            "form_token": token}
    for field, value in (("what", LONG), ("contact", LONG), ("when", LONG), ("when", XSS[0]),
                         ("form_token", LONG), ("form_token", "../" * 10)):
        before, audit_before = digest(site.app), len(audit_actions(site.app))
        response = client.post(f"/l/{code}/lapor", data={**good, field: value})
        got = f"{field}={value[:12]!r}: {response.status_code}"
        assert indonesian_refusal(response, 400), got
        if field != "form_token":
            assert f'id="{field}-error"' in text(response), got
        assert LONG[:50] not in text(response) and XSS[0] not in text(response), got
        assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before, got
    concern = site.values["concern_id"]
    for note in (LONG, "\U0001F600" * 400_000):
        before, audit_before = digest(site.app), len(audit_actions(site.app))
        response = site.clients["reviewer"].post(f"/tinjau/laporan-masyarakat/{concern}/tangani", data={"catatan": note})
        assert response.status_code == 400 and "Catatan maksimal 500 karakter" in text(response)
        assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before


GET_FILTERS = [("inspector", "/inspeksi/", ["q", "kecamatan"]), ("admin", "/admin/lks", ["q", "kecamatan", "nonaktif"]),
               ("reviewer", "/tinjau/", ["status", "kecamatan", "lks", "petugas", "dari", "sampai", "halaman"]),
               ("reviewer", "/tinjau/pantauan", ["kecamatan"]), ("reviewer", "/admin/lks", ["q"]),
               ("admin", "/admin/audit/", ["dari", "sampai", "aksi", "akun", "sasaran", "halaman"]),
               ("admin", "/admin/poster.pdf", ["kecamatan"]), ("anonymous", "/masuk", ["next"]),
               ("reviewer", "/tinjau/ekspor/csv", ["status", "kecamatan", "dari", "sampai"]),
               ("reviewer", "/tinjau/laporan-masyarakat", ["status"])]


def test_long_and_hostile_query_parameters(site):
    problems = []
    for visitor, path, _ in GET_FILTERS:  # pages may write on their first view (the dashboard notes alerts)
        site.clients[visitor].get(path).close()
    for visitor, path, params in GET_FILTERS:
        for param in params:
            for value in (LONG[:8000], XSS[0], XSS[1], "-1", "9" * 400, "\x00"):
                before = digest(site.app)
                response = site.clients[visitor].get(path, query_string={param: value})
                page = response.get_data()
                got = f"GET {path}?{param}={value[:20]!r} as {visitor}: {response.status_code}"
                if response.status_code not in (200, 400, 404):
                    problems.append(got)
                if response.status_code in (400, 404) and not indonesian_refusal(response):
                    problems.append(f"{got} (no Indonesian text)")
                if b"<script>alert(1)" in page or b"<img src=x" in page:
                    problems.append(f"{got} echoed the raw tag")
                if path != "/tinjau/ekspor/csv" and digest(site.app) != before:
                    problems.append(f"{got} changed stored data")
    assert not problems, "\n".join(problems)


def test_odd_unicode_in_an_lks_name_is_stored_without_controls_and_shown_escaped(fresh):
    """Short odd text (RTL override, ZWJ, emoji, NUL, BOM) passes the length rules: it is kept without its
    control and invisible format characters (which would garble a poster), and shown intact otherwise."""
    name = f"Panti {ODD} Uji"
    response = post_multipart(fresh.clients["admin"], "/admin/lks/baru", {**GOOD_LKS, "name": name})
    assert response.status_code == 302, response.status_code
    expected = lks_rules.plain_text(name)
    assert "\u202e" not in expected and "\x00" not in expected and "\U0001F469" in expected
    stored = [r for r in fresh.store.lks.all() if r["name"] == expected]
    assert len(stored) == 1
    page = fresh.clients["admin"].get("/admin/lks")
    assert page.status_code == 200 and "\U0001F469" in text(page)


# --- Script and HTML in accepted text -------------------------------------------------------------------------

def escaped(value: str) -> str:
    return str(html.escape(value, quote=True)).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def assert_escaped(response, payload: str, where: str):
    page = text(response)
    assert response.status_code == 200, (where, response.status_code)
    assert payload not in page, f"{where}: raw {payload!r}"
    assert escaped(payload) in page, f"{where}: escaped {escaped(payload)!r} not found"


@pytest.mark.parametrize("payload", XSS)
def test_script_in_accepted_text_is_escaped_on_every_page(fresh, payload):

    store, app, clients = fresh.store, fresh.app, fresh.clients
    # An LKS named with the payload, with a contact named with it; an account named with it.
    response = post_multipart(clients["admin"], "/admin/lks/baru",
                              {**GOOD_LKS, "name": f"Panti {payload}", "contact_name": payload,
                               "registration_number": payload})
    assert response.status_code == 302, response.status_code
    lks = next(r for r in store.lks.all() if r["name"] == f"Panti {payload}")
    operator_lks = store.lks.get(fresh.values["lks_id"])
    store.lks.change(operator_lks["id"], {"name": f"Panti {payload}", "address": payload})
    response = clients["admin"].post(f"/admin/akun/{store.users.by_username('petugas1')['id']}/ubah",
                                     data={"name": f"Petugas {payload}", "role": "inspector", "agency": payload})
    assert response.status_code == 302, response.status_code

    # An inspection with the payload in a note and a text answer, then a reviewer's comment, an approval and addendum.
    inspection = fresh.values["inspection_id"]
    record = store.inspections.get(inspection)
    checklist = inspections.checklist_of(store, record)
    text_item = next(i.id for i in checklist.items() if i.type == "longtext")
    yes_no = next(i for i in checklist.items() if i.type == "yes_no")
    response = clients["inspector"].post(f"/kunjungan/{inspection}", data={
        "inspection_key": record["inspection_key"], text_item: payload, f"{yes_no.id}__note": payload})
    assert response.status_code == 303, response.status_code
    assert store.inspections.get(inspection)["answers"][text_item]["value"] == payload
    approved = fresh.values["approved_id"]
    sent = fresh.values["sent_id"]
    for path, data in ((f"/tinjau/{sent}/komentar", {"komentar": payload}),
                       (f"/tinjau/{approved}/addendum", {"isi": payload})):
        assert clients["reviewer"].post(path, data=data).status_code == 303, path
    response = clients["operator"].post(f"/operator/inspeksi/{approved}/tindak-lanjut",
                                        data={**followup_form(app), "isi": payload})
    assert response.status_code == 303, response.status_code

    # A concern from the public with the payload as its text and contact.
    public = app.test_client()
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"',
                      text(public.get(f"/l/{operator_lks['code']}/lapor"))).group(1)
    response = public.post(f"/l/{operator_lks['code']}/lapor", data={
        "what": f"Laporan {payload}", "when": "sekarang", "contact": payload, "form_token": token})
    assert response.status_code == 303, response.status_code
    concern = next(c for c in store.concerns.all() if c["contact"] == payload)

    pages = [("admin", "/admin/lks"), ("admin", f"/admin/lks/{lks['id']}/ubah"), ("admin", "/admin/akun"),
             ("admin", f"/admin/akun/{store.users.by_username('petugas1')['id']}/ubah"),
             ("anonymous", f"/l/{lks['code']}"), ("inspector", f"/l/{lks['code']}"),
             ("inspector", "/inspeksi/?q=Panti"), ("inspector", f"/kunjungan/{inspection}"),
             ("inspector", f"/kunjungan/{inspection}/ringkasan"), ("inspector", f"/kunjungan/{sent}/ringkasan"),
             ("inspector", "/inspeksi/kunjungan"), ("reviewer", f"/tinjau/{sent}"), ("reviewer", f"/tinjau/{approved}"),
             ("reviewer", f"/tinjau/{approved}/cetak"), ("reviewer", "/tinjau/?status="), ("reviewer", "/tinjau/pantauan"),
             ("reviewer", "/admin/lks"), ("operator", "/operator/"), ("operator", f"/operator/inspeksi/{approved}"),
             ("reviewer", "/tinjau/laporan-masyarakat"), ("reviewer", f"/tinjau/laporan-masyarakat/{concern['id']}"),
             ("reviewer", "/tinjau/notifikasi"), ("anonymous", f"/l/{operator_lks['code']}/lapor")]
    clients["anonymous"] = app.test_client()
    for visitor, path in pages:
        assert_escaped(clients[visitor].get(path), payload, f"{visitor} {path}")
    # The failed-save page echoes the posted text escaped too.
    response = clients["admin"].post("/admin/lks/baru", data={**GOOD_LKS, "name": payload, "kind": ""})
    assert response.status_code == 400 and payload not in text(response) and escaped(payload) in text(response)


# --- Other records' ids (IDOR) ----------------------------------------------------------------------------

def test_photo_of_one_inspection_under_another_inspections_url(site):
    a, b = site.values["inspection_id"], site.values["inspection_b"]
    photo_a, photo_b = site.values["photo_id"], site.values["photo_b"]
    before = digest(site.app)
    for visitor in ("inspector", "reviewer", "admin"):
        client = site.clients[visitor]
        for inspection, photo in ((a, photo_b), (b, photo_a), (site.values["sent_id"], photo_a),
                             (site.values["approved_id"], photo_a)):
            for suffix in ("", "/kecil", "/besar"):
                response = client.get(f"/kunjungan/{inspection}/foto/{photo}{suffix}")
                assert indonesian_refusal(response, 404), (visitor, inspection, photo, suffix, response.status_code)
        assert client.get(f"/kunjungan/{a}/foto/{photo_a}").status_code == 200, visitor
    for inspection, photo in ((a, photo_b), (b, photo_a)):
        assert site.clients["inspector"].post(f"/kunjungan/{inspection}/foto/{photo}/hapus").status_code in (303, 404)
    assert digest(site.app) == before
    assert [p["id"] for p in site.store.inspections.get(b)["photos"]] == [photo_b]


def test_operator_photo_ids_of_other_records(site):
    inspection, followup = site.values["approved_id"], site.values["followup_id"]
    client = site.clients["operator"]
    paths = [f"/operator/inspeksi/{inspection}/foto/{site.values['photo_id']}",  # a draft inspection's photo
             f"/operator/inspeksi/{inspection}/foto/{site.values['photo_b']}",
             f"/operator/inspeksi/{site.values['inspection_id']}/foto/{site.values['photo_id']}",  # a draft
             f"/operator/inspeksi/{site.values['sent_id']}/tindak-lanjut/{followup}/foto",  # wrong inspection
             f"/operator/inspeksi/{inspection}/foto/{site.values['inspection_photo_id']}/asli",
             f"/operator/inspeksi/{inspection}/tindak-lanjut/{followup}/foto/../../x"]
    for path in paths:
        assert indonesian_refusal(client.get(path), 404), path
    for path in (f"/operator/inspeksi/{site.values['sent_id']}/tindak-lanjut/{followup}/foto",
                 f"/operator/inspeksi/{site.values['inspection_id']}/tindak-lanjut/{followup}/foto"):
        assert indonesian_refusal(site.clients["reviewer"].get(path), 404), path
    assert client.get(f"/operator/inspeksi/{inspection}/foto/{site.values['inspection_photo_id']}").status_code == 200


def test_foreign_ids_in_posts(site):
    """A follow-up of one inspection accepted under another, another user's alert, another inspector's
    comment, a draft in a bulk approval: refused, nothing changed."""
    before, audit_before = digest(site.app), len(audit_actions(site.app))
    followup = site.values["followup_id"]
    response = site.clients["reviewer"].post(f"/tinjau/{site.values['sent_id']}/tindak-lanjut/{followup}/terima")
    assert indonesian_refusal(response, 404)
    response = site.clients["other inspector"].post(f"/tinjau/{site.values['approved_id']}/komentar",
                                                    data={"komentar": "bukan kunjungan saya"})
    assert indonesian_refusal(response, 404)
    response = site.clients["reviewer"].post("/tinjau/setujui-massal",
                                             data={"pilih": [site.values["inspection_id"], site.values["inspection_b"],
                                                             site.values["approved_id"], "../../users"]})
    assert response.status_code == 303
    response = site.clients["reviewer"].post(f"/tinjau/{site.values['inspection_id']}/keputusan",
                                             data={"keputusan": "approve"})
    assert indonesian_refusal(response, 404)
    response = site.clients["operator"].post(f"/operator/inspeksi/{site.values['sent_id']}/tindak-lanjut",
                                             data=followup_form(site.app))
    assert indonesian_refusal(response, 404)
    for concern_id in ("c000000000000", "../concerns", site.values["inspection_id"], "x" * 40):
        response = site.clients["reviewer"].post(f"/tinjau/laporan-masyarakat/{concern_id}/tangani",
                                                 data={"catatan": "sudah"})
        assert indonesian_refusal(response, 404), concern_id
    for alert_id in ("../notifications", "x" * 40, "\x00"):
        assert site.clients["inspector"].post("/tinjau/notifikasi/baca", data={"id": alert_id}).status_code == 303
    assert digest(site.app) == before and len(audit_actions(site.app)) == audit_before


# --- Password guessing ------------------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_fifty_wrong_passwords(tmp_path):
    app = make_app(tmp_path)
    seed_app(app)
    max_wait = int(app.config["INSPECTOR_LOGIN_MAX_WAIT_SECONDS"])
    free = int(app.config["INSPECTOR_LOGIN_FREE_FAILURES"])
    username = ROLE_USERS["reviewer"]
    attacker = app.test_client()
    attack = {"REMOTE_ADDR": "203.0.113.9"}
    clock = Clock(1_800_000_000.0)
    with mock.patch("inspector.signin_throttle.time", clock):
        before, audit_before = digest(app), audit_actions(app)
        statuses = []
        for n in range(50):
            response = attacker.post("/masuk", data={"username": username, "password": f"salah-{n}"},
                                     environ_base=attack)
            statuses.append(response.status_code)
            page = text(response)
            if response.status_code == 401:
                assert "Nama pengguna atau kata sandi salah" in page
            else:
                assert response.status_code == 429
                wait = int(response.headers["Retry-After"])
                assert 0 < wait <= max_wait
                assert f"Coba lagi dalam {wait} detik" in page
                assert "Terlalu banyak percobaan gagal" in page
        assert statuses == [401] * free + [429] * (50 - free)
        # Exactly what the guesses wrote: the throttle counts and one audit entry per counted failure.
        assert changed(before, digest(app)) == {"throttle.json"}
        assert audit_actions(app)[len(audit_before):] == ["sign_in_failed"] * free
        # The owner, from another address, signs in at once.
        owner = app.test_client()
        response = owner.post("/masuk", data={"username": username, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "198.51.100.7"})
        # (on to the second step: the password was let through)
        assert response.status_code == 302 and response.headers["Location"] == "/masuk/kode"

        # Keep guessing, each time as soon as allowed: every wait stays within the cap, and once it is
        # over, the right password works from the attacker's address as well.
        attacker2 = app.test_client()
        waits = []
        for n in range(50):
            response = attacker2.post("/masuk", data={"username": username, "password": f"lagi-{n}"},
                                      environ_base=attack)
            if response.status_code == 429:
                wait = int(response.headers["Retry-After"])
                waits.append(wait)
                assert 0 < wait <= max_wait
                clock.now += wait
            else:
                assert response.status_code == 401
        assert max(waits) == max_wait
        clock.now += max_wait
        response = attacker2.post("/masuk", data={"username": username, "password": PASSWORD}, environ_base=attack)
        assert response.status_code == 302


# --- Another site's POSTs, and hostile next= values -------------------------------------------------------

FOREIGN_ORIGINS = ["http://evil.example", "https://lks.tangerangkota.go.id.evil.example", "null", "http://localhost:1"]


@pytest.mark.parametrize("visitor", ["anonymous", "inspector", "reviewer", "admin"])
def test_every_post_route_refuses_another_sites_origin_and_changes_nothing(site, visitor):
    """Over plain http, where flask-wtf checks no Referer: 403 in Indonesian from every POST route, the new
    ones included, whatever the visitor may otherwise do there."""
    client = site.clients[visitor]
    problems, tried = [], 0
    for rule in routes(site.app):
        if "POST" not in rule.methods:
            continue
        path = url_for_rule(rule, site.values)
        for origin in FOREIGN_ORIGINS:
            before, audit_before = digest(site.app), len(audit_actions(site.app))
            response = client.post(path, headers={"Origin": origin}, data={"inspection_key": "x"})
            tried += 1
            if not indonesian_refusal(response, 403) or "datang dari situs lain" not in text(response):
                problems.append(f"POST {path} Origin {origin} as {visitor}: {response.status_code}")
            if digest(site.app) != before or len(audit_actions(site.app)) != audit_before:
                problems.append(f"POST {path} Origin {origin} as {visitor} changed stored data")
    assert tried > 40 and not problems, "\n".join(problems)


HOSTILE_NEXT = ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\rb", "/\x00", "/\x1b[31m", "/\u2028", "/\u0085", "//evil.example",
                "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/" + "a" * 10_000, LONG[:300], ODD]


@pytest.mark.parametrize("visitor", ["anonymous", "reviewer"])
def test_hostile_next_values_end_in_a_safe_redirect(site, visitor):
    problems = []
    for value in HOSTILE_NEXT:
        if visitor == "anonymous":
            response = site.app.test_client().post("/masuk", query_string={"next": value},
                                                    data={"username": ROLE_USERS["reviewer"], "password": PASSWORD})
        else:
            response = site.clients[visitor].get("/masuk", query_string={"next": value})
        location = response.headers.get("Location", "")
        same_site = location.startswith("/") and not location.startswith(("//", "/\\"))  # as given, or quoted
        if response.status_code != 302 or not same_site:
            problems.append(f"{value[:20]!r} as {visitor}: {response.status_code} {location[:40]!r}")
        if any(c in location for c in "\r\n\x00") or location.startswith(("//", "http", "javascript")):
            problems.append(f"{value[:20]!r} as {visitor}: unsafe Location {location[:40]!r}")
    assert not problems, "\n".join(problems)
