"""Who may use which page: every route of ``app.url_map`` for every role and for an anonymous visitor.

The EXPECTED table below is the access policy written out by hand. A route
added without an entry here fails ``test_expected_table_covers_every_endpoint``;
a route whose behaviour differs from its entry fails ``test_every_route_for_every_visitor``.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint

from inspector import concerns, inspections
from inspector import lks as lks_rules
from inspector.auth import PUBLIC, ROLES, SIGNED_IN, access
from inspector.checklists import for_kind
from inspector.photos import process
from inspector.timefmt import utcnow
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector, make_app, seed_app
from tests.support.inspection_builders import approved_with_followup
from tests.support.photos import jpeg

EVERYONE = "everyone"  # PUBLIC: signed in or not
ANY_ROLE = frozenset(ROLES)  # SIGNED_IN: every role, never anonymous
# Declared PUBLIC, but a POST must carry the inspection's secret key (it is the inspection's CSRF token, and a save
# still lands after the sign-in expired); a signed-in account other than the inspection's inspector gets 403.
INSPECTION_KEY = "inspection key"

EXPECTED: dict[str, str | frozenset[str]] = {
    "public.index": EVERYONE,
    "app_shell.manifest": EVERYONE,
    "app_shell.icon": EVERYONE,
    "app_shell.service_worker": EVERYONE,
    "app_shell.offline": EVERYONE,
    "offline.prepare_list": frozenset({"inspector"}),
    "offline.blank_checklist": frozenset({"inspector"}),
    "offline.open_from_phone": frozenset({"inspector"}),
    "offline.conflict": frozenset({"inspector"}),
    "offline.resolve": INSPECTION_KEY,
    "public.lks": EVERYONE,
    "public.concern": EVERYONE,
    "public.concern_sent": EVERYONE,
    "account.login": EVERYONE,
    "account.logout": ANY_ROLE,
    "account.change_password": ANY_ROLE,
    "two_step.code": EVERYONE,
    "two_step.setup": ANY_ROLE,
    "inspect.index": frozenset({"inspector"}),
    "inspect.start": frozenset({"inspector"}),
    "inspect.report_lks": frozenset({"inspector"}),
    "inspection.start": frozenset({"inspector"}),
    "inspection.form": frozenset({"inspector"}),
    "inspection.save": INSPECTION_KEY,
    "inspection.upload_photo": INSPECTION_KEY,
    "inspection.summary": frozenset({"inspector", "reviewer", "admin"}),
    "inspection.submit": INSPECTION_KEY,
    "inspection.photo": frozenset({"inspector", "reviewer", "admin"}),
    "inspection.photo_delete": frozenset({"inspector"}),
    "inspection.discard": frozenset({"inspector"}),
    "inspection.mine": frozenset({"inspector"}),
    "review.index": frozenset({"reviewer"}),
    "review.show": frozenset({"reviewer"}),
    "review.decide": frozenset({"reviewer"}),
    "review.comment": frozenset({"reviewer", "inspector"}),
    "review.addendum": frozenset({"reviewer"}),
    "review.bulk_approve": frozenset({"reviewer"}),
    "review.followup_accept": frozenset({"reviewer"}),
    "review.concerns_list": frozenset({"reviewer"}),
    "review.concern_show": frozenset({"reviewer"}),
    "review.concern_handle": frozenset({"reviewer"}),
    "review.concern_flood_hide": frozenset({"reviewer"}),
    "oversight.dashboard": frozenset({"reviewer"}),
    "oversight.notifications": frozenset({"reviewer", "inspector", "admin"}),
    "oversight.mark_read": frozenset({"reviewer", "inspector", "admin"}),
    "oversight.webhooks": frozenset({"admin"}),
    "export.inspections_csv": frozenset({"reviewer"}),
    "export.report": frozenset({"reviewer"}),
    "export.bundle": frozenset({"reviewer"}),
    "operator.index": frozenset({"operator"}),
    "operator.inspection": frozenset({"operator"}),
    "operator.photo": frozenset({"operator"}),
    "operator.followup_add": frozenset({"operator"}),
    "operator.followup_photo": frozenset({"operator", "reviewer"}),
    "admin.index": frozenset({"admin"}),
    "admin.health": frozenset({"admin"}),
    "admin.lks_list": frozenset({"admin", "reviewer"}),
    "admin.lks_new": frozenset({"admin"}),
    "admin.lks_edit": frozenset({"admin"}),
    "admin.lks_status": frozenset({"admin"}),
    "admin.lks_import": frozenset({"admin"}),
    "admin.lks_qr": frozenset({"admin"}),
    "admin.lks_poster_png": frozenset({"admin"}),
    "admin.lks_poster_pdf": frozenset({"admin"}),
    "admin.poster_batch": frozenset({"admin"}),
    "admin.users": frozenset({"admin"}),
    "admin.user_new": frozenset({"admin"}),
    "admin.user_edit": frozenset({"admin"}),
    "admin.user_reset_password": frozenset({"admin"}),
    "admin.user_status": frozenset({"admin"}),
    "admin.user_reset_second_factor": frozenset({"admin"}),
    "admin.provisional": frozenset({"admin"}),
    "admin.provisional_confirm": frozenset({"admin"}),
    "admin.provisional_merge": frozenset({"admin"}),
    "admin.provisional_reject": frozenset({"admin"}),
    "admin.lks_front_photo": frozenset({"admin", "reviewer", "inspector"}),
    "audit.index": frozenset({"admin"}),
}

# Public pages that send a signed-in visitor on to their role's home instead of showing a page.
REDIRECT_WHEN_SIGNED_IN = {"public.index", "account.login", "two_step.code"}
# Public pages that send an anonymous visitor elsewhere: the code step without a password step under way.
REDIRECT_WHEN_ANONYMOUS = {"two_step.code": "/masuk"}
# Written out by hand rather than taken from inspector.auth.role_home, so a wrong mapping is caught.
HOME = {"admin": "/admin/", "reviewer": "/tinjau/", "inspector": "/inspeksi/", "operator": "/operator/"}
VISITORS = ["anonymous", *ROLE_USERS]

def routes(app):
    """Every rule of the app except Flask's own static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def allowed(endpoint: str, visitor: str) -> bool:
    who = EXPECTED[endpoint]
    return who in (EVERYONE, INSPECTION_KEY) or visitor in who


