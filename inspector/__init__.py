"""Inspector: phone-first inspection of social-welfare institutions (LKS)."""

from __future__ import annotations

from flask import Flask, request

from . import config
from .config import REPO_ROOT


def create_app(overrides: dict | None = None, strict: bool = True) -> Flask:
    """Build the application: settings, store, checklists, sign-in, pages, commands.

    ``strict`` (the server) refuses to start on an invalid checklist, listing every problem, and on a data
    folder whose layout is behind. ``strict=False`` (the ``flask`` command line) starts anyway, so that
    ``flask forms check`` can report the checklists and ``flask db upgrade`` can bring the folder up to date.
    """
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(REPO_ROOT / "templates"), static_folder=str(REPO_ROOT / "static"))
    config.load(app, overrides)
    init_proxy(app)
    init_store(app, strict)
    init_checklists(app, strict)
    init_security(app)
    init_pages(app)
    init_compression(app)
    init_commands(app)
    return app


def init_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* only from as many proxies as configured (none by default)."""
    proxies = int(app.config["INSPECTOR_PROXIES"])
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def init_store(app: Flask, strict: bool) -> None:
    from .store import Store

    # The server refuses a data folder whose layout is behind; the flask commands open it for `flask db upgrade`.
    app.extensions["store"] = Store(app.config["INSPECTOR_DATA_DIR"], layout_behind_ok=not strict)
    config.take_secret_key(app, app.extensions["store"])


def init_checklists(app: Flask, strict: bool) -> None:
    from .checklists import ChecklistError, load_folder

    try:
        app.extensions["checklists"] = load_folder(app.config["INSPECTOR_FORMS_DIR"])
    except ChecklistError as error:
        if strict:
            raise ChecklistError(["Inspector cannot start: invalid checklist files"] + error.problems) from None
        app.extensions["checklists"] = {}
        app.extensions["checklist_problems"] = error.problems


def init_security(app: Flask) -> None:
    """CSRF tokens on every form, the signed-in user from the session, and every route's access rule."""
    from .extensions import csrf, login_manager
    from .web.guard import enforce_access, load_user

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    app.before_request(enforce_access)


def init_pages(app: Flask) -> None:
    from . import web

    web.init_app(app)


# Text is what crosses a slow 3G link: compressed, the 67-item checklist page is ~11 kB instead of ~90 kB.
# Photos, PDFs and zips are compressed already and are left alone.
COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                      "image/svg+xml", "text/csv", "text/plain"]


def init_compression(app: Flask) -> None:
    """gzip (brotli or zstd where the browser offers them) for text responses; static files at the best level."""
    from flask_compress import Compress

    from .web.static_compression import best_compression

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    Compress(app)
    app.after_request(best_compression(app.config["COMPRESS_MIMETYPES"]))  # static files: once, at the best level
    app.after_request(buffer_static_file)  # registered last, so it runs before the compression


def buffer_static_file(response):
    """Read a static file (a few kB) into memory: it is then compressed whole, with a Content-Length, and the
    file is closed with the response. Compressed as a stream, the open file would be left to the garbage
    collector, and a stream gets no gzip (Flask-Compress streams only zstd, br and deflate by default)."""
    if request.endpoint == "static" and response.direct_passthrough:
        response.direct_passthrough = False
        response.make_sequence()
    return response


def init_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
