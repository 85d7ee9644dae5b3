"""Security headers on every response, and proxy headers trusted only when configured."""

from __future__ import annotations

from conftest import make_app


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
