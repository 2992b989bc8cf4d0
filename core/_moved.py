"""The old import paths of the modules that moved into ``routing/``, ``scoring/`` and
``training/`` (0.1.0 had them at the top of the package).

Why this exists: pickles written by 0.1.0 name their classes by module path
(``routellm_core.engine.RoutingEngine``, ``routellm_core.settings.RoutingSettings``,
``routellm_core.costs.PriceTable``, ...; ``tests/test_previous_release.py`` loads such a
fixture), and users' code imports the paths the 0.1.0 documentation showed
(``from routellm_core.engine import RoutingEngine``). Rather than one stub file per old path,
the package registers this finder: importing ``routellm_core.<old>`` gives the moved module
itself (the same module object, so a class keeps one identity and a monkeypatch on the old
path reaches the code). Nothing in the three packages imports an old path, and the import
graph tests (``tests/test_import_cycles.py``) read only real files, so the aliases add no
edge to the design.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

__all__ = ["MOVED", "MovedModuleFinder", "install"]

#: old module name (under ``routellm_core``) -> where it lives now
MOVED: dict[str, str] = {
    **{m: f"routing.{m}" for m in (
        "engine", "choosers", "decisions", "turns", "memory", "settings", "dispatch",
        "long_text", "pairs", "ladder", "ladder_engine", "recorder")},
    **{m: f"scoring.{m}" for m in (
        "calibration", "embeddings", "static_embedding", "multilingual_embedding",
        "text_features", "ranking", "fingerprint")},
    "progress": "training.progress",
}

_PACKAGE = __name__.rsplit(".", 1)[0]


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``routellm_core.<old>`` for the names in :data:`MOVED` and loads the module
    where it lives now; it answers for those names only, and none of them is a file."""

    def find_spec(self, fullname: str, path: object = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        prefix, _, name = fullname.rpartition(".")
        if prefix != _PACKAGE or name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(f"{_PACKAGE}.{MOVED[spec.name.rpartition('.')[2]]}")
        # the import system stamps the alias's spec on the module it gets; keep the real one
        # so that the module still names its own file
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._real_spec


def install() -> None:
    """Register the finder once, first: an editable install's finder, asked before it, would
    otherwise look for the old file in the source tree it was installed from."""
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())
