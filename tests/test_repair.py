"""Every damage case, in one table: what a reviewer, an inspector and an admin see (status and the Indonesian
text), and what `flask store repair` recovers with and without a backup: damaged files moved aside and never
deleted, every index rebuilt, what is not recovered named by record id, exit 0 only when everything is back."""

from __future__ import annotations

import pytest

from inspector import health, outbox
from inspector.store import audit as audit_store
from inspector.store import engine
from inspector.store.backup import create as create_backup
from tests.support.auth import client_as, login
from tests.support.damage import cut_in_half, emptied, garbled, torn_last_line, unreadable_last_line
from tests.support.inspection_builders import inspection_in, sent_inspection

UNREADABLE = "Data tidak dapat dibaca"
PART = "Sebagian data tidak dapat dibaca: "
TOLD = "Admin sudah diberi tahu."
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")


class Site:
    """Three LKS; a: sent at the first (the operator's), b: sent at the second, c: approved at the first; a
    backup taken after all of them; every role signed in before the damage."""

    def __init__(self, app, tmp_path):
        self.app, self.store = app, app.extensions["store"]
        self.lks = self.store.lks.all()
        self.a = sent_inspection(app, self.lks[0])
        self.b = sent_inspection(app, self.lks[1])
        self.c = inspection_in(app, self.lks[0], status="approved")
        self.clients = {role: client_as(app, role) for role in ("reviewer", "inspector", "admin", "operator")}
        self.backup = tmp_path / "backup.tar.gz"
        create_backup(self.store.root, self.backup, signer=app.extensions["signer"])
        created = self.a["created_at"]
        self.month = f"{MONTHS[int(created[5:7]) - 1]} {created[:4]}"
        self.year = created[:4]

    def file(self, target: str):
        root, a = self.store.root, self.a
        return {
            "inspections partition": root / "inspections" / a["lks_id"] / f"{a['created_at'][:4]}{a['created_at'][5:7]}.json",
            "pending index": root / "index" / "pending.json",
            "month index": next((root / "index" / "months").glob("*.json")),
            "inspector index": root / "index" / "inspectors" / a["inspector_id"] / f"{self.year}.json",
            "register": root / "lks.json",
            "users": root / "users.json",
            "audit": sorted((root / "audit").glob("*.jsonl"))[-1],
        }[target]

    def text(self, template: str) -> str:
        return template.format(lks0=self.lks[0]["name"], month=self.month, year=self.year, a=self.a["id"],
                               b=self.b["id"])


@pytest.fixture
def site(app, tmp_path):
    return Site(app, tmp_path)


PARTITION_SEEN = PART + "{lks0}, {month}. " + TOLD
# target -> [(role, url, status, text the page must hold or None)]; "anonymous" posts the sign-in form.
SEEN = {
    "inspections partition": [
        ("reviewer", "/tinjau/", 200, PARTITION_SEEN), ("reviewer", "/tinjau/pantauan", 200, PARTITION_SEEN),
        ("reviewer", "/tinjau/{a}", 503, UNREADABLE), ("reviewer", "/tinjau/{b}", 200, None),
        ("inspector", "/inspeksi/kunjungan", 200, PARTITION_SEEN), ("operator", "/operator/", 200, PARTITION_SEEN),
        ("admin", "/admin/data", 200, "Data rusak"), ("anonymous", "/masuk", 302, None)],
    "pending index": [
        ("reviewer", "/tinjau/", 200, PART + "daftar pengajuan yang menunggu tinjauan"),
        ("reviewer", "/tinjau/pantauan", 200, PART + "daftar pengajuan yang menunggu tinjauan"),
        ("inspector", "/inspeksi/kunjungan", 200, None), ("admin", "/admin/data", 200, "Data rusak"),
        ("anonymous", "/masuk", 302, None)],
    "month index": [
        ("reviewer", "/tinjau/?status=", 200, PART + "ringkasan pengajuan {month}"),
        ("reviewer", "/tinjau/pantauan", 200, PART + "ringkasan pengajuan {month}"),
        ("reviewer", "/tinjau/", 200, None), ("inspector", "/inspeksi/kunjungan", 200, None),
        ("admin", "/admin/data", 200, "Data rusak"), ("anonymous", "/masuk", 302, None)],
    "inspector index": [
        ("reviewer", "/tinjau/", 200, None),
        ("inspector", "/inspeksi/kunjungan", 200, PART + "daftar inspeksi Anda tahun {year}"),
        ("inspector", "/inspeksi/", 200, PART + "daftar inspeksi Anda tahun {year}"),
        ("admin", "/admin/data", 200, "Data rusak"), ("anonymous", "/masuk", 302, None)],
    "register": [
        ("reviewer", "/tinjau/", 503, UNREADABLE), ("inspector", "/inspeksi/kunjungan", 503, UNREADABLE),
        ("admin", "/admin/lks", 503, UNREADABLE), ("admin", "/admin/data", 200, "Data rusak"),
        ("anonymous", "/masuk", 302, None)],
    "users": [
        ("reviewer", "/tinjau/", 503, UNREADABLE), ("inspector", "/inspeksi/kunjungan", 503, UNREADABLE),
        ("admin", "/admin/data", 503, UNREADABLE), ("anonymous", "/masuk", 503, UNREADABLE)],
}
FILE_DAMAGE = {"emptied": emptied, "cut in half": cut_in_half, "garbled": garbled}
CASES = [(target, damage) for target in SEEN for damage in FILE_DAMAGE]


