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
   option, every text field, file parts in multipart);
4. meanwhile kills the server with SIGKILL ``--kills`` times at random
   moments while requests are in flight, and restarts it on the same folder.
   A client that meets a refused or reset connection, or a 5xx, waits a
   little and repeats the very same request (same body, same inspection key,
   same photo bytes), as a person pressing reload would;
5. stops the server and checks the folder: every inspection whose sending was
   acknowledged (the summary said "Terkirim") is stored, submitted, with the
   answers sent and every acknowledged photo (full size and thumbnail open in
   Pillow); no inspection is stored as sent twice; every data file parses; the
   store loads (users, register, every inspection, the inspectors' indexes,
   the review queue's pending index) and the audit trail verifies.

It prints the figures (``--json``: one JSON object) and exits 1 when a sent
inspection or photo was lost, an inspection was stored twice, the store does not load,
or a client met an answer no browser should get. Run from the repository root:

    .venv/bin/python bench/soak.py                                # 20 inspectors x 3 inspections, 5 kills
    .venv/bin/python bench/soak.py --inspectors 4 --inspections 1 --kills 2 --json

Only 127.0.0.1 is contacted; nothing outside the data folder is written
(``--dir`` keeps it for a look afterwards; it must be empty or new).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout, installed or not
    sys.path.insert(0, str(REPO))
PASSWORD = "soak-sandi-uji-2026"
REQUEST_TIMEOUT_SECONDS = 60  # one attempt; a killed server answers at once (refused or reset)
RETRY_BUDGET_SECONDS = 90  # how long a client keeps repeating one request before it gives up
READY_TIMEOUT_SECONDS = 60


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, port: int) -> dict:
    """The environment of a production start, on this data folder: no INSPECTOR_* setting leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTOR_")}
    env.update(INSPECTOR_DATA_DIR=str(data_dir), INSPECTOR_BASE_URL=f"http://127.0.0.1:{port}", INSPECTOR_FSYNC="1",
               PYTHONUNBUFFERED="1")
    return env


class Server:
    """``waitress-serve wsgi:app`` as a child process that can be killed and started again."""

    def __init__(self, data_dir: Path, log_path: Path, port: int):
        self.data_dir, self.log_path, self.port = data_dir, log_path, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{self.port}", "--threads=8", "wsgi:app"],
                cwd=REPO, env=server_env(self.data_dir, self.port), stdout=log, stderr=subprocess.STDOUT,
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


def prepare(data_dir: Path, inspectors: int) -> list[str]:
    """Demo data as the README makes it, and ``inspectors`` more inspector accounts; their usernames."""
    env = server_env(data_dir, 8000)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "demo", "seed"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from inspector import accounts
    from inspector.passwords import hash_password
    from inspector.store import Store

    store = Store(data_dir)
    password_hash = hash_password(PASSWORD)
    usernames = []
    for n in range(1, inspectors + 1):
        username = f"petugas-soak-{n:02d}"
        _, errors = accounts.create(store, {"username": username, "password": PASSWORD, "role": "inspector",
                                            "name": f"Petugas Uji {n}", "agency": "Satpol PP", "lks_ids": []},
                                    password_hash=password_hash)
        if errors:
            raise RuntimeError(f"account {username}: {errors}")
        usernames.append(username)
    return usernames


def lksa_codes(data_dir: Path) -> list[str]:
    from inspector.store import Store

    return sorted(r["code"] for r in Store(data_dir).lks.all() if r["kind"] == "lksa" and r.get("active"))


# --------------------------------------------------------------------------
# A browser, as far as forms go
# --------------------------------------------------------------------------


@dataclass
class Control:
    tag: str
    type: str
    name: str | None
    value: str = ""
    checked: bool = False
    disabled: bool = False
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.name == name]

    def set(self, name: str, value: str) -> None:
        """Type into a text field, a date field or a text area."""
        found = [c for c in self.named(name) if c.type not in ("radio", "checkbox", "file", "submit", "hidden")]
        if len(found) != 1:
            raise KeyError(f"no text field {name!r}")
        found[0].value = value

    def choose(self, name: str, value: str) -> None:
        radios = [c for c in self.named(name) if c.type == "radio"]
        if value not in {c.value for c in radios}:
            raise KeyError(f"no option {value!r} of {name!r}")
        for radio in radios:
            radio.checked = radio.value == value

    def tick(self, name: str, values: list[str]) -> None:
        boxes = [c for c in self.named(name) if c.type == "checkbox"]
        if not set(values) <= {c.value for c in boxes}:
            raise KeyError(f"no options {values!r} of {name!r}")
        for box in boxes:
            box.checked = box.value in values

    def attach(self, name: str, files: list[tuple[str, bytes]]) -> None:
        found = [c for c in self.named(name) if c.type == "file"]
        if len(found) != 1:
            raise KeyError(f"no file field {name!r}")
        found[0].files = list(files)

    def entries(self, submitter: tuple[str, str] | None = None) -> list[tuple[str, str | tuple[str, bytes]]]:
        """The form data set a browser builds, in document order (HTML's "constructing the entry list")."""
        out: list[tuple[str, str | tuple[str, bytes]]] = []
        for c in self.controls:
            if not c.name or c.disabled:
                continue
            if c.type in ("submit", "button", "reset", "image"):
                if c.type == "submit" and submitter == (c.name, c.value):
                    out.append((c.name, c.value))
            elif c.type in ("radio", "checkbox"):
                if c.checked:
                    out.append((c.name, c.value))
            elif c.type == "file":
                for item in c.files or [("", b"")]:  # a browser sends an empty part when no file is chosen
                    out.append((c.name, item))
            else:
                out.append((c.name, c.value))
        if submitter and not any(c.type == "submit" and (c.name, c.value) == submitter for c in self.controls):
            raise KeyError(f"no button {submitter!r}")
        return out

    def encode(self, submitter: tuple[str, str] | None = None) -> tuple[bytes, str]:
        entries = self.entries(submitter)
        if self.enctype != "multipart/form-data":
            if any(not isinstance(v, str) for _, v in entries):
                raise ValueError("files in a form that is not multipart")
            return urllib.parse.urlencode(entries).encode(), "application/x-www-form-urlencoded"
        boundary = "----soak" + hashlib.sha256(repr(entries).encode()).hexdigest()[:24]
        body = io.BytesIO()
        for name, value in entries:
            body.write(f"--{boundary}\r\n".encode())
            if isinstance(value, str):
                body.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
                body.write(value.encode("utf-8"))
            else:
                filename, data = value
                kind = "image/jpeg" if data else "application/octet-stream"
                body.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                           f"Content-Type: {kind}\r\n\r\n".encode())
                body.write(data)
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        return body.getvalue(), f"multipart/form-data; boundary={boundary}"


