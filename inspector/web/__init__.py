"""The pages: a blueprint per audience or concern (a blueprint of several modules is a package with its ``bp`` in
``__init__.py``), with the error pages, what every response carries and what every template may use.

Views are thin: read the request, call the domain, render. They read from the store, but every write goes
through a domain module (``tests/test_layers.py`` holds that line).
"""

from __future__ import annotations

from flask import Flask

from . import (account, admin, app_shell, audit, context, errors, export, inspect, inspection, offline, operator,
               oversight, public, responses, review, second_step, space)

BLUEPRINTS = (public, account, second_step, inspect, inspection, review, oversight, export, operator, admin, audit,
              app_shell, offline)


def init_app(app: Flask) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    errors.init_app(app)
    context.init_app(app)
    responses.init_app(app)
    space.init_app(app)
