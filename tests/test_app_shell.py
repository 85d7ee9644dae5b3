"""The installable app: manifest, icons drawn by the server, the service worker's script and the offline page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from inspector.web.app_shell import SHELL_FILES
from tests.support.builders import PASSWORD, ROLE_USERS


def test_the_manifest_names_the_app_in_indonesian_and_lists_icons_that_exist(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["lang"] == "id" and manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["short_name"] == "Inspector" and "Dinas Sosial" in manifest["description"]
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = Image.open(io.BytesIO(image.data)).size
        assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.parametrize("name,corner_alpha", [("192", 0), ("512", 0), ("192-maskable", 255), ("512-maskable", 255)])
def test_a_maskable_icon_fills_its_square_and_the_plain_one_has_round_corners(client, name, corner_alpha):
    image = Image.open(io.BytesIO(client.get(f"/ikon/{name}.png").data)).convert("RGBA")
    assert image.getpixel((0, 0))[3] == corner_alpha
    centre = image.getpixel((image.width // 2, int(image.height * 0.7)))
    assert centre[:3] == (255, 255, 255)  # the white board, in the middle of the drawing


@pytest.mark.parametrize("name", ["64", "192-bulat", "abc", "512-maskable-x", "..%2fsecret_key"])
def test_an_unknown_icon_is_not_found(client, name):
    assert client.get(f"/ikon/{name}.png").status_code == 404


def test_the_service_worker_is_served_from_the_root_uncached_and_names_the_current_static_files(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    shell = json.loads(re.search(r"^var SHELL = (.*);$", script, re.M).group(1))
    assert "/luring" in shell and any(url.startswith("/static/style.css?v=") for url in shell)
    for url in shell:
        with client.get(url) as kept:
            assert kept.status_code == 200, url
    version = re.search(r'^var VERSION = "([0-9a-f]{12})";$', script, re.M).group(1)
    assert client.get("/sw.js").get_data(as_text=True) == script  # the same files: the same worker
    assert version in script and 'addEventListener("fetch"' in script


def test_a_changed_static_file_makes_a_new_worker(app, client, tmp_path):
    first = client.get("/sw.js").get_data(as_text=True)
    app.static_folder = str(tmp_path)
    for name in (*SHELL_FILES, "sw.js"):
        (tmp_path / name).write_bytes((Path(app.root_path).parent / "static" / name).read_bytes())
    assert client.get("/sw.js").get_data(as_text=True) == first
    (tmp_path / "style.css").write_text("body { color: red; }")
    assert client.get("/sw.js").get_data(as_text=True) != first


def test_the_offline_page_names_no_account_even_for_a_signed_in_inspector(app, client):
    client.post("/masuk", data={"username": ROLE_USERS["inspector"], "password": PASSWORD})
    page = client.get("/luring").get_data(as_text=True)
    assert "Tidak ada sinyal" in page and 'href="tel:110"' in page and 'href="tel:129"' in page
    name = app.extensions["store"].users.by_username(ROLE_USERS["inspector"])["name"]
    assert name not in page and "Keluar" not in page and "csrf_token" not in page
    assert name in client.get("/inspeksi/").get_data(as_text=True)  # the same session, on a normal page


def test_every_page_links_the_manifest_and_the_worker(client):
    page = client.get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page and 'data-service-worker="/sw.js"' in page
