"""Sending alerts out of the request: e-mail over SMTP and signed webhooks, one try per call.

What to send is an outbox entry (see ``announce``), stored with the change that caused it; this module
turns one into one try: an e-mail to the alert addresses, or one POST to one configured webhook URL. It
raises on failure; the outbox keeps the entry and its retry schedule (``base``, ``2 * base``, ``4 * base``
... seconds, up to ``tries`` tries). A webhook carries its outbox entry's id as ``X-Inspector-Delivery`` and
``Idempotency-Key`` (the same on every retry, so a receiver can drop a repeat); an e-mail's ``Message-ID``
is made from it too. Logs name the inspection and the kind of error, never addresses or names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from .timefmt import format_wib

log = logging.getLogger(__name__)
# Delivery states: codes in data, their Indonesian labels on the admin's page.
DELIVERY_STATES = {"pending": "menunggu", "retrying": "mencoba ulang", "sent": "terkirim", "failed": "gagal"}


def describe(error: BaseException) -> str:
    """A short, data-free reason for logs and the admin page (no addresses, no server text)."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}"
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "waktu habis"
    if isinstance(error, ConnectionRefusedError):
        return "koneksi ditolak"
    return type(error).__name__


def settings(config) -> tuple[int, float, float]:
    """(tries per e-mail or webhook, seconds before the first retry, network timeout of one try)."""
    return (int(config.get("INSPECTOR_SEND_TRIES", 5)), float(config.get("INSPECTOR_SEND_BACKOFF_SECONDS", 1)),
            float(config.get("INSPECTOR_SEND_TIMEOUT_SECONDS", 10)))


def _listed(value) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


# --- e-mail -------------------------------------------------------------------------

def alert_addresses(config) -> list[str]:
    return [a for a in _listed(config.get("INSPECTOR_ALERT_EMAILS")) if "@" in a and "\n" not in a]


def email_configured(config) -> bool:
    return bool(str(config.get("INSPECTOR_SMTP_HOST") or "").strip() and alert_addresses(config))


def _alert_message(config, subject: str, body: str) -> EmailMessage:
    """An alert e-mail to the configured addresses, from the configured sender (or noreply at the base URL's host)."""
    host = urlsplit(str(config.get("INSPECTOR_BASE_URL", ""))).hostname or "localhost"
    message = EmailMessage()
    message["Subject"] = f"[Inspector] {subject}"
    message["From"] = str(config.get("INSPECTOR_SMTP_FROM") or f"Inspector <noreply@{host}>")
    message["To"] = ", ".join(alert_addresses(config))
    message["Message-ID"] = make_msgid(domain=host)
    message.set_content(body + "\nDarurat kekerasan terhadap anak: SAPA 129, WhatsApp 08111-129-129.\n")
    return message


def critical_message(config, facts: dict) -> EmailMessage:
    """The alert for a critical finding: the LKS, when, how many critical items, and the link; no answers."""
    base = str(config.get("INSPECTOR_BASE_URL", "")).rstrip("/")
    return _alert_message(
        config, f"Temuan kritis: {facts['lks_name']} ({facts['lks_code']})",
        "Sebuah inspeksi dengan temuan kritis menunggu tinjauan Dinas Sosial.\n\n"
        f"LKS: {facts['lks_name']} ({facts['lks_code']})\n"
        f"Kecamatan: {facts['kecamatan'] or '-'}\n"
        f"Dikirim: {format_wib(facts['submitted_at'])}\n"
        f"Temuan kritis: {facts['critical_count']}\n\n"
        f"Buka dan tinjau segera (perlu masuk):\n{base}/tinjau/{facts['inspection_id']}\n")


