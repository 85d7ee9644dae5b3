"""Servers on 127.0.0.1 that the alert tests deliver to: an SMTP sink that keeps every message, and a webhook
receiver that keeps every hit (``/gagal`` answers 500, ``/sekali-gagal`` 500 the first time) and can hold its
answers until a test releases them. ``serve`` runs one for a fixture and stops it, and every delivery, after."""

from __future__ import annotations

import base64
import email
import socket
import socketserver
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from inspector import outbox
from tests.support.waiting import WAIT_SECONDS


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    timeout = WAIT_SECONDS  # per read: a bound for a stuck client

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink.test ESMTP")
        envelope = {"from": None, "to": [], "auth": None}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ")[0].upper()
            if verb == "EHLO":
                self.reply("250-sink.test\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "AUTH":
                envelope["auth"] = base64.b64decode(command.split()[2]).split(b"\0")[1:]
                self.reply("235 ok")
            elif verb == "MAIL":
                envelope["from"] = command[10:]
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(command[8:].strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    data += part[1:] if part.startswith(b"..") else part
                message = email.message_from_bytes(data, policy=policy.default)
                self.server.messages.append({**envelope, "message": message})
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok" if verb in ("RSET", "NOOP") else "502 not here")


class SmtpSink(socketserver.ThreadingTCPServer):
    """Every message sent to it, with its envelope, in ``messages``."""

    daemon_threads = False
    block_on_close = True  # server_close joins the handler threads

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[dict] = []


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.hold.wait(WAIT_SECONDS)  # until the test releases it; the bound is for a stuck run
        hit = {"path": self.path, "headers": self.headers, "body": body}  # names compared case-blind
        with self.server.guard:
            earlier = [h for h in self.server.hits if h["headers"].get("X-Inspector-Delivery") ==
                       hit["headers"].get("X-Inspector-Delivery")]
            self.server.hits.append(hit)
        failing = self.path == "/gagal" or (self.path == "/sekali-gagal" and not earlier)
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


class Receiver(ThreadingHTTPServer):
    """Every webhook posted to it in ``hits``; while ``hold`` is clear it answers nobody."""

    daemon_threads = False
    block_on_close = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.hits: list[dict] = []
        self.guard = threading.Lock()
        self.hold = threading.Event()
        self.hold.set()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


def serve(server):
    """Serve in a thread for the fixture's life; afterwards stop every delivery, then the server."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if isinstance(server, Receiver):
            server.hold.set()
        assert outbox.stop_all()  # no delivery left talking to the server
        server.shutdown()
        server.server_close()
        thread.join(10)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
