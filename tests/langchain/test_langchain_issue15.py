"""RouteLLMChat as a first-class LangChain model (issue 15, items 1-7): settings changed after
construction, per-call configuration, copies and pickling, estimated usage, the decision in
traces, fallback callbacks, and inner models sharing a name."""

from __future__ import annotations

import copy
import pickle
import threading
from typing import Any

import pytest
from conftest import KeywordRouter
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.runnables import ConfigurableField, RunnableLambda
from langchain_core.tracers.base import BaseTracer
from lc_fakes import ScriptedChatModel
from pydantic import Field, ValidationError

from langchain_routellm import RouteLLMChat
from langchain_routellm.chat_models import ROUTE_EVENT
from routellm_core.routers.random import RandomRouter
from routellm_core.routing.engine import RouteDecision

HARD = "Prove that there are infinitely many primes."
EASY = "Say hello to my friend."


class LockedModel(ScriptedChatModel):
    """A chat model holding a lock, as API clients do: it cannot be pickled or deep-copied."""

    client: Any = Field(default_factory=threading.Lock)


class Recorder(BaseCallbackHandler):
    """Records chat-model runs and custom events."""

    def __init__(self) -> None:
        self.runs: list[Any] = []
        self.events: list[tuple[str, Any, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any,
                            **kwargs: Any) -> None:
        self.runs.append(run_id)

    def on_custom_event(self, name: str, data: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.events.append((name, data, run_id))


class Runs(BaseTracer):
    """A tracer that keeps the finished runs (as LangSmith's tracer would post them)."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[Any] = []

    def _persist_run(self, run: Any) -> None:
        self.finished.append(run)


def fake_pair() -> dict[str, Any]:
    """Two inner models of one class, reporting no usage and no model name."""
    return {"strong": FakeListChatModel(responses=["strong answer"]),
            "weak": FakeListChatModel(responses=["weak answer"])}


# ---- item 1: settings after construction --------------------------------------------------------
def test_assigning_a_setting_reconfigures_the_engine_and_keeps_the_statistics(make_llm):
    llm = make_llm()  # KeywordRouter: 0.9 for HARD, 0.1 for EASY; threshold 0.5
    assert llm.invoke(HARD).response_metadata["routellm"]["route"] == "strong"
    llm.threshold = 0.95
    assert llm.engine.threshold == 0.95
    assert llm.invoke(HARD).response_metadata["routellm"]["route"] == "weak"
    llm.sticky = True
    assert llm.engine.sticky
    assert llm.stats.snapshot().total_calls == 2  # the statistics survive reconfiguration
    llm.strong = ScriptedChatModel(model_name="bigger-model")
    assert llm.engine.names["strong"] == "bigger-model"
    assert llm.invoke(HARD, model="bigger-model").response_metadata["model_name"] == "bigger-model"


def test_threshold_and_strong_fraction_assignments_replace_each_other():
    llm = RouteLLMChat(**fake_pair(), router="random", strong_fraction=0.3)
    assert llm.engine.threshold == pytest.approx(0.7)
    llm.strong_fraction = 0.9
    assert llm.engine.threshold == pytest.approx(0.1)
    llm.threshold = 0.25
    assert (llm.threshold, llm.strong_fraction, llm.engine.threshold) == (0.25, None, 0.25)
    llm.strong_fraction = 0.6
    assert llm.threshold is None and llm.engine.threshold == pytest.approx(0.4)


@pytest.mark.parametrize("field,value,needle", [
    ("strong_fraction", 7, "strictly between 0 and 1"),
    ("strong_fraction", 1.0, "strictly between 0 and 1"),
    ("threshold", float("nan"), "threshold must be between 0 and 1"),
    ("threshold", 5, "threshold must be between 0 and 1"),
    ("routing_text", "last_human", "routing_text policy"),
    ("strong", "gpt-4o", r"init_chat_model\('gpt-4o'\)"),
])
def test_an_invalid_assignment_raises_and_changes_nothing(field, value, needle):
    llm = RouteLLMChat(**fake_pair(), router="random", strong_fraction=0.3)
    before = (llm.strong_fraction, llm.threshold, llm.routing_text, llm.strong)
    with pytest.raises(ValueError, match=needle):
        setattr(llm, field, value)
    assert (llm.strong_fraction, llm.threshold, llm.routing_text, llm.strong) == before
    assert llm.engine.threshold == pytest.approx(0.7)


def test_model_copy_gets_its_own_engine_with_the_update_applied():
    llm = RouteLLMChat(**fake_pair(), router="random", strong_fraction=0.3)
    llm.invoke(EASY, model="weak")
    twin = llm.model_copy(update={"threshold": 0.95})
    assert twin.engine is not llm.engine and twin.engine.router is llm.engine.router
    assert (twin.strong_fraction, twin.engine.threshold) == (None, 0.95)
    assert llm.engine.threshold == pytest.approx(0.7)
    assert twin.stats.snapshot().total_calls == 0  # a copy counts on its own
    twin.invoke(EASY, model="weak")
    assert llm.stats.snapshot().total_calls == 1
    assert copy.copy(llm).engine is not llm.engine
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        llm.model_copy(update={"threshold": 5})


# ---- item 2: configurable fields ------------------------------------------------------------------
def test_configured_calls_share_statistics_and_sticky_memory(make_llm):
    llm = make_llm(router="random", threshold=None, strong_fraction=0.3, sticky=True)
    conf = llm.configurable_fields(
        threshold=ConfigurableField(id="threshold"),
        strong_fraction=ConfigurableField(id="strong_fraction"),
    )
    chain = RunnableLambda(lambda x: x) | conf  # in a chain the thread id reaches the model

    def ask(q: str, **configurable: Any) -> dict[str, Any]:
        out = chain.invoke(q, config={"configurable": configurable})
        return out.response_metadata["routellm"]

    assert ask(EASY)["threshold"] == pytest.approx(0.7)
    # a threshold configured on a model built with a strong fraction replaces it
    assert ask(EASY, threshold=0.95)["threshold"] == 0.95
    assert ask(EASY, strong_fraction=0.8)["threshold"] == pytest.approx(0.2)
    first = ask(HARD, threshold=0.0, thread_id="t1")  # every score >= 0: strong
    assert first["route"] == "strong"
    again = ask(EASY, threshold=1.0, thread_id="t1")  # sticky memory is shared
    assert (again["route"], again["reason"]) == ("strong", "sticky")
    assert llm.stats.snapshot().total_calls == 5  # configured calls are counted
    assert llm.engine.threshold == pytest.approx(0.7)  # the original is unchanged


# ---- item 3: pickle and deepcopy -------------------------------------------------------------------
@pytest.mark.parametrize("router", ["random", RandomRouter(seed=3)])
def test_pickle_and_deepcopy_round_trip_the_configuration(router):
    llm = RouteLLMChat(strong=ScriptedChatModel(model_name="big-model"),
                       weak=ScriptedChatModel(model_name="small-model"), router=router,
                       threshold=0.35, sticky=True, fallback=True, on_route=print,
                       prices={"strong": (10.0, 30.0), "weak": (1.0, 2.0)})
    llm.invoke(HARD, thread_id="t1")
    for clone in (pickle.loads(pickle.dumps(llm)), copy.deepcopy(llm)):
        assert clone.engine.threshold == 0.35 and clone.engine.sticky and clone.fallback
        assert clone.engine.router.name == "random" and clone.engine.on_route == [print]
        assert clone.stats.snapshot().total_calls == 1 and clone.stats.prices is not None
        route = llm.engine.decide("x", thread_id="t1").route
        out = clone.invoke(EASY, thread_id="t1")
        assert out.response_metadata["routellm"] == {**out.response_metadata["routellm"],
                                                      "reason": "sticky", "route": route}
        assert clone.stats.snapshot().total_calls == 2
    assert llm.stats.snapshot().total_calls == 3  # the two engine.decide calls above


def test_an_inner_model_that_cannot_be_copied_is_named():
    llm = RouteLLMChat(strong=ScriptedChatModel(), weak=LockedModel(), router="random")
    with pytest.raises(TypeError, match=r"its weak model \(LockedModel\) cannot be pickled"):
        pickle.dumps(llm)
    with pytest.raises(TypeError, match=r"its weak model \(LockedModel\) cannot be copied"):
        copy.deepcopy(llm)
    assert llm.model_copy().weak is llm.weak  # a shallow copy shares the inner models


# ---- item 4: estimated usage -----------------------------------------------------------------------
async def test_usage_is_estimated_and_marked_when_the_provider_reports_none():
    llm = RouteLLMChat(**fake_pair(), router=KeywordRouter(), threshold=0.5,
                       prices={"strong": (10.0, 30.0), "weak": (1.0, 2.0)})
    llm.invoke(HARD)
    list(llm.stream(EASY))
    await llm.ainvoke(EASY)
    [c async for c in llm.astream(HARD)]
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": 2, "weak": 2}
    assert all(snap.input_tokens[r] > 0 and snap.output_tokens[r] > 0 for r in snap.calls)
    assert snap.estimated_input_tokens == snap.input_tokens
    assert snap.estimated_output_tokens == snap.output_tokens
    assert snap.estimated and snap.cost and snap.cost > 0


def test_provider_usage_is_not_marked_estimated(make_llm):
    llm = make_llm()
    llm.invoke(HARD)
    list(llm.stream(EASY))
    snap = llm.stats.snapshot()
    assert not snap.estimated and sum(snap.input_tokens.values()) > 0


# ---- item 5: the decision in traces ----------------------------------------------------------------
async def test_astream_events_carry_the_decision_and_the_chosen_model(make_llm):
    llm = make_llm()
    events = [e async for e in llm.astream_events(HARD, version="v2")]
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [e["name"] for e in custom] == [ROUTE_EVENT]
    assert custom[0]["data"] == {"route": "strong", "model": "big-model",
                                 "score": pytest.approx(0.9), "threshold": 0.5,
                                 "router": "keyword", "reason": "router",
                                 "pair": ["s", "w"]}
    start = next(e for e in events if e["event"] == "on_chat_model_start")
    assert custom[0]["run_id"] == start["run_id"]
    end = next(e for e in events if e["event"] == "on_chat_model_end")
    assert end["metadata"]["ls_model_name"] == "big-model"


@pytest.mark.parametrize("form", ["invoke", "stream", "ainvoke", "astream", "batch"])
async def test_every_call_form_dispatches_the_event_under_its_run(make_llm, form):
    llm = make_llm()
    rec, tracer = Recorder(), Runs()
    config = {"callbacks": [rec, tracer]}
    if form == "invoke":
        llm.invoke(EASY, config=config)
    elif form == "stream":
        list(llm.stream(EASY, config=config))
    elif form == "ainvoke":
        await llm.ainvoke(EASY, config=config)
    elif form == "astream":
        [c async for c in llm.astream(EASY, config=config)]
    else:
        llm.batch([EASY], config=config)
    assert [(name, data["model"]) for name, data, _ in rec.events] == [(ROUTE_EVENT, "small-model")]
    assert rec.events[0][2] == rec.runs[0]
    assert tracer.finished[0].extra["metadata"]["ls_model_name"] == "small-model"


def test_a_fallback_is_a_second_event_and_renames_the_run(make_llm):
    llm = make_llm(strong=ScriptedChatModel(model_name="big-model", fail=True), fallback=True)
    rec, tracer = Recorder(), Runs()
    llm.invoke(HARD, config={"callbacks": [rec, tracer]})
    assert [(d["route"], d["reason"]) for _, d, _ in rec.events] == [
        ("strong", "router"), ("weak", "fallback")]
    assert tracer.finished[0].extra["metadata"]["ls_model_name"] == "small-model"


# ---- item 6: on_route and reasons for the fallback ---------------------------------------------------
async def test_on_route_sees_the_fallback_and_reasons_count_it(make_llm):
    seen: list[RouteDecision] = []
    llm = make_llm(strong=ScriptedChatModel(model_name="big-model", fail=True), fallback=True,
                   on_route=seen.append)
    llm.invoke(HARD)
    await llm.ainvoke(HARD)
    list(llm.stream(HARD))
    llm.with_structured_output(dict(title="Joke", type="object", properties={
        "setup": {"type": "string"}}, required=["setup"])).invoke(HARD)
    assert [d.reason for d in seen] == ["router", "fallback"] * 4
    snap = llm.stats.snapshot()
    assert snap.reasons == {"fallback": 4} and snap.fallbacks == 4
    assert snap.calls == {"strong": 0, "weak": 4}


# ---- item 7: inner models with one name --------------------------------------------------------------
def test_inner_models_of_one_class_get_distinct_names():
    llm = RouteLLMChat(**fake_pair(), router="random")
    assert llm.engine.names == {"strong": "FakeListChatModel (strong)",
                                "weak": "FakeListChatModel (weak)"}
    with pytest.raises(ValueError, match=r"valid models: FakeListChatModel \(strong\)"):
        llm.invoke(HARD, model="FakeListChatModel")
    assert llm.invoke(HARD, model="FakeListChatModel (weak)").content == "weak answer"
    pair = fake_pair()
    pair["strong"].name, pair["weak"].name = "judge-a", "judge-b"  # user-given names win
    named = RouteLLMChat(**pair, router="random")
    assert named.engine.names == {"strong": "judge-a", "weak": "judge-b"}
    assert llm.invoke(HARD, model="weak").content == "weak answer"


def test_bad_constructor_values_are_clear(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        RouteLLMChat(**fake_pair(), router=str(tmp_path / "no" / "router"))
    with pytest.raises(ValidationError, match="router must be a router name"):
        RouteLLMChat(**fake_pair(), router=123)
    with pytest.raises(ValidationError, match="on_route must be a callable"):
        RouteLLMChat(**fake_pair(), router="random", on_route=123)
    with pytest.raises(ValidationError, match="threshold must be between 0 and 1"):
        RouteLLMChat(**fake_pair(), router="random", threshold=float("nan"))
