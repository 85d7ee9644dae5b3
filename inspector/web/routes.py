"""Routes declared beside their views, added to the blueprint by the package that owns it.

A blueprint of several modules keeps its ``bp`` in the package's ``__init__.py``; its modules declare
``routes = Routes()`` and ``@routes.route(...)`` instead of importing ``bp`` back from the package (an
import circle), and ``__init__.py`` adds them all with ``routes.add_to(bp)``. Endpoints are named after the
view functions, as ``bp.route`` names them.
"""

from __future__ import annotations

from flask import Blueprint


class Routes:
    """URL rules kept until ``add_to`` puts them on a blueprint."""

    def __init__(self):
        self.rules: list[tuple[str, dict, object]] = []

    def route(self, rule: str, **options):
        """Like ``Blueprint.route``: the view under ``rule`` (several rules may name one view)."""
        def decorate(view):
            self.rules.append((rule, options, view))
            return view
        return decorate

    def add_to(self, bp: Blueprint) -> None:
        for rule, options, view in self.rules:
            bp.add_url_rule(rule, view_func=view, **options)
