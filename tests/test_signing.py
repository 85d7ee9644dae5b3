"""Signed backups and evidence bundles (inspector.store.signing).

* ``flask keys generate PATH`` writes a 0600 Ed25519 key outside the data folder and prints its fingerprint;
* ``flask restore`` refuses an archive that is unsigned, signed by another key (unless that key is named as
  trusted), or edited with its manifest recomputed, and changes nothing; a good one restores;
* ``flask backup`` without a key, or into a folder it cannot write or a full disk, says why in one line;
* the evidence zip carries the signature, the public key and its fingerprint, and the README's ``openssl``
  and ``sha256sum`` commands verify it without the server (and fail on a changed file).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from inspector.store import backup, signing
from tests.support.auth import client_as
from tests.support.builders import make_app, seed_app, signing_key
from tests.support.inspection_builders import sent_inspection

README = Path(__file__).resolve().parent.parent / "README.md"
OPENSSL_VERIFY = ("openssl pkeyutl -verify -pubin -inkey key.pub.pem -rawin -in MANIFEST.sha256 "
                  "-sigfile MANIFEST.sha256.sig")


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but lock files (which taking a lock may make)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.name.endswith(".lock")}


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        return [(info, tar.extractfile(info).read()) for info in tar if info.isfile()]


def repacked(archive: Path, out: Path, change) -> Path:
    """``archive`` with its members passed through ``change`` ([(info, data)] -> [(info, data)])."""
    with tarfile.open(out, "w:gz") as tar:
        for info, data in change(members(archive)):
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def backed_up(tmp_path):
    """A seeded data folder and its signed backup (made with ``flask backup``)."""
    app = make_app(tmp_path)
    seed_app(app)
    archive = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert signing_key(tmp_path / "signing-key.pem").fingerprint in result.output
    return Path(app.config["INSPECTOR_DATA_DIR"]), archive


# --- The key -------------------------------------------------------------------------------------

def test_keys_generate_writes_a_private_key_readable_only_by_its_owner_and_prints_its_fingerprint(tmp_path):
    app = make_app(tmp_path)
    path = tmp_path / "keys" / "inspector-signing.pem"
    path.parent.mkdir()
    result = app.test_cli_runner().invoke(args=["keys", "generate", str(path)])
    assert result.exit_code == 0, result.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    key = signing.load(path)
    assert f"Public key fingerprint: {key.fingerprint}" in result.output
    assert re.fullmatch(r"SHA256:[0-9a-f]{64}", key.fingerprint)
    again = app.test_cli_runner().invoke(args=["keys", "generate", str(path)])
    assert again.exit_code != 0 and "already exists" in again.output
    assert signing.load(path).fingerprint == key.fingerprint  # never overwritten


def test_a_signing_key_inside_the_data_folder_is_refused(tmp_path):
    app = make_app(tmp_path)
    inside = Path(app.config["INSPECTOR_DATA_DIR"]) / "signing.pem"
    result = app.test_cli_runner().invoke(args=["keys", "generate", str(inside)])
    assert result.exit_code != 0 and "inside the data folder" in result.output
    assert not inside.exists()
    key = signing_key(tmp_path / "elsewhere.pem")
    shutil.copy(key.path, inside)
    with pytest.raises(signing.SigningError, match="inside the data folder"):
        make_app(tmp_path, INSPECTOR_SIGNING_KEY=str(inside))  # the server refuses to start on it


# --- Restore checks the signature ----------------------------------------------------------------

def _edited_with_recomputed_manifest(items):
    """users.json changed, and the manifest recomputed to match it; the old signature kept."""
    out = []
    changed = {}
    for info, data in items:
        if info.name == "data/users.json":
            data = data.replace(b'"username"', b'"Username"', 1)
            changed[info.name[len("data/"):]] = data
        out.append((info, data))
    for n, (info, data) in enumerate(out):
        if info.name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] in changed:
                    entry["size"] = len(changed[entry["path"]])
                    entry["sha256"] = hashlib.sha256(changed[entry["path"]]).hexdigest()
            out[n] = (info, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    assert changed
    return out


def _unsigned(items):
    return [(info, data) for info, data in items if info.name != "manifest.json.sig"]


def _signed_by_another_key(tmp_path):
    other = signing.generate(tmp_path / "other-key.pem")

    def change(items):
        manifest = next(data for info, data in items if info.name == "manifest.json")
        return [(info, other.sign(manifest) if info.name == "manifest.json.sig" else data) for info, data in items]
    return change


@pytest.mark.parametrize("case, message", [
    ("edited, manifest recomputed", "signature of manifest.json does not verify"),
    ("signed by another key", "signature of manifest.json does not verify"),
    ("unsigned", "no manifest.json.sig"),
])
def test_restore_refuses_a_backup_whose_signature_fails_and_changes_nothing(tmp_path, backed_up, case, message):
    _, archive = backed_up
    change = {"edited, manifest recomputed": _edited_with_recomputed_manifest, "unsigned": _unsigned,
              "signed by another key": _signed_by_another_key(tmp_path)}[case]
    bad = repacked(archive, tmp_path / "bad.tar.gz", change)
    target = tmp_path / "restored"
    app = make_app(tmp_path, INSPECTOR_DATA_DIR=str(target))
    before = files_of(target)
    result = app.test_cli_runner().invoke(args=["restore", str(bad)])
    assert result.exit_code != 0
    assert message in result.output and "Nothing was restored" in result.output, result.output
    assert "Traceback" not in result.output
    assert files_of(target) == before
    assert not [p for p in target.iterdir() if p.name.startswith(".restore-")]


def test_a_good_backup_restores(tmp_path, backed_up):
    root, archive = backed_up
    target = tmp_path / "restored"
    result = make_app(tmp_path, INSPECTOR_DATA_DIR=str(target)).test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "signature verified" in result.output
    assert (target / "users.json").read_bytes() == (root / "users.json").read_bytes()


def test_a_backup_signed_by_another_key_restores_when_that_public_key_is_named_as_trusted(tmp_path, backed_up):
    _, archive = backed_up
    other_home = tmp_path / "other"
    other_home.mkdir()
    own = signing_key(tmp_path / "signing-key.pem")
    (other_home / "old.pub.pem").write_bytes(own.public_pem)
    target = tmp_path / "restored"
    # This installation has a new key: the old backup is refused, then accepted with the old public key.
    app = make_app(other_home, INSPECTOR_DATA_DIR=str(target))
    refused = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert refused.exit_code != 0 and own.fingerprint in refused.output, refused.output
    trusted = app.test_cli_runner().invoke(args=["restore", str(archive), "--trusted-key",
                                                 str(other_home / "old.pub.pem")])
    assert trusted.exit_code == 0, trusted.output


# --- Backup says why it failed -------------------------------------------------------------------

def test_backup_without_a_signing_key_is_refused_with_the_way_to_make_one(tmp_path):
    app = make_app(tmp_path, INSPECTOR_SIGNING_KEY="")
    seed_app(app)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.tar.gz")])
    assert result.exit_code != 0
    assert "INSPECTOR_SIGNING_KEY is not set" in result.output and "flask keys generate" in result.output
    assert not (tmp_path / "b.tar.gz").exists()


def _full_disk_writer(monkeypatch):
    """Files opened for writing through ``os.fdopen`` fail with ENOSPC after 64 kB, as on a full disk."""
    real = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def writable(self):
            return True

        def write(self, data):
            self.written += len(data)
            if self.written > 64 * 1024:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def close(self):
            self.handle.close()
            super().close()

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real(fd, mode, *args, **kwargs)
        return io.BufferedWriter(Full(handle)) if "w" in mode else handle
    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize("fault, message", [("full disk", "no space left on the disk"),
                                            ("unwritable folder", "cannot write")])
def test_a_failed_backup_says_why_in_one_line_and_leaves_no_file(tmp_path, monkeypatch, fault, message):
    app = make_app(tmp_path)
    seed_app(app)
    store = app.extensions["store"]
    store.photos.save("s1", os.urandom(200 * 1024), b"thumb")  # more than the full disk takes
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    target = tmp_path / "backups"
    target.mkdir()
    if fault == "full disk":
        _full_disk_writer(monkeypatch)
    elif os.geteuid() == 0:  # root writes anywhere: the refusal a plain account gets, as the kernel gives it
        def refused(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        monkeypatch.setattr(backup.tempfile, "mkstemp", refused)
    else:
        target.chmod(0o500)
    before = files_of(root)
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(target / "b.tar.gz")])
    finally:
        target.chmod(0o700)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert list(target.iterdir()) == []
    assert files_of(root) == before  # nothing staged, left or changed in the data folder


# --- The evidence bundle -------------------------------------------------------------------------

@pytest.fixture
def bundle_folder(tmp_path):
    """A sent inspection's evidence zip, as downloaded by a reviewer, extracted into a folder."""
    app = make_app(tmp_path)
    lks = seed_app(app)
    record = sent_inspection(app, next(r for r in lks if r["kind"] == "lksa"))
    response = client_as(app, "reviewer").get(f"/tinjau/{record['id']}/paket.zip")
    assert response.status_code == 200
    folder = tmp_path / "paket"
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(folder)
    return folder, signing_key(tmp_path / "signing-key.pem")


