"""Password hashing with Argon2id (argon2-cffi), above the OWASP minimum.

Parameters: 32 MiB, time cost 2, parallelism 1 -- above OWASP's minimum
for Argon2id (19 MiB, time cost 2, parallelism 1) and about 50 ms on a
2-core server, so a burst of sign-ins does not starve the other requests.
Werkzeug's default scrypt (N=2**15) is below OWASP's scrypt minimum
(N=2**17), which is why it is not used.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("inspector-dummy-password")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def weak_password_reason(password: str) -> str | None:
    """An Indonesian reason why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"Kata sandi minimal {MIN_LENGTH} karakter."
    if len(password) > 256:
        return "Kata sandi terlalu panjang (maksimal 256 karakter)."
    if len(set(password)) < 4:
        return "Kata sandi terlalu mudah ditebak."
    return None
