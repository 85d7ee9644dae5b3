"""The second factor: time-based one-time codes (TOTP, RFC 6238, through pyotp) and single-use recovery codes.

Guarantees:
- admins and reviewers must have one (``must_enrol``); inspectors and operators may;
- a new secret takes effect only once a code made from it has been accepted (``confirm``);
- a code is accepted at most once: the account remembers the last time-step it accepted, and a code of that
  step or an earlier one is refused, in one atomic read-change-write;
- recovery codes are kept only as Argon2 hashes (``passwords``), shown once, and each works once;
- a reset removes everything and ends every session of the account.

The secrets live in the account's record (``totp_secret``, ``totp_pending``); nothing here logs.
"""

from __future__ import annotations

import hmac
import re
import secrets

import pyotp

from . import timefmt
from .passwords import hash_password, verify_password

REQUIRED_ROLES = frozenset({"admin", "reviewer"})
ISSUER = "Inspector Dinsos Tangerang"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # the step before and after the current one are accepted too (a phone's clock drifts)
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
RECOVERY_LENGTH = 10
MAX_INPUT = 32
FIELDS = ("totp_secret", "totp_pending", "totp_last_step", "totp_enrolled_at", "recovery_hashes")

WRONG = "Kode salah atau sudah kedaluwarsa. Periksa jam di ponsel Anda dan coba kode yang baru."
REUSED = "Kode ini sudah dipakai. Tunggu kode berikutnya muncul di aplikasi autentikator."
MALFORMED = "Kode harus 6 angka dari aplikasi autentikator, atau kode pemulihan 10 huruf dan angka."
TOO_LONG = f"Kode terlalu panjang (maksimal {MAX_INPUT} karakter)."
_TOTP = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


def required(record: dict) -> bool:
    return record.get("role") in REQUIRED_ROLES


def enrolled(record: dict) -> bool:
    return bool(record.get("totp_secret"))


def must_enrol(record: dict) -> bool:
    """An account that may reach no page but the enrolment page until it has a second factor."""
    return required(record) and not enrolled(record)


def new_secret() -> str:
    """160 random bits in base32, as authenticator apps take them."""
    return pyotp.random_base32(32)


def otpauth_uri(secret: str, username: str) -> str:
    """What the enrolment QR holds (the Key Uri Format every authenticator app reads)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def read_code(raw) -> tuple[str | None, str]:
    """(kind, value) for a typed code, kind "totp" or "recovery"; (None, Indonesian reason) for anything else.
    Spaces and dashes are ignored and letters may be lower-case."""
    text = str(raw or "")
    if len(text) > MAX_INPUT:
        return None, TOO_LONG
    value = re.sub(r"[\s-]", "", text).upper()
    if _TOTP.fullmatch(value):
        return "totp", value
    if _RECOVERY.fullmatch(value):
        return "recovery", value
    return None, MALFORMED


def _now_step() -> int:
    return int(timefmt.now().timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str) -> int | None:
    """The time-step near now whose code is ``code``, or None."""
    totp, current = pyotp.TOTP(secret), _now_step()
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_at(secret: str, step: int | None = None) -> str:
    """The code of ``secret`` for a time-step (now when None): what an authenticator app shows."""
    return pyotp.TOTP(secret).at((_now_step() if step is None else step) * STEP_SECONDS)


def start(store, user_id: str) -> str:
    """A new pending secret for the account (replacing any pending one); it works only after ``confirm``."""
    secret = new_secret()
    store.users.modify(user_id, lambda u: {**u, "totp_pending": secret})
    return secret


def confirm(store, user_id: str, raw_code) -> tuple[list[str] | None, str | None]:
    """Make the pending secret the account's second factor once ``raw_code`` is one of its codes: the new
    recovery codes in clear (to show once), or (None, an Indonesian reason)."""
    kind, value = read_code(raw_code)
    if kind != "totp":
        return None, value if kind is None else MALFORMED
    pending = (store.users.get(user_id) or {}).get("totp_pending")
    step = _matching_step(pending, value) if pending else None
    if step is None:
        return None, WRONG
    codes = new_recovery_codes()
    hashes = [hash_password(code) for code in codes]

    def change(user):
        if user.get("totp_pending") != pending:
            return None  # started again meanwhile: this code belongs to a secret that is gone
        user = {k: v for k, v in user.items() if k != "totp_pending"}
        return {**user, "totp_secret": pending, "totp_last_step": step, "recovery_hashes": hashes,
                "totp_enrolled_at": timefmt.utcnow()}

    if store.users.modify(user_id, change) is None:
        return None, WRONG
    return codes, None


def activate(store, user_id: str, secret: str, recovery_hashes: tuple[str, ...] = ()) -> None:
    """Give the account ``secret`` directly, confirmed already (the demo's published secrets; test accounts)."""
    store.users.modify(user_id, lambda u: {**u, "totp_secret": secret, "totp_last_step": -1,
                                           "recovery_hashes": list(recovery_hashes),
                                           "totp_enrolled_at": timefmt.utcnow()})


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_COUNT)]


def shown(code: str) -> str:
    """A recovery code as printed: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def verify(store, user_id: str, raw_code) -> tuple[str | None, str | None]:
    """Check a code at sign-in: ("totp" or "recovery", None) when accepted (and used up), else (None, reason)."""
    kind, value = read_code(raw_code)
    if kind is None:
        return None, value
    record = store.users.get(user_id) or {}
    secret = record.get("totp_secret")
    if not secret:
        return None, WRONG
    if kind == "totp":
        step = _matching_step(secret, value)
        if step is None:
            return None, WRONG
        accepted = store.users.modify(user_id, lambda u: {**u, "totp_last_step": step}
                                      if u.get("totp_secret") == secret and step > u.get("totp_last_step", -1)
                                      else None)
        return ("totp", None) if accepted else (None, REUSED)
    used = next((h for h in record.get("recovery_hashes") or [] if verify_password(h, value)), None)
    if used is None:
        return None, WRONG
    accepted = store.users.modify(user_id, lambda u: {**u, "recovery_hashes": [h for h in u["recovery_hashes"]
                                                                               if h != used]}
                                  if used in (u.get("recovery_hashes") or []) else None)
    return ("recovery", None) if accepted else (None, REUSED)


def recovery_left(record: dict) -> int:
    return len(record.get("recovery_hashes") or [])


def reset(store, user_id: str) -> None:
    """Remove the account's second factor and end all its sessions: the owner enrols again."""
    store.users.modify(user_id, lambda u: {**{k: v for k, v in u.items() if k not in FIELDS},
                                           "session_version": u.get("session_version", 1) + 1,
                                           "updated_at": timefmt.utcnow()})


def turn_off(store, user_id: str) -> str | None:
    """The owner removes an optional second factor (this session stays); a reason when the role requires it."""
    record = store.users.get(user_id) or {}
    if required(record):
        return "Verifikasi dua langkah wajib untuk peran Anda dan tidak bisa dimatikan."
    store.users.modify(user_id, lambda u: {k: v for k, v in u.items() if k not in FIELDS})
    return None
