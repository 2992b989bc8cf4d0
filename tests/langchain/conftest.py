"""Shared fixtures for the LangChain wrapper tests: sockets off, scripted models, toy routers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from pytest_socket import disable_socket, enable_socket

from routellm_core.routers.base import Router

# the helper modules next to this file (tests/ is not a package)
sys.path.insert(0, str(Path(__file__).parent))
from lc_fakes import ScriptedChatModel  # noqa: E402

HARD_WORDS = ("prove", "derive", "theorem", "integral", "optimi")


class KeywordRouter(Router):
    """A zero-cost router: 0.9 when the text holds a 'hard' keyword, else 0.1."""

    name = "keyword"
    needs_fit = False

    def _fit(self, battles):  # pragma: no cover - needs_fit is False
        pass

    def _predict(self, prompts):
        return np.array([0.9 if any(w in p.lower() for w in HARD_WORDS) else 0.1
                         for p in prompts])

    def threshold_for(self, strong_fraction):
        return 0.5


class BrokenRouter(KeywordRouter):
    """A router whose scoring always raises."""

    name = "broken"

    def _predict(self, prompts):
        raise RuntimeError("scoring service down")


@pytest.fixture(autouse=True)
def _no_network():
    # Unix sockets stay allowed: asyncio's event loop uses a socketpair.
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture
def strong():
    return ScriptedChatModel(model_name="big-model")


@pytest.fixture
def weak():
    return ScriptedChatModel(model_name="small-model")


@pytest.fixture
def make_llm(strong, weak):
    from langchain_routellm import RouteLLMChat

    def make(**kw):
        kw.setdefault("router", KeywordRouter())
        kw.setdefault("threshold", 0.5)
        return RouteLLMChat(strong=kw.pop("strong", strong), weak=kw.pop("weak", weak), **kw)

    return make
