"""RouteLLM(models={...}): a three-model cost ladder in LlamaIndex."""

from __future__ import annotations

import pickle

import pytest
from llama_index.core.base.llms.types import ChatMessage
from routellm_test_ladder_fakes import PRICES, PlantedQualityRouter, ladder_settings

from llamaindex_routellm import RouteLLM
from llamaindex_routellm.ladder import RouteLLMLadder
from routellm_core.errors import ConfigError, DataError, UnknownNameError

from .conftest import multiply_agent, scripted


def PlantedRouter() -> PlantedQualityRouter:  # noqa: N802 - reads like the class it builds
    return PlantedQualityRouter(hard_words=("prove", "derive"), medium_words=("multiply", "explain"))


@pytest.fixture
def models():
    return {name: scripted(name) for name in ("high", "mid", "low")}


@pytest.fixture
def make_ladder(models):
    def make(**kw):
        return RouteLLM(models=kw.pop("models", models), **ladder_settings(PlantedRouter(), kw))

    return make


def test_models_builds_a_ladder(make_ladder):
    llm = make_ladder()
    assert isinstance(llm, RouteLLMLadder) and isinstance(llm, RouteLLM)
    r = llm.chat([ChatMessage(role="user", content="Prove the theorem")])
    tag = r.additional_kwargs["routellm"]
    assert tag["model"] == "high" and set(tag["estimates"]) == {"high", "mid", "low"}
    assert llm.complete("Explain tides").additional_kwargs["routellm"]["model"] == "mid"
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content.startswith("[low]")
    assert llm.stats.snapshot().calls == {"low": 1, "mid": 1, "high": 1}
    assert llm.metadata.is_function_calling_model
    assert llm.metadata.model_name == "routellm(low|mid|high)"


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_keeps_a_whole_run_on_one_model(make_ladder, models, streaming):
    llm = make_ladder()
    agent = multiply_agent(llm, streaming)
    out = await agent.run(user_msg="Multiply 6 by 7 with the tool.")
    assert out.response.content.startswith("[mid] the tool said 42")
    assert [t.tool_name for t in out.tool_calls] == ["multiply"]
    assert len(models["mid"].test_log) == 2
    assert models["high"].test_log == models["low"].test_log == []
    hard = await agent.run(user_msg="Derive 6 times 7 with the multiply tool.")
    assert hard.response.content.startswith("[high] the tool said 42")
    assert models["low"].test_log == []


async def test_async_streaming_forced_and_sticky(make_ladder):
    llm = make_ladder(sticky=True)
    r = await llm.achat([ChatMessage(role="user", content="Explain tides")])
    assert r.additional_kwargs["routellm"]["model"] == "mid"
    gen = llm.stream_chat([ChatMessage(role="user", content="Prove it")])
    chunks = list(gen)
    assert chunks and chunks[-1].additional_kwargs["routellm"]["model"] == "high"
    forced = llm.complete("Prove it", model="bottom")
    assert forced.additional_kwargs["routellm"]["model"] == "low"
    with pytest.raises(UnknownNameError, match="bottom, high, low, mid, top"):
        llm.complete("x", model="strong")
    with llm.conversation("c1"):
        llm.complete("Prove it")
        follow = llm.complete("Say hi")
    assert follow.additional_kwargs["routellm"]["reason"] == "sticky"
    assert follow.additional_kwargs["routellm"]["model"] == "high"


def test_fallback_goes_up_the_ladder(make_ladder, models):
    llm = make_ladder(models={**models, "mid": scripted("mid", fail=True)}, fallback=True)
    r = llm.chat([ChatMessage(role="user", content="Explain tides")])
    assert r.message.content.startswith("[high]")
    assert r.additional_kwargs["routellm"]["model"] == "high"
    assert r.additional_kwargs["routellm"]["reason"] == "fallback"


def test_pickle_keeps_the_ladder(make_ladder):
    llm = make_ladder()
    llm.complete("Explain tides")
    p = pickle.loads(pickle.dumps(llm))
    assert isinstance(p, RouteLLMLadder) and p.stats.snapshot().calls["mid"] == 1


def test_clear_errors(make_ladder, models):
    with pytest.raises(ConfigError, match="ladder is empty") as info:
        make_ladder(models={})
    # the wrapper takes a dict: its message must not suggest the core's list of names
    assert "models={name: LLM}" in str(info.value) and "models=[" not in str(info.value)
    with pytest.raises(ConfigError, match="one-model ladder"):
        make_ladder(models={"high": models["high"]})
    with pytest.raises(DataError, match="no price for 'low'"):
        make_ladder(prices={"high": 1.0, "mid": 1.0})
    with pytest.raises(UnknownNameError, match="Known models: high, low, mid"):
        make_ladder(models={"high": models["high"], "mine": models["low"]},
                    prices={"high": 1.0, "mine": 0.1})
    with pytest.raises(ConfigError, match="not both"):
        make_ladder(strong=models["high"])
    with pytest.raises(ConfigError, match="tolerance="):
        make_ladder(threshold=0.5)
    with pytest.raises(ConfigError, match="calibration_window= applies to strong=/weak="):
        make_ladder(calibration_window=500)  # the ladder's knob is not a share of calls
    with pytest.raises(TypeError, match="models\\['x'\\]"):
        make_ladder(models={**models, "x": "gpt-4o"}, prices={**PRICES, "x": 1.0})
    llm = make_ladder(models={"high": models["high"], "mine": models["low"]},
                      prices={"high": (10, 30), "mine": 0.1}, aliases={"mine": "low"})
    assert llm.complete("hi").additional_kwargs["routellm"]["model"] == "mine"