def damage_file(site, target: str, damage) -> None:
    damage(site.file(target))
    engine._cache.clear()


def look(site, role: str, url: str):
    if role == "anonymous":
        return login(site.app.test_client(), "peninjau1")
    return site.clients[role].get(site.text(url))


@pytest.mark.parametrize("target, damage", CASES)
def test_each_damaged_file_shows_each_role_what_can_be_read_and_names_the_rest(site, target, damage):
    damage_file(site, target, FILE_DAMAGE[damage])
    for role, url, status, text in SEEN[target]:
        response = look(site, role, url)
        assert response.status_code == status, (role, url)
        if text:
            assert site.text(text) in response.get_data(as_text=True), (role, url)
    if target != "users":  # with the accounts unreadable, the alert has no admin to go to; it is logged
        assert [a["subject"] for a in health.open_alerts(site.store)] == [str(site.file(target))]


# target -> (recovered without a backup, the ids reported lost without one)
RECOVERY = {
    "inspections partition": (False, ("a", "c")), "pending index": (True, ()), "month index": (True, ()),
    "inspector index": (True, ()), "register": (False, ()), "users": (False, ()),
}


def repair(site, *args):
    return site.app.test_cli_runner().invoke(args=["store", "repair", *args])


@pytest.mark.parametrize("target, damage", CASES)
@pytest.mark.parametrize("with_backup", [False, True], ids=["without backup", "with backup"])
def test_store_repair_moves_the_damaged_file_aside_and_recovers_what_it_can(site, target, damage, with_backup):
    path = site.file(target)
    damage_file(site, target, FILE_DAMAGE[damage])
    damaged = path.read_bytes()
    result = repair(site, *(["--from-backup", str(site.backup)] if with_backup else []))
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    kept = list((site.store.root / "damaged").glob("*/" + path.relative_to(site.store.root).as_posix()))
    assert [p.read_bytes() for p in kept] == [damaged]  # moved aside whole, never deleted
    recovered, lost = RECOVERY[target]
    if with_backup or recovered:
        assert result.exit_code == 0, result.output
        assert "Everything recovered" in result.output
        engine._cache.clear()
        engine._parse(path.read_bytes(), path)  # readable again
        for role, url, status, text in SEEN[target]:
            if role != "anonymous":
                response = look(site, role, url)
                assert response.status_code == 200 and PART not in response.get_data(as_text=True), (role, url)
        assert health.open_alerts(site.store) == []  # the alert about the file is closed
    else:
        assert result.exit_code == 1, result.output
        assert "NOT everything recovered" in result.output
        assert not path.exists()
        for name in lost:
            assert getattr(site, name)["id"] in result.output
        assert site.b["id"] not in result.output


def test_a_partition_restored_from_a_backup_names_what_was_sent_after_the_backup(site):
    later = sent_inspection(site.app, site.lks[0])  # same LKS and month as a, after the backup
    damage_file(site, "inspections partition", emptied)
    result = repair(site, "--from-backup", str(site.backup))
    assert result.exit_code == 1
    assert "restored from the backup" in result.output
    assert f"NOT RECOVERED (1): {later['id']}" in result.output
    assert {r["id"] for r in site.store.review_index.pending_rows()} == {site.a["id"], site.b["id"]}


