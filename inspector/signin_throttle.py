"""Sign-in throttling after OWASP's guidance: slow guessing without letting a stranger lock the owner out.

Failures are counted under three keys, each a keyed hash (HMAC with the app's secret), so ``throttle.json``
never holds a username or a client address, and a count is removed a week after its last failure:

* per (account, client): 5 free failures, then each try waits, doubling from 15 s to at most 5 minutes;
* per client, whatever the account: 20 free failures, then the same doubling wait;
* per account, from every client: 20 free failures, then the same doubling wait.

A **device that signed in to the account before** (it carries a device cookie, signed, bound to the
account, 180 days) is counted on its own: only its own (account, device) count applies, so strangers
guessing from elsewhere, or from the same address, never keep the owner out. Usernames nobody has are
counted exactly like real ones, so the answer on the sixth failure does not tell which names exist.
A successful sign-in clears that device's or address's count and the account's; the account's count
of failures since the last sign-in is returned, for the owner's notice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer

BASE_WAIT = 15
FORGET_AFTER = 3600  # a count whose last failure is an hour old starts again from zero
KEEP_SECONDS = 7 * 24 * 3600  # a count is removed from the store a week after its last failure
DEVICE_COOKIE = "inspector_device"
DEVICE_DAYS = 180


class SignInThrottle:
    """The waits before a sign-in may be tried, and what a failure and a success change."""

    def __init__(self, store, secret: str, free_failures: int = 5, max_wait: int = 300):
        self.store = store
        self.secret = (secret or "").encode("utf-8")
        self.free = free_failures
        self.cap = max_wait

    # --- keys ---------------------------------------------------------------------------------------------

    def _key(self, kind: str, *parts: str) -> str:
        message = "\0".join(("signin", kind, *parts)).encode("utf-8")
        return f"masuk:{kind}:{hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]}"

    def keys(self, username: str, client: str, device: str | None = None) -> list[tuple[str, int]]:
        """The (key, free failures) pairs that apply to this try."""
        if device:
            return [(self._key("device", username, device), self.free)]
        return [(self._key("pair", username, client), self.free), (self._key("client", client), self.free * 4),
                (self._key("account", username), self.free * 4)]

    # --- devices ------------------------------------------------------------------------------------------

    def _devices(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="inspector-device")

    def device_cookie(self, user_id: str) -> str:
        """A new signed device cookie for this account."""
        return self._devices().dumps({"u": user_id, "d": secrets.token_hex(8)})

    def device_of(self, cookie: str | None, user_id: str | None) -> str | None:
        """The device id a cookie proves for this account, or None (forged, expired, another account's)."""
        if not cookie or not user_id or len(cookie) > 300:
            return None
        try:
            value = self._devices().loads(cookie, max_age=DEVICE_DAYS * 86400)
        except BadSignature:
            return None
        if not isinstance(value, dict) or value.get("u") != user_id or not isinstance(value.get("d"), str):
            return None
        return value["d"]

    # --- counting -----------------------------------------------------------------------------------------

    def wait_seconds(self, username: str, client: str, device: str | None = None, now: float | None = None) -> int:
        now = time.time() if now is None else now
        waits = [0]
        for key, free in self.keys(username, client, device):
            state = self.store.throttle.get(key)
            over = state["failures"] - free
            if over >= 0 and now - state["last"] < FORGET_AFTER:
                wait = min(self.cap, BASE_WAIT * 2 ** min(over, 16))
                waits.append(int(state["last"] + wait - now + 0.999))
        return max(waits)

    def failed(self, username: str, client: str, device: str | None = None, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for key, _ in self.keys(username, client, device):
            if now - self.store.throttle.get(key)["last"] >= FORGET_AFTER:
                self.store.throttle.clear(key)
            self.store.throttle.record_failure(key, now, forget_before=now - KEEP_SECONDS)
        # Every failure, from anywhere, is told to the owner at the next sign-in (kept for a week).
        self.store.throttle.record_failure(self._key("notice", username), now, forget_before=now - KEEP_SECONDS)

    def succeeded(self, username: str, client: str, device: str | None = None) -> int:
        """Clear this try's own count and the account's; the account's failures since it last signed in."""
        notice = self._key("notice", username)
        missed = self.store.throttle.get(notice)["failures"]
        for key in (notice, self._key("account", username), self.keys(username, client, device)[0][0]):
            self.store.throttle.clear(key)
        return missed