def data_files(app) -> dict[str, bytes]:
    """Every stored file (records, photos), to prove a refused request changed nothing."""
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def is_login_redirect(response, path: str) -> bool:
    if response.status_code not in (302, 303):
        return False
    location = urlsplit(response.headers["Location"])
    return (not location.scheme and not location.netloc and location.path == "/masuk"
            and parse_qs(location.query).get("next") == [path])


def populate(app) -> dict:
    """Real records behind every URL variable: the operator's own LKS (with a front photo), the
    operator's account, a draft inspection of that LKS by the inspector with one photo, and a concern from the public."""
    store = app.extensions["store"]
    operator = store.users.by_username(ROLE_USERS["operator"])
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    lks = store.lks.get(operator["lks_ids"][0])  # the operator's own LKS: refusals are about the role
    photo = process(jpeg((200, 120, 40)))
    front_id = store.photos.save(lks["id"], photo.jpeg, photo.thumb)
    store.lks.change(lks["id"], {"front_photo": {"id": front_id, "taken_at": None, "gps": None,
                                                 "sha256": photo.sha256}})
    checklist = for_kind(app.extensions["checklists"], lks["kind"])[0]
    inspection = inspections.start(store, checklist, lks, inspector)
    assert inspections.add_photo(store, inspection["id"], inspections.GENERAL, photo, "uji-akses", 60) is None
    photo_id = store.inspections.get(inspection["id"])["photos"][0]["id"]
    sent = inspections.start(store, checklist, lks, inspector)  # a sent inspection, for the reviewer's pages
    store.inspections.modify(sent["id"], lambda r: {
        **r, "status": "submitted", "submitted_at": utcnow(), "critical": False, "versions": [],
        "score": {"percent": 100.0, "failed": [], "critical_failed": [], "per_section": []}})

    concern, _ = concerns.create(store, lks, {"what": "Anak-anak sering terdengar menangis malam hari.",
                                              "when": "this_week", "contact": ""}, concerns.FormTokens(app.secret_key).issue(lks["id"]),
                                 flood_group="f" + "0" * 12)  # a suspected flood: one report is enough
    return {"code": lks["code"], "lks_id": lks["id"], "user_id": operator["id"], "inspection_id": inspection["id"],
            "photo_id": photo_id, "size": "kecil", "name": "192", "sent_id": sent["id"], "concern_id": concern["id"], "group": "f" + "0" * 12,
            "checklist_id": checklist.id, "version": checklist.version, **approved_with_followup(app, lks)}


