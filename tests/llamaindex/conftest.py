"""Fixtures for the LlamaIndex wrapper tests: sockets off, mock embeddings, scripted inner
models built on llama-index-core's own ``MockFunctionCallingLLM``, and zero-cost routers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from llama_index.core import Settings
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool
from pytest_socket import disable_socket, enable_socket

# the wrapper tests import the shared toy routers from here
from routellm_test_fake_routers import BrokenRouter, KeywordRouter  # noqa: F401

#: arguments the scripted models pass when they call a tool, by tool name
TOOL_ARGS: dict[str, dict[str, Any]] = {
    "multiply": {"a": 6, "b": 7},
    "Answer": {"value": 7, "unit": "apples"},
}


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def multiply_agent(llm: Any, streaming: bool) -> FunctionAgent:
    """A FunctionAgent with the ``multiply`` tool on ``llm``."""
    return FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm,
                         streaming=streaming)


def scripted(label: str, *, fail: bool = False, react: bool = False) -> MockFunctionCallingLLM:
    """A function-calling chat model that answers ``[label] ...``, calls the offered tool with
    :data:`TOOL_ARGS`, answers ReAct-style when ``react``, or raises when ``fail``."""
    log: list[str] = []

    def gen(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        log.append(messages[-1].content or "" if messages else "")
        if fail:
            raise RuntimeError(f"{label} model is down")
        tools = kwargs.get("tools") or []
        tool_results = [m for m in messages if m.role == MessageRole.TOOL]
        if tool_results:
            return ChatMessage(
                role="assistant", content=f"[{label}] the tool said {tool_results[-1].content}"
            )
        if tools:
            name = tools[0].metadata.name
            return ChatMessage(
                role="assistant",
                blocks=[
                    ToolCallBlock(
                        tool_call_id=f"call-{label}", tool_name=name, tool_kwargs=TOOL_ARGS[name]
                    )
                ],
            )
        if react:
            return ChatMessage(
                role="assistant",
                content=f"Thought: I can answer without tools.\nAnswer: [{label}] 42",
            )
        return ChatMessage(role="assistant", content=f"[{label}] answer")

    llm = MockFunctionCallingLLM(response_generator=gen, is_chat_model=True)
    llm.__dict__["test_log"] = log  # not a pydantic field: the prompts this model received
    return llm


class Collector(BaseEventHandler):
    """Keeps every instrumentation event it receives."""

    events: list = []

    @classmethod
    def class_name(cls) -> str:
        return "Collector"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.events.append(event)

    def of(self, name: str) -> list:
        return [e for e in self.events if type(e).__name__ == name]


@pytest.fixture(autouse=True)
def _offline_settings():
    # Unix sockets stay allowed: asyncio's event loop uses a socketpair.
    disable_socket(allow_unix_socket=True)
    saved = (Settings._llm, Settings._embed_model, Settings._callback_manager)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    yield
    Settings._llm, Settings._embed_model, Settings._callback_manager = saved
    enable_socket()


@pytest.fixture
def events():
    handler = Collector(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler
    root.event_handlers.remove(handler)


@pytest.fixture
def strong():
    return scripted("strong")


@pytest.fixture
def weak():
    return scripted("weak")


@pytest.fixture
def router():
    return KeywordRouter()


@pytest.fixture
def make_llm(strong, weak, router):
    from llamaindex_routellm import RouteLLM

    def make(**kw: Any) -> RouteLLM:
        kw.setdefault("router", router)
        kw.setdefault("threshold", 0.5)
        return RouteLLM(strong=kw.pop("strong", strong), weak=kw.pop("weak", weak), **kw)

    return make
