"""Soak test: inspectors fill and send LKSA inspections over HTTP while the server is killed (SIGKILL) and restarted.

What it does, in order:

1. makes a fresh data folder (temporary unless ``--dir``) the way the README
   does: ``flask --app wsgi demo seed``, then adds ``--inspectors`` accounts
   through the account rules (one password hash for all of them);
2. serves ``wsgi:app`` with waitress on 127.0.0.1 (a free port, 8 threads,
   fsync on as in production) in a child process;
3. runs one thread per inspector, each acting as a phone's browser: sign in,
   open an LKS's poster page ``/l/<code>``, start an inspection, save a first part of
   the LKSA checklist with the front photo ("Simpan draf"), open the form
   again and save the rest with more photos ("Lanjut ke ringkasan"), then
   send it ("Kirim") and read the summary. Every form is parsed from the
   page and posted as a browser posts it (every hidden input, every checked
   option, every text field, file parts in multipart). The simulated inspector
   lives in ``tests/support/`` (field_inspector, field_client, html_forms),
   which the tests use too;
4. meanwhile kills the server with SIGKILL ``--kills`` times at random
   moments while posts are in flight, and restarts it on the same folder;
   or, with ``--kill-at``, at chosen points (``after:N``: once the Nth POST
   was answered, its client held until the kill; ``during:N``: while the Nth
   POST body to reach the server is held half sent), so a run kills as often
   as planned whatever the machine's speed. A client that meets a refused or
   reset connection, or a 5xx, waits a little and repeats the very same
   request (same body, same inspection key, same photo bytes), as a person
   pressing reload would;
5. with ``--servers 2``, two server processes serve the same data folder (the inspectors take turns between
   them; kills hit the first), and with ``--reviewers N``, N reviewers decide over HTTP, each on one of the
   servers, while the inspectors send (``bench/soak_announce.py``); every server posts its webhooks to a
   receiver in this process;
6. waits for the servers' outbox to drain, stops the servers and checks the folder: every inspection whose sending was
   acknowledged (the summary said "Terkirim") is stored, submitted, with the
   answers sent and every acknowledged photo (full size and thumbnail open in
   Pillow); no inspection is stored as sent twice; every data file parses; the
   store loads (users, register, every inspection, the inspectors' indexes,
   the review queue's pending index) and the audit trail verifies; and every sent inspection was announced
   once: its audit entry and webhook, for a critical one every reviewer's alert and its webhook, for a decided
   one the decision's audit entry and webhook (0 unannounced, 0 duplicated).

It prints the figures (``--json``: one JSON object) and exits 1 when a sent
inspection or photo was lost, an inspection was stored twice, the store does not load,
or a client met an answer no browser should get. Run from the repository root:

    .venv/bin/python bench/soak.py                                # 20 inspectors x 3 inspections, 5 kills
    .venv/bin/python bench/soak.py --inspectors 4 --inspections 1 --kills 2 --json
    .venv/bin/python bench/soak.py --inspectors 4 --inspections 2 --kill-at after:4,during:20 --json
    .venv/bin/python bench/soak.py --servers 2 --reviewers 2 --kills 0         # two processes, two reviewers

Only 127.0.0.1 is contacted; nothing outside the data folder is written
(``--dir`` keeps it for a look afterwards; it must be empty or new).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout, installed or not
    sys.path.insert(0, str(REPO))

from bench import soak_announce  # noqa: E402
from tests.support.field_client import RETRY_BUDGET_SECONDS, KillPoint, Stats  # noqa: E402
from tests.support.field_inspector import FieldRun, Inspection, checklist_items, inspect  # noqa: E402

PASSWORD = "soak-sandi-uji-2026"
READY_TIMEOUT_SECONDS = 60
DRAIN_SECONDS = 240  # a lease of a killed server's delivery ends after 60 s; then another server takes it


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, port: int, webhook_url: str = "") -> dict:
    """The environment of a production start, on this data folder: no INSPECTOR_* setting leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTOR_")}
    env.update(INSPECTOR_DATA_DIR=str(data_dir), INSPECTOR_BASE_URL=f"http://127.0.0.1:{port}", INSPECTOR_FSYNC="1",
               INSPECTOR_WEBHOOK_URLS=webhook_url, INSPECTOR_SEND_BACKOFF_SECONDS="0.5", PYTHONUNBUFFERED="1")
    return env


