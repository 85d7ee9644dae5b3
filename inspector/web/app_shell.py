"""The installable app: its manifest and icons, the service worker, and the page shown without signal.

The service worker is served from the site's root so that it may look after every page; its script
names the current version of every static file, so a change of any of them is a new worker that the
browser installs by itself. It is never cached by HTTP (``no-cache``): the browser checks it each time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from .. import icons
from ..auth import PUBLIC, access

bp = Blueprint("app_shell", __name__)

# What the worker keeps from its first start, so that any page can at least show itself without signal.
SHELL_FILES = ("style.css", "app.js", "location.js", "outbox.js", "offline.js", "kept.js", "conflict.js", "score.js")
APP_NAME = "Inspector Dinsos Kota Tangerang"


@bp.route("/manifest.webmanifest")
@access(PUBLIC)
def manifest():
    body = {
        "name": APP_NAME, "short_name": "Inspector", "lang": "id", "dir": "ltr",
        "description": "Pengawasan Lembaga Kesejahteraan Sosial (LKS) oleh Dinas Sosial Kota Tangerang",
        "start_url": "/", "scope": "/", "display": "standalone", "orientation": "portrait",
        "theme_color": "#0b5394", "background_color": "#f4f5f7",
        "icons": [{"src": url_for("app_shell.icon", name=str(size)), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any"} for size in icons.MANIFEST_SIZES]
        + [{"src": url_for("app_shell.icon", name=f"{size}-maskable"), "sizes": f"{size}x{size}",
            "type": "image/png", "purpose": "maskable"} for size in icons.MANIFEST_SIZES],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json",
                     headers={"Cache-Control": "public, max-age=86400"})


@bp.route("/ikon/<name>.png")
@access(PUBLIC)
def icon(name: str):
    size, _, purpose = name.partition("-")
    if not size.isdigit() or int(size) not in icons.SIZES or purpose not in ("", "maskable"):
        abort(404)
    return Response(icons.png(int(size), maskable=purpose == "maskable"), mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.route("/sw.js")
@access(PUBLIC)
def service_worker():
    shell = [url_for("static", filename=name) for name in SHELL_FILES] + [url_for("app_shell.offline")]
    body = Path(current_app.static_folder, "sw.js").read_text(encoding="utf-8")
    version = hashlib.sha256(("\n".join(shell) + body).encode()).hexdigest()[:12]
    prelude = f"var VERSION = {json.dumps(version)};\nvar SHELL = {json.dumps(shell)};\n" \
              f"var OFFLINE_URL = {json.dumps(url_for('app_shell.offline'))};\n" \
              f"var OUTBOX_URL = {json.dumps(url_for('static', filename='outbox.js'))};\n"
    response = Response(prelude + body, mimetype="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})
    response.set_etag(version)  # the browser's update check of an unchanged worker is answered 304
    return response.make_conditional(request)


@bp.route("/luring")
@access(PUBLIC)
def offline():
    """What a page that is not on the phone shows without signal: the same for everyone, so it holds no record."""
    return render_template("app_shell/offline.html", shared_page=True)
