"""RouteLLMChat routes for the pair it wraps: inner models named like real ones, a planted
router where the pair matters, explicit pairs and aliases, an unknown pair."""

from __future__ import annotations

from lc_fakes import ScriptedChatModel
from routellm_test_fake_routers import PlantedPairRouter

from langchain_routellm import RouteLLMChat
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL

MATHS, WRITING = "prove the theorem about primes", "write a poem about autumn"


def _llm(strong: str, weak: str, **kw) -> RouteLLMChat:
    kw.setdefault("pair", "auto")
    return RouteLLMChat(strong=ScriptedChatModel(model_name=strong),
                        weak=ScriptedChatModel(model_name=weak),
                        router=PlantedPairRouter(), strong_fraction=0.2, **kw)


def _record(llm: RouteLLMChat, text: str) -> dict:
    return llm.invoke(text).response_metadata["routellm"]


def test_chatopenai_like_names_choose_the_pair_scored() -> None:
    llm = _llm("gpt-4o", "gpt-4o-mini")
    rec = _record(llm, WRITING)
    assert rec["route"] == "strong" and rec["pair"] == [STRONG_MODEL, "gpt-4o-mini"]
    assert _record(llm, MATHS)["route"] == "weak"
    # GPT-4 vs Mixtral: the router's own pair, which routes the other way
    llm = _llm("gpt-4-turbo", "open-mixtral-8x7b")
    assert _record(llm, MATHS)["route"] == "strong"
    assert _record(llm, WRITING)["pair"] == [STRONG_MODEL, WEAK_MODEL]


def test_explicit_pair_aliases_default_and_an_unknown_pair() -> None:
    assert _record(_llm("a", "b", pair=("gpt-4o", "gpt-4o-mini")), WRITING)["route"] == "strong"
    llm = _llm("gpt-4o", "acme-small", aliases={"acme-small": "gpt-4o-mini"})
    assert _record(llm, WRITING)["route"] == "strong"
    rec = _record(_llm("gpt-4o", "gpt-4o-mini", pair="default"), WRITING)
    assert rec["route"] == "weak" and rec["pair"] == [STRONG_MODEL, WEAK_MODEL]
    rec = _record(_llm("acme-large", "acme-small"), MATHS)
    assert rec["route"] == "strong" and rec["pair"] == [STRONG_MODEL, WEAK_MODEL]


def test_the_default_is_the_routers_own_pair() -> None:
    rec = _record(_llm("gpt-4o", "gpt-4o-mini", pair=None), WRITING)
    assert rec["route"] == "weak" and rec["pair"] == [STRONG_MODEL, WEAK_MODEL]


def test_swapping_an_inner_model_rebinds_the_pair() -> None:
    llm = _llm("gpt-4o", "open-mixtral-8x7b")
    assert _record(llm, WRITING)["route"] == "weak"
    llm.weak = ScriptedChatModel(model_name="gpt-4o-mini")
    assert _record(llm, WRITING)["route"] == "strong"
    llm.pair = "default"
    assert _record(llm, WRITING)["route"] == "weak"