def send_email(config, message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server (STARTTLS, SSL or plain, as configured)."""
    host = str(config["INSPECTOR_SMTP_HOST"]).strip()
    port = int(config.get("INSPECTOR_SMTP_PORT") or 587)
    timeout = settings(config)[2]
    mode = str(config.get("INSPECTOR_SMTP_TLS") or "starttls").strip().lower()
    if mode == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if mode == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.get("INSPECTOR_SMTP_USER"):
            client.login(str(config["INSPECTOR_SMTP_USER"]), str(config.get("INSPECTOR_SMTP_PASSWORD") or ""))
        client.send_message(message)


def concern_message(config, facts: dict) -> EmailMessage:
    """The alert for a report from the public: which LKS, when, and the link; never what it says nor who sent it."""
    base = str(config.get("INSPECTOR_BASE_URL", "")).rstrip("/")
    return _alert_message(
        config, f"Laporan masyarakat: {facts['lks_name']} ({facts['lks_code']})",
        "Seseorang melaporkan kekhawatiran tentang sebuah LKS melalui halaman publiknya.\n\n"
        f"LKS: {facts['lks_name']} ({facts['lks_code']})\n"
        f"Kecamatan: {facts['kecamatan'] or '-'}\n"
        f"Diterima: {format_wib(facts['created_at'])}\n\n"
        f"Baca dan tangani segera (perlu masuk sebagai peninjau):\n{base}/tinjau/laporan-masyarakat/{facts['concern_id']}\n")


MESSAGES = {"inspection.critical": critical_message, "concern.created": concern_message}


def deliver_email(config, entry: dict) -> None:
    """One try of an e-mail entry; raises (after logging the try) when the server does not take it."""
    message = MESSAGES[entry["event"]](config, entry["facts"])
    host = urlsplit(str(config.get("INSPECTOR_BASE_URL", ""))).hostname or "localhost"
    del message["Message-ID"]
    message["Message-ID"] = f"<{entry['id']}@{host}>"  # the same on a repeat: a mail client can drop it
    tries = settings(config)[0]
    try:
        send_email(config, message)
    except Exception as error:
        what = "critical" if entry["event"] == "inspection.critical" else "concern"
        log.warning("%s e-mail for %s not sent (try %d of %d): %s", what, _about(entry["facts"]), entry["tries"],
                    tries, describe(error))
        raise


def _about(facts: dict) -> str:
    return f"inspection {facts['inspection_id']}" if facts.get("inspection_id") else f"concern {facts.get('concern_id')}"


# --- webhooks -----------------------------------------------------------------------

def webhook_urls(config) -> list[str]:
    """The configured http(s) URLs; anything else is ignored (and logged)."""
    urls = []
    for url in _listed(config.get("INSPECTOR_WEBHOOK_URLS")):
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname:
            urls.append(url)
        else:
            log.warning("INSPECTOR_WEBHOOK_URLS: ignoring an entry that is not an http(s) URL")
    return urls


def shown_url(url: str) -> str:
    """The URL without user, password or query (they may hold tokens), for the admin page."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}" + ("?…" if parts.query else "")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: the body is not re-sent elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST ``body``; the status on 2xx, an exception otherwise."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(1024)
            return response.status
    except urllib.error.HTTPError as error:
        error.close()  # it holds the open response
        raise


def url_key(url: str) -> str:
    """What an entry keeps to find its URL again: a digest, so that a token in the URL is not stored."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def webhook_entries(config, event: str, payload: dict) -> list[dict]:
    """One outbox entry per configured URL, each with the exact body every try of it sends."""
    body = json.dumps({"event": event, **payload}, separators=(",", ":"), sort_keys=True)
    return [{"kind": "webhook", "event": event, "url_key": url_key(url), "url": shown_url(url), "body": body,
             "inspection_id": payload.get("inspection_id"), "concern_id": payload.get("concern_id")}
            for url in webhook_urls(config)]


def delivery_id(entry: dict) -> str:
    """The delivery's id on the admin's page and in its headers: made from the outbox entry's id."""
    return "w" + entry["id"][1:]


def note_webhook(store, entry: dict) -> None:
    """Show the delivery to the admin as waiting ("menunggu") until its first try."""
    store.notifications.delivery_add({
        "id": delivery_id(entry), "event": entry["event"], "inspection_id": entry.get("inspection_id"),
        "url": entry["url"], **({"concern_id": entry["concern_id"]} if entry.get("concern_id") else {}),
        "state": "pending", "tries": 0, "last_error": "", "last_status": None})


def deliver_webhook(store, config, entry: dict) -> None:
    """One try of a webhook entry: POST its body, log the outcome for the admin; raises on failure."""
    tries, _, timeout = settings(config)
    url = next((u for u in webhook_urls(config) if url_key(u) == entry["url_key"]), None)
    body = entry["body"].encode("utf-8")
    payload = json.loads(body)
    sent_at = datetime.fromisoformat(payload["time"]).timestamp() if payload.get("time") else time.time()
    headers = {"Content-Type": "application/json", "User-Agent": "Inspector-Webhook/1",
               "X-Inspector-Event": entry["event"], "X-Inspector-Delivery": delivery_id(entry),
               "Idempotency-Key": delivery_id(entry), "X-Inspector-Timestamp": str(int(sent_at))}
    secret = str(config.get("INSPECTOR_WEBHOOK_SECRET") or "")
    if secret:
        headers["X-Inspector-Signature"] = sign(secret, body)
    if entry["tries"] == 1:
        note_webhook(store, entry)
    try:
        if url is None:
            raise LookupError("the URL is no longer configured")
        status = post(url, body, headers, timeout)
    except Exception as error:
        final = entry["tries"] >= tries or url is None
        log.warning("webhook %s for %s failed (try %d of %d): %s", entry["event"], _about(payload), entry["tries"],
                    tries, describe(error))
        store.notifications.delivery_update(delivery_id(entry), {
            "state": "failed" if final else "retrying", "tries": entry["tries"],
            "last_error": "alamat tidak lagi dikonfigurasi" if url is None else describe(error),
            "last_status": getattr(error, "code", None)})
        raise
    store.notifications.delivery_update(delivery_id(entry), {"state": "sent", "tries": entry["tries"],
                                                             "last_status": status})
