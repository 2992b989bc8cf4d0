"""Shared helpers for the core tests.

Tests run with ``--import-mode=importlib``, so sibling helper modules are not importable by
name; these fixtures load them once by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load(stem: str) -> ModuleType:
    name = f"_routellm_tests_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{stem}.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture(scope="session")
def tiny() -> ModuleType:
    """``tiny_data.py``: a tiny offline copy of the data folder's layout (make_tiny_data)."""
    return _load("tiny_data")


@pytest.fixture(scope="session")
def bert_helpers() -> ModuleType:
    """``test_router_bert.py``'s builders (a tiny random BERT with a trained tokenizer)."""
    return _load("test_router_bert")
