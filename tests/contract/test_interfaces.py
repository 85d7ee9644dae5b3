"""Every engine's store offers each interface of the contract, with the contract's own signatures."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from inspector.store import contract

CONTRACT_FOLDER = Path(contract.__file__).parent
ENGINE_WORDS = ("Path", "TinyDB", "Partition", "Table", "Storage", "psycopg")


def _methods(interface: type) -> dict[str, inspect.Signature]:
    """The interface's methods, with their signatures as called on an object (without ``self``)."""
    found = {}
    for name, value in vars(interface).items():
        if callable(value) and not name.startswith("_"):
            signature = inspect.signature(value)
            found[name] = signature.replace(parameters=list(signature.parameters.values())[1:])
    return found


def test_the_store_offers_every_kind_of_record(engine, store):
    assert isinstance(store, contract.Store)
    assert set(contract.KINDS) == set(typing.get_type_hints(contract.Store))


@pytest.mark.parametrize("kind", sorted(contract.KINDS))
def test_each_kind_has_every_method_of_its_interface_with_the_same_parameters(engine, store, kind):
    interface = contract.KINDS[kind]
    member = getattr(store, kind)
    assert isinstance(member, interface)
    methods = _methods(interface)
    assert methods, kind
    for name, wanted in methods.items():
        got = inspect.signature(getattr(member, name))
        assert list(got.parameters) == list(wanted.parameters), (kind, name)
        for parameter in wanted.parameters.values():
            assert got.parameters[parameter.name].default == parameter.default, (kind, name, parameter.name)
            assert got.parameters[parameter.name].kind == parameter.kind, (kind, name, parameter.name)


def test_the_store_class_declares_each_member_with_its_interface(engine, store):
    hints = typing.get_type_hints(type(store))
    assert {kind: hints.get(kind) for kind in contract.KINDS} == contract.KINDS


@pytest.mark.parametrize("kind", sorted(contract.KINDS))
def test_the_contract_names_no_file_folder_or_engine_in_its_signatures(kind):
    for name, signature in _methods(contract.KINDS[kind]).items():
        for annotation in [p.annotation for p in signature.parameters.values()] + [signature.return_annotation]:
            text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
            assert not any(word in text for word in ENGINE_WORDS), (kind, name, text)


def test_the_contract_imports_nothing_but_typing():
    modules = sorted(CONTRACT_FOLDER.glob("*.py"))
    assert len(modules) >= 2
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert [a.name for a in node.names] == ["typing"], (path.name, ast.unparse(node))
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module in ("__future__", "typing"), (path.name, ast.unparse(node))
