"""The package list in pyproject.toml names every package of the code: a wheel or a non-editable install
would silently leave out a sub-package it does not name."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_lists_every_package_of_inspector():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "inspector").rglob("__init__.py")}
    assert listed == found
