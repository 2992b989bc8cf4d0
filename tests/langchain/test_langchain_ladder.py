"""RouteLLMChat(models={...}): a three-model cost ladder in LangChain."""

from __future__ import annotations

import copy
import pickle

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from lc_fakes import ScriptedChatModel
from pydantic import BaseModel, ValidationError
from routellm_test_ladder_fakes import PRICES, PlantedQualityRouter, ladder_settings

from langchain_routellm import RouteLLMChat
from langchain_routellm.ladder import RouteLLMLadderChat


def PlantedRouter() -> PlantedQualityRouter:  # noqa: N802 - reads like the class it builds
    return PlantedQualityRouter(medium_words=("weather", "explain"))


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"It is sunny in {city}."


class Joke(BaseModel):
    setup: str
    punchline: str


@pytest.fixture
def models():
    return {name: ScriptedChatModel(model_name=f"{name}-model") for name in ("high", "mid", "low")}


@pytest.fixture
def make_ladder(models):
    def make(**kw):
        return RouteLLMChat(models=kw.pop("models", models), **ladder_settings(PlantedRouter(), kw))

    return make


def test_models_builds_a_ladder_and_routes_to_the_cheapest_adequate_model(make_ladder, models):
    llm = make_ladder()
    assert isinstance(llm, RouteLLMLadderChat) and isinstance(llm, RouteLLMChat)
    assert llm.engine.models == ["low", "mid", "high"]
    out = llm.invoke("Prove that there are infinitely many primes.")
    rec = out.response_metadata["routellm"]
    assert rec["model"] == "high" and set(rec["estimates"]) == {"high", "mid", "low"}
    assert llm.invoke("Explain tides").response_metadata["routellm"]["model"] == "mid"
    assert llm.invoke("Say hi").response_metadata["routellm"]["model"] == "low"
    assert [len(models[m].calls) for m in ("high", "mid", "low")] == [1, 1, 1]
    snap = llm.stats.snapshot()
    assert snap.calls == {"low": 1, "mid": 1, "high": 1}
    assert snap.input_tokens["high"] > 0 and snap.cost > 0
    assert snap.always_strong_cost > snap.cost


def test_strong_weak_keeps_working(models):
    llm = RouteLLMChat(strong=models["high"], weak=models["low"], router=PlantedRouter(),
                       threshold=0.5)
    assert type(llm) is RouteLLMChat
    assert llm.invoke("hi", model="weak").response_metadata["routellm"]["route"] == "weak"


def test_create_agent_keeps_a_whole_run_on_one_model(make_ladder, models):
    from langchain.agents import create_agent

    agent = create_agent(make_ladder(), [get_weather])
    result = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    msgs = result["messages"]
    assert [type(m).__name__ for m in msgs] == ["HumanMessage", "AIMessage", "ToolMessage",
                                                "AIMessage"]
    assert len(models["mid"].calls) == 2 and models["high"].calls == models["low"].calls == []
    assert all(m.response_metadata["routellm"]["model"] == "mid"
               for m in msgs if isinstance(m, AIMessage))
    # tools are bound on whichever model is chosen
    assert models["mid"].calls[0]["tools"] == ["get_weather"]
    agent.invoke({"messages": [HumanMessage("Prove the weather in Rome is nice.")]})
    assert len(models["high"].calls) == 2 and models["low"].calls == []


def test_forced_routes_sticky_threads_streaming_and_async(make_ladder):
    llm = make_ladder(sticky=True)
    assert llm.invoke("Prove it", model="low").response_metadata["routellm"]["reason"] == "forced"
    assert llm.invoke("hi", model="high").response_metadata["routellm"]["model"] == "high"
    with pytest.raises(Exception, match="bottom, high, low, mid, top"):
        llm.invoke("hi", model="strong")
    assert llm.invoke("Prove it", thread_id="t1").response_metadata["routellm"]["model"] == "high"
    again = llm.invoke("Say hi", thread_id="t1").response_metadata["routellm"]
    assert (again["model"], again["reason"]) == ("high", "sticky")
    chunks = list(llm.stream("Explain tides"))
    tags = [c.response_metadata["routellm"] for c in chunks if "routellm" in c.response_metadata]
    assert len(tags) == 1 and tags[0]["model"] == "mid"


