"""The two wrappers behave the same where the core decides: role mapping, usage the provider
did not report, forcing a route with ``model=``, and the decision's record.

Both build their turns with ``routellm_core.routing.engine.turn_role`` and run their calls through
``routellm_core.routing.dispatch.RoutedCall``; these tests hold them to it side by side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage  # noqa: E402
from langchain_core.messages import ChatMessage as LCMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult  # noqa: E402
from llama_index.core.base.llms.types import ChatMessage as LIMessage  # noqa: E402
from llama_index.core.base.llms.types import ChatResponse, TextBlock  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from pytest_socket import disable_socket, enable_socket  # noqa: E402
from routellm_test_fake_routers import KeywordRouter, NumberRouter  # noqa: E402

from langchain_routellm import RouteLLMChat, messages_to_turns  # noqa: E402
from llamaindex_routellm import RouteLLM  # noqa: E402
from llamaindex_routellm.llms import to_turns  # noqa: E402
from routellm_core.costs import count_tokens  # noqa: E402
from routellm_core.routing.engine import TURN_ROLES, turn_role  # noqa: E402


@pytest.fixture(autouse=True)
def _offline() -> Any:
    # Unix sockets stay allowed: asyncio's event loop uses a socketpair.
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


ANSWER = "the answer is forty-two"
PIECES = ["the answer ", "is forty", "-two"]
#: both fakes report 7 input tokens and 0 output tokens
USAGE: Any = {"input_tokens": 7, "output_tokens": 0, "total_tokens": 7}
RAW = {"usage": {"prompt_tokens": 7, "completion_tokens": 0}}


class LCReporting(BaseChatModel):
    """A LangChain chat model that reports 7 input tokens and 0 output tokens."""

    @property
    def _llm_type(self) -> str:
        return "reporting"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        msg = AIMessage(ANSWER, usage_metadata=USAGE)
        return ChatResult(generations=[ChatGeneration(message=msg)])

    async def _astream(self, messages: list[BaseMessage], stop: Any = None,
                       run_manager: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
        for i, piece in enumerate(PIECES):  # the usage on the last chunk
            last = i == len(PIECES) - 1
            yield ChatGenerationChunk(message=AIMessageChunk(
                content=piece, usage_metadata=USAGE if last else None))


class LIReporting(MockLLM):
    """A LlamaIndex LLM that reports 7 prompt tokens and 0 completion tokens."""

    def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
        return ChatResponse(message=LIMessage(role="assistant", content=ANSWER), raw=RAW)

    async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
        async def gen() -> AsyncIterator[ChatResponse]:
            text = ""
            for i, piece in enumerate(PIECES):  # cumulative; the usage on the last chunk
                text += piece
                yield ChatResponse(message=LIMessage(role="assistant", content=text), delta=piece,
                                   raw=RAW if i == len(PIECES) - 1 else None)
        return gen()


def langchain(strong: Any = None, weak: Any = None) -> RouteLLMChat:
    return RouteLLMChat(strong=strong or LCReporting(), weak=weak or LCReporting(),
                        router=KeywordRouter(), threshold=0.5)


def llamaindex(strong: Any = None, weak: Any = None) -> RouteLLM:
    return RouteLLM(strong=strong or LIReporting(), weak=weak or LIReporting(),
                    router=KeywordRouter(), threshold=0.5, routing_text="last_user")


ROLE_NAMES = [*TURN_ROLES, "Human", "AI", "Developer", "critic", "customer", "narrator"]


@pytest.mark.parametrize("name", ROLE_NAMES)
def test_both_wrappers_map_a_role_name_the_same_way(name: str) -> None:
    lc = messages_to_turns([LCMessage(role=name, content="x")])[0].role
    # LlamaIndex validates roles against its enum; model_construct builds one it would refuse
    li_msg = LIMessage.model_construct(role=name, blocks=[TextBlock(text="x")],
                                       additional_kwargs={})
    li = to_turns([li_msg])[0].role
    assert lc == li == turn_role(name)
    assert turn_role(name) in ("user", "assistant", "system", "tool")
    if name.lower() not in TURN_ROLES:
        assert turn_role(name) == "user"  # an unknown speaker is input the model must answer


def test_an_unknown_role_is_routed_on_as_the_last_user_message_in_both() -> None:
    lc = langchain().invoke([HumanMessage("Prove the theorem."), AIMessage("Which one?"),
                             LCMessage(role="customer", content="Never mind, say hi.")])
    li = llamaindex().chat([
        LIMessage(role="user", content="Prove the theorem."),
        LIMessage(role="assistant", content="Which one?"),
        LIMessage.model_construct(role="customer", blocks=[TextBlock(text="Never mind, say hi.")],
                                  additional_kwargs={}),
    ])
    assert lc.response_metadata["routellm"]["route"] == "weak"
    assert li.additional_kwargs["routellm"]["route"] == "weak"


def test_a_figure_reported_as_zero_is_estimated_in_both() -> None:
    lc, li = langchain(), llamaindex()
    lc.invoke("hello")
    li.chat([LIMessage(role="user", content="hello")])
    for snap in (lc.stats.snapshot(), li.stats.snapshot()):
        assert snap.input_tokens["weak"] == 7 and snap.estimated_input_tokens["weak"] == 0
        assert snap.output_tokens["weak"] == count_tokens(ANSWER)
        assert snap.estimated_output_tokens["weak"] == count_tokens(ANSWER)


async def test_streams_count_the_same_in_both() -> None:
    lc, li = langchain(), llamaindex()
    assert "".join([c.text async for c in lc.astream("hello")]) == ANSWER
    chunks = [c async for c in await li.astream_chat([LIMessage(role="user", content="hello")])]
    assert chunks[-1].message.content == ANSWER
    a, b = lc.stats.snapshot(), li.stats.snapshot()
    assert a.input_tokens == b.input_tokens == {"strong": 0, "weak": 7}
    assert a.output_tokens == b.output_tokens == {"strong": 0, "weak": count_tokens(ANSWER)}
    assert a.estimated_output_tokens == b.estimated_output_tokens


def test_model_forces_a_route_in_both() -> None:
    lc, li = langchain(), llamaindex()
    a = lc.invoke("Prove it.", model="weak").response_metadata["routellm"]
    b = li.chat([LIMessage(role="user", content="Prove it.")], model="weak")
    b_record = b.additional_kwargs["routellm"]
    assert {**a, "model": None} == {**b_record, "model": None}
    assert (a["route"], a["reason"], b_record["model"]) == ("weak", "forced", "LIReporting (weak)")


def test_both_wrappers_and_the_middleware_build_their_engine_from_routing_settings(
        tmp_path: Any) -> None:
    from langchain_routellm import RouteLLMDecisionModel
    from routellm_core.routing.settings import SETTINGS

    for owner in (langchain(), llamaindex(), RouteLLMDecisionModel(router=KeywordRouter(),
                                                                   threshold=0.5)):
        engine = owner.engine if not isinstance(owner, RouteLLMDecisionModel) else owner._engine
        assert tuple(engine.settings) == SETTINGS
        assert engine.threshold == 0.5 and engine.router.name == "keyword"


def test_wrapper_settings_have_precise_types_and_the_engine_still_checks_them() -> None:
    from pathlib import Path

    from langchain_routellm import RouteLLMDecisionModel

    for model, fields in ((RouteLLMChat, ("router", "routing_text", "on_route", "embeddings",
                                          "recorder")),
                          (RouteLLMDecisionModel, ("router", "routing_text", "on_route"))):
        for name in fields:
            assert model.model_fields[name].annotation is not Any, (model.__name__, name)
    seen: list[Any] = []
    llm = RouteLLMChat(strong=LCReporting(), weak=LCReporting(), router=KeywordRouter(),
                       threshold=0.5, on_route=[seen.append, seen.append],
                       routing_text=lambda msgs: msgs[-1].text)
    llm.invoke("prove it")
    assert len(seen) == 2 and seen[0].route == "strong"
    with pytest.raises(ValueError, match="does not exist"):  # a path is a checkpoint directory
        RouteLLMChat(strong=LCReporting(), weak=LCReporting(), router=Path("no/such/router"))
    with pytest.raises(ValueError, match="on_route must be a callable"):
        RouteLLMChat(strong=LCReporting(), weak=LCReporting(), router="random", on_route=3)
    with pytest.raises(ValueError, match="routing_text must be one of"):  # pydantic wraps it
        RouteLLMDecisionModel(router="random", routing_text=3)


def _adapters(dim: int = 8) -> list[Any]:
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from llama_index.core.embeddings import MockEmbedding

    from langchain_routellm.embeddings import LangChainEmbedder
    from llamaindex_routellm.embeddings import LlamaIndexEmbedder

    return [LangChainEmbedder(DeterministicFakeEmbedding(size=dim)),
            LlamaIndexEmbedder(MockEmbedding(embed_dim=dim))]


def test_both_embedding_adapters_check_and_normalise_the_same_way() -> None:
    import pickle

    from routellm_core.errors import DataError
    from routellm_core.scoring.embeddings import AdaptedEmbedder

    for emb in _adapters():
        assert isinstance(emb, AdaptedEmbedder) and emb.dim == 8
        v = emb.embed(["hello", "world"])
        assert v.shape == (2, 8) and np.allclose((v**2).sum(axis=1), 1.0)
        assert emb.embed([]).shape == (0, 8)
        with pytest.raises(DataError, match="single string"):
            emb.embed("hello")
        back = pickle.loads(pickle.dumps(emb))  # the probe's lock is not pickled
        assert back.model_id == emb.model_id and back.embed(["hi"]).shape == (1, 8)
    with pytest.raises(DataError, match="dim must be a positive integer"):
        type(_adapters()[1])(_adapters()[1].embed_model, dim=0)


def test_both_wrappers_pass_the_window_to_their_engine() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from routellm_core.errors import ConfigError

    lc = RouteLLMChat(strong=FakeListChatModel(responses=["s"]),
                      weak=FakeListChatModel(responses=["w"]), router=NumberRouter(),
                      strong_fraction=0.3, calibration_window=50)
    li = RouteLLM(strong=MockLLM(), weak=MockLLM(), router=NumberRouter(), strong_fraction=0.3,
                  calibration_window=50)
    for engine in (lc.engine, li.engine):
        assert engine.settings["calibration_window"] == 50
        for i in range(60):
            engine.decide(f"{0.5 + (i % 10) / 20:.3f}")
        assert engine.threshold < 0.95
    with pytest.raises(ConfigError, match="needs strong_fraction"):
        RouteLLM(strong=MockLLM(), weak=MockLLM(), router=NumberRouter(), threshold=0.5,
                 calibration_window=50)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_prompt_is_refused_with_the_same_message_in_both(text: str) -> None:
    from routellm_core.errors import DataError
    from routellm_core.routing.long_text import EMPTY_PROMPT

    lc, li = langchain(), llamaindex()
    calls = [lambda: lc.invoke(text), lambda: lc.invoke([HumanMessage(text)], model="strong"),
             lambda: li.complete(text), lambda: li.chat([LIMessage(role="user", content=text)])]
    for call in calls:
        with pytest.raises(DataError) as info:
            call()
        assert str(info.value) == EMPTY_PROMPT
    assert lc.stats.snapshot().total_calls == li.stats.snapshot().total_calls == 0


async def test_an_empty_prompt_is_refused_by_the_async_calls_too() -> None:
    from routellm_core.errors import DataError

    with pytest.raises(DataError, match="the prompt is empty"):
        await langchain().ainvoke(" ")
    with pytest.raises(DataError, match="the prompt is empty"):
        await llamaindex().acomplete(" ")


def test_an_image_without_text_is_not_an_empty_prompt_in_either() -> None:
    from llama_index.core.base.llms.types import ImageBlock

    image = "data:image/png;base64,iVBORw0KGgo="
    lc = langchain().invoke([HumanMessage([{"type": "image_url", "image_url": {"url": image}}])])
    li = llamaindex().chat([LIMessage(role="user", blocks=[ImageBlock(url=image)])])
    assert lc.response_metadata["routellm"]["reason"] == "router"
    assert li.additional_kwargs["routellm"]["reason"] == "router"


def test_both_wrappers_score_a_long_prompt_by_the_core_long_text_rule() -> None:
    from routellm_core.routing.long_text import MAX_SCORED_CHARS, routing_views

    text = "Hello, nice to meet you. " * 4_000 + "\n\nProve the theorem."
    lc, li = langchain(), llamaindex()
    a = lc.invoke(text).response_metadata["routellm"]
    b = li.complete(text).additional_kwargs["routellm"]
    assert a["route"] == b["route"] == "strong"  # the hard word is only in the last line
    for llm in (lc, li):
        seen = llm.engine.router.seen
        assert seen == routing_views(text) and sum(map(len, seen)) <= MAX_SCORED_CHARS
