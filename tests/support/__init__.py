"""Test support: the one home of the builders, sign-in actions, waits and simulated clients the tests share.

Test modules import from here (``from tests.support.builders import make_app``), never from ``conftest``,
which keeps only fixtures. ``bench/soak.py`` imports the field client from here too.
"""
