"""The docstring examples of the three packages run (stdlib doctest on the installed modules).

pytest's ``--doctest-modules`` names modules by their folder (``core.…``), not by the
installed name (``routellm_core``), so classes would exist twice; this test imports each
module by its real name and runs its examples.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("routellm_core", "langchain_routellm", "llamaindex_routellm")


def _modules() -> list[str]:
    out = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        out.append(pkg)
        out += [m.name for m in pkgutil.walk_packages(mod.__path__, prefix=pkg + ".")]
    return out


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
