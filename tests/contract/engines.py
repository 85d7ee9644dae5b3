"""The engines the contract suite runs over: one line each in ``ENGINES``.

An engine here is a class with two static methods: ``make(folder)`` gives
the location of fresh, empty data for one test (a data folder, a database
schema) and ``open(location)`` opens a store on it. A location is a string,
so a child process given it opens the same data (see workers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inspector.store import contract


class TinyDBEngine:
    """The data-folder engine: TinyDB partitions under a temporary folder."""

    @staticmethod
    def make(folder: Path) -> str:
        return str(folder / "data")

    @staticmethod
    def open(location: str) -> contract.Store:
        from inspector.store import Store

        return Store(location)


ENGINES = {
    "tinydb": TinyDBEngine,
}


@dataclass(frozen=True)
class Engine:
    """One engine on one test's data: ``store`` for the test, ``open()`` for another store on the same data."""

    name: str
    location: str

    def open(self) -> contract.Store:
        return ENGINES[self.name].open(self.location)

    @property
    def address(self) -> tuple[str, str]:
        """What a child process needs to open this data (see ``open_address``)."""
        return (self.name, self.location)


def open_address(address: tuple[str, str]) -> contract.Store:
    name, location = address
    return ENGINES[name].open(location)