def new_provisional(store) -> dict:
    """An LKS reported from the field, waiting for the admin."""
    base = {k: v for k, v in store.lks.all()[0].items() if k not in ("id", "created_at", "updated_at")}
    return store.lks.create(**{**base, "code": lks_rules.new_code(store.lks.codes()), "provisional": True,
                               "registered": False, "reported_by": "", "reported_at": utcnow()})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One seeded app shared by the checks that change nothing, with a signed-in client per role
    (and a second inspector, who is not the one who made the inspection)."""
    app = make_app(tmp_path_factory.mktemp("access"))
    seed_app(app)
    store = app.extensions["store"]
    values = populate(app)
    add_inspector(store)
    clients = {"anonymous": app.test_client(), "other inspector": client_as(app, "petugas2")}
    clients.update({role: client_as(app, username) for role, username in ROLE_USERS.items()})
    return SimpleNamespace(app=app, store=store, clients=clients, values=values)


def url_for_rule(rule, values: dict) -> str:
    if rule.endpoint.startswith(("review.", "export.")) and "sent_id" in values:  # reviewers see sent inspections, not drafts
        values = {**values, "inspection_id": values["sent_id"]}
    if rule.endpoint.startswith("operator.") or "followup_id" in rule.arguments:  # follow-ups: approved ones
        values = {**values, "inspection_id": values["approved_id"]}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: no test value for URL variables {sorted(missing)}; add one to populate()"
    _, path = rule.build(values, append_unknown=False)
    return path


def test_expected_table_covers_every_endpoint(site):
    endpoints = {rule.endpoint for rule in routes(site.app)}
    assert endpoints == set(EXPECTED), (
        f"routes without an EXPECTED entry: {sorted(endpoints - set(EXPECTED))}; "
        f"EXPECTED entries without a route: {sorted(set(EXPECTED) - endpoints)}")
    for endpoint, who in EXPECTED.items():
        assert who in (EVERYONE, INSPECTION_KEY) or (who and who <= ANY_ROLE), (endpoint, who)


def undeclared(app) -> list[str]:
    """Endpoints whose view has no valid ``access`` declaration."""
    bad = []
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        who = getattr(view, "access", None)
        if not isinstance(who, frozenset) or not who or not who <= set(ROLES) | {PUBLIC, SIGNED_IN}:
            bad.append(endpoint)
    return sorted(bad)


def test_every_view_declares_access(site):
    assert len(site.app.view_functions) > 1
    assert undeclared(site.app) == []


def test_declarations_match_expected_table(site):
    """The declared rule reads the same as the EXPECTED table (a clearer failure than a status mismatch)."""
    for rule in routes(site.app):
        who = site.app.view_functions[rule.endpoint].access
        declared = EVERYONE if PUBLIC in who else (ANY_ROLE if SIGNED_IN in who else frozenset(who))
        expected = EXPECTED[rule.endpoint]
        assert declared == (EVERYONE if expected == INSPECTION_KEY else expected), rule.endpoint


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_for_every_visitor(site, visitor):
    """GET: allowed -> 200 (or on to the role's home), anonymous -> sign-in page, wrong role -> 403.
    POST where the visitor is not allowed (or without the inspection key): refused, and no stored file changes."""
    client = site.clients[visitor]
    checked, problems = 0, []
    for rule in routes(site.app):
        endpoint = rule.endpoint
        path = url_for_rule(rule, site.values)
        may = allowed(endpoint, visitor)
        for method in ("GET", "POST"):
            if method not in rule.methods or (method == "POST" and may and EXPECTED[endpoint] != INSPECTION_KEY):
                continue  # allowed POSTs change data: see test_allowed_post_only_routes_are_not_refused
            before = data_files(site.app) if method == "POST" else None
            response = client.open(path, method=method)
            checked += 1
            got = f"{method} {path} as {visitor}: {response.status_code} {response.headers.get('Location', '')}"
            if method == "POST" and EXPECTED[endpoint] == INSPECTION_KEY:
                if response.status_code != 400:
                    problems.append(f"{got} (expected 400: no inspection key)")
            elif may and endpoint in REDIRECT_WHEN_SIGNED_IN and visitor != "anonymous":
                if (response.status_code, response.headers.get("Location")) != (302, HOME[visitor]):
                    problems.append(f"{got} (expected 302 to {HOME[visitor]})")
            elif may and endpoint in REDIRECT_WHEN_ANONYMOUS and visitor == "anonymous":
                target = REDIRECT_WHEN_ANONYMOUS[endpoint]
                if (response.status_code, response.headers.get("Location")) != (302, target):
                    problems.append(f"{got} (expected 302 to {target})")
            elif may:
                if response.status_code != 200:
                    problems.append(f"{got} (expected 200)")
            elif visitor == "anonymous":
                if not is_login_redirect(response, path) or response.status_code != 302:
                    problems.append(f"{got} (expected 302 to /masuk?next={path})")
            elif response.status_code != 403 or "Akses ditolak" not in response.get_data(as_text=True):
                problems.append(f"{got} (expected 403 Akses ditolak)")
            if before is not None and data_files(site.app) != before:
                problems.append(f"{got} changed stored data")
    assert checked > 0
    assert not problems, "\n".join(problems)


def test_signed_in_sessions_still_valid_after_table(site):
    """The refused requests above did not sign anyone out (so they were refused for their role)."""
    for role, home in HOME.items():
        assert site.clients[role].get(home).status_code == 200, role


def test_another_inspectors_inspection_is_not_found(site):
    """Inspectors share a role, not their inspections: another inspector's inspection answers 404, and stays as it was."""
    inspection = site.values["inspection_id"]
    photo = site.values["photo_id"]
    client = site.clients["other inspector"]
    before = data_files(site.app)
    for method, path in (("GET", f"/kunjungan/{inspection}"), ("GET", f"/kunjungan/{inspection}/ringkasan"),
                         ("GET", f"/kunjungan/{inspection}/foto/{photo}"), ("GET", f"/kunjungan/{inspection}/foto/{photo}/kecil"),
                         ("POST", f"/kunjungan/{inspection}/foto/{photo}/hapus")):
        assert client.open(path, method=method).status_code == 404, (method, path)
    assert data_files(site.app) == before
    assert site.clients["inspector"].get(f"/kunjungan/{inspection}/foto/{photo}").status_code == 200


def test_inspection_posts_with_the_key_still_need_the_inspections_inspector(site):
    """The inspection key alone does not let another signed-in account save or send the inspection."""
    inspection = site.values["inspection_id"]
    key = site.store.inspections.get(inspection)["inspection_key"]
    before = data_files(site.app)
    for visitor in ("other inspector", "admin", "reviewer", "operator"):
        for path in (f"/kunjungan/{inspection}", f"/kunjungan/{inspection}/kirim"):
            response = site.clients[visitor].post(path, data={"inspection_key": key, "action": "ringkasan"})
            assert response.status_code == 403, (visitor, path, response.status_code)
    assert data_files(site.app) == before
    assert site.store.inspections.get(inspection)["status"] == "draft"
    # Signed out with the right key: the draft is kept and the inspector is sent to sign in again.
    response = site.clients["anonymous"].post(f"/kunjungan/{inspection}", data={"inspection_key": key})
    assert response.status_code == 303
    assert is_login_redirect(response, f"/kunjungan/{inspection}")


def test_qr_image_is_served_to_the_admin(site):
    response = site.clients["admin"].get(f"/admin/lks/{site.values['lks_id']}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")


def test_inspector_gets_start_page_from_qr_others_public_facts(site):
    code = site.values["code"]
    pages = {}
    for visitor, path in (("inspector", f"/l/{code}"), ("anonymous", f"/l/{code}"),
                          ("inspector", f"/inspeksi/lks/{code}")):
        response = site.clients[visitor].get(path)
        assert response.status_code == 200, (visitor, path)
        # each rendering carries its own one-time start token: the rest of the page is the same
        # (and its CSRF token is signed with the second it was made in, which may differ on a loaded machine)
        page = re.sub(r'name="start_token" value="[^"]+"', 'name="start_token" value=""', response.get_data(as_text=True))
        pages[visitor, path] = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)
    assert pages["inspector", f"/l/{code}"] != pages["anonymous", f"/l/{code}"]
    assert pages["inspector", f"/l/{code}"] == pages["inspector", f"/inspeksi/lks/{code}"]


