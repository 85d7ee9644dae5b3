"""Recording who did what: the action codes, their Indonesian labels, and ``record`` for the views and commands.

``record`` never loses an entry to a trail that cannot be appended (its last line unreadable, the disk full,
its lock held too long): the entry then waits in the outbox, with the time it happened, and the outbox's
worker chains it once the trail takes appends again. An entry that is part of a state change (a send, a
decision, a report) is built with ``entry`` and staged with that change instead (see ``announce``).
"""

from __future__ import annotations

import logging

from . import evidence, outbox
from .timefmt import utcnow

ACTIONS = {
    "sign_in": "Masuk",
    "sign_in_failed": "Gagal masuk",
    "sign_out": "Keluar",
    "password_changed": "Kata sandi diganti",
    "password_reset": "Kata sandi diatur ulang",
    "second_factor_failed": "Kode verifikasi dua langkah salah",
    "second_factor_enrolled": "Verifikasi dua langkah dipasang",
    "second_factor_reset": "Verifikasi dua langkah diatur ulang",
    "second_factor_off": "Verifikasi dua langkah dimatikan",
    "account_created": "Akun dibuat",
    "account_changed": "Akun diubah",
    "account_disabled": "Akun dinonaktifkan",
    "account_enabled": "Akun diaktifkan",
    "lks_created": "LKS ditambahkan",
    "lks_changed": "LKS diubah",
    "lks_deactivated": "LKS dinonaktifkan",
    "lks_activated": "LKS diaktifkan",
    "lks_imported": "LKS diimpor dari CSV",
    "lks_reported": "LKS baru dilaporkan dari lapangan",
    "lks_confirmed": "Laporan LKS baru dikonfirmasi",
    "lks_merged": "Laporan LKS baru digabungkan",
    "lks_rejected": "Laporan LKS baru ditolak",
    "inspection_started": "Kunjungan dimulai",
    "draft_saved": "Draf kunjungan disimpan",
    "draft_discarded": "Draf kunjungan dibuang",
    "save_conflict": "Simpanan dari ponsel ditolak: kunjungan berubah di server",
    "conflict_resolved": "Bentrok isian dipilih oleh inspektur",
    "submitted": "Hasil kunjungan dikirim",
    "resubmitted": "Hasil kunjungan dikirim ulang",
    "approved": "Disetujui",
    "returned": "Dikembalikan untuk diperbaiki",
    "rejected": "Ditolak",
    "bulk_approved": "Disetujui sekaligus",
    "comment_added": "Komentar ditambahkan",
    "addendum_added": "Adendum ditambahkan",
    "followup_added": "Tindak lanjut ditambahkan",
    "followup_accepted": "Tindak lanjut diterima",
    "concern_received": "Laporan masyarakat diterima",
    "concern_handled": "Laporan masyarakat ditangani",
    "concern_flood_hidden": "Dugaan banjir laporan masyarakat disembunyikan",
    "export_csv": "Ekspor CSV",
    "export_bundle": "Ekspor paket arsip",
    "report_printed": "Laporan dicetak",
}
# Who acted when there is no signed-in account; the roles themselves are labelled by auth.ROLES.
ACTORS = {"anonymous": "Tanpa akun", "system": "Sistem (perintah server)"}
TARGETS = {"user": "Akun", "lks": "LKS", "inspection": "Kunjungan", "concern": "Laporan masyarakat"}
# Codes of earlier versions: the trail is hash-chained, so its old entries keep the codes they were written with.
EARLIER_CODES = {"visit_started": "inspection_started", "submission": "inspection"}


def action_label(code: str | None) -> str:
    """The Indonesian label of an action code, old codes included; an unknown code as it is."""
    return ACTIONS.get(EARLIER_CODES.get(code, code), code or "")


def target_label(kind: str | None) -> str:
    return TARGETS.get(EARLIER_CODES.get(kind, kind), kind or "")


log = logging.getLogger(__name__)


class AuditUnavailable(RuntimeError):
    """Neither the trail nor the outbox could take an entry: the action must not go ahead unrecorded."""


def entry(user, action: str, target_kind: str | None, target_id: str | None, *, anonymous: bool = False,
          **details) -> dict:
    """The outbox entry that chains one audit entry later (the actor as ``record`` names it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if user is not None and getattr(user, "is_authenticated", False):
        actor_id, actor_role = user.record["id"], user.role
    else:
        actor_id, actor_role = None, ("anonymous" if anonymous else "system")
    return {"kind": "audit", "actor_id": actor_id, "actor_role": actor_role, "action": action,
            "target_kind": target_kind, "target_id": target_id, "details": details or None,
            "occurred_at": utcnow()}


def deliver(store, item: dict) -> dict:
    """Chain an outbox entry's audit entry, once however often it is delivered; ``details`` gain ``outbox_id``
    and, when it is chained later than it happened (the trail was unwritable), ``occurred_at``."""
    details = dict(item.get("details") or {})
    if item["occurred_at"][:16] != utcnow()[:16]:  # not within the same minute: say when it happened
        details["occurred_at"] = item["occurred_at"]
    since = item.get("first_claimed_at") if item.get("tries", 1) > 1 else None
    return store.audit.append(item["actor_id"], item["actor_role"], item["action"], item["target_kind"],
                              item["target_id"], details or None, once=item["id"], since=since,
                              traces=evidence.traces(store, item["action"], item["target_id"], item.get("details")))


def record(store, user, action: str, target_kind: str | None, target_id: str | None, *, anonymous: bool = False,
           **details) -> dict:
    """Append one entry for ``user`` (a signed-in ``auth.User``, or None / not signed in) and return it.

    ``details`` carry ids, codes, counts and states only -- never names, passwords
    or answers (the store refuses keys such as ``name`` or ``password``). A failed
    sign-in names the account's id when the username exists, never the typed text.
    An entry without a signed-in user is by "anonymous" when ``anonymous`` (a visitor
    of the site: the views say so), else by "system" (``flask`` commands). An action that
    writes evidence carries the digests of what it wrote (``evidence.traces``), taken when it is chained.

    When the trail cannot be appended the entry waits in the outbox and is returned with ``pending``
    True; ``AuditUnavailable`` when the outbox cannot take it either. ``ValueError`` for bad details.
    """
    item = entry(user, action, target_kind, target_id, anonymous=anonymous, **details)
    try:
        return store.audit.append(item["actor_id"], item["actor_role"], action, target_kind, target_id,
                                  item["details"], traces=evidence.traces(store, action, target_id, item["details"]))
    except ValueError:
        raise
    except Exception as error:  # the trail is unreadable, full or locked: the entry must not be lost
        log.error("audit: the trail cannot be appended (%s); the %s entry waits in the outbox",
                  type(error).__name__, action)
        try:
            store.outbox.put([item])
        except Exception as second:
            log.error("audit: the outbox cannot take the %s entry either (%s)", action, type(second).__name__)
            raise AuditUnavailable(action) from second
        outbox.wake(store)
        return {**item, "pending": True}
