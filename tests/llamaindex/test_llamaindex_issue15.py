"""RouteLLM as a first-class LlamaIndex LLM (issue 15, items 4, 6-10, 12): unknown arguments,
ReAct agents on one model, pickling and copies, the shared naming rule and forcing keyword,
estimated usage and fallback callbacks."""

from __future__ import annotations

import copy
import pickle
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import pytest
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool
from pydantic import Field

from llamaindex_routellm import RouteLLM
from routellm_core.errors import ConfigError, UnknownNameError
from routellm_core.routers.random import RandomRouter
from routellm_core.routing.engine import RouteDecision

from .conftest import scripted

HARD = "Prove that there are infinitely many primes."
EASY = "Say hello."


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


class LockedLLM(MockLLM):
    """An LLM holding a lock, as API clients do: it cannot be deep-copied."""

    client: Any = Field(default_factory=threading.Lock)


# ---- item 8: unknown keyword arguments -------------------------------------------------------
def test_a_misspelled_argument_is_an_error_listing_the_valid_ones(strong, weak):
    with pytest.raises(UnknownNameError, match=r"unknown RouteLLM argument 'strong_frac' "
                       r"\(did you mean 'strong_fraction'\?\)") as err:
        RouteLLM(strong=strong, weak=weak, router="random", strong_frac=0.05)
    assert "strong_fraction" in str(err.value) and "system_prompt" in str(err.value)
    llm = RouteLLM(strong=strong, weak=weak, router="random", system_prompt="Be brief.")
    assert llm.system_prompt == "Be brief."