class Server:
    """``waitress-serve wsgi:app`` as a child process that can be killed and started again."""

    def __init__(self, data_dir: Path, log_path: Path, port: int, webhook_url: str = ""):
        self.data_dir, self.log_path, self.port, self.webhook_url = data_dir, log_path, port, webhook_url
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{self.port}", "--threads=8", "wsgi:app"],
                cwd=REPO, env=server_env(self.data_dir, self.port, self.webhook_url), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        self.starts += 1
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/masuk", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server did not answer within {READY_TIMEOUT_SECONDS} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed; as a power cut is for the process."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def prepare(data_dir: Path, inspectors: int, reviewers: int = 0) -> tuple[list[str], list[str]]:
    """Demo data as the README makes it, and ``inspectors`` more inspector accounts and ``reviewers`` reviewer
    accounts; their usernames."""
    env = server_env(data_dir, 8000)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "seed"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from inspector import accounts, second_factor
    from inspector.passwords import hash_password
    from inspector.store import Store

    store = Store(data_dir)
    password_hash = hash_password(PASSWORD)
    made: dict[str, list[str]] = {"inspector": [], "reviewer": []}
    for role, count, prefix, agency in (("inspector", inspectors, "petugas", "Satpol PP"),
                                        ("reviewer", reviewers, "peninjau", "Dinas Sosial")):
        for n in range(1, count + 1):
            username = f"{prefix}-soak-{n:02d}"
            _, errors = accounts.create(store, {"username": username, "password": PASSWORD, "role": role,
                                                "name": f"Uji {prefix} {n}", "agency": agency, "lks_ids": []},
                                        password_hash=password_hash)
            if errors:
                raise RuntimeError(f"account {username}: {errors}")
            if role == "reviewer":  # reviewers sign in with a second factor
                second_factor.activate(store, store.users.by_username(username)["id"],
                                       soak_announce.SECOND_FACTOR_SECRET)
            made[role].append(username)
    return made["inspector"], made["reviewer"]


def lksa_codes(data_dir: Path) -> list[str]:
    from inspector.store import Store

    return sorted(r["code"] for r in Store(data_dir).lks.all() if r["kind"] == "lksa" and r.get("active"))


# --------------------------------------------------------------------------
# The killer
# --------------------------------------------------------------------------


def random_killer(server: Server, kills: int, gap: tuple[float, float], stats: Stats, rng: random.Random,
                  done: threading.Event, record: list[dict], problems: list[str]) -> None:
    """SIGKILL the server at random moments while posts are in flight; start it again on the same folder."""
    try:
        for _ in range(kills):
            if done.wait(rng.uniform(*gap)):
                return
            stats.wait_for(lambda: stats.posts_in_flight > 0, timeout=3)
            if done.is_set():
                return
            kill_and_restart(server, stats, rng, record)
    except Exception as error:  # noqa: BLE001 - reported, and the run fails
        problems.append(f"killer: {type(error).__name__}: {error}")


def point_killer(server: Server, points: list[KillPoint], stats: Stats, rng: random.Random, record: list[dict],
                 problems: list[str]) -> None:
    """SIGKILL the server at each kill point as a client reaches it (whichever comes first), then let that
    client go on and start the server again on the same folder."""
    remaining = list(points)
    try:
        while remaining:
            if not stats.wait_for(lambda: any(stats.reached(p) for p in remaining)):
                return  # the clients are done: a point not reached is reported by the run
            point = next(p for p in remaining if stats.reached(p))
            remaining.remove(point)
            kill_and_restart(server, stats, rng, record, point)
    except Exception as error:  # noqa: BLE001 - reported, and the run fails
        problems.append(f"killer: {type(error).__name__}: {error}")


def kill_and_restart(server: Server, stats: Stats, rng: random.Random, record: list[dict],
                     point: KillPoint | None = None) -> None:
    """One kill, noted with what was in flight; the client held at ``point`` goes on; the server starts again."""
    with stats.changed:
        in_flight, posts = stats.in_flight, stats.posts_in_flight
    server.kill()
    record.append({"at": time.monotonic(), "in_flight": in_flight, "posts_in_flight": posts,
                   "point": str(point or "")})
    if point is not None:
        stats.release(point)
    time.sleep(rng.uniform(0.1, 1.0))  # down for a moment: clients meet refused connections
    server.start()