async def test_async_invoke_and_stream(make_ladder):
    llm = make_ladder()
    out = await llm.ainvoke("Explain tides")
    assert out.response_metadata["routellm"]["model"] == "mid"
    chunks = [c async for c in llm.astream("Prove it")]
    assert any(c.response_metadata.get("routellm", {}).get("model") == "high" for c in chunks)


def test_fallback_goes_up_the_ladder(make_ladder, models):
    broken = {**models, "mid": ScriptedChatModel(model_name="mid-model", fail=True)}
    llm = make_ladder(models=broken, fallback=True)
    out = llm.invoke("Explain tides")
    rec = out.response_metadata["routellm"]
    assert (rec["model"], rec["reason"]) == ("high", "fallback")
    assert llm.stats.snapshot().fallbacks == 1


def test_structured_output_on_every_candidate(make_ladder, models):
    structured = make_ladder().with_structured_output(Joke)
    assert isinstance(structured.invoke("Tell me a joke"), Joke)
    assert len(models["low"].calls) == 1


def test_knob_assignment_copies_and_pickling(make_ladder):
    llm = make_ladder()
    llm.tolerance = 1.0
    assert llm.engine.ladder.value == 1.0
    assert llm.invoke("Prove it").response_metadata["routellm"]["model"] == "low"
    with pytest.raises(ValidationError):
        llm.tolerance = -1.0
    assert llm.engine.ladder.value == 1.0
    c = llm.model_copy(update={"tolerance": 0.05})
    assert c.invoke("Prove it").response_metadata["routellm"]["model"] == "high"
    assert llm.stats.snapshot().calls["high"] == 0
    d = copy.deepcopy(llm)
    assert d.stats.snapshot().calls["low"] == 1
    p = pickle.loads(pickle.dumps(llm))
    assert isinstance(p, RouteLLMLadderChat) and p.engine.models == ["low", "mid", "high"]


def test_target_cost_calibrates_the_knob(make_ladder):
    prompts = [f"Prove lemma {i}" for i in range(4)] + [f"Say hi {i}" for i in range(12)]
    llm = make_ladder(tolerance=None, target_cost=1e-4, calibration_prompts=prompts)
    assert llm.engine.ladder.knob == "tolerance" and llm.engine.ladder.target_cost == 1e-4


@pytest.mark.parametrize(("kw", "match"), [
    ({"models": {}}, "ladder is empty"),
    ({"models": "one"}, "must be a dict"),
    ({"prices": {"high": 1.0, "mid": 1.0}}, "no price for 'low'"),
    ({"strong_fraction": 0.3}, "tolerance=, cost_weight= or target_cost="),
    ({"calibration_window": 500}, "calibration_window= applies to strong=/weak="),
    ({"recorder": "traffic.jsonl"}, "a ladder does not record its traffic"),
    ({"target_cost": 1e-3, "tolerance": None}, "calibration_prompts"),
])
def test_clear_errors(make_ladder, kw, match):
    with pytest.raises(ValidationError, match=match):
        make_ladder(**kw)


def test_one_model_unknown_model_and_strong_with_models(make_ladder, models):
    with pytest.raises(ValidationError, match="one-model ladder"):
        make_ladder(models={"high": models["high"]})
    with pytest.raises(ValidationError, match="Known models: high, low, mid"):
        make_ladder(models={"high": models["high"], "my-llama": models["low"]},
                    prices={"high": 1.0, "my-llama": 0.1})
    llm = make_ladder(models={"high": models["high"], "my-llama": models["low"]},
                      prices={"high": (10, 30), "my-llama": 0.1}, aliases={"my-llama": "low"})
    assert llm.invoke("Say hi").response_metadata["routellm"]["model"] == "my-llama"
    with pytest.raises(ValidationError, match="not both"):
        RouteLLMChat(models=models, strong=models["high"], prices=PRICES, router=PlantedRouter())
