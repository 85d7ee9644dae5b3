"""The announcement side of the soak (``bench/soak.py``): a webhook receiver, reviewers deciding over HTTP, and
the check that every sent and every decided inspection was announced once.

* ``Receiver``: an HTTP server on 127.0.0.1 taking every webhook POST (each answered 200), noting its
  ``X-Inspector-Delivery`` id and body;
* ``review``: one reviewer's session as a browser: sign in, read the queue, open an inspection, approve it
  (or, one time in five, reject it with a comment), over and over while the inspectors work, until the
  queue is empty after they finished; a decision the other reviewer made first is counted, not an error;
* ``check``: after the outbox drained, for every sent inspection: exactly one "submitted" audit entry and
  one ``inspection.created`` webhook delivery; for every critical one, one critical alert for every active
  reviewer and one ``inspection.critical`` delivery; for every decided one, one audit entry of its state and
  one ``review.decided`` delivery. *Unannounced* counts a sent critical inspection missing its audit entry,
  alert or webhook; *duplicated* counts a second audit entry, alert or delivery (another delivery id) of one
  announcement. A repeat of one delivery id (a retry after a kill, which a receiver drops by that id) is
  reported apart, as ``webhook_repeats``.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import urllib.parse
from pathlib import Path

import pyotp

from tests.support.field_client import Abandoned, Browser, GaveUp, Stats
from tests.support.html_forms import Unexpected, form_posting_to

_ID = re.compile(r'href="/tinjau/(l[0-9a-f]{12}-\d{6}-[0-9a-f]{12})"')


class Receiver:
    """Webhooks received: (delivery id, event, inspection id, status), in arrival order."""

    def __init__(self):
        self.hits: list[tuple[str, str, str, str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.loads(body or b"{}")
                with receiver.lock:
                    receiver.hits.append((self.headers.get("X-Inspector-Delivery", ""), payload.get("event", ""),
                                          payload.get("inspection_id") or "", payload.get("status") or ""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Decisions:
    """What the reviewers did: decisions made, and decisions the other reviewer had made first."""

    def __init__(self):
        self.made: Counter = Counter()
        self.lost_races = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()

# The soak's reviewers' second factor (a throw-away data folder's accounts, like their password).
SECOND_FACTOR_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def review(base_url: str, username: str, password: str, stats: Stats, rng: random.Random, inspectors_done,
           decisions: Decisions, deadline: float) -> None:
    """One reviewer deciding what waits, as fast as the pages answer, until the inspectors are done and the
    queue is empty (or ``deadline``, a monotonic time, passes)."""
    browser = Browser(base_url, stats, rng)
    try:
        login = form_posting_to(browser.get("/masuk"), r"/masuk")
        login.set("username", username)
        login.set("password", password)
        answer = browser.submit(login, expect=r"^/")
        if urllib.parse.urlsplit(answer.location).path == "/masuk/kode":  # a reviewer's second step
            step = form_posting_to(browser.get("/masuk/kode"), r"/masuk/kode")
            step.set("code", pyotp.TOTP(SECOND_FACTOR_SECRET).now())
            browser.submit(step, expect=r"^/")
        while time.monotonic() < deadline:
            done = inspectors_done()
            waiting = list(dict.fromkeys(_ID.findall(browser.get("/tinjau/").body)))
            if not waiting:
                if done:
                    return
                time.sleep(0.2)
                continue
            rng.shuffle(waiting)
            for inspection_id in waiting[:5]:
                _decide(browser, inspection_id, rng, decisions)
    except (Abandoned, GaveUp, Unexpected, KeyError) as error:
        with decisions.lock:
            decisions.errors.append(f"{username}: {type(error).__name__}: {error}")


def _decide(browser: Browser, inspection_id: str, rng: random.Random, decisions: Decisions) -> None:
    page = browser.get(f"/tinjau/{inspection_id}")
    try:
        form = form_posting_to(page, rf"/tinjau/{inspection_id}/keputusan$")
    except Unexpected:  # decided meanwhile: the page offers no decision
        with decisions.lock:
            decisions.lost_races += 1
        return
    action = "reject" if rng.random() < 0.2 else "approve"
    if action == "reject":
        form.set("komentar", "Uji ketahanan: ditolak untuk uji.")
    try:
        browser.submit(form, ("keputusan", action), expect=r"^/tinjau/$")
    except Unexpected as error:
        if "sudah diputuskan" not in str(error):
            raise
        with decisions.lock:
            decisions.lost_races += 1  # the other reviewer decided between the page and the post
        return
    with decisions.lock:
        decisions.made[action] += 1


def drain(data_dir: Path, seconds: float) -> int:
    """Wait (at most ``seconds``) for the servers' outbox threads to deliver everything; what is still pending."""
    from inspector.store import Store

    store = Store(data_dir)
    deadline = time.monotonic() + seconds
    while True:
        pending = len(store.outbox.pending())
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(0.5)


def check(data_dir: Path, soak_user_ids: set[str], hits: list[tuple[str, str, str, str]]) -> dict:
    """The announcements of every sent inspection of the soak's inspectors (see the module's docstring)."""
    from inspector.store import Store

    store = Store(data_dir)
    sent = [r for r in store.inspections.every() if r["inspector_id"] in soak_user_ids and r.get("versions")]
    reviewers = [u["id"] for u in store.users.all() if u.get("role") == "reviewer" and u.get("active")]
    audit = Counter((e["action"], e["target_id"]) for e in store.audit.entries(limit=None))
    deliveries: dict[tuple[str, str], set[str]] = {}
    for delivery_id, event, inspection_id, _ in hits:
        deliveries.setdefault((event, inspection_id), set()).add(delivery_id)
    alerts: Counter = Counter()
    for user_id in reviewers:
        for alert in store.notifications.for_user(user_id):
            if alert.get("kind") == "critical":
                alerts[(user_id, alert["inspection_id"])] += 1

    problems, unannounced, duplicated = [], 0, 0
    for record in sent:
        sid, sends = record["id"], len(record["versions"])
        wanted = [(audit[("submitted", sid)] + audit[("resubmitted", sid)], sends, "audit entry of the send"),
                  (len(deliveries.get(("inspection.created", sid), ())), sends, "inspection.created webhook")]
        if record.get("critical"):
            wanted += [(len(deliveries.get(("inspection.critical", sid), ())), sends, "inspection.critical webhook")]
            wanted += [(alerts[(user_id, sid)], 1, "critical alert of a reviewer") for user_id in reviewers]
        if record["status"] in ("approved", "rejected"):
            wanted += [(audit[(record["status"], sid)], 1, f"audit entry '{record['status']}'"),
                       (len(deliveries.get(("review.decided", sid), ())), 1, "review.decided webhook")]
        missing = [what for got, need, what in wanted if got < need]
        duplicated += sum(got - need for got, need, _ in wanted if got > need)
        if missing:
            problems.append(f"{sid} ({record['status']}{', critical' if record.get('critical') else ''}): "
                            f"no {', no '.join(missing)}")
            unannounced += bool(record.get("critical"))
    if duplicated:
        problems.append(f"{duplicated} announcement(s) stored or delivered twice")
    repeats = len(hits) - len({h[0] for h in hits})
    return {"announced_checked": len(sent), "critical_sent": sum(bool(r.get("critical")) for r in sent),
            "decided": sum(r["status"] in ("approved", "rejected") for r in sent), "unannounced": unannounced,
            "announcements_duplicated": duplicated, "announcement_problems": problems, "webhooks_received": len(hits),
            "webhook_repeats": repeats, "outbox_failed": len(store.outbox.failed())}
