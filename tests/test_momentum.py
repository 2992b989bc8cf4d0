"""Conversational momentum (issue 22 item 7): a short follow-up after a hard exchange stays
strong, an easy conversation stays weak, and the memory decays; in the engine and in both
wrappers, keyed by the same thread id as ``sticky``."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from routellm_test_fake_routers import KeywordRouter, NumberRouter

from routellm_core.errors import ConfigError
from routellm_core.routing.engine import RoutingEngine
from routellm_core.routing.memory import momentum_score

HARD = "Prove that the sum of two even numbers is even."
FOLLOW_UPS = ["now commit it", "make it shorter", "thanks", "ok"]


def test_the_rule_raises_a_score_to_the_decayed_memory_and_never_lowers_it() -> None:
    assert momentum_score(0.3, None, 0.9) == 0.3
    assert momentum_score(0.3, 0.8, 0.9) == pytest.approx(0.72)
    assert momentum_score(0.95, 0.8, 0.9) == 0.95
    assert momentum_score(0.3, 0.8, 0.0) == 0.3  # momentum 0: per-turn routing


def test_a_hard_exchange_keeps_its_follow_up_strong_then_decays() -> None:
    engine = RoutingEngine(NumberRouter(), threshold=0.65, momentum=0.9)
    routes = [engine.decide(s, thread_id="t") for s in ("0.80", "0.30", "0.30", "0.30")]
    assert [d.route for d in routes] == ["strong", "strong", "weak", "weak"]
    assert [round(d.score or 0, 3) for d in routes] == [0.8, 0.72, 0.648, 0.583]
    assert [d.reason for d in routes] == ["router", "momentum", "router", "router"]
    # quick to go strong: one hard turn lifts the memory at once
    assert engine.decide("0.90", thread_id="t").route == "strong"
    # other threads and calls without a thread are routed per turn
    assert engine.decide("0.30", thread_id="other").route == "weak"
    assert engine.decide("0.30").route == "weak"
    assert engine.stats.snapshot().reasons == {"router": 6, "momentum": 1}


def test_without_momentum_the_follow_up_goes_weak_and_easy_talk_stays_weak() -> None:
    plain = RoutingEngine(NumberRouter(), threshold=0.65)
    assert [plain.decide(s, thread_id="t").route for s in ("0.80", "0.30")] == ["strong", "weak"]
    engine = RoutingEngine(NumberRouter(), threshold=0.65, momentum=0.9)
    assert {engine.decide(s, thread_id="easy").route for s in ("0.2", "0.3", "0.1", "0.3")} \
        == {"weak"}


def test_the_memory_survives_copies_and_pickling_and_copies_start_empty() -> None:
    engine = RoutingEngine(NumberRouter(), threshold=0.65, momentum=0.9)
    engine.decide("0.80", thread_id="t")
    for clone in (pickle.loads(pickle.dumps(engine)), copy.deepcopy(engine)):
        assert clone.decide("0.30", thread_id="t").route == "strong"
    assert engine.copy().decide("0.30", thread_id="t").route == "weak"
    assert engine.variant(threshold=0.7).decide("0.30", thread_id="t").route == "strong"


@pytest.mark.parametrize(("kw", "match"), [
    ({"momentum": 1.0}, "momentum must be a number in \\[0, 1\\)"),
    ({"momentum": True}, "momentum must be a number"),
    ({"momentum": 0.8, "sticky": True}, "sticky=True or momentum=, not both"),
])
def test_bad_momentum_is_a_clear_error(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        RoutingEngine(NumberRouter(), threshold=0.65, **kw)


def test_a_ladder_refuses_momentum() -> None:
    from routellm_test_ladder_fakes import PRICES, PlantedQualityRouter

    from routellm_core.routing.engine import LadderEngine
    from routellm_core.routing.settings import LadderSettings

    with pytest.raises(ConfigError, match="momentum= applies to two models"):
        RoutingEngine.from_settings(LadderSettings(
            router=PlantedQualityRouter(), models=tuple(PRICES), prices=PRICES, momentum=0.8))
    assert LadderEngine(PlantedQualityRouter(), list(PRICES), prices=PRICES).momentum is None


def test_langchain_keeps_a_hard_conversation_strong_for_its_follow_up() -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.runnables import RunnableLambda

    from langchain_routellm import RouteLLMChat

    def llm(**kw: Any) -> Any:
        return RouteLLMChat(strong=FakeListChatModel(responses=["S"]),
                            weak=FakeListChatModel(responses=["W"]), router=KeywordRouter(),
                            threshold=0.5, **kw)

    def routes(model: Any, config: Any = None, **kw: Any) -> list[str]:
        history: list[Any] = [HumanMessage(HARD)]
        out = [model.invoke(history, config=config, **kw).response_metadata["routellm"]["route"]]
        for text in FOLLOW_UPS:
            history += [AIMessage("done"), HumanMessage(text)]
            out.append(model.invoke(history, config=config,
                                    **kw).response_metadata["routellm"]["route"])
        return out

    # hard 0.9, then memories 0.72, 0.576, 0.461: strong, strong, strong, weak, weak
    assert routes(llm(momentum=0.8), thread_id="t1") == ["strong"] * 3 + ["weak"] * 2
    # inside a chain, the thread is config["configurable"]["thread_id"], as for sticky
    chain = RunnableLambda(lambda messages: messages) | llm(momentum=0.8)
    assert routes(chain, config={"configurable": {"thread_id": "t2"}}) == \
        ["strong"] * 3 + ["weak"] * 2
    assert routes(llm(), thread_id="t1") == ["strong"] + ["weak"] * 4  # per turn
    easy = llm(momentum=0.8)
    assert {easy.invoke("hi", thread_id="e").response_metadata["routellm"]["route"]
            for _ in range(3)} == {"weak"}


def test_llamaindex_keeps_a_hard_conversation_strong_for_its_follow_up() -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import MockLLM

    from llamaindex_routellm import RouteLLM

    def routes(model: Any, **kw: Any) -> list[str]:
        history = [ChatMessage(role="user", content=HARD)]
        out = [model.chat(history, **kw).additional_kwargs["routellm"]["route"]]
        for text in FOLLOW_UPS:
            history += [ChatMessage(role="assistant", content="done"),
                        ChatMessage(role="user", content=text)]
            out.append(model.chat(history, **kw).additional_kwargs["routellm"]["route"])
        return out

    def llm(**kw: Any) -> Any:
        return RouteLLM(strong=MockLLM(), weak=MockLLM(), router=KeywordRouter(),
                        threshold=0.5, **kw)

    # named by thread_id=, or (a chat engine resending the history) by its first message
    assert routes(llm(momentum=0.8), thread_id="t1") == ["strong"] * 3 + ["weak"] * 2
    assert routes(llm(momentum=0.8)) == ["strong"] * 3 + ["weak"] * 2
    assert routes(llm()) == ["strong"] + ["weak"] * 4
    model = llm(momentum=0.8)
    model.momentum = 0.0  # assignment reconfigures: back to per-turn routing
    assert routes(model) == ["strong"] + ["weak"] * 4
