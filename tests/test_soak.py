"""Crash safety under load.

* System test: ``bench/soak.py`` in short, as a child process: inspectors sign in, fill and send LKSA inspections
  with photos over HTTP to the real server (waitress, fsync on), which is killed with SIGKILL at chosen points
  (right after the 6th answered post, and while the 20th post is held half sent) and started again; afterwards
  nothing acknowledged is lost and nothing is stored twice. The points are counted in posts, not seconds, so
  the run kills twice however fast the machine is.
* With two server processes on one data folder and two reviewers deciding while the inspectors send: every
  sent inspection announced exactly once (its audit entry, its webhooks; for a critical one every reviewer's
  alert; for a decided one the decision's audit entry and webhook), none lost or stored twice.
* The crash window it found: a kill after an inspection's state became "submitted" but before its monthly summary
  row was written; the repeated "Kirim" now adds the row.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from inspector import review, inspections
from inspector.checklists import build
from inspector.photos import process
from inspector.store import Store
from inspector.store.review_index import ReviewIndex
from tests.support.photos import jpeg

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "soak.py"


@pytest.mark.system
def test_acknowledged_inspections_survive_sigkills_of_the_server_and_none_stored_twice(tmp_path):
    work = tmp_path / "soak"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--inspectors", "4", "--inspections", "2", "--kill-at", "after:6,during:20",
         "--seconds", "200", "--seed", "2026", "--dir", str(work), "--json"],
        capture_output=True, text=True, timeout=420)  # bounds for a stuck run, not measurements
    lines = completed.stdout.strip().splitlines()
    assert lines, completed.stderr[-3000:]
    result = json.loads(lines[-1])
    log = (work / "server.log").read_text(errors="replace")[-3000:] if completed.returncode else ""
    assert completed.returncode == 0, (result["problems"], log)
    assert result["ok"] and result["store_loaded"] and result["audit_ok"]
    assert (result["lost"], result["duplicates"], result["client_errors"]) == (0, 0, 0)
    # Every inspection went through, and the server really died under it: posts were in flight at a kill
    # and clients had to repeat requests.
    assert result["acknowledged"] == result["stored"] == result["inspections_planned"] == 8
    assert result["photos_checked"] >= result["photos_acknowledged"] >= 8
    assert result["kills"] == 2 and result["server_starts"] == 3
    assert result["kills_with_posts_in_flight"] >= 1
    assert result["retries"] >= 1
    # Each kill came at its point; the post held half sent failed with the server and was repeated.
    assert sorted(result["kill_points"]) == ["after:6", "during:20"]
    assert result["retried_posts"] >= 1


@pytest.mark.system
def test_two_servers_on_one_folder_with_two_reviewers_deciding_announce_every_send_once(tmp_path):
    work = tmp_path / "soak"
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--servers", "2", "--reviewers", "2", "--inspectors", "4", "--inspections", "2",
         "--kills", "0", "--seconds", "200", "--seed", "2027", "--dir", str(work), "--json"],
        capture_output=True, text=True, timeout=600)  # bounds for a stuck run, not measurements
    lines = completed.stdout.strip().splitlines()
    assert lines, completed.stderr[-3000:]
    result = json.loads(lines[-1])
    assert completed.returncode == 0, result["problems"]
    assert (result["lost"], result["duplicates"], result["client_errors"]) == (0, 0, 0)
    assert (result["unannounced"], result["announcements_duplicated"], result["outbox_pending_after_drain"]) == (0, 0, 0)
    assert result["acknowledged"] == result["stored"] == result["announced_checked"] == 8
    assert result["servers"] == 2 and result["server_starts"] == 2
    assert result["approved"] + result["rejected"] == result["decided"] >= 1  # the reviewers really decided
    assert result["webhooks_received"] >= 8 + result["decided"]


# --------------------------------------------------------------------------
# A sending cut short between the state and the monthly summary
# --------------------------------------------------------------------------

SOURCE = {
    "id": "uji", "title": "Daftar uji", "version": 1, "kinds": ["lksa"],
    "sections": [{"id": "umum", "title": "Umum", "items": [
        {"id": "foto_depan", "question": "Foto depan", "type": "photo", "required": True},
        {"id": "izin", "question": "Ada izin?", "type": "yes_no", "required": True, "weight": 2},
    ]}],
}
LKS = {"id": "l0123456789ab", "code": "UJI01", "kind": "lksa"}
INSPECTOR = {"id": "u0123456789ab"}


class Killed(BaseException):
    """The process died here."""


def month_ids(store: Store) -> set[str]:
    return {row["id"] for month in store.review_index.months() for row in store.review_index.rows(month, month)}


def test_a_repeated_send_adds_the_summary_row_a_crash_left_out_and_never_replaces_one(tmp_path, monkeypatch):
    store = Store(tmp_path / "data")
    checklist, problems = build(copy.deepcopy(SOURCE), "uji.toml")
    assert checklist is not None, problems
    inspection = inspections.start(store, checklist, LKS, INSPECTOR)
    inspections.save_answers(store, inspection["id"], {"izin": {"value": "ya", "note": ""}})
    assert inspections.add_photo(store, inspection["id"], "foto_depan", process(jpeg()), "k1", 10) is None

    def die(self, row):
        raise Killed
    with monkeypatch.context() as patch:
        patch.setattr(ReviewIndex, "put", die)
        with pytest.raises(Killed):
            inspections.submit(store, checklist, inspection["id"])
    # The state was written, the summary row was not: the "all states" list misses the inspection.
    assert store.inspections.get(inspection["id"])["status"] == "submitted"
    assert inspection["id"] in {row["id"] for row in store.review_index.pending_rows()}
    assert month_ids(store) == set()
    assert [r["id"] for r in review.queue(store, "")] == []

    record, problems = inspections.submit(store, checklist, inspection["id"])  # the phone repeats "Kirim"
    assert problems == {} and record["status"] == "submitted"
    assert [(r["id"], r["status"]) for r in review.queue(store, "")] == [(inspection["id"], "submitted")]

    # A row already there is never replaced: it may hold a later state.
    (month,) = store.review_index.months()
    row = store.review_index.rows(month, month)[0]
    assert store.review_index.put_missing({**row, "status": "draft"}) is False
    assert store.review_index.rows(month, month) == [row]
