"""Concerns from the public: the rules of a report, the form's one-time token, how often one client may send,
floods aimed at one LKS, handling.

A report goes to Dinas Sosial's reviewers only: never to the LKS's operator,
never to inspectors. It holds what happened, when, and an optional contact;
no client address. Sending is limited per client (a keyed hash of its
address, kept in the throttle store) in fixed windows of an hour, so that one
phone cannot flood the reviewers. Reports about one LKS are never refused:
past ``per_lks`` in an hour they are stored marked as a suspected flood, in
one group per LKS and window, which a reviewer may hide in one action. So
nobody at an LKS can silence the reports about it by sending many.

The form carries a token the server issued and signed (``FormTokens``): bound
to its LKS, valid for a day, and used once (the report it brought is stored
with it; a second post of it stores nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import unicodedata

from itsdangerous import BadSignature, URLSafeTimedSerializer

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
FORM_TOKEN_SECONDS = 24 * 3600
LABELS = {"open": "Belum ditangani", "handled": "Sudah ditangani"}
BAD_TOKEN = ("Formulir ini tidak sah atau sudah kedaluwarsa, jadi laporan belum terkirim. Isian Anda masih ada "
             "di bawah: periksa lalu tekan \u201cKirim laporan\u201d sekali lagi.")
_GROUP = re.compile(r"^f[0-9a-f]{12}$")


class FormTokens:
    """One-time tokens for the report form: issued by the server, signed with its secret, bound to one LKS,
    valid for ``FORM_TOKEN_SECONDS``. Single use: the report is stored with its token (``store.concerns``)."""

    def __init__(self, secret: str):
        self.signer = URLSafeTimedSerializer((secret or "").encode("utf-8"), salt="inspector-concern-form")

    def issue(self, lks_id: str) -> str:
        return self.signer.dumps({"l": lks_id, "n": secrets.token_hex(8)})

    def valid(self, token: str, lks_id: str) -> bool:
        """Whether the server issued ``token`` for this LKS's form less than a day ago."""
        if not token or len(token) > 200:
            return False
        try:
            value = self.signer.loads(token, max_age=FORM_TOKEN_SECONDS)
        except BadSignature:
            return False
        return isinstance(value, dict) and value.get("l") == lks_id


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


def create(store, lks: dict, values: dict, form_token: str, config=None,
           flood_group: str | None = None) -> tuple[Record, bool]:
    """Store a report about ``lks`` once per form: (the report, whether it is new). ``flood_group`` marks it
    a suspected flood (``ConcernThrottle.flood_group``).

    With ``config`` (the app's settings: a report from the page), a new report's audit entry
    ("concern_received", by an anonymous visitor) and, unless it is a suspected flood (which alerts nobody again:
    the reviewers see it grouped on their list), its ``concern.created`` event are staged in the outbox in the
    same atomic write, then delivered (see ``announce``)."""
    def build(report):
        flood = {"flood": True} if flood_group else {}
        return [audit.entry(None, "concern_received", "concern", report["id"], anonymous=True, lks_id=lks["id"],
                            **flood),
                *([] if flood_group else events.entries(config, "concern.created",
                                                         events.concern_facts_of(report, lks)))]
    announced = announce.announcement(build) if config is not None else None
    record = {"id": store.concerns.new_id(), "lks_id": lks["id"], "created_at": utcnow(),
              "what": values["what"], "when": values["when"], "contact": values["contact"],
              "form_token": form_token, "status": "open", "handled_at": None, "handled_by": None,
              "handled_note": "", "flood_group": flood_group, "hidden": False}
    stored, new = store.concerns.add_once(record, announced)
    if new:
        announce.deliver_now(store, config, announced)
    return stored, new


def flood_groups(records: list[Record]) -> list[dict]:
    """Suspected floods among ``records``, newest first: group, LKS, how many reports, how many still shown,
    first and last time."""
    groups: dict[str, dict] = {}
    for record in records:
        group = record.get("flood_group")
        if not group:
            continue
        entry = groups.setdefault(group, {"group": group, "lks_id": record["lks_id"], "count": 0, "shown": 0,
                                          "first": record["created_at"], "last": record["created_at"]})
        entry["count"] += 1
        entry["shown"] += 0 if record.get("hidden") else 1
        entry["first"] = min(entry["first"], record["created_at"])
        entry["last"] = max(entry["last"], record["created_at"])
    return sorted(groups.values(), key=lambda g: g["last"], reverse=True)


def hide_flood(store, group: str, user) -> tuple[int, str | None]:
    """Hide every report of one suspected flood from the open list (kept, and shown under "Disembunyikan"):
    (how many were hidden now, None) or (0, Indonesian reason)."""
    if not _GROUP.fullmatch(group or ""):
        return 0, "Kelompok laporan tidak ditemukan."
    members = [r for r in store.concerns.all() if r.get("flood_group") == group]
    if not members:
        return 0, "Kelompok laporan tidak ditemukan."
    hidden, now = 0, utcnow()

    def change(record):
        if record.get("hidden"):
            return None
        return {**record, "hidden": True, "hidden_at": now, "hidden_by": user.record["id"]}

    for record in members:
        hidden += store.concerns.modify(record["id"], change) is not None
    if not hidden:
        return 0, "Laporan kelompok ini sudah disembunyikan."
    return hidden, None


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
    """At most ``per_client`` reports an hour from one client; past ``per_lks`` about one LKS, a suspected flood.

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

    def _live(self, key: str, now: float) -> dict | None:
        state = self.store.throttle.get(key)
        return state if state["failures"] and now - state["last"] < WINDOW_SECONDS else None

    def refused(self, client: str, lks_id: str, now: float | None = None) -> bool:
        """Whether this client has sent its ``per_client`` reports this hour (an LKS's count never refuses)."""
        now = time.time() if now is None else now
        state = self._live(self._key("client", client), now)
        return state is not None and state["failures"] >= self.limits[0]

    def flood_group(self, lks_id: str, now: float | None = None) -> str | None:
        """The suspected flood a report about this LKS belongs to when ``per_lks`` are counted this hour, else
        None: one group per LKS and window."""
        now = time.time() if now is None else now
        state = self._live(self._key("lks", lks_id), now)
        if state is None or state["failures"] < self.limits[1]:
            return None
        return "f" + hashlib.sha256(f"{lks_id}:{state['last']}".encode("utf-8")).hexdigest()[:12]

    def count(self, client: str, lks_id: str, now: float | None = None) -> None:
        """One more report; ``last`` holds the start of the key's window."""
        now = time.time() if now is None else now
        for key in self._keys(client, lks_id):
            state = self.store.throttle.get(key)
            if state["failures"] and now - state["last"] >= WINDOW_SECONDS:
                self.store.throttle.clear(key)
                state = {"failures": 0}
            self.store.throttle.record_failure(key, now if not state["failures"] else state["last"],
                                               forget_before=now - 7 * 24 * 3600)
