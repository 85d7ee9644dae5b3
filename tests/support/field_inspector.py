"""A simulated inspector in the field, over HTTP as a phone's browser: sign in, open an LKS's poster page, start
an inspection, save a first part of the LKSA checklist with the front photo, save the rest with more photos,
send it and read the summary; every form parsed from the page and posted as a browser posts it.

``FieldRun`` holds what the inspectors of one run share (the server, the password, the LKS codes, the counters)
and the ledger of every inspection tried, which says what the server acknowledged.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.field_client import Abandoned, Browser, GaveUp, Stats
from tests.support.html_forms import Form, Unexpected, form_posting_to
from tests.support.photos import random_jpeg

FORMS = Path(__file__).resolve().parents[2] / "forms"


def checklist_items() -> list[dict]:
    """The items of the repository's LKSA checklist, each with the number of its section."""
    with open(FORMS / "lksa.toml", "rb") as handle:
        definition = tomllib.load(handle)
    return [{**item, "section": n} for n, section in enumerate(definition["sections"]) for item in section["items"]]



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
    """Answer the form as a thumb would: choose, tick or type each planned answer."""
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
    """One inspection as its inspector saw it: what was sent, and what the server acknowledged."""
    inspector: str
    marker: str
    lks_code: str
    inspection_id: str = ""
    answers: dict = field(default_factory=dict)
    photos_acknowledged: dict = field(default_factory=dict)  # upload key -> item id, once the save was answered
    sent: bool = False  # Kirim was posted
    acknowledged: bool = False  # the summary then said it was sent
    error: str = ""


@dataclass
class FieldRun:
    """What the inspectors of one run share, and the ledger of every inspection they tried."""
    base_url: str
    password: str
    codes: list[str]
    items: list[dict]
    run_id: str
    stats: Stats = field(default_factory=Stats)
    ledger: list[Inspection] = field(default_factory=list)
    ledger_lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, inspection: Inspection) -> Inspection:
        with self.ledger_lock:
            self.ledger.append(inspection)
        return inspection

    def acknowledged(self) -> list[Inspection]:
        with self.ledger_lock:
            return [v for v in self.ledger if v.acknowledged]


def inspect(run: FieldRun, username: str, inspections: int, rng: random.Random, keep_going,
            abandon: threading.Event | None = None) -> None:
    """One inspector's session: sign in, then ``inspections`` inspections, as long as ``keep_going()`` says so.

    ``abandon``, once set, stops the session between two requests, leaving an inspection unfinished.
    """
    items = run.items
    browser = Browser(run.base_url, run.stats, rng, abandon)
    try:
        login = form_posting_to(browser.get("/masuk"), r"/masuk")
        login.set("username", username)
        login.set("password", run.password)
        browser.submit(login, expect=r"^/")
    except Abandoned:
        return
    except (Unexpected, GaveUp, KeyError) as error:
        run.add(Inspection(username, f"{username} masuk", "", error=f"{type(error).__name__}: {error}"))
        return
    first_section = {i["id"] for i in items if i["section"] == 0}
    for number in range(1, inspections + 1):
        if not keep_going():
            return
        inspection = run.add(Inspection(username, f"Uji ketahanan {run.run_id} {username} kunjungan {number}",
                                        rng.choice(run.codes)))
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
        files = [(f"IMG_{rng.randrange(10 ** 6):06d}.jpg", random_jpeg(rng)) for _ in range(count)]
        if files:
            form.attach(f"{item_id}__photos" if item_id else "photos_general", files)
            keys.update({upload_key(item_id, data): item_id for _, data in files})
    return keys
