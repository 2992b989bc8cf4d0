"""The import graph of the three packages: no cycles, and the layers import one way.

No module imports one that imports it back, at any depth. The layers (``docs/architecture.md``)
import downwards only: the command line (``routellm_core.cli``) may use everything, evaluation
may use training, training may use data, every kit may use the runtime (the rest of
``routellm_core``); the runtime imports a kit only inside a router's ``fit`` (the fine-tuning
loop), never at import and never to route; the wrappers import no kit except in their replay
models, judge adapters and demo parts, and nothing imports the command line. Inside the
runtime the rooms import downwards too: the shared records (``errors``, ``defaults``,
``costs``, ``records``) below ``scoring/``, below ``routers/``, below ``routing/``.

Every ``import`` statement counts, top-level, inside a function (a lazy import is still a
dependency) or under ``if TYPE_CHECKING:`` (an import for types only is still a dependency of
the design). A package importing its own sub-modules is not a cycle (``__init__`` re-exports).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"routellm_core": ROOT / "core", "langchain_routellm": ROOT / "langchain_routellm",
            "llamaindex_routellm": ROOT / "llamaindex_routellm"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("").parts
            parts = rel[:-1] if rel[-1] == "__init__" else rel
            out[".".join((pkg, *parts))] = path
    return out


def _runtime_nodes(tree: ast.AST, *, types: bool = True) -> list[tuple[ast.AST, str | None]]:
    """Every node (without those under ``if TYPE_CHECKING:`` when ``types`` is false), with
    the name of the innermost function it is in (``None`` at module or class level)."""
    out: list[tuple[ast.AST, str | None]] = []
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, func = stack.pop()
        if not types and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend((n, func) for n in node.orelse)
            continue
        out.append((node, func))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = node.name
        stack.extend((n, func) for n in ast.iter_child_nodes(node))
    return out


def _import_sites(name: str, path: Path, known: set[str], *,
                  types: bool = True) -> list[tuple[str, str | None]]:
    """``(imported module, enclosing function or None)`` for every import of a known module
    (``types``: imports for type checking only included)."""
    is_pkg = path.name == "__init__.py"
    base = name if is_pkg else name.rsplit(".", 1)[0]
    sites: list[tuple[str, str | None]] = []
    for node, func in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8")), types=types):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = base
                for _ in range(node.level - 1):
                    target = target.rsplit(".", 1)[0]
                mod = f"{target}.{node.module}" if node.module else target
            else:
                mod = node.module or ""
            for cand in (mod, *(f"{mod}.{a.name}" for a in node.names)):
                # a package importing its own sub-modules (re-exports) is not a dependency
                # back on itself; the sub-module importing the package would be
                if cand in known and cand != name and not (is_pkg and cand.startswith(name + ".")):
                    sites.append((cand, func))
        elif isinstance(node, ast.Import):
            sites.extend((a.name, func) for a in node.names if a.name in known and a.name != name
                         and not (is_pkg and a.name.startswith(name + ".")))
    return sites


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    return {mod for mod, _ in _import_sites(name, path, known)}


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    found = []
    for a, targets in graph.items():
        for b in targets:
            seen: set[str] = set()
            stack = [b]
            while stack:
                x = stack.pop()
                if x == a:
                    found.append((a, b))
                    break
                if x not in seen:
                    seen.add(x)
                    stack.extend(graph.get(x, ()))
    return found


def test_the_import_graph_has_no_cycles() -> None:
    mods = _modules()
    graph = {n: _imports(n, p, set(mods)) for n, p in mods.items()}
    found = sorted({tuple(sorted(c)) for c in _cycles(graph)})
    assert not found, found


def test_the_cycle_check_can_fail(tmp_path: Path) -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    assert not _cycles({"a": {"b"}, "b": {"c"}, "c": set()})
    # an import for types only, and a lazy one, are edges of the graph too
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n")
    b.write_text("def f():\n    from pkg import a\n")
    known = {"pkg.a", "pkg.b"}
    graph = {"pkg.a": _imports("pkg.a", a, known), "pkg.b": _imports("pkg.b", b, known)}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}} and _cycles(graph)


#: the kits and the command line, lowest first; a module may import its own layer and the
#: layers before it (the runtime is below them all)
KITS = ("routellm_core.data", "routellm_core.training", "routellm_core.evaluation",
        "routellm_core.cli")
#: wrapper modules that may use the kits: the replay models, the judge adapters and the
#: framework demo parts
WRAPPER_OFFLINE = ("replay", "judge", "demo")
#: where the runtime may import a kit: fitting a router
FIT = ("fit", "_fit")


#: the runtime's rooms, lowest first; a runtime module may import its own room and those below
#: (the top-level modules not named here, the package itself and the old-path finder
#: ``_moved``, may use every room)
ROOMS = (("routellm_core.errors", "routellm_core.defaults", "routellm_core.costs",
          "routellm_core.records"),
         ("routellm_core.scoring",), ("routellm_core.routers",), ("routellm_core.routing",))


def _room(module: str) -> int | None:
    """The index of a runtime module's room in :data:`ROOMS` (``None``: the front door)."""
    for i, room in enumerate(ROOMS):
        if any(module == r or module.startswith(r + ".") for r in room):
            return i
    return None


