"""Who may do what: roles, the signed-in user, the access rule every route declares, sign-in throttling.

The rules only: the check before every request and the session's user are ``inspector.web.guard``'s.
"""

from __future__ import annotations

import time
from functools import wraps

ROLES = {
    "admin": "Admin",
    "reviewer": "Peninjau Dinsos",
    "inspector": "Petugas inspeksi",
    "operator": "Operator LKS",
}
PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed-in"  # any role


class User:
    """A signed-in account (what Flask-Login asks of a user); its session id carries the account's session version."""

    is_anonymous = False

    def __init__(self, record: dict):
        self.record = record

    def __eq__(self, other):
        return self.get_id() == other.get_id() if isinstance(other, User) else NotImplemented

    __hash__ = object.__hash__

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    def get_id(self) -> str:
        return f"{self.record['id']}:{self.record.get('session_version', 1)}"

    @property
    def is_active(self) -> bool:
        return bool(self.record.get("active"))

    @property
    def role(self) -> str:
        return self.record["role"]

    @property
    def lks_ids(self) -> list[str]:
        return list(self.record.get("lks_ids") or [])

    def __getattr__(self, name):
        try:
            return self.__dict__["record"][name]
        except KeyError:
            raise AttributeError(name) from None


def access(*who: str):
    """Declare who may use a view: PUBLIC, SIGNED_IN, or role names. Checked in ``web.guard.enforce_access``."""
    unknown = set(who) - set(ROLES) - {PUBLIC, SIGNED_IN}
    if not who or unknown:
        raise ValueError(f"bad access declaration {who}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.access = frozenset(who)
        return wrapper

    return decorate


def role_home(user) -> str:
    """The endpoint a user lands on after signing in."""
    return {"admin": "admin.index", "reviewer": "review.index", "inspector": "inspect.index",
            "operator": "operator.index"}[user.role]


class SignInThrottle:
    """Slows guessing without letting a stranger lock a real user out for long.

    Failures are counted per (account, client address) and per account. Past
    a few free failures each further try must wait, doubling from 15 s up to
    a cap of five minutes; a successful sign-in clears both counts (the
    owner is back, and an intruder elsewhere still meets their own count). The account-wide count has a much higher threshold so that a
    stranger elsewhere cannot lock out the owner, while rotating addresses
    still hits a ceiling. Counts older than an hour are forgotten.
    """

    BASE_WAIT = 15
    FORGET_AFTER = 3600  # a count an hour old starts again from zero

    def __init__(self, store, free_failures: int, max_wait: int):
        self.store = store
        self.limits = ((free_failures, max_wait), (free_failures * 4, max_wait))

    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str]:
        return (f"{username}@{client}", username)

    def wait_seconds(self, username: str, client: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        waits = [0]
        for key, (free, cap) in zip(self._keys(username, client), self.limits):
            state = self.store.throttle.get(key)
            over = state["failures"] - free
            if over >= 0 and now - state["last"] < self.FORGET_AFTER:
                wait = min(cap, self.BASE_WAIT * 2 ** min(over, 16))
                waits.append(int(state["last"] + wait - now + 0.999))
        return max(waits)

    def failed(self, username: str, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for key in self._keys(username, client):
            if now - self.store.throttle.get(key)["last"] >= self.FORGET_AFTER:
                self.store.throttle.clear(key)
            self.store.throttle.record_failure(key, now)

    def succeeded(self, username: str, client: str) -> None:
        for key in self._keys(username, client):
            self.store.throttle.clear(key)
