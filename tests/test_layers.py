"""The layers, read from the code (ast), the way tests/test_access.py holds the access table.

Data flows one way: request -> blueprint (inspector/web/) -> domain module (inspector/*.py) -> store
(inspector/store/) -> disk. The rules held here:

1. A module under inspector/web/ never calls a store method that writes; it may read. Which methods write
   is derived from the store's own classes (``store_writes``), not listed by hand. Every write goes through
   a domain module -- audit entries too: a view logs with ``web.helpers.log``, which calls
   ``audit.record``, the audit domain's own write.
2. A store module never imports flask.
3. Nothing outside inspector/store/ imports tinydb or psycopg.
4. A domain module never imports flask (nor flask_login, flask_wtf, ...): what it needs from a request is
   passed in.
5. No import circle anywhere in inspector/, imports inside functions included.
6. A module under inspector/web/ imports no private (``_name``) name of another module.

Every checker is also run over a small source that breaks its rule, so that each rule can fail.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from pathlib import Path

import pytest

import inspector
import inspector.store
from inspector.store import Store

ROOT = Path(inspector.__file__).parent
# inspector/*.py that are not domain modules: the app factory and the objects bound to the app, and the
# small threaded server that tests and benchmarks run the app in.
NOT_DOMAIN = {"inspector", "inspector.extensions", "inspector.local_server"}


# --- reading the code ---------------------------------------------------------------------------------------

def read_package() -> dict[str, tuple[str, bool]]:
    """{module name: (source, whether it is a package's __init__)} of every module in inspector/."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path.read_text(encoding="utf-8"), package)
    return found


def imports(module: str, source: str, package: bool, known: set[str]) -> set[str]:
    """Every module ``module`` imports, anywhere in it: absolute dotted names.

    ``from p import x`` names the module ``p.x`` when there is one, else ``p`` itself (``x`` is then a name
    defined in ``p``, which runs ``p`` first).
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def import_graph(modules: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """{module: the modules of the same code it imports}."""
    known = set(modules)
    return {name: imports(name, source, package, known) & known for name, (source, package) in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each as a path that ends where it starts (one per group of modules in a circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, group) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    path, seen = [start], {start}
    while True:
        following = sorted(t for t in graph[path[-1]] if t in group)
        back = start if start in following else None
        step = back or next((t for t in following if t not in seen), following[0])
        path.append(step)
        if step == start or step in seen:
            return path
        seen.add(step)


def top_level_imports(module: str, source: str, package: bool) -> set[str]:
    """The first part of every name ``module`` imports (``flask`` for ``flask.cli``)."""
    return {name.split(".")[0] for name in imports(module, source, package, set())}


# --- which store methods write --------------------------------------------------------------------------------

# What makes a method a write: taking a partition's write lock, an atomic file write, or changing a file in place.
WRITE_PRIMITIVES = {"transaction", "atomic_write", "write", "write_bytes", "write_text", "truncate", "unlink"}


def store_classes() -> list[type]:
    """Every class defined in the store package."""
    found = []
    for info in pkgutil.walk_packages(inspector.store.__path__, "inspector.store."):
        module = importlib.import_module(info.name)
        found.extend(c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__)
    return found


def _self_rooted(node: ast.AST) -> bool:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id in ("self", "cls", "super")  # super(): the same object


def _calls(function) -> tuple[set[str], set[str]]:
    """(names the function calls anywhere, methods it calls on ``self`` or on what ``self`` holds)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    called, on_self = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                called.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                called.add(node.func.attr)
                if _self_rooted(node.func.value):
                    on_self.add(node.func.attr)
    return called, on_self


def writing_methods(classes: list[type]) -> set[tuple[type, str]]:
    """(class, method) pairs that write: a write primitive, or (to a fixed point) a call on ``self`` -- or on
    a table, partition or store ``self`` holds -- of a method that writes."""
    methods = {}
    for cls in classes:
        for name, member in vars(cls).items():
            function = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if inspect.isfunction(function) and not (name.startswith("__") and name.endswith("__")):
                methods[cls, name] = _calls(function)
    writes = {key for key, (called, _) in methods.items() if called & WRITE_PRIMITIVES}
    while True:
        names = {name for _, name in writes}
        more = {key for key, (_, on_self) in methods.items() if key not in writes and on_self & names}
        if not more:
            return writes
        writes |= more


def store_writes(root: Path) -> dict[str, set[str]]:
    """{record kind of the store (``lks``, ``notifications``, ...): the names of its methods that write}."""
    writing = writing_methods(store_classes())
    kinds = {}
    for kind, value in vars(Store(root)).items():
        cls = type(value)
        if not cls.__module__.startswith("inspector.store."):
            continue
        names = set()
        for name in dir(cls):
            owner = next((c for c in cls.__mro__ if name in vars(c)), None)
            if owner is not None and (owner, name) in writing:
                names.add(name)
        kinds[kind] = names
    return kinds


def store_writes_in(source: str, writes: dict[str, set[str]]) -> list[str]:
    """Calls in ``source`` of a store method that writes: ``<anything>.<kind>.<write>(...)``, or the same
    through a name bound to ``<anything>.<kind>``."""
    tree = ast.parse(source)
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) and node.value.attr in writes:
            bound.update((t.id, node.value.attr) for t in node.targets if isinstance(t, ast.Name))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver, method = node.func.value, node.func.attr
        kind = receiver.attr if isinstance(receiver, ast.Attribute) else \
            bound.get(receiver.id) if isinstance(receiver, ast.Name) else None
        if kind in writes and method in writes[kind]:
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
    return found


def private_imports(module: str, source: str, package: bool) -> list[str]:
    """``from x import _name``: a private name taken from another module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found.extend(f"line {node.lineno}: {alias.name}" for alias in node.names
                         if alias.name.startswith("_"))
    return found


# --- the rules, over the code as it is ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def modules() -> dict[str, tuple[str, bool]]:
    return read_package()


@pytest.fixture(scope="module")
def writes(tmp_path_factory) -> dict[str, set[str]]:
    return store_writes(tmp_path_factory.mktemp("store"))


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def domain_modules(modules) -> list[str]:
    return [name for name, (_, package) in modules.items()
            if name.count(".") == 1 and not package and name not in NOT_DOMAIN]


def test_the_store_write_methods_are_derived_from_the_store_classes(writes):
    """A check of the derivation: known writes are found, known reads are not."""
    expected = {
        "users": ({"create", "update", "modify", "insert"}, {"get", "all", "find", "by_username", "count"}),
        "lks": ({"create", "create_many", "change", "modify"}, {"get", "all", "by_code", "codes"}),
        "inspections": ({"insert", "modify", "remove"}, {"get", "peek", "peek_many", "for_lks", "newest_first", "every",
                                               "for_inspector", "new_id"}),
        "photos": ({"save", "delete"}, {"read"}),
        "audit": ({"append"}, {"entries", "months", "path", "verify"}),
        "notifications": ({"add", "mark_read", "delivery_add", "delivery_update", "note_inspected",
                           "critical_opened", "critical_closed"},
                          {"for_user", "unread_count", "get_alert", "delivery_list", "inspected", "open_critical"}),
        "review_index": ({"mark_pending", "clear_pending", "put", "put_missing", "rebuild"},
                         {"pending_rows", "months", "rows"}),
        "followups": ({"insert", "modify"}, {"get", "for_lks", "for_inspection", "new_id"}),
        "concerns": ({"add_once", "modify"}, {"get", "by_token", "all", "open_count", "new_id"}),
        "throttle": ({"record_failure", "clear"}, {"get"}),
        "checklists": ({"keep"}, {"get"}),
    }
    assert set(expected) <= set(writes)
    for kind, (written, read) in expected.items():
        assert written <= writes[kind], (kind, sorted(written - writes[kind]))
        assert not read & writes[kind], (kind, sorted(read & writes[kind]))


def test_no_view_writes_through_the_store(modules, writes):
    found = {name: store_writes_in(source, writes) for name, (source, _) in modules.items()
             if in_package(name, "inspector.web")}
    assert len(found) > 10
    assert {name: calls for name, calls in found.items() if calls} == {}


def test_no_store_module_imports_flask(modules):
    found = {name: top_level_imports(name, source, package) & {"flask", "flask_login", "flask_wtf", "werkzeug"}
             for name, (source, package) in modules.items() if in_package(name, "inspector.store")}
    assert len(found) > 5
    assert {name: sorted(names) for name, names in found.items() if names} == {}


def test_only_the_store_imports_tinydb_or_psycopg(modules):
    found = {name: top_level_imports(name, source, package) & {"tinydb", "psycopg", "psycopg2"}
             for name, (source, package) in modules.items() if not in_package(name, "inspector.store")}
    assert {name: sorted(names) for name, names in found.items() if names} == {}


def test_no_domain_module_imports_flask(modules):
    domain = domain_modules(modules)
    assert {"inspector.lks", "inspector.provisional", "inspector.audit", "inspector.auth", "inspector.review",
            "inspector.oversight"} <= set(domain)
    found = {name: {n for n in top_level_imports(name, *modules[name]) if n.startswith(("flask", "werkzeug"))}
             for name in domain}
    assert {name: sorted(names) for name, names in found.items() if names} == {}


def test_no_import_circle_in_inspector(modules):
    graph = import_graph(modules)
    assert "inspector.web.admin.lks" in graph["inspector.web.admin"]  # the graph sees package-relative imports
    assert cycles(graph) == []


def test_no_view_imports_a_private_name(modules):
    found = {name: private_imports(name, *modules[name]) for name in modules if in_package(name, "inspector.web")}
    assert {name: names for name, names in found.items() if names} == {}


# --- each rule can fail -----------------------------------------------------------------------------------------

def test_a_view_writing_through_the_store_is_found(writes):
    assert store_writes_in("def v():\n    store().lks.create(name='x')\n", writes) == \
        ["line 2: store().lks.create()"]
    assert store_writes_in("n = current_app.extensions['store'].notifications\nn.mark_read('u1')\n", writes) == \
        ["line 2: n.mark_read()"]
    assert store_writes_in("store().audit.append(None, 'system', 'sign_in', None, None)\n", writes) != []
    assert store_writes_in("store().lks.all()\nstore().notifications.unread_count('u1')\nrows.append(1)\n",
                           writes) == []


def test_a_forbidden_import_is_found():
    assert top_level_imports("inspector.store.x", "from flask import g\n", False) == {"flask"}
    assert top_level_imports("inspector.x", "def f():\n    import tinydb.table\n", False) == {"tinydb"}
    assert top_level_imports("inspector.x", "from flask_login import current_user\n", False) == {"flask_login"}
    assert top_level_imports("inspector.x", "from .store import Store\nfrom . import lks\n", False) == {"inspector"}


def test_an_import_circle_is_found():
    two = {"p": ("", True), "p.a": ("from . import b\n", False), "p.b": ("def f():\n    from .a import x\n", False)}
    assert cycles(import_graph(two)) == [["p.a", "p.b", "p.a"]]
    # A name (not a module) taken from a package runs the package: the old ``from .. import csrf``.
    root = {"p": ("def create():\n    from .web import init\n", True), "p.web": ("from .. import csrf\n", True),
            "p.lks": ("", False), "p.view": ("from . import lks\n", False)}
    assert cycles(import_graph(root)) == [["p", "p.web", "p"]]
    assert cycles(import_graph({**root, "p.web": ("from .. import lks\n", True)})) == []


def test_a_private_import_is_found():
    assert private_imports("p.web.export", "from .review import _filters as queue_filters\n", False) == \
        ["line 1: _filters"]
    assert private_imports("p.web.export", "from .queries import queue_filters\n", False) == []
