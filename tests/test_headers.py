"""Security headers on every response, and proxy headers trusted only when configured."""

from __future__ import annotations

import gzip
import re

from inspector.config import REPO_ROOT
from tests.support.builders import make_app
from tests.support.photos import jpeg


def test_every_kind_of_response_carries_the_security_headers(client, auth, store):
    lks = store.lks.all()[0]
    auth.login_as("admin")
    responses = [client.get("/masuk"), client.get(f"/l/{lks['code']}"), client.get("/tidak-ada"),
                 client.get("/static/style.css"), client.get(f"/admin/lks/{lks['id']}/qr.png"), client.get("/admin/")]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert responses[-1].headers["Cache-Control"] == "no-store"  # a signed-in page
    for response in responses:
        response.close()


def test_no_page_has_inline_script_or_style(client, auth, store):
    """The policy forbids inline code, so the pages must not carry any."""
    lks = store.lks.all()[0]
    pages = [client.get("/masuk"), client.get(f"/l/{lks['code']}")]
    auth.login_as("inspector")
    pages += [client.get("/inspeksi/"), client.get(f"/inspeksi/lks/{lks['code']}")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html and "onclick" not in html


def remote_addr_seen(app) -> str:
    from flask import request

    @app.route("/_uji/alamat")
    def seen():
        return request.remote_addr or ""
    seen.access = frozenset({"public"})
    return app.test_client().get("/_uji/alamat", headers={"X-Forwarded-For": "203.0.113.9"},
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_configured(tmp_path):
    plain = make_app(tmp_path / "a")
    assert remote_addr_seen(plain) == "127.0.0.1"
    behind_proxy = make_app(tmp_path / "b", INSPECTOR_PROXIES=1)
    assert remote_addr_seen(behind_proxy) == "203.0.113.9"


def test_text_is_gzipped_when_asked_and_photos_are_sent_as_they_are(client, auth, store):
    """Pages, CSS and JS cross a slow link compressed; JPEG and PNG are compressed already and are not touched."""
    lks = store.lks.all()[0]
    photo = jpeg(size=(320, 240))
    photo_id = store.photos.save(lks["id"], photo, jpeg())
    store.lks.change(lks["id"], {"front_photo": {"id": photo_id, "taken_at": None, "gps": None, "sha256": ""}})
    auth.login_as("admin")
    gzip_please = {"Accept-Encoding": "gzip, deflate"}

    page = client.get("/admin/", headers=gzip_please)
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    assert "</html>" in gzip.decompress(page.data).decode()
    assert "Content-Encoding" not in client.get("/admin/").headers  # not asked: sent plain
    for path in ("/static/style.css", "/static/app.js"):
        with client.get(path, headers=gzip_please) as response:
            assert response.headers["Content-Encoding"] == "gzip", path
            assert int(response.headers["Content-Length"]) == len(response.data)
            assert gzip.decompress(response.data) == (REPO_ROOT / path.lstrip("/")).read_bytes()

    with client.get(f"/admin/lks/{lks['id']}/foto-depan", headers=gzip_please) as response:
        assert response.status_code == 200 and len(photo) > 500  # above the size where compression starts
        assert "Content-Encoding" not in response.headers and response.data == photo
    with client.get(f"/admin/lks/{lks['id']}/qr.png", headers=gzip_please) as response:
        assert response.mimetype == "image/png" and "Content-Encoding" not in response.headers
        assert response.data.startswith(b"\x89PNG") and len(response.data) > 500


def test_static_files_carry_their_version_and_are_kept_until_it_changes(client, auth):
    """Pages ask for /static/style.css?v=<hash>: that URL may be cached a year; a stale or bare URL is revalidated.
    Signed in or not, a static file sets no cookie and does not vary on it, so the browser keeps reusing it."""
    auth.login_as("inspector")
    html = client.get("/inspeksi/").get_data(as_text=True)
    css = re.search(r'href="(/static/style\.css\?v=\w+)"', html).group(1)
    with client.get(css, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers and response.headers["Vary"] == "Accept-Encoding"
        etag = response.headers["ETag"]
    with client.get(css, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as response:
        assert response.status_code == 304 and response.data == b""
    for stale in ("/static/style.css", "/static/style.css?v=000000000000"):
        with client.get(stale) as response:
            assert "max-age=31536000" not in response.headers.get("Cache-Control", ""), stale
    with client.get("/inspeksi/") as page:  # the pages themselves still renew the session and are not stored
        assert "Set-Cookie" in page.headers and page.headers["Cache-Control"] == "no-store"
