"""Settings: safe defaults, overridden by INSPECTOR_* environment variables or a test's dict."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "INSPECTOR_DATA_DIR": None,  # None: the Flask instance folder
    "INSPECTOR_BASE_URL": "http://localhost:8000",
    "INSPECTOR_FORMS_DIR": str(REPO_ROOT / "forms"),
    "INSPECTOR_SESSION_HOURS": 12,  # idle: a session unused this long ends
    "INSPECTOR_SESSION_MAX_HOURS": 12,  # absolute: a session ends this long after its sign-in, however used
    "INSPECTOR_MAX_UPLOAD_MB": 64,  # one request: a form with several photos
    "INSPECTOR_MAX_PHOTO_MB": 15,
    "INSPECTOR_MAX_PHOTOS": 60,  # per inspection
    "INSPECTOR_PROXIES": 0,  # reverse proxies in front whose X-Forwarded-* headers are trusted
    "INSPECTOR_LOGIN_FREE_FAILURES": 5,
    "INSPECTOR_LOGIN_MAX_WAIT_SECONDS": 300,
    # Reports from the public ("Laporkan kekhawatiran"): at most this many an hour per client address, per LKS
    "INSPECTOR_CONCERNS_PER_CLIENT_HOUR": 3,
    "INSPECTOR_CONCERNS_PER_LKS_HOUR": 10,
    # Oversight (the reviewer's dashboard)
    "INSPECTOR_OVERDUE_DAYS": 90,  # an LKS without an approved inspection for longer is overdue
    "INSPECTOR_WAITING_DAYS": 7,  # an inspection waiting for review longer is flagged
    # Alerts by e-mail: sent only when a host and at least one address are set
    "INSPECTOR_SMTP_HOST": "",
    "INSPECTOR_SMTP_PORT": 587,
    "INSPECTOR_SMTP_USER": "",
    "INSPECTOR_SMTP_PASSWORD": "",
    "INSPECTOR_SMTP_FROM": "",
    "INSPECTOR_SMTP_TLS": "starttls",  # starttls | ssl | off
    "INSPECTOR_ALERT_EMAILS": "",  # comma-separated
    # Outgoing webhooks: comma-separated http(s) URLs; bodies signed with the secret (HMAC-SHA256)
    "INSPECTOR_WEBHOOK_URLS": "",
    "INSPECTOR_WEBHOOK_SECRET": "",
    # The outbox (audit entries, alerts, e-mail, webhooks): tries per e-mail or webhook, first retry delay
    # (doubling), network timeout; whether the server runs its delivery thread (else `flask outbox run` from cron)
    # and how often that thread looks for work left by another process
    "INSPECTOR_SEND_TRIES": 5,
    "INSPECTOR_SEND_BACKOFF_SECONDS": 1.0,
    "INSPECTOR_SEND_TIMEOUT_SECONDS": 10,
    "INSPECTOR_CHECK_EVERY_HOURS": 24,  # the server's own store check; 0: none (tests; cron runs `flask store check`)
    "INSPECTOR_OUTBOX_THREAD": True,
    "INSPECTOR_OUTBOX_POLL_SECONDS": 5.0,
    # The Ed25519 private key (PEM) that signs backups and evidence bundles: a path OUTSIDE the data folder.
    # Empty: no backup and no evidence bundle is made (see docs/deployment.md); `flask keys generate PATH` makes one.
    "INSPECTOR_SIGNING_KEY": "",
    # Free space on the data folder's disk: writes that would leave less are refused (507); below the warning
    # figure every admin is alerted once, until space returns.
    "INSPECTOR_MIN_FREE_MB": 200,
    "INSPECTOR_WARN_FREE_MB": 1000,
}


def load(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from defaults, the environment, then ``overrides``."""
    config = dict(DEFAULTS)
    for key in list(DEFAULTS) + ["INSPECTOR_SECRET_KEY", "INSPECTOR_HTTPS"]:
        if key in os.environ:
            config[key] = os.environ[key]
    config.update(overrides or {})
    config["INSPECTOR_DATA_DIR"] = str(Path(config["INSPECTOR_DATA_DIR"] or app.instance_path))  # the store makes it
    https = str(config.get("INSPECTOR_HTTPS", "")).lower() in ("1", "true", "yes") or str(
        config["INSPECTOR_BASE_URL"]).startswith("https://")
    hours = int(config["INSPECTOR_SESSION_HOURS"])
    config.update(
        SECRET_KEY=config.get("INSPECTOR_SECRET_KEY") or None,  # None: the store's key (see take_secret_key)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        # A CSRF token lives as long as the login session: a three-hour inspection still submits.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=int(config["INSPECTOR_MAX_UPLOAD_MB"]) * 1024 * 1024,
    )
    config.pop("INSPECTOR_SECRET_KEY", None)
    app.config.update(config)


def take_secret_key(app, store) -> None:
    """Unless INSPECTOR_SECRET_KEY set one, sign sessions with the key the store keeps (made on first start)."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = store.secrets.session_key()