class FormParser(HTMLParser):
    """Every form of a page with its controls and their current values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(a.get("action") or "", (a.get("method") or "get").lower(),
                              (a.get("enctype") or "application/x-www-form-urlencoded").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            default = "on" if kind in ("radio", "checkbox") else ""
            self._form.controls.append(Control("input", kind, a.get("name"), a.get("value") or default,
                                               "checked" in a, "disabled" in a))
        elif tag == "button":
            self._form.controls.append(Control("button", (a.get("type") or "submit").lower(), a.get("name"),
                                               a.get("value") or "", disabled="disabled" in a))
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name"), "", disabled="disabled" in a)
            self._form.controls.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            if self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]  # HTML drops a newline right after <textarea>
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_of(page: "Answer") -> list[Form]:
    """The page's forms, each action resolved against the page's address as a browser does."""
    parser = FormParser()
    parser.feed(page.body)
    parser.close()
    for form in parser.forms:
        form.action = urllib.parse.urlsplit(urllib.parse.urljoin(page.url, form.action)).path
    return parser.forms


def form_posting_to(page: "Answer", pattern: str) -> Form:
    found = [f for f in forms_of(page) if f.method == "post" and re.search(pattern, f.action)]
    if len(found) != 1:
        raise Unexpected(f"{len(found)} forms posting to {pattern!r} on the page")
    return found[0]


class Unexpected(Exception):
    """An answer a browser should never get (a bug in the app or in this script)."""


class GaveUp(Exception):
    """One request kept failing for longer than the retry budget."""


class Abandoned(Exception):
    """The person put the phone away: no further request is made."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the caller follows redirects itself, to know which request an answer belongs to


