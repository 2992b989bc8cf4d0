"""Shared helpers for the core tests.

Tests run with ``--import-mode=importlib``, so sibling helper modules are not importable by
name; these fixtures load them once by path.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

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
    """``tiny_classifiers.py``: builders of tiny random models (BERT, Llama) with tokenizers."""
    return _load("tiny_classifiers")


# ``tiny_classifiers.py`` is imported by name (``routellm_test_tiny_classifiers``) from the
# classifier-router tests, which need its prompts at collection time.
sys.modules.setdefault("routellm_test_tiny_classifiers", _load("tiny_classifiers"))


# ---- the classifier routers (BERT, causal LLM) on tiny random models ---------------------------
@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """torch on one thread for the module (tiny models; see tiny_classifiers.one_torch_thread)."""
    with _load("tiny_classifiers").one_torch_thread():
        yield


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT with its tokenizer (the base model to fine-tune)."""
    return _load("tiny_classifiers").build_bert_dir(tmp_path_factory.mktemp("enc"))


@pytest.fixture(scope="session")
def llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama with its BPE tokenizer (the base model to fine-tune)."""
    return _load("tiny_classifiers").build_llama_dir(tmp_path_factory.mktemp("lm"))


@pytest.fixture(scope="session")
def fitted_bert(bert_dir: Path) -> Any:
    """A BertRouter fitted on planted battles (topic A: strong wins; topic B: weak wins)."""
    t = _load("tiny_classifiers")
    with t.one_torch_thread():
        return t.bert_router(bert_dir).fit(t.planted_battles(240, seed=1))


@pytest.fixture(scope="session")
def fitted_causal_llm(llama_dir: Path) -> Any:
    """A CausalLLMRouter fitted on the same planted battles."""
    t = _load("tiny_classifiers")
    with t.one_torch_thread():
        return t.causal_router(llama_dir).fit(t.planted_battles(240, seed=1))
