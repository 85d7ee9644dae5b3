"""The data's layout version: new data is at the version the code reads, and upgrading it then changes nothing."""

from __future__ import annotations


def test_new_data_is_at_the_current_layout_and_an_upgrade_has_nothing_to_do(engine, store):
    found, current = store.layout()
    assert found == current and store.layout_behind is None
    lines = []
    assert store.upgrade_layout(lines.append) == [] and lines == []
    assert store.layout() == (current, current)
    assert engine.open().layout() == (current, current)  # as another process sees it
