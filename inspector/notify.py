"""Sending alerts out of the request: e-mail over SMTP and signed webhooks, run by background workers.

Each data folder gets one worker thread per channel ("email", "webhook"),
started on its first job. A worker takes jobs from a bounded queue (a full
queue refuses at once, so a request never waits) and retries a failed job
after ``base``, ``2 * base``, ``4 * base`` ... seconds, up to ``tries`` tries,
without holding up the jobs behind it. Retries still waiting when the process
stops are lost: their webhook deliveries stay visible as "mencoba ulang".
Logs name the inspection and the kind of error, never addresses or names.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import queue
import smtplib
import socket
import ssl
import threading
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
_STOP = object()
_workers: dict[tuple[str, str], "Worker"] = {}
_workers_guard = threading.Lock()


class Worker:
    """One daemon thread running jobs from a bounded queue; a job returns a delay to be run again, or None."""

    def __init__(self, name: str, size: int):
        self.name = name
        self.size = max(1, size)
        self.jobs: queue.Queue = queue.Queue(maxsize=self.size)
        self.waiting = 0  # retries scheduled for later (read from other threads: an estimate is enough)
        self._thread: threading.Thread | None = None
        self._start_guard = threading.Lock()

    def submit(self, job) -> bool:
        """Queue ``job`` (a callable taking the try number); False at once when the worker is full."""
        with self._start_guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"inspector-{self.name}", daemon=True)
                self._thread.start()
        if self.waiting >= self.size:
            return False
        try:
            self.jobs.put_nowait(job)
        except queue.Full:
            return False
        return True

    def stop(self, timeout: float = 10.0) -> bool:
        """Run what is queued, drop retries still waiting, end the thread; True when it ended."""
        thread = self._thread
        if thread is None:
            return True
        try:
            self.jobs.put(_STOP, timeout=timeout)
        except queue.Full:
            return False
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        later: list = []  # (due, seq, job, try number)
        order = itertools.count()
        while True:
            timeout = max(0.0, later[0][0] - time.monotonic()) if later else None
            try:
                job = self.jobs.get(timeout=timeout)
            except queue.Empty:
                job = None
            if job is _STOP:
                if later:
                    log.warning("%s worker stopped with %d retries not made", self.name, len(later))
                return
            if job is not None:
                heapq.heappush(later, (time.monotonic(), next(order), job, 1))
            while later and later[0][0] <= time.monotonic():
                _, _, due_job, attempt = heapq.heappop(later)
                try:
                    delay = due_job(attempt)
                except Exception:  # a job must not end the worker
                    log.exception("%s job failed unexpectedly", self.name)
                    delay = None
                if delay is not None:
                    heapq.heappush(later, (time.monotonic() + delay, next(order), due_job, attempt + 1))
            self.waiting = len(later)


def worker(store, channel: str, config) -> Worker:
    """The worker of this data folder and channel, made on first use."""
    key = (str(store.root), channel)
    with _workers_guard:
        if key not in _workers:
            _workers[key] = Worker(channel, int(config.get("INSPECTOR_SEND_QUEUE", 200)))
        return _workers[key]


def stop_all(timeout: float = 10.0) -> bool:
    """Stop every worker of this process (tests; shutdown); True when all ended."""
    with _workers_guard:
        stopping = list(_workers.values())
        _workers.clear()
    return all([w.stop(timeout) for w in stopping])


class Retrying:
    """A job trying ``action`` up to ``tries`` times, waiting ``base`` seconds and doubling between tries."""

    def __init__(self, action, report, tries: int, base: float):
        self.action, self.report, self.tries, self.base = action, report, max(1, tries), max(0.0, base)

    def __call__(self, attempt: int) -> float | None:
        try:
            result = self.action()
        except Exception as error:  # every failure is reported, none escapes
            final = attempt >= self.tries
            self.report(attempt, error, final, None)
            return None if final else self.base * 2 ** (attempt - 1)
        self.report(attempt, None, True, result)
        return None


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


def _settings(config) -> tuple[int, float, float]:
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
    timeout = _settings(config)[2]
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


def queue_critical_email(store, config, facts: dict) -> bool:
    """Send the critical alert in the background; False when e-mail is off or the queue is full."""
    if not email_configured(config):
        return False
    return _queue_email(store, config, critical_message(config, facts), "critical", f"inspection {facts['inspection_id']}")


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


def queue_concern_email(store, config, facts: dict) -> bool:
    """Send the alert for a public concern in the background; False when e-mail is off or the queue is full."""
    if not email_configured(config):
        return False
    return _queue_email(store, config, concern_message(config, facts), "concern", f"concern {facts['concern_id']}")


def _queue_email(store, config, message: EmailMessage, what: str, about: str) -> bool:
    settings = dict(config)  # the worker must not read a config that may change under it
    tries, base, _ = _settings(config)

    def report(attempt, error, final, _result):
        if error is not None:
            log.warning("%s e-mail for %s not sent (try %d of %d): %s", what, about, attempt, tries, describe(error))

    if not worker(store, "email", config).submit(Retrying(lambda: send_email(settings, message), report, tries, base)):
        log.warning("%s e-mail for %s dropped: the send queue is full", what, about)
        return False
    return True


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


def queue_webhooks(store, config, event: str, payload: dict) -> int:
    """Record and send ``payload`` to every configured URL in the background; returns how many were queued."""
    urls = webhook_urls(config)
    if not urls:
        return 0
    body = json.dumps({"event": event, **payload}, separators=(",", ":"), sort_keys=True).encode("utf-8")
    secret = str(config.get("INSPECTOR_WEBHOOK_SECRET") or "")
    tries, base, timeout = _settings(config)
    sent_at = datetime.fromisoformat(payload["time"]).timestamp() if payload.get("time") else time.time()
    stamp = str(int(sent_at))
    about = (f"inspection {payload['inspection_id']}" if payload.get("inspection_id")
             else f"concern {payload.get('concern_id')}")
    queued = 0
    for url in urls:
        delivery = store.notifications.delivery_add({
            "event": event, "inspection_id": payload.get("inspection_id"), "url": shown_url(url),
            **({"concern_id": payload["concern_id"]} if payload.get("concern_id") else {}), "state": "pending", "tries": 0, "last_error": "", "last_status": None})
        headers = {"Content-Type": "application/json", "User-Agent": "Inspector-Webhook/1",
                   "X-Inspector-Event": event, "X-Inspector-Delivery": delivery["id"], "X-Inspector-Timestamp": stamp}
        if secret:
            headers["X-Inspector-Signature"] = sign(secret, body)

        def report(attempt, error, final, status, delivery_id=delivery["id"]):
            if error is None:
                changes = {"state": "sent", "tries": attempt, "last_status": status}
            else:
                log.warning("webhook %s for %s failed (try %d of %d): %s", event, about, attempt, tries,
                            describe(error))
                changes = {"state": "failed" if final else "retrying", "tries": attempt,
                           "last_error": describe(error), "last_status": getattr(error, "code", None)}
            store.notifications.delivery_update(delivery_id, changes)

        job = Retrying(lambda url=url, headers=headers: post(url, body, headers, timeout), report, tries, base)
        if worker(store, "webhook", config).submit(job):
            queued += 1
        else:
            store.notifications.delivery_update(delivery["id"], {"state": "failed", "last_error": "antrean penuh"})
            log.warning("webhook %s for %s dropped: the send queue is full", event, about)
    return queued