# ---- item 9: a ReAct agent run stays on one model ----------------------------------------------
def react_model(label: str) -> MockFunctionCallingLLM:
    """Calls the ``lookup`` tool first, then answers with what it observed."""

    def gen(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        last = messages[-1].content or ""
        if last.startswith("Observation:"):
            seen = last.split(":", 1)[1].strip()
            return ChatMessage(role="assistant",
                               content=f"Thought: I can answer now.\nAnswer: [{label}] {seen}")
        return ChatMessage(role="assistant", content=(
            'Thought: I need the tool.\nAction: lookup\nAction Input: {"topic": "primes"}'))

    return MockFunctionCallingLLM(response_generator=gen, is_chat_model=True)


@pytest.mark.parametrize("question,observation,route", [
    # the observation alone would route the other way: "9" weak, "the theorem holds" strong
    (HARD, "9", "strong"),
    ("Hello, what do you know about primes?", "the theorem holds", "weak"),
])
async def test_react_agent_run_stays_on_one_model(make_llm, events, question, observation,
                                                  route):
    def lookup(topic: str) -> str:
        """Look a topic up."""
        return observation

    llm = make_llm(strong=react_model("strong"), weak=react_model("weak"))
    agent = ReActAgent(tools=[FunctionTool.from_defaults(lookup)], llm=llm)
    out = await agent.run(user_msg=question)
    assert f"[{route}] {observation}" in str(out.response.content)
    got = [(e.route, e.reason) for e in events.of("RouteDecisionEvent")]
    assert got == [(route, "router"), (route, "router")]


# ---- item 10: pickle and deepcopy ----------------------------------------------------------------
@pytest.mark.parametrize("router", ["random", RandomRouter(seed=5)])
def test_pickle_and_deepcopy_keep_the_routing_configuration(router):
    llm = RouteLLM(strong=MockLLM(max_tokens=5), weak=MockLLM(max_tokens=3), router=router,
                   threshold=0.35, sticky=True, fallback=True, on_route=print,
                   on_router_error="weak", routing_text="conversation",
                   prices={"strong": (10.0, 30.0), "weak": (1.0, 2.0)},
                   system_prompt="Be brief.")
    first = llm.chat(user(EASY), thread_id="t1").additional_kwargs["routellm"]["route"]
    for clone in (pickle.loads(pickle.dumps(llm)), copy.deepcopy(llm)):
        e = clone.engine
        assert (e.threshold, e.sticky, e.on_router_error, e.routing_text_policy) == (
            0.35, True, "weak", "conversation")
        assert e.router.name == "random" and e.on_route == [print] and clone.fallback
        assert clone.stats.prices is not None and clone.system_prompt == "Be brief."
        assert clone.stats.snapshot().total_calls == 1
        again = clone.chat(user(HARD), thread_id="t1").additional_kwargs["routellm"]
        assert (again["route"], again["reason"]) == (first, "sticky")
        with clone.force("strong"):  # per-object context works in the copy
            assert clone.complete(EASY).additional_kwargs["routellm"]["route"] == "strong"
    assert llm.stats.snapshot().total_calls == 1  # the copies count on their own


def test_shallow_copies_get_their_own_statistics_and_bad_copies_name_the_model():
    llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", threshold=0.4)
    llm.complete(EASY)
    for twin in (copy.copy(llm), llm.model_copy()):
        assert twin.engine is not llm.engine and twin.engine.threshold == 0.4
        assert twin.stats.snapshot().total_calls == 0 and twin.strong is llm.strong
    locked = RouteLLM(strong=MockLLM(), weak=LockedLLM(), router="random")
    with pytest.raises(TypeError, match=r"its weak model \(LockedLLM\) cannot be copied"):
        copy.deepcopy(locked)


# ---- item 7: one naming rule; forcing with model= ------------------------------------------------
def test_inner_models_of_one_class_get_distinct_names():
    llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random")
    assert llm.engine.names == {"strong": "MockLLM (strong)", "weak": "MockLLM (weak)"}
    with pytest.raises(ValueError, match=r"valid models: MockLLM \(strong\), MockLLM \(weak\)"):
        llm.complete(EASY, model="MockLLM")
    assert llm.complete(EASY, model="MockLLM (weak)").additional_kwargs["routellm"]["route"] == "weak"
    assert llm.complete(HARD, model="weak").additional_kwargs["routellm"]["route"] == "weak"


def test_model_keyword_forces_a_route_and_route_is_a_deprecated_alias(make_llm):
    llm = make_llm()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = llm.chat(user(HARD), model="weak")
    assert r.additional_kwargs["routellm"]["reason"] == "forced"
    assert r.message.content.startswith("[weak]")
    with pytest.warns(DeprecationWarning, match="model="):
        r = llm.chat(user(HARD), route="weak")
    assert r.additional_kwargs["routellm"]["route"] == "weak"


# ---- items 4 and 6: estimated usage is marked; fallbacks reach on_route --------------------------
def test_estimated_usage_is_marked(make_llm):
    llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", threshold=0.5)
    llm.complete(HARD)
    snap = llm.stats.snapshot()
    assert snap.estimated and sum(snap.estimated_input_tokens.values()) > 0


async def test_on_route_sees_the_fallback_and_reasons_count_it(make_llm):
    seen: list[RouteDecision] = []
    llm = make_llm(strong=scripted("strong", fail=True), fallback=True, on_route=seen.append)
    llm.chat(user(HARD))
    await llm.achat(user(HARD))
    list(llm.stream_chat(user(HARD)))
    assert [d.reason for d in seen] == ["router", "fallback"] * 3
    snap = llm.stats.snapshot()
    assert snap.reasons == {"fallback": 3} and snap.calls == {"strong": 0, "weak": 3}


# ---- item 12: clear errors at construction --------------------------------------------------------
def test_bad_settings_are_clear_errors(strong, weak, tmp_path):
    from routellm_core.errors import CheckpointError

    with pytest.raises(CheckpointError, match="no such directory"):
        RouteLLM(strong=strong, weak=weak, router=str(tmp_path / "runs" / "r1"))
    with pytest.raises(ConfigError, match="router must be a router name"):
        RouteLLM(strong=strong, weak=weak, router=123)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="threshold must be between 0 and 1"):
        RouteLLM(strong=strong, weak=weak, router="random", threshold=float("nan"))
    with pytest.raises(ConfigError, match="on_route must be a callable"):
        RouteLLM(strong=strong, weak=weak, router="random", on_route=123)  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="valid routing_text policies"):
        RouteLLM(strong=strong, weak=weak, router="random", routing_text="last")