# --------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------


def check(data_dir: Path, ledger: list[Inspection], usernames: list[str], run_id: str,
          decided_ok: bool = False) -> dict:
    """Read the whole data folder after the server stopped; the figures and every problem found."""
    from PIL import Image

    problems: list[str] = []
    notes: list[str] = []
    # Before the store is opened (opening it sweeps old temporaries): what killed writers left behind.
    temporaries = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob(".*.tmp"))
    half_written = []
    for path in data_dir.rglob("*"):
        rel = path.relative_to(data_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        try:
            if path.suffix == ".json":
                json.loads(path.read_bytes())
            elif path.suffix == ".jpg":
                with Image.open(path) as image:
                    image.load()
        except Exception as error:  # noqa: BLE001 - any failure to read is the finding
            half_written.append(f"{rel}: {type(error).__name__}: {error}")
    problems += [f"unreadable file {h}" for h in half_written]

    from inspector.store import Store

    store = Store(data_dir)
    users = {u["username"]: u for u in store.users.all()}
    store.lks.all()
    records = list(store.inspections.every())
    by_id = {r["id"]: r for r in records}
    soak_ids = {users[name]["id"]: name for name in usernames}
    mine = [r for r in records if r["inspector_id"] in soak_ids]

    def marker_of(record):
        return (record.get("answers", {}).get("catatan_umum") or {}).get("value") or ""

    by_marker: dict[str, list[dict]] = {}
    for record in mine:
        by_marker.setdefault(marker_of(record), []).append(record)
    unmarked_drafts = [r for r in by_marker.pop("", []) if r["status"] == "draft"]
    duplicates = sum(max(0, sum(r["status"] != "draft" for r in group) - 1) for group in by_marker.values())
    duplicate_drafts = sum(max(0, len(group) - 1) for group in by_marker.values()) - duplicates
    sent_states = ("submitted", "approved", "rejected") if decided_ok else ("submitted",)
    stored = sum(any(r["status"] in sent_states for r in group) for group in by_marker.values())
    if duplicates:
        problems.append(f"{duplicates} inspection(s) stored as sent more than once")

    # Every acknowledged inspection and photo, as sent
    lost, photos_checked = 0, 0
    for inspection in ledger:
        if not inspection.inspection_id or not (inspection.acknowledged or inspection.photos_acknowledged):
            continue
        record = by_id.get(inspection.inspection_id)
        why = []
        if record is None:
            why.append("missing")
        else:
            if marker_of(record) != inspection.marker:
                why.append("its answers are not the ones saved")
            if inspection.acknowledged:
                if record["status"] not in sent_states:
                    why.append(f"status {record['status']}, not {' or '.join(sent_states)}")
                stored_answers = {k: (v or {}).get("value") for k, v in record["answers"].items()}
                if stored_answers != inspection.answers:
                    wrong = sorted(k for k in set(stored_answers) | set(inspection.answers)
                                   if stored_answers.get(k) != inspection.answers.get(k))
                    why.append(f"answers differ from those sent: {wrong[:5]}")
            keys = [p.get("upload_key") for p in record["photos"]]
            for key, item_id in inspection.photos_acknowledged.items():
                if keys.count(key) != 1:
                    why.append(f"photo of {item_id or 'general'} stored {keys.count(key)} times")
            for entry in record["photos"]:
                photos_checked += 1
                for thumb in (False, True):
                    data = store.photos.read(record["id"], entry["id"], thumb=thumb)
                    try:
                        with Image.open(io.BytesIO(data or b"")) as image:
                            image.load()
                    except Exception:  # noqa: BLE001
                        why.append(f"photo {entry['id']}{' thumbnail' if thumb else ''} unreadable")
            if inspection.acknowledged and record.get("versions"):
                if record["versions"][-1]["photo_ids"] != [p["id"] for p in record["photos"]]:
                    why.append("the sent version does not list its photos")
        if why:
            lost += 1
            problems.append(f"{inspection.marker} ({inspection.inspection_id}): {'; '.join(why)}")

    # The indexes: every inspection listed under its inspector; every waiting inspection in the review queue
    for user_id, name in soak_ids.items():
        listed = {r["id"] for r in store.inspections.for_inspector(user_id, limit=10 ** 6)}
        unlisted = {r["id"] for r in mine if r["inspector_id"] == user_id} - listed
        if unlisted:
            problems.append(f"{name}: {len(unlisted)} inspection(s) missing from the inspector's index")
    pending = {row["id"] for row in store.review_index.pending_rows()}
    waiting = {r["id"] for r in records if r["status"] == "submitted"}
    if waiting - pending:
        problems.append(f"{len(waiting - pending)} sent inspection(s) missing from the review queue's index")
    stale_rows = len(pending - waiting)  # a queue row written before a kill stopped the sending: confirmed, skipped
    month_rows = {row["id"] for m in store.review_index.months() for row in store.review_index.rows(m, m)}
    unsummarised = len(waiting - month_rows)

    referenced = {(r["id"], p["id"]) for r in records for p in r.get("photos", [])}
    on_disk = {(p.parent.name, p.name.split(".")[0]) for p in (data_dir / "photos").rglob("p*.jpg")} \
        if (data_dir / "photos").is_dir() else set()
    unreferenced = len(on_disk - referenced)
    if referenced - on_disk:
        problems.append(f"{len(referenced - on_disk)} photo(s) referenced by an inspection but not on disk")

    audit_ok, audit_problem, audit_entries = store.audit.verify()
    if not audit_ok:
        problems.append(f"audit trail: {audit_problem}")
    audited = {e["target_id"] for e in store.audit.entries(action="submitted", limit=None)}
    unaudited = sum(v.acknowledged and v.inspection_id not in audited for v in ledger)

    client_errors = [f"{v.marker}: {v.error}" for v in ledger if v.error]
    if temporaries:
        notes.append(f"{len(temporaries)} temporary file(s) of writes cut short by a kill, never read; "
                     f"the next start removes them once older than a minute")
    if unreferenced:
        notes.append(f"{unreferenced} photo file(s) written but not listed by their inspection "
                     f"(a kill between the two writes)")
    if stale_rows:
        notes.append(f"{stale_rows} review queue row(s) of a sending cut short by a kill (confirmed, then skipped)")
    if unsummarised:
        notes.append(f"{unsummarised} sent inspection(s) without their monthly summary row "
                     f"(a sending cut short after its state was written; 'flask index rebuild' adds it)")
    if unaudited:
        problems.append(f"{unaudited} sent inspection(s) without a 'submitted' audit entry")
    if unmarked_drafts:
        notes.append(f"{len(unmarked_drafts)} empty draft(s) from a 'Mulai inspeksi' repeated after its answer "
                     f"was lost")
    if duplicate_drafts:
        notes.append(f"{duplicate_drafts} extra draft(s) with the same answers as another inspection")
    return {
        "sent": sum(v.sent for v in ledger), "acknowledged": sum(v.acknowledged for v in ledger),
        "stored": stored, "duplicates": duplicates, "lost": lost, "client_errors": len(client_errors),
        "inspections_planned": len(ledger), "photos_acknowledged": sum(len(v.photos_acknowledged) for v in ledger),
        "photos_checked": photos_checked, "empty_drafts": len(unmarked_drafts), "duplicate_drafts": duplicate_drafts,
        "temporaries_left": len(temporaries), "unreferenced_photos": unreferenced, "stale_queue_rows": stale_rows,
        "unsummarised": unsummarised, "unaudited": unaudited, "audit_entries": audit_entries, "audit_ok": audit_ok,
        "store_loaded": True, "problems": problems + [f"client: {e}" for e in client_errors], "notes": notes,
    }


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def run(args) -> dict:
    rng = random.Random(args.seed)
    run_id = f"{args.seed}"
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="inspector-soak-"))
    if args.dir:
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):
            raise SystemExit(f"{workdir} is not empty; give a new or empty folder")
    data_dir = workdir / "data"
    began = time.monotonic()
    usernames, reviewer_names = prepare(data_dir, args.inspectors, args.reviewers)
    codes = lksa_codes(data_dir)
    items = checklist_items()
    receiver = soak_announce.Receiver()
    servers = [Server(data_dir, workdir / ("server.log" if n == 0 else f"server{n + 1}.log"), free_port(),
                      receiver.url) for n in range(args.servers)]
    server = servers[0]
    stats = Stats(args.kill_at)
    field_run = FieldRun(server.url, PASSWORD, codes, items, run_id, stats)
    runs = [field_run] + [FieldRun(other.url, PASSWORD, codes, items, run_id, stats, field_run.ledger,
                                   field_run.ledger_lock) for other in servers[1:]]
    ledger = field_run.ledger
    kills: list[dict] = []
    problems: list[str] = []
    done = threading.Event()
    decisions = soak_announce.Decisions()
    pending_left = 0
    try:
        for each in servers:
            each.start()
        load_began = time.monotonic()
        deadline = load_began + args.seconds
        clients = [threading.Thread(target=inspect, name=name, daemon=True, args=(
            runs[n % len(runs)], name, args.inspections, random.Random(rng.random()),
            lambda: time.monotonic() < deadline)) for n, name in enumerate(usernames)]
        inspectors_done = lambda: not any(t.is_alive() for t in clients)  # noqa: E731
        reviewers = [threading.Thread(target=soak_announce.review, name=name, daemon=True, args=(
            servers[n % len(servers)].url, name, PASSWORD, stats, random.Random(rng.random()), inspectors_done,
            decisions, deadline + RETRY_BUDGET_SECONDS)) for n, name in enumerate(reviewer_names)]
        kill_rng = random.Random(rng.random())
        if args.kill_at:
            kill_thread = threading.Thread(target=point_killer, daemon=True, args=(
                server, args.kill_at, stats, kill_rng, kills, problems))
        else:
            kill_thread = threading.Thread(target=random_killer, daemon=True, args=(
                server, args.kills, args.kill_gap, stats, kill_rng, done, kills, problems))
        for thread in clients + reviewers:
            thread.start()
        kill_thread.start()
        for thread in clients:
            thread.join(max(0.0, deadline + RETRY_BUDGET_SECONDS - time.monotonic()))
        stuck = [t.name for t in clients if t.is_alive()]
        if stuck:
            problems.append(f"clients still running at the time limit: {', '.join(stuck)}")
        done.set()
        stats.close()
        kill_thread.join(READY_TIMEOUT_SECONDS + 10)
        for thread in reviewers:
            thread.join(max(0.0, deadline + 2 * RETRY_BUDGET_SECONDS - time.monotonic()))
        load_seconds = time.monotonic() - load_began
        pending_left = soak_announce.drain(data_dir, DRAIN_SECONDS)  # the servers' outbox threads deliver
    finally:
        done.set()
        stats.close()
        for each in servers:
            each.stop()
        receiver.close()
    if pending_left:
        problems.append(f"{pending_left} outbox entries still pending {DRAIN_SECONDS} s after the load")
    problems += [f"reviewer: {e}" for e in decisions.errors]
    missed = [str(p) for p in args.kill_at if str(p) not in {k["point"] for k in kills}]
    try:
        result = check(data_dir, ledger, usernames, run_id, decided_ok=bool(reviewer_names))
        from inspector.store import Store

        soak_ids = {u["id"] for u in Store(data_dir).users.all() if u["username"] in set(usernames)}
        announced = soak_announce.check(data_dir, soak_ids, list(receiver.hits))
        result["problems"] += announced.pop("announcement_problems")
        result.update(announced)
    except Exception as error:  # noqa: BLE001 - the store does not load: that is the finding
        result = {"store_loaded": False, "problems": [f"the store does not load: {type(error).__name__}: {error}"],
                  "notes": [], "sent": sum(v.sent for v in ledger), "acknowledged": sum(v.acknowledged for v in ledger),
                  "stored": 0, "duplicates": 0, "lost": sum(v.acknowledged for v in ledger), "client_errors": 0,
                  "photos_acknowledged": 0, "photos_checked": 0, "audit_ok": False, "audit_entries": 0,
                  "unannounced": None, "announcements_duplicated": None}
    result["problems"] = problems + result["problems"]
    if missed:
        result["notes"].append(f"kill point(s) never reached (the run made fewer posts): {', '.join(missed)}")
    result.update({
        "inspectors": args.inspectors, "inspections_per_inspector": args.inspections, "kills": len(kills),
        "servers": args.servers, "reviewers": args.reviewers, "approved": decisions.made["approve"],
        "rejected": decisions.made["reject"], "decisions_lost_to_the_other_reviewer": decisions.lost_races,
        "outbox_pending_after_drain": pending_left,
        "kills_with_posts_in_flight": sum(k["posts_in_flight"] > 0 for k in kills),
        "kills_with_requests_in_flight": sum(k["in_flight"] > 0 for k in kills),
        "kill_points": [k["point"] for k in kills if k["point"]],
        "server_starts": sum(each.starts for each in servers), "requests": stats.requests, "retries": stats.retries,
        "retried_posts": stats.retried_posts, "load_seconds": round(load_seconds, 1),
        "elapsed_seconds": round(time.monotonic() - began, 1), "seed": args.seed, "data_dir": str(data_dir),
        "kept": bool(args.dir),
    })
    result["ok"] = not result["problems"] and result["acknowledged"] > 0
    if not args.dir:
        shutil.rmtree(workdir, ignore_errors=True)
    elif not result["ok"]:
        result["server_log"] = str(workdir / "server.log")
    return result