def test_a_backup_that_fails_its_manifest_check_restores_nothing(site, tmp_path):
    import gzip
    import io
    import tarfile

    edited = tmp_path / "edited.tar.gz"
    with gzip.open(site.backup) as source, tarfile.open(fileobj=source) as tar, \
            gzip.open(edited, "wb") as out, tarfile.open(fileobj=out, mode="w") as new:
        for info in tar.getmembers():
            data = tar.extractfile(info).read() if info.isreg() else None
            if data is not None and info.name.startswith("data/inspections/"):
                data = data.replace(b'"ya"', b'"tidak"', 1)
                info.size = len(data)
            new.addfile(info, io.BytesIO(data) if data is not None else None)
    damage_file(site, "inspections partition", emptied)
    result = repair(site, "--from-backup", str(edited))
    assert result.exit_code == 1
    assert "Backup not used" in result.output and "manifest check failed" in result.output
    assert not site.file("inspections partition").exists()


# A sign-in goes ahead either way: a torn line is cut off by the append itself (kept in .torn); behind an
# unreadable one the sign-in's entry waits in the outbox until the trail can be appended again.
AUDIT = {"torn last line": (torn_last_line, 0, 0), "unreadable last line": (unreadable_last_line, 1, 1)}


@pytest.mark.parametrize("case", sorted(AUDIT))
def test_a_damaged_last_audit_line_is_seen_and_repaired(site, case):
    damage, waiting, exit_code = AUDIT[case]
    path = site.file("audit")
    damage(path)
    audit_store._tips.clear()
    damaged = path.read_bytes()
    assert site.clients["reviewer"].get("/tinjau/").status_code == 200  # reading needs no append
    response = login(site.app.test_client(), "petugas1")  # a sign-in is audited (one step)
    assert response.status_code == 302
    assert [e["action"] for e in site.store.outbox.pending()] == ["sign_in"] * waiting
    # The delivery thread retries the waiting entry: stopped, so that it cannot append while the file is rewritten.
    assert outbox.stop_all()
    path.write_bytes(damaged)  # the repair meets the file as it was
    audit_store._tips.clear()
    result = repair(site)
    assert result.exit_code == exit_code, result.output
    if case == "unreadable last line":
        assert "NOT RECOVERED (1): audit entry" in result.output
    kept = list((site.store.root / "damaged").glob("*/audit/" + path.name))
    assert [p.read_bytes() for p in kept] == [damaged]
    assert site.store.audit.verify()[0]
    assert login(site.app.test_client(), "petugas1").status_code == 302


def test_a_repair_of_an_undamaged_folder_changes_nothing_and_exits_0(site):
    result = repair(site)
    assert result.exit_code == 0 and "No damaged file found" in result.output
    assert not (site.store.root / "damaged").exists()


def test_index_rebuild_is_the_repair_and_rebuilds_the_inspectors_own_indexes(site):
    path = site.file("inspector index")
    path.unlink()
    engine._cache.clear()
    assert site.store.inspections.for_inspector(site.a["inspector_id"]) == []
    result = site.app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert {r["id"] for r in site.store.inspections.for_inspector(site.a["inspector_id"])} == {
        site.a["id"], site.b["id"], site.c["id"]}


def test_a_damaged_older_month_leaves_the_review_page_and_the_start_page_working_with_a_warning(app):
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    older = inspection_in(app, lks, status="approved", when="2026-10-05T03:00:00+00:00")
    record = sent_inspection(app, lks)
    assert older["id"].split("-")[1] != record["id"].split("-")[1]  # two months, two partitions
    emptied(store.root / "inspections" / lks["id"] / "202610.json")
    engine._cache.clear()
    warning = f"{PART}{lks['name']}, Oktober 2026. {TOLD}"
    review_page = client_as(app, "reviewer").get(f"/tinjau/{record['id']}")
    assert review_page.status_code == 200 and warning in review_page.get_data(as_text=True)
    start_page = client_as(app, "inspector").get(f"/inspeksi/lks/{lks['code']}")
    assert start_page.status_code == 200 and warning in start_page.get_data(as_text=True)
    assert client_as(app, "reviewer").get(f"/tinjau/{older['id']}").status_code == 503
