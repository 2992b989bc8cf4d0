"""Shared fixtures for the LangChain wrapper tests: sockets off, scripted models, toy routers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytest_socket import disable_socket, enable_socket

# the helper modules next to this file (tests/ is not a package)
sys.path.insert(0, str(Path(__file__).parent))
from lc_fakes import ScriptedChatModel  # noqa: E402

# the wrapper tests import the shared toy routers from here
from routellm_test_fake_routers import BrokenRouter, KeywordRouter  # noqa: E402, F401


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
