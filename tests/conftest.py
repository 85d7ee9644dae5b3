"""Shared fixtures: a fresh app on a temporary data folder with 3 LKS and one account per role, its store, a
test client and sign-in actions; a local SMTP sink and webhook receiver. The builders behind them are in
tests/support/ (tests import them from there)."""

from __future__ import annotations

import os

# Page tests need atomic writes, not power-cut durability: skip fsync (tests/test_store.py turns it back on).
os.environ.setdefault("INSPECTOR_FSYNC", "0")
os.environ.setdefault("INSPECTOR_CHECK_EVERY_HOURS", "0")  # no background check unless a test asks

import pytest  # noqa: E402

from tests.support.auth import AuthActions  # noqa: E402
from tests.support.builders import make_app, seed_app  # noqa: E402
from tests.support.local_servers import Receiver, SmtpSink, serve  # noqa: E402


@pytest.fixture
def app(tmp_path):
    """An app with 3 LKS (the first bound to the operator) and one account per role."""
    app = make_app(tmp_path)
    seed_app(app)
    return app


@pytest.fixture
def store(app):
    return app.extensions["store"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def sink():
    """An SMTP server on 127.0.0.1 that keeps every message."""
    yield from serve(SmtpSink())


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 that keeps every hit."""
    yield from serve(Receiver())
