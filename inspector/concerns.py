"""Concerns from the public: the rules of a report, how often one client and one LKS may send, handling.

A report goes to Dinas Sosial's reviewers only: never to the LKS's operator,
never to inspectors. It holds what happened, when, and an optional contact;
no client address. Sending is limited per client (a keyed hash of its
address, kept in the throttle store) and per LKS, in fixed windows of an
hour, so that one phone cannot flood the reviewers and a flood aimed at one
LKS cannot bury the others.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import unicodedata

from . import announce, audit, events
from .lks import plain_text
from .store.records import Record
from .timefmt import utcnow

WHEN = {
    "now": "Sedang terjadi sekarang",
    "today": "Hari ini",
    "this_week": "Minggu ini",
    "earlier": "Lebih lama",
}
# The codes a form served before the codes were English posts: a report from an old page still arrives.
EARLIER_WHEN = {"sekarang": "now", "hari-ini": "today", "minggu-ini": "this_week", "lebih-lama": "earlier"}
WHAT_MIN, WHAT_MAX = 10, 2000
CONTACT_MAX = 120
NOTE_MAX = 500
PER_CLIENT_PER_HOUR = 3
PER_LKS_PER_HOUR = 10
WINDOW_SECONDS = 3600
LABELS = {"open": "Belum ditangani", "handled": "Sudah ditangani"}
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_form_token() -> str:
    """The one-time token a report form carries, so that a second tap on "Kirim" stores nothing more."""
    return secrets.token_hex(16)


def valid_form_token(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token or ""))


def multiline_text(raw) -> str:
    """Text of several lines as people type it: each line as ``plain_text`` cleans it, at most one empty line
    between paragraphs, none at either end."""
    lines = [plain_text(line) for line in str(raw or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _length(text: str) -> int:
    """Characters a person counts: combining marks and the like do not add to it."""
    return sum(1 for c in text if unicodedata.category(c)[0] != "M")


def clean(raw) -> tuple[dict, dict[str, str]]:
    """A report from form strings: (clean values, {field: Indonesian reason})."""
    errors: dict[str, str] = {}
    raw_what = str(raw.get("what") or "")
    what = multiline_text(raw_what[:WHAT_MAX * 4])
    if len(raw_what) > WHAT_MAX * 4:  # far over: refused as typed, not cut to fit
        errors["what"] = f"Terlalu panjang: maksimal {WHAT_MAX} karakter."
    elif not what:
        errors["what"] = "Ceritakan apa yang terjadi."
    elif _length(what) < WHAT_MIN:
        errors["what"] = f"Ceritakan sedikit lebih lengkap (minimal {WHAT_MIN} karakter)."
    elif len(what) > WHAT_MAX:
        errors["what"] = f"Terlalu panjang: maksimal {WHAT_MAX} karakter."
    when = str(raw.get("when") or "")
    when = EARLIER_WHEN.get(when, when)
    if when not in WHEN:
        errors["when"] = "Pilih kapan kejadiannya."
        when = ""
    raw_contact = str(raw.get("contact") or "")
    contact = plain_text(raw_contact[:CONTACT_MAX * 4])
    if len(contact) > CONTACT_MAX or len(raw_contact) > CONTACT_MAX * 4:
        errors["contact"] = f"Kontak terlalu panjang: maksimal {CONTACT_MAX} karakter."
    return {"what": what, "when": when, "contact": contact}, errors


def create(store, lks: dict, values: dict, form_token: str, config=None) -> tuple[Record, bool]:
    """Store a report about ``lks`` once per form: (the report, whether it is new).

    With ``config`` (the app's settings: a report from the page), a new report's audit entry
    ("concern_received", by an anonymous visitor) and its ``concern.created`` event are staged in the outbox
    in the same atomic write, then delivered (see ``announce``)."""
    def build(report):
        return [audit.entry(None, "concern_received", "concern", report["id"], anonymous=True, lks_id=lks["id"]),
                *events.entries(config, "concern.created", events.concern_facts_of(report, lks))]
    announced = announce.announcement(build) if config is not None else None
    record = {"id": store.concerns.new_id(), "lks_id": lks["id"], "created_at": utcnow(),
              "what": values["what"], "when": values["when"], "contact": values["contact"],
              "form_token": form_token, "status": "open", "handled_at": None, "handled_by": None,
              "handled_note": ""}
    stored, new = store.concerns.add_once(record, announced)
    if new:
        announce.deliver_now(store, config, announced)
    return stored, new


def handle(store, concern_id: str, user, raw_note) -> tuple[Record | None, str | None]:
    """Mark a report handled with a short note: (the report, None) or (None/the report, Indonesian reason)."""
    raw_note = str(raw_note or "")
    note = multiline_text(raw_note[:NOTE_MAX * 4])
    if len(note) > NOTE_MAX or len(raw_note) > NOTE_MAX * 4:
        return None, f"Catatan maksimal {NOTE_MAX} karakter."
    if not note:
        return None, "Tulis singkat apa yang sudah dilakukan."
    state = {}

    def change(record):
        if record["status"] != "open":
            state["already"] = True
            return None
        return {**record, "status": "handled", "handled_at": utcnow(), "handled_by": user.record["id"],
                "handled_note": note}

    record = store.concerns.modify(concern_id, change)
    if record is None:
        return store.concerns.get(concern_id), ("Laporan ini sudah ditangani." if state else "Laporan tidak ditemukan.")
    return record, None


class ConcernThrottle:
    """At most ``per_client`` reports an hour from one client, and ``per_lks`` about one LKS.

    Counts live in the throttle store under keys made with a keyed hash
    (HMAC with the app's secret): the client's address is never stored, and
    nobody can aim a count at a key by typing it elsewhere (the sign-in
    throttle shares the store). Each count runs in a fixed window that
    starts with its first report. Only stored reports count: a refused or
    invalid form writes nothing.
    """

    def __init__(self, store, secret: str, per_client: int = PER_CLIENT_PER_HOUR, per_lks: int = PER_LKS_PER_HOUR):
        self.store = store
        self.secret = secret.encode("utf-8")
        self.limits = (per_client, per_lks)

    def _key(self, kind: str, value: str) -> str:
        digest = hmac.new(self.secret, f"concern:{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
        return f"lapor:{kind}:{digest[:32]}"

    def _keys(self, client: str, lks_id: str) -> tuple[str, str]:
        return self._key("client", client), self._key("lks", lks_id)

    def refused(self, client: str, lks_id: str, now: float | None = None) -> str | None:
        """None while both counts are under their limits; else which is full: "client" or "lks"."""
        now = time.time() if now is None else now
        for kind, key, limit in zip(("client", "lks"), self._keys(client, lks_id), self.limits):
            state = self.store.throttle.get(key)
            if state["failures"] >= limit and now - state["last"] < WINDOW_SECONDS:
                return kind
        return None

    def count(self, client: str, lks_id: str, now: float | None = None) -> None:
        """One more report; ``last`` holds the start of the key's window."""
        now = time.time() if now is None else now
        for key in self._keys(client, lks_id):
            state = self.store.throttle.get(key)
            if state["failures"] and now - state["last"] >= WINDOW_SECONDS:
                self.store.throttle.clear(key)
                state = {"failures": 0}
            self.store.throttle.record_failure(key, now if not state["failures"] else state["last"])