@dataclass
class Answer:
    url: str
    status: int
    location: str
    body: str


class Stats:
    """Counters shared by the clients and the killer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.posts_in_flight = 0
        self.requests = 0
        self.retries = 0
        self.retried_posts = 0

    def begin(self, method: str) -> None:
        with self.lock:
            self.in_flight += 1
            self.posts_in_flight += method == "POST"
            self.requests += 1

    def end(self, method: str) -> None:
        with self.lock:
            self.in_flight -= 1
            self.posts_in_flight -= method == "POST"

    def retried(self, method: str) -> None:
        with self.lock:
            self.retries += 1
            self.retried_posts += method == "POST"


class Browser:
    """One phone: its cookies, and requests repeated after a refused or reset connection or a 5xx."""

    def __init__(self, base_url: str, stats: Stats, rng: random.Random, abandon: threading.Event | None = None):
        self.base_url, self.stats, self.rng, self.abandon = base_url, stats, rng, abandon
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> Answer:
        url = urllib.parse.urljoin(self.base_url, path)
        headers = {"Content-Type": content_type} if content_type else {}
        started = time.monotonic()
        while True:
            if self.abandon is not None and self.abandon.is_set():
                raise Abandoned
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            self.stats.begin(method)
            try:
                try:
                    with self.opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                        answer = Answer(url, response.status, "", response.read().decode("utf-8", "replace"))
                except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
                    with error:
                        answer = Answer(url, error.code, error.headers.get("Location", ""),
                                        error.read().decode("utf-8", "replace"))
            except (OSError, http.client.HTTPException) as error:  # refused, reset, cut short, timed out
                answer = None
                why = type(error).__name__
            finally:
                self.stats.end(method)
            if answer is not None and answer.status < 500:
                return answer
            if answer is not None:
                why = f"HTTP {answer.status}"
            if time.monotonic() - started > RETRY_BUDGET_SECONDS:
                raise GaveUp(f"{method} {path}: still failing after {RETRY_BUDGET_SECONDS} s ({why})")
            self.stats.retried(method)
            time.sleep(self.rng.uniform(0.2, 0.6))

    def get(self, path: str, expect: int = 200) -> Answer:
        answer = self.request("GET", path)
        if answer.status != expect:
            raise Unexpected(f"GET {path}: {answer.status}, wanted {expect}")
        return answer

    def submit(self, form: Form, submitter: tuple[str, str] | None = None, expect: str = "") -> Answer:
        """Post a form as a browser does; it must redirect (303/302) to a path matching ``expect``."""
        body, kind = form.encode(submitter)
        answer = self.request("POST", form.action, body, kind)
        path = urllib.parse.urlsplit(answer.location).path
        if answer.status not in (302, 303) or not re.search(expect, path):
            snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.body))[:300]
            raise Unexpected(f"POST {form.action}: {answer.status} -> {answer.location!r}, wanted a redirect "
                             f"to {expect!r}; page says: {snippet}")
        return answer


# --------------------------------------------------------------------------
# An inspector
# --------------------------------------------------------------------------


def checklist_items() -> list[dict]:
    with open(REPO / "forms" / "lksa.toml", "rb") as handle:
        definition = tomllib.load(handle)
    return [{**item, "section": n} for n, section in enumerate(definition["sections"]) for item in section["items"]]


def photo(rng: random.Random) -> bytes:
    """A small, real JPEG, different every time."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(150), rng.randrange(110)
        draw.rectangle((x, y, x + rng.randrange(5, 60), y + rng.randrange(5, 40)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def upload_key(item_id: str, data: bytes) -> str:
    """The key the server gives an upload (inspector.web.inspection._receive_photos): a repeat is stored once."""
    return hashlib.sha256(item_id.encode() + b"\0" + data).hexdigest()


def plan(items: list[dict], rng: random.Random, marker: str) -> tuple[dict, dict]:
    """What one inspection answers ({item id: value as stored}) and photographs ({item id or '': count})."""
    answers, photos = {}, {"": rng.randint(0, 2)}
    for item in items:
        kind, item_id = item["type"], item["id"]
        if kind == "photo":
            if item.get("required") or rng.random() < 0.2:
                photos[item_id] = 1
            continue
        if not item.get("required") and rng.random() < 0.4:
            continue
        if kind == "yes_no":
            fail = item.get("fail_answer", "tidak")
            value = rng.choices([fail, "tb", "ya" if fail == "tidak" else "tidak"], [1, 1, 8])[0]
            failed = value == fail
        elif kind == "choice":
            value = rng.choice([o["value"] for o in item["options"]])
            failed = value in item.get("fail_values", [])
        elif kind == "multi":
            options = [o["value"] for o in item["options"]]
            value = sorted(rng.sample(options, rng.randint(1, 3)), key=options.index)
            failed = bool(set(value) & set(item.get("fail_values", [])))
        elif kind in ("text", "longtext"):
            value, failed = f"Isian uji {rng.randrange(10 ** 6)}", False
        elif kind == "number":
            value, failed = rng.randint(int(item.get("min", 0)), int(min(item.get("max", 100), 60))), False
        elif kind == "date":
            value, failed = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", False
        else:
            raise ValueError(f"unknown item type {kind}")
        answers[item_id] = value
        if failed and item.get("photo_on_fail"):
            photos[item_id] = 1
    answers["catatan_umum"] = marker  # finds this inspection among the stored ones
    return answers, photos


def fill(form: Form, items: list[dict], answers: dict) -> None:
    for item in items:
        if item["id"] not in answers:
            continue
        value = answers[item["id"]]
        if item["type"] in ("yes_no", "choice"):
            form.choose(item["id"], value)
        elif item["type"] == "multi":
            form.tick(item["id"], value)
        else:
            form.set(item["id"], str(value))


@dataclass
class Inspection:
    inspector: str
    marker: str
    lks_code: str
    inspection_id: str = ""
    answers: dict = field(default_factory=dict)
    photos_acknowledged: dict = field(default_factory=dict)  # upload key -> item id, once the save was answered
    sent: bool = False  # Kirim was posted
    acknowledged: bool = False  # the summary then said it was sent
    error: str = ""


def inspect(username: str, inspections: int, codes: list[str], items: list[dict], base_url: str, stats: Stats,
            rng: random.Random, keep_going, ledger: list[Inspection], ledger_lock: threading.Lock,
            run_id: str, abandon: threading.Event | None = None) -> None:
    """One inspector's session: sign in, then ``inspections`` inspections, as long as ``keep_going()`` says so.

    ``abandon``, once set, stops the session between two requests, leaving an inspection unfinished.
    """
    browser = Browser(base_url, stats, rng, abandon)
    try:
        login = form_posting_to(browser.get("/masuk"), r"/masuk")
        login.set("username", username)
        login.set("password", PASSWORD)
        browser.submit(login, expect=r"^/")
    except Abandoned:
        return
    except (Unexpected, GaveUp, KeyError) as error:
        with ledger_lock:
            ledger.append(Inspection(username, f"{username} masuk", "", error=f"{type(error).__name__}: {error}"))
        return
    first_section = {i["id"] for i in items if i["section"] == 0}
    for number in range(1, inspections + 1):
        if not keep_going():
            return
        inspection = Inspection(username, f"Uji ketahanan {run_id} {username} kunjungan {number}", rng.choice(codes))
        with ledger_lock:
            ledger.append(inspection)
        try:
            answers, photo_plan = plan(items, rng, inspection.marker)
            inspection.answers = answers
            # The poster's page, then "Mulai inspeksi"
            start = form_posting_to(browser.get(f"/l/{inspection.lks_code}"), r"/mulai$")
            answer = browser.submit(start, expect=r"^/kunjungan/[^/]+$")
            inspection.inspection_id = urllib.parse.urlsplit(answer.location).path.rsplit("/", 1)[1]
            form_path = f"/kunjungan/{inspection.inspection_id}"
            # First part: the first section, the marker, the front photo; "Simpan draf"
            form = form_posting_to(browser.get(form_path), re.escape(form_path) + "$")
            fill(form, items, {k: v for k, v in answers.items() if k in first_section or k == "catatan_umum"})
            uploads = _photos_for(form, {k: v for k, v in photo_plan.items() if k in first_section}, rng)
            browser.submit(form, ("action", "simpan"), expect=re.escape(form_path) + "$")
            inspection.photos_acknowledged.update(uploads)
            # The rest, after opening the form again (it shows what was saved); "Lanjut ke ringkasan"
            form = form_posting_to(browser.get(form_path), re.escape(form_path) + "$")
            fill(form, items, answers)
            uploads = _photos_for(form, {k: v for k, v in photo_plan.items() if k not in first_section}, rng)
            browser.submit(form, ("action", "ringkasan"), expect=re.escape(form_path) + "/ringkasan$")
            inspection.photos_acknowledged.update(uploads)
            # The summary, then "Kirim"
            page = browser.get(form_path + "/ringkasan")
            if "Belum lengkap" in page.body:
                raise Unexpected(f"{form_path}: the summary says the inspection is incomplete")
            send = form_posting_to(page, re.escape(form_path) + "/kirim$")
            inspection.sent = True
            browser.submit(send, expect=re.escape(form_path) + "/ringkasan$")
            if "Terkirim" not in browser.get(form_path + "/ringkasan").body:
                raise Unexpected(f"{form_path}: after Kirim the summary does not say it was sent")
            inspection.acknowledged = True
        except Abandoned:
            return
        except (Unexpected, GaveUp, KeyError) as error:
            inspection.error = f"{type(error).__name__}: {error}"


def _photos_for(form: Form, photo_plan: dict, rng: random.Random) -> dict:
    """Attach the planned photos to the form; {upload key: item id}."""
    keys = {}
    for item_id, count in photo_plan.items():
        files = [(f"IMG_{rng.randrange(10 ** 6):06d}.jpg", photo(rng)) for _ in range(count)]
        if files:
            form.attach(f"{item_id}__photos" if item_id else "photos_general", files)
            keys.update({upload_key(item_id, data): item_id for _, data in files})
    return keys


# --------------------------------------------------------------------------
# The killer
# --------------------------------------------------------------------------


def killer(server: Server, kills: int, gap: tuple[float, float], stats: Stats, rng: random.Random,
           done: threading.Event, record: list[dict], problems: list[str]) -> None:
    """SIGKILL the server at random moments while posts are in flight; start it again on the same folder."""
    try:
        for _ in range(kills):
            if done.wait(rng.uniform(*gap)):
                return
            waited = time.monotonic()
            while stats.posts_in_flight == 0 and time.monotonic() - waited < 3 and not done.is_set():
                time.sleep(0.002)
            if done.is_set():
                return
            in_flight, posts = stats.in_flight, stats.posts_in_flight
            server.kill()
            record.append({"at": time.monotonic(), "in_flight": in_flight, "posts_in_flight": posts})
            time.sleep(rng.uniform(0.1, 1.0))  # down for a moment: clients meet refused connections
            server.start()
    except Exception as error:  # noqa: BLE001 - reported, and the run fails
        problems.append(f"killer: {type(error).__name__}: {error}")


# --------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------


def check(data_dir: Path, ledger: list[Inspection], usernames: list[str], run_id: str) -> dict:
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
    stored = sum(any(r["status"] == "submitted" for r in group) for group in by_marker.values())
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
                if record["status"] != "submitted":
                    why.append(f"status {record['status']}, not submitted")
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
        notes.append(f"{unaudited} sent inspection(s) without a 'submitted' audit entry (a sending cut short after its "
                     f"state was written; the repeated Kirim found it sent and logged nothing)")
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
    usernames = prepare(data_dir, args.inspectors)
    codes = lksa_codes(data_dir)
    items = checklist_items()
    server = Server(data_dir, workdir / "server.log", free_port())
    stats = Stats()
    ledger: list[Inspection] = []
    ledger_lock = threading.Lock()
    kills: list[dict] = []
    problems: list[str] = []
    done = threading.Event()
    try:
        server.start()
        load_began = time.monotonic()
        deadline = load_began + args.seconds
        clients = [threading.Thread(target=inspect, name=name, daemon=True, args=(
            name, args.inspections, codes, items, server.url, stats, random.Random(rng.random()),
            lambda: time.monotonic() < deadline, ledger,
            ledger_lock, run_id)) for name in usernames]
        kill_thread = threading.Thread(target=killer, daemon=True, args=(
            server, args.kills, args.kill_gap, stats, random.Random(rng.random()), done, kills, problems))
        for thread in clients:
            thread.start()
        kill_thread.start()
        for thread in clients:
            thread.join(max(0.0, deadline + RETRY_BUDGET_SECONDS - time.monotonic()))
        stuck = [t.name for t in clients if t.is_alive()]
        if stuck:
            problems.append(f"clients still running at the time limit: {', '.join(stuck)}")
        done.set()
        kill_thread.join(READY_TIMEOUT_SECONDS + 10)
        load_seconds = time.monotonic() - load_began
    finally:
        done.set()
        server.stop()
    try:
        result = check(data_dir, ledger, usernames, run_id)
    except Exception as error:  # noqa: BLE001 - the store does not load: that is the finding
        result = {"store_loaded": False, "problems": [f"the store does not load: {type(error).__name__}: {error}"],
                  "notes": [], "sent": sum(v.sent for v in ledger), "acknowledged": sum(v.acknowledged for v in ledger),
                  "stored": 0, "duplicates": 0, "lost": sum(v.acknowledged for v in ledger), "client_errors": 0,
                  "photos_acknowledged": 0, "photos_checked": 0, "audit_ok": False, "audit_entries": 0}
    result["problems"] = problems + result["problems"]
    result.update({
        "inspectors": args.inspectors, "inspections_per_inspector": args.inspections, "kills": len(kills),
        "kills_with_posts_in_flight": sum(k["posts_in_flight"] > 0 for k in kills),
        "kills_with_requests_in_flight": sum(k["in_flight"] > 0 for k in kills),
        "server_starts": server.starts, "requests": stats.requests, "retries": stats.retries,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inspectors", type=int, default=20, help="concurrent inspectors (threads); default 20")
    parser.add_argument("--inspections", type=int, default=3, help="inspections each inspector makes; default 3")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the server during the run; default 5")
    parser.add_argument("--seconds", type=float, default=120,
                        help="no inspection starts after this many seconds of load; default 120")
    parser.add_argument("--kill-gap", type=_gap, default=(0.5, 3.0), metavar="MIN,MAX",
                        help="seconds from a restart to the next kill, drawn between MIN and MAX; default 0.5,3")
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
