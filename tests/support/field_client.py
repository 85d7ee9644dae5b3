"""The HTTP client of a simulated phone, and the counters its requests share with whoever kills the server.

A ``Browser`` keeps its cookies, follows no redirect by itself, and repeats the very same request (same
body) after a refused or reset connection or a 5xx, as a person pressing reload would.

``Stats`` counts requests, repeats and what is in flight under one condition, so a killer waits on events,
not on the clock. Kill points make the moment of a kill a chosen one rather than the machine's speed:

* ``after:N``: the client that got the answer to the Nth answered POST waits there until the server has
  been killed (its next request meets a dead server);
* ``during:N``: the Nth POST whose body starts out on a connection to the server (repeats count) sends the
  first half of its body, says so, and holds the rest until the server has been killed (the post is known
  to be in flight; it then fails and is repeated).
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

from tests.support.html_forms import Answer, Form, Unexpected

REQUEST_TIMEOUT_SECONDS = 60  # one attempt; a killed server answers at once (refused or reset)
RETRY_BUDGET_SECONDS = 90  # how long a client keeps repeating one request before it gives up
HOLD_SECONDS = 120  # how long a client held at a kill point waits for the kill: a bound for a stuck run


class GaveUp(Exception):
    """One request kept failing for longer than the retry budget."""


class Abandoned(Exception):
    """The person put the phone away: no further request is made."""


@dataclass(frozen=True)
class KillPoint:
    """A chosen moment for a kill: ``after`` the Nth answered POST, or ``during`` the Nth POST body sent."""
    when: str
    post: int

    @classmethod
    def parse(cls, text: str) -> KillPoint:
        when, _, number = text.strip().partition(":")
        if when not in ("after", "during") or not number.isdigit() or int(number) < 1:
            raise ValueError(f"a kill point is after:N or during:N with N at least 1, not {text!r}")
        return cls(when, int(number))

    def __str__(self) -> str:
        return f"{self.when}:{self.post}"


class Stats:
    """Counters shared by the clients and the killer, and the kill points the clients stop at."""

    def __init__(self, kill_points=()):
        self.changed = threading.Condition()
        self.in_flight = 0
        self.posts_in_flight = 0
        self.requests = 0
        self.retries = 0
        self.retried_posts = 0
        self.bodies_sent = 0
        self.posts_answered = 0
        self.closed = False
        self._released = {point: threading.Event() for point in kill_points}
        self._reached: set[KillPoint] = set()

    def begin(self, method: str) -> None:
        """A request is being sent."""
        with self.changed:
            self.in_flight += 1
            self.requests += 1
            self.posts_in_flight += method == "POST"
            self.changed.notify_all()

    def body_sent(self) -> int:
        """A POST's body starts out on a connection to the server; its number among those (repeats count)."""
        with self.changed:
            self.bodies_sent += 1
            return self.bodies_sent

    def end(self, method: str, answered: bool) -> int:
        """A request is over; a POST the server answered gets its number among the answered ones, else 0."""
        with self.changed:
            self.in_flight -= 1
            number = 0
            if method == "POST":
                self.posts_in_flight -= 1
                if answered:
                    self.posts_answered += 1
                    number = self.posts_answered
            self.changed.notify_all()
            return number

    def retried(self, method: str) -> None:
        with self.changed:
            self.retries += 1
            self.retried_posts += method == "POST"
            self.changed.notify_all()

    def is_kill_point(self, point: KillPoint) -> bool:
        return point in self._released

    def holds_bodies(self) -> bool:
        """Whether a POST's body may be held half sent (a ``during`` kill point is planned)."""
        return any(point.when == "during" for point in self._released)

    def reach(self, point: KillPoint) -> None:
        """A client is at a kill point: the killer may go."""
        with self.changed:
            self._reached.add(point)
            self.changed.notify_all()

    def wait_released(self, point: KillPoint) -> None:
        """Wait until the server has been killed at ``point``."""
        self._released[point].wait(HOLD_SECONDS)

    def hold(self, point: KillPoint) -> None:
        """The client is at a kill point: say so, and wait until the server has been killed."""
        self.reach(point)
        self.wait_released(point)

    def reached(self, point: KillPoint) -> bool:
        return point in self._reached

    def release(self, point: KillPoint) -> None:
        """The server was killed at ``point``: the held client goes on."""
        self._released[point].set()

    def wait_for(self, predicate, timeout: float | None = None) -> bool:
        """Wait until ``predicate()`` holds (True), ``timeout`` passes or the run is closed (False)."""
        with self.changed:
            self.changed.wait_for(lambda: self.closed or predicate(), timeout)
            return not self.closed and bool(predicate())

    def close(self) -> None:
        """The clients are done: nobody waits any longer, and no client is held."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        for released in self._released.values():
            released.set()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the caller follows redirects itself, to know which request an answer belongs to


class Browser:
    """One phone: its cookies, and requests repeated after a refused or reset connection or a 5xx."""

    def __init__(self, base_url: str, stats: Stats, rng: random.Random, abandon: threading.Event | None = None):
        self.base_url, self.stats, self.rng, self.abandon = base_url, stats, rng, abandon
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> Answer:
        url = urllib.parse.urljoin(self.base_url, path)
        headers = {"Content-Type": content_type} if content_type else {}
        started = time.monotonic()
        while True:
            if self.abandon is not None and self.abandon.is_set():
                raise Abandoned
            self.stats.begin(method)
            data, sent_headers = body, headers
            if body and self.stats.holds_bodies():
                data, sent_headers = self._counted(body), {**headers, "Content-Length": str(len(body))}
            request = urllib.request.Request(url, data=data, headers=sent_headers, method=method)
            answer, why = None, ""
            try:
                try:
                    with self.opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                        answer = Answer(url, response.status, "", response.read().decode("utf-8", "replace"))
                except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
                    with error:
                        answer = Answer(url, error.code, error.headers.get("Location", ""),
                                        error.read().decode("utf-8", "replace"))
            except (OSError, http.client.HTTPException) as error:  # refused, reset, cut short, timed out
                why = type(error).__name__
            answered = self.stats.end(method, answer is not None and answer.status < 500)
            if answer is not None and answer.status < 500:
                if answered and self.stats.is_kill_point(KillPoint("after", answered)):
                    self.stats.hold(KillPoint("after", answered))
                return answer
            if answer is not None:
                why = f"HTTP {answer.status}"
            if time.monotonic() - started > RETRY_BUDGET_SECONDS:
                raise GaveUp(f"{method} {path}: still failing after {RETRY_BUDGET_SECONDS} s ({why})")
            self.stats.retried(method)
            time.sleep(self.rng.uniform(0.2, 0.6))

    def _counted(self, body: bytes):
        """The body as it goes out, once connected and the headers are sent: counted, and when it is the Nth
        of a ``during:N`` point, in two halves held in between until the server has been killed."""
        point = KillPoint("during", self.stats.body_sent())
        if not self.stats.is_kill_point(point):
            yield body
            return
        half = len(body) // 2
        self.stats.reach(point)  # the headers are out: the post is in flight
        yield body[:half]
        self.stats.wait_released(point)
        yield body[half:]

    def get(self, path: str, expect: int = 200) -> Answer:
        answer = self.request("GET", path)
        if answer.status != expect:
            raise Unexpected(f"GET {path}: {answer.status}, wanted {expect}")
        return answer

    def submit(self, form: Form, submitter: tuple[str, str] | None = None, expect: str = "") -> Answer:
        """Post a form as a browser does; it must redirect (303/302) to a path matching ``expect``."""
        body, kind = form.encode(submitter)
        answer = self.request("POST", form.action, body, kind)
        path = urllib.parse.urlsplit(answer.location).path
        if answer.status not in (302, 303) or not re.search(expect, path):
            snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.body))[:300]
            raise Unexpected(f"POST {form.action}: {answer.status} -> {answer.location!r}, wanted a redirect "
                             f"to {expect!r}; page says: {snippet}")
        return answer