def _gap(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    gap = (float(low), float(high or low))
    if not 0 <= gap[0] <= gap[1]:
        raise argparse.ArgumentTypeError("MIN,MAX with 0 <= MIN <= MAX")
    return gap


def _points(text: str) -> list[KillPoint]:
    try:
        return [KillPoint.parse(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inspectors", type=int, default=20, help="concurrent inspectors (threads); default 20")
    parser.add_argument("--inspections", type=int, default=3, help="inspections each inspector makes; default 3")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the server during the run; default 5")
    parser.add_argument("--seconds", type=float, default=120,
                        help="no inspection starts after this many seconds of load; default 120")
    parser.add_argument("--kill-gap", type=_gap, default=(0.5, 3.0), metavar="MIN,MAX",
                        help="seconds from a restart to the next kill, drawn between MIN and MAX; default 0.5,3")
    parser.add_argument("--kill-at", type=_points, default=[], metavar="POINT,...",
                        help="kill at these points instead (--kills and --kill-gap then unused): after:N, once the "
                             "Nth POST was answered; during:N, while the Nth POST body sent is held half sent")
    parser.add_argument("--servers", type=int, default=1, choices=(1, 2),
                        help="server processes on the one data folder; default 1")
    parser.add_argument("--reviewers", type=int, default=0,
                        help="reviewers deciding over HTTP while the inspectors send; default 0")
    parser.add_argument("--dir", help="work in this new or empty folder and keep it (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(10 ** 6)
    if min(args.inspectors, args.inspections) < 1 or args.kills < 0:
        parser.error("--inspectors and --inspections must be at least 1, --kills at least 0")
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"Soak: {result['inspectors']} inspectors x {result['inspections_per_inspector']} inspections, "
              f"seed {result['seed']}")
        print(f"  sent {result['sent']}, acknowledged {result['acknowledged']}, stored {result['stored']}, "
              f"duplicates {result['duplicates']}, lost {result['lost']}")
        print(f"  photos acknowledged {result['photos_acknowledged']}, photos checked {result['photos_checked']}")
        print(f"  kills {result['kills']} ({result['kills_with_posts_in_flight']} with posts in flight), "
              f"server starts {result['server_starts']}, requests {result['requests']}, retries {result['retries']} "
              f"({result['retried_posts']} posts)")
        if result.get("unannounced") is not None:
            print(f"  servers {result['servers']}, reviewers {result['reviewers']}: approved {result['approved']}, "
                  f"rejected {result['rejected']} ({result['decisions_lost_to_the_other_reviewer']} lost to the other "
                  f"reviewer); critical sent {result['critical_sent']}: unannounced {result['unannounced']}, "
                  f"duplicated {result['announcements_duplicated']}; webhooks {result['webhooks_received']} "
                  f"({result['webhook_repeats']} repeats of one delivery id)")
        print(f"  audit trail {'OK' if result['audit_ok'] else 'BROKEN'} ({result['audit_entries']} entries); "
              f"load {result['load_seconds']} s, elapsed {result['elapsed_seconds']} s")
        for note in result["notes"]:
            print(f"  note: {note}")
        for problem in result["problems"]:
            print(f"  PROBLEM: {problem}")
        print("OK" if result["ok"] else "FAILED")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
