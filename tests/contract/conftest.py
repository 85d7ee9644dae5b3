"""The ``engine`` fixture: every contract test runs once per engine of ``engines.ENGINES``."""

from __future__ import annotations

import pytest

from .engines import ENGINES, Engine


@pytest.fixture(params=sorted(ENGINES))
def engine(request, tmp_path) -> Engine:
    """Fresh, empty data on one engine."""
    return Engine(request.param, ENGINES[request.param].make(tmp_path))


@pytest.fixture
def store(engine):
    """A store on the engine's data (``engine.open()`` gives another, as a second process would have)."""
    return engine.open()
