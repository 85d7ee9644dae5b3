"""Recording who did what: the action codes, their Indonesian labels, and ``record`` for the views and commands."""

from __future__ import annotations

ACTIONS = {
    "sign_in": "Masuk",
    "sign_in_failed": "Gagal masuk",
    "sign_out": "Keluar",
    "password_changed": "Kata sandi diganti",
    "password_reset": "Kata sandi diatur ulang",
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


def record(store, user, action: str, target_kind: str | None, target_id: str | None, *, anonymous: bool = False,
           **details) -> dict:
    """Append one entry for ``user`` (a signed-in ``auth.User``, or None / not signed in) and return it.

    ``details`` carry ids, codes, counts and states only -- never names, passwords
    or answers (the store refuses keys such as ``name`` or ``password``). A failed
    sign-in names the account's id when the username exists, never the typed text.
    An entry without a signed-in user is by "anonymous" when ``anonymous`` (a visitor
    of the site: the views say so), else by "system" (``flask`` commands).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if user is not None and getattr(user, "is_authenticated", False):
        actor_id, actor_role = user.record["id"], user.role
    else:
        actor_id, actor_role = None, ("anonymous" if anonymous else "system")
    return store.audit.append(actor_id, actor_role, action, target_kind, target_id, details or None)
