"""The installation's signing key (Ed25519): it signs every backup's manifest and every evidence bundle's.

The key is a PEM private key (PKCS#8, unencrypted, mode 0600) at the path set in ``INSPECTOR_SIGNING_KEY``,
never inside the data folder: a backup holds the whole data folder, and whoever could read a key from it could
sign a changed copy. ``generate`` makes one; ``load`` refuses a key inside the data folder, a file that is not
an Ed25519 private key, and a missing file, each with a ``SigningError`` naming the path.

A fingerprint names a public key: ``SHA256:`` and the hex SHA-256 of its DER SubjectPublicKeyInfo, which
anyone can recompute with ``openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum``.
Signatures are the raw 64 bytes of Ed25519 over the exact bytes signed, as ``openssl pkeyutl -rawin`` checks.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_BYTES = 64


class SigningError(Exception):
    """No usable signing key or public key; the message says which file and why, for the person running it."""


def fingerprint(public: Ed25519PublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + hashlib.sha256(der).hexdigest()


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def verify(public: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public``'s signature of exactly ``data``."""
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True


class Signer:
    """A loaded private key: signs bytes, and tells its public key and fingerprint."""

    def __init__(self, key: Ed25519PrivateKey, path: Path):
        self._key = key
        self.path = path
        self.public = key.public_key()
        self.public_pem = public_pem(self.public)
        self.fingerprint = fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def generate(path: str | Path, data_dir: str | Path | None = None) -> Signer:
    """Write a new private key to the new file ``path`` (mode 0600, never overwriting one)."""
    target = Path(path).absolute()
    if data_dir is not None and _inside(target, Path(data_dir)):
        raise SigningError(f"{target} is inside the data folder: keep the signing key elsewhere "
                           "(a backup holds the whole data folder)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise SigningError(f"{target} already exists: a key is never overwritten") from None
    except OSError as error:
        raise SigningError(f"cannot write {target} ({error.strerror})") from None
    try:
        os.write(fd, pem)
        os.fchmod(fd, 0o600)  # whatever the umask
        os.fsync(fd)
    finally:
        os.close(fd)
    return Signer(key, target)


def load(path: str | Path, data_dir: str | Path | None = None) -> Signer:
    """The private key in ``path``."""
    source = Path(path).absolute()
    if data_dir is not None and _inside(source, Path(data_dir)):
        raise SigningError(f"the signing key {source} is inside the data folder: move it elsewhere "
                           "(a backup holds the whole data folder)")
    try:
        raw = source.read_bytes()
    except OSError as error:
        raise SigningError(f"cannot read the signing key {source} ({error.strerror}); "
                           "make one with: flask keys generate PATH") from None
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError):
        raise SigningError(f"{source} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{source} is not an Ed25519 key")
    return Signer(key, source)


def parse_public(raw: bytes, where: str) -> Ed25519PublicKey:
    """The Ed25519 public key in PEM ``raw`` (read from ``where``, named in the error)."""
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError):
        raise SigningError(f"{where} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{where} is not an Ed25519 public key")
    return key


def load_public(path: str | Path) -> Ed25519PublicKey:
    """The public key in the PEM file ``path``."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise SigningError(f"cannot read the public key {path} ({error.strerror})") from None
    return parse_public(raw, str(path))