def test_the_bundle_carries_the_signature_the_public_key_and_its_fingerprint(bundle_folder):
    folder, key = bundle_folder
    manifest = (folder / "MANIFEST.sha256").read_bytes()
    assert signing.verify(key.public, manifest, (folder / "MANIFEST.sha256.sig").read_bytes())
    assert (folder / "key.pub.pem").read_bytes() == key.public_pem
    assert "key.pub.pem" in manifest.decode()  # the key is itself covered by the signed manifest
    readme = (folder / "README.txt").read_text()
    assert key.fingerprint in readme and OPENSSL_VERIFY in readme


def test_the_readme_shows_the_commands_that_verify_a_bundle():
    text = README.read_text()
    assert OPENSSL_VERIFY in text and "sha256sum -c MANIFEST.sha256" in text


def _run(command: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("openssl") is None or shutil.which("sha256sum") is None,
                    reason="needs the openssl and sha256sum programs")
def test_the_documented_openssl_and_sha256sum_commands_verify_a_bundle_and_catch_a_change(bundle_folder):
    folder, key = bundle_folder
    verified = _run(OPENSSL_VERIFY, folder)
    assert verified.returncode == 0 and "Signature Verified Successfully" in verified.stdout, verified
    assert _run("sha256sum -c MANIFEST.sha256", folder).returncode == 0
    der = _run("openssl pkey -pubin -in key.pub.pem -outform DER | sha256sum", folder).stdout.split()[0]
    assert f"SHA256:{der}" == key.fingerprint
    # One answer changed, and the manifest recomputed by whoever changed it: the signature no longer verifies.
    record = folder / "inspection.json"
    record.write_text(record.read_text().replace('"ya"', '"tidak"', 1))
    assert _run("sha256sum -c --quiet MANIFEST.sha256", folder).returncode != 0
    lines = [f"{hashlib.sha256((folder / p).read_bytes()).hexdigest()}  {p}"
             for p in (line.split("  ", 1)[1] for line in (folder / "MANIFEST.sha256").read_text().splitlines()
                       if not line.startswith("#"))]  # the audit chain's comment lines name no file to hash
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    assert _run("sha256sum -c MANIFEST.sha256", folder).returncode == 0
    assert _run(OPENSSL_VERIFY, folder).returncode != 0


def test_no_bundle_is_made_without_a_signing_key(tmp_path):
    app = make_app(tmp_path, INSPECTOR_SIGNING_KEY="")
    lks = seed_app(app)
    record = sent_inspection(app, next(r for r in lks if r["kind"] == "lksa"))
    response = client_as(app, "reviewer").get(f"/tinjau/{record['id']}/paket.zip")
    assert response.status_code == 503
    assert "kunci tanda tangan" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"
