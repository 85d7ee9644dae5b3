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
    init_signing(app, strict)
    init_checklists(app, strict)
    init_security(app)
    init_pages(app)
    init_compression(app)
    init_commands(app)
    if strict:
        init_schedule(app)
    return app


def init_schedule(app: Flask) -> None:
    """The server checks its data folder against the audit chain every INSPECTOR_CHECK_EVERY_HOURS (0: never)."""
    from .integrity import start_schedule

    app.extensions["store_check"] = start_schedule(app.extensions["store"],
                                                   float(app.config["INSPECTOR_CHECK_EVERY_HOURS"]))


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
    if strict:  # a server: its outbox worker thread (the flask commands run `flask outbox run` instead)
        from . import announce, outbox

        outbox.attach(app.extensions["store"], app.config, announce.run_pending)


def init_signing(app: Flask, strict: bool) -> None:
    """The key that signs backups and evidence bundles (``extensions["signer"]``, None without one). The server
    refuses to start on a key that is set but unusable; the ``flask`` commands start, to say why where it is used
    (and so that ``flask keys generate`` can make the key the setting names)."""
    from .store import signing

    app.extensions["signer"], app.extensions["signer_problem"] = None, "INSPECTOR_SIGNING_KEY is not set"
    path = str(app.config.get("INSPECTOR_SIGNING_KEY") or "")
    if not path:
        return
    try:
        app.extensions["signer"] = signing.load(path, app.config["INSPECTOR_DATA_DIR"])
    except signing.SigningError as error:
        if strict:
            raise signing.SigningError(f"Inspector cannot start: {error}") from None
        app.extensions["signer_problem"] = str(error)


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
    from .web.guard import end_old_session, enforce_access, load_user, refuse_foreign_post

    app.before_request(refuse_foreign_post)  # before flask-wtf's CSRF check, so the answer names the cause
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    app.before_request(end_old_session)
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
