"""The old import paths of the modules that moved into ``routing/``, ``scoring/`` and
``training/`` resolve to the moved modules themselves (``routellm_core._moved``)."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys

import pytest

import routellm_core
from routellm_core._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_moved_module(old: str) -> None:
    new = importlib.import_module(f"routellm_core.{MOVED[old]}")
    assert importlib.import_module(f"routellm_core.{old}") is new
    assert getattr(routellm_core, old) is new
    # the module still names its own file and spec (not the alias's)
    assert new.__spec__ is not None and new.__spec__.name == new.__name__
    assert new.__name__ == f"routellm_core.{MOVED[old]}"


def test_names_from_old_paths_are_the_same_objects() -> None:
    from routellm_core.engine import RoutingEngine as Old
    from routellm_core.routing.engine import RoutingEngine
    from routellm_core.routing.settings import RoutingSettings
    from routellm_core.settings import RoutingSettings as OldSettings

    assert Old is RoutingEngine and OldSettings is RoutingSettings
    assert RoutingEngine.__module__ == "routellm_core.routing.engine"


def test_a_pickle_naming_an_old_path_loads() -> None:
    from routellm_core.routing.settings import RoutingSettings

    data = pickle.dumps(RoutingSettings(threshold=0.3), protocol=2)
    old = data.replace(b"routellm_core.routing.settings", b"routellm_core.settings")
    assert old != data
    assert pickle.loads(old) == RoutingSettings(threshold=0.3)  # noqa: S301 - our own bytes


def test_unknown_names_are_not_invented() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("routellm_core.no_such_module")
    with pytest.raises(AttributeError):
        _ = routellm_core.no_such_module  # type: ignore[attr-defined]


def test_an_old_path_works_in_a_fresh_interpreter() -> None:
    code = ("import routellm_core.engine as e, routellm_core.routing.engine as n, sys; "
            "assert e is n and sys.modules['routellm_core.engine'] is n; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_no_old_path_is_a_real_module_and_every_target_is() -> None:
    from pathlib import Path

    core = Path(routellm_core.__file__).parent
    for old, new in MOVED.items():
        assert not (core / f"{old}.py").exists() and not (core / old).is_dir(), old
        assert (core / (new.replace(".", "/") + ".py")).is_file(), new