def test_allowed_post_only_routes_are_not_refused(app, store):
    """Each role may use the POST-only routes EXPECTED grants it (on a fresh app: these change data)."""
    post_only = [rule for rule in routes(app) if "GET" not in rule.methods and EXPECTED[rule.endpoint] != INSPECTION_KEY]
    assert post_only
    values = populate(app)
    tried = 0
    for role in ("operator", "inspector", "reviewer", "admin"):  # admin last: it disables the operator
        client = client_as(app, ROLE_USERS[role])
        # Signing out goes last, or the later requests would be anonymous.
        for rule in sorted(post_only, key=lambda r: r.endpoint == "account.logout"):
            if not allowed(rule.endpoint, role):
                continue
            # A fresh LKS from the field for each: confirming, merging or rejecting one ends its provisional state.
            path = url_for_rule(rule, {**values, "lks_id": new_provisional(store)["id"]})
            response = client.post(path)
            tried += 1
            assert response.status_code != 403, (role, path)
            assert not is_login_redirect(response, path), (role, path)
            assert response.status_code in (200, 302, 303, 400), (role, path, response.status_code)
    assert tried >= 4


def test_view_without_access_declaration_is_refused(tmp_path):
    app = make_app(tmp_path)
    seed_app(app)
    calls = []
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/undeclared", methods=["GET", "POST"])
    def undeclared_view():
        calls.append("undeclared")
        return "isi rahasia"

    @probe.route("/probe/declared")
    @access(PUBLIC)
    def declared_view():
        calls.append("declared")
        return "isi umum"

    app.register_blueprint(probe)
    assert undeclared(app) == ["probe.undeclared_view"]

    anonymous = app.test_client()
    admin = client_as(app, ROLE_USERS["admin"])
    for client in (anonymous, admin):
        for method in ("GET", "POST"):
            response = client.open("/probe/undeclared", method=method)
            assert response.status_code == 403, (method, response.status_code)  # not a sign-in redirect
            assert "isi rahasia" not in response.get_data(as_text=True)
    assert calls == []
    assert anonymous.get("/probe/declared").get_data(as_text=True) == "isi umum"
    assert calls == ["declared"]


@pytest.mark.parametrize("who", [(), ("superuser",), ("admin", "root")])
def test_access_rejects_bad_declarations(who):
    with pytest.raises(ValueError):
        access(*who)