def _layer(module: str) -> int:
    """-1 for the wrappers, 0 for the runtime, 1.. for the kits in :data:`KITS` order."""
    if not module.startswith("routellm_core"):
        return -1
    for i, kit in enumerate(KITS, start=1):
        if module == kit or module.startswith(kit + "."):
            return i
    return 0


def _layer_violations(modules: dict[str, Path]) -> list[str]:
    known = set(modules)
    bad = []
    for name, path in modules.items():
        here = _layer(name)
        # what loads: a type-only import of a kit loads nothing (the cycle check counts it)
        for mod, func in _import_sites(name, path, known, types=False):
            there = _layer(mod)
            if there == len(KITS) and here != len(KITS):
                bad.append(f"{name} imports the command line ({mod})")
            elif here == -1 and there > 0 and name.rsplit(".", 1)[1] not in WRAPPER_OFFLINE:
                bad.append(f"{name} (a wrapper's request path) imports {mod}")
            elif here == 0 and there > 0 and func not in FIT:
                where = f"in {func}()" if func else "at import"
                bad.append(f"{name} (runtime) imports {mod} {where}")
            elif here > 0 and there > here:
                bad.append(f"{name} imports {mod}, a layer above it")
        if here == 0 and (room := _room(name)) is not None:
            # between the runtime's rooms every import counts, type-only ones too
            for mod in _imports(name, path, known):
                there_room = _room(mod) if _layer(mod) == 0 else None
                if _layer(mod) == 0 and (there_room is None or there_room > room):
                    bad.append(f"{name} imports {mod}, a room of the runtime above it")
    return sorted(set(bad))


def test_the_layers_import_downwards_only() -> None:
    mods = _modules()
    assert _layer("routellm_core.routing.engine") == 0 and _layer("routellm_core.cli.main") == len(KITS)
    assert not _layer_violations(mods), _layer_violations(mods)


def test_the_layer_check_can_fail(tmp_path: Path) -> None:
    files = {
        "routellm_core.routers.x": "from ..data.battles import Battles\n",
        "routellm_core.routers.y": "def fit(self):\n    from ..data.battles import Battles\n",
        "routellm_core.routers.z": "def _predict(self):\n    from ..training.runs import f\n",
        "routellm_core.scoring.w": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                   "    from ..routing.engine import RoutingEngine\n",
        "routellm_core.routing.engine": "from ..scoring.w import x\n",
        "routellm_core.data.battles": "from ..training.runs import f\n",
        "routellm_core.training.runs": "from ..cli.main import main\n",
        "routellm_core.cli.main": "from ..training.runs import f\n",
        "langchain_routellm.chat_models": "from routellm_core.data.battles import Battles\n",
        "langchain_routellm.replay": "from routellm_core.data.battles import Battles\n",
    }
    mods = {}
    for name, text in files.items():
        path = tmp_path / (name + ".py")
        path.write_text(text, encoding="utf-8")
        mods[name] = path
    found = _layer_violations(mods)
    assert found == [
        "langchain_routellm.chat_models (a wrapper's request path) imports routellm_core.data.battles",
        "routellm_core.data.battles imports routellm_core.training.runs, a layer above it",
        "routellm_core.routers.x (runtime) imports routellm_core.data.battles at import",
        "routellm_core.routers.z (runtime) imports routellm_core.training.runs in _predict()",
        "routellm_core.scoring.w imports routellm_core.routing.engine, a room of the runtime above it",
        "routellm_core.training.runs imports the command line (routellm_core.cli.main)",
    ], found
