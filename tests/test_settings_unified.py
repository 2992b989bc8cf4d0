"""One settings object per chooser, the same behaviour in both wrappers (issue 22 item 3).

Assignment, ``model_copy(update=...)``, per-call configuration, the ladder's statistics,
reserved model names and the settings' clear errors, for two models and for ladders, in
LangChain and LlamaIndex side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.runnables import ConfigurableField  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from routellm_test_fake_routers import KeywordRouter  # noqa: E402
from routellm_test_ladder_fakes import PRICES, PlantedQualityRouter  # noqa: E402

from langchain_routellm import RouteLLMChat  # noqa: E402
from langchain_routellm.middleware import SETTING_FIELDS, RouteLLMDecisionModel  # noqa: E402
from llamaindex_routellm import RouteLLM  # noqa: E402
from routellm_core.cli.demo import parse_price  # noqa: E402
from routellm_core.errors import DataError  # noqa: E402
from routellm_core.routing.settings import LADDER_SETTINGS, SETTINGS, inner_model_copy_error  # noqa: E402


def _lc(name: str) -> FakeListChatModel:
    return FakeListChatModel(responses=[name])


def lc_pair(**kw: Any) -> Any:
    return RouteLLMChat(strong=_lc("S"), weak=_lc("W"), router=KeywordRouter(), **kw)


def li_pair(**kw: Any) -> Any:
    return RouteLLM(strong=MockLLM(), weak=MockLLM(), router=KeywordRouter(), **kw)


def lc_ladder(**kw: Any) -> Any:
    models = kw.pop("models", {n: _lc(n) for n in PRICES})
    return RouteLLMChat(models=models, router=PlantedQualityRouter(),
                        **{"prices": PRICES, **kw})


def li_ladder(**kw: Any) -> Any:
    models = kw.pop("models", {n: MockLLM() for n in PRICES})
    return RouteLLM(models=models, router=PlantedQualityRouter(), **{"prices": PRICES, **kw})


def _call(llm: Any, text: str) -> str:
    """One routed call; the route it took."""
    if isinstance(llm, RouteLLM):
        return str(llm.complete(text).additional_kwargs["routellm"]["route"])
    return str(llm.invoke(text).response_metadata["routellm"]["route"])


PAIRS = [pytest.param(lc_pair, id="langchain"), pytest.param(li_pair, id="llamaindex")]
LADDERS = [pytest.param(lc_ladder, id="langchain"), pytest.param(li_ladder, id="llamaindex")]
Make = Callable[..., Any]


def test_the_wrappers_routing_fields_are_the_settings_fields() -> None:
    from langchain_routellm.chat_models import RouteLLMLadderChat

    renamed = {"strong_name": "strong", "weak_name": "weak", "embedder": "embeddings"}
    for cls, settings in ((RouteLLMChat, SETTINGS), (RouteLLMLadderChat, LADDER_SETTINGS)):
        expected = {renamed.get(s, s) for s in settings} - {"max_sticky_threads"}
        assert set(cls._FIELDS) == expected
        assert expected <= set(cls.model_fields)
    li_renamed = {**renamed, "embedder": "embed_model"}
    for li_cls, settings in ((RouteLLM, SETTINGS), (type(li_ladder()), LADDER_SETTINGS)):
        expected = {li_renamed.get(s, s) for s in settings} - {"max_sticky_threads"}
        assert set(li_cls._FIELDS) == expected
    assert set(SETTING_FIELDS) <= set(SETTINGS)
    assert RouteLLMDecisionModel(router="random", threshold=0.4)._engine.threshold == 0.4


@pytest.mark.parametrize("make", PAIRS)
def test_assigning_a_threshold_replaces_the_fraction_in_both(make: Make) -> None:
    llm = make(strong_fraction=0.3)
    llm.threshold = 0.8
    assert llm.engine.threshold == 0.8 and llm.engine.strong_fraction is None
    assert llm.strong_fraction is None
    llm.strong_fraction = 0.5
    assert llm.engine.settings["threshold"] is None and llm.strong_fraction == 0.5
    with pytest.raises(ValueError, match="strong_fraction"):
        llm.strong_fraction = 2.0
    assert llm.engine.settings["strong_fraction"] == 0.5 and llm.strong_fraction == 0.5
    llm.sticky = True
    assert llm.engine.sticky and llm.sticky is True


@pytest.mark.parametrize("make", LADDERS)
def test_assigning_a_knob_replaces_the_other_knob_in_both(make: Make) -> None:
    llm = make(tolerance=0.05)
    llm.tolerance = 0.3
    assert llm.engine.ladder.value == 0.3 and llm.tolerance == 0.3
    llm.cost_weight = 0.3
    assert llm.tolerance is None and llm.engine.settings["tolerance"] is None
    assert llm.engine.ladder.knob == "cost_weight" and llm.cost_weight == 0.3
    with pytest.raises(ValueError, match="non-negative"):
        llm.cost_weight = -1.0
    assert llm.engine.ladder.knob == "cost_weight" and llm.cost_weight == 0.3


@pytest.mark.parametrize("make", PAIRS)
def test_model_copy_update_follows_the_same_rules_for_two_models(make: Make) -> None:
    llm = make(strong_fraction=0.3)
    _call(llm, "hi")
    c = llm.model_copy(update={"threshold": 0.8})
    assert c.engine.threshold == 0.8 and c.strong_fraction is None
    assert llm.engine.strong_fraction == 0.3 and llm.strong_fraction == 0.3
    assert c.stats.snapshot().total_calls == 0 and llm.stats.snapshot().total_calls == 1
    with pytest.raises(ValueError, match="threshold"):
        llm.model_copy(update={"threshold": 7})


@pytest.mark.parametrize("make", LADDERS)
def test_model_copy_update_follows_the_same_rules_for_ladders(make: Make) -> None:
    llm = make(tolerance=0.05)
    c = llm.model_copy(update={"cost_weight": 0.2})
    assert c.engine.ladder.knob == "cost_weight" and c.tolerance is None
    assert llm.engine.ladder.knob == "tolerance" and llm.tolerance == 0.05
    with pytest.raises(ValueError, match="applies to strong=/weak="):
        llm.model_copy(update={"threshold": 0.5})


@pytest.mark.parametrize("make", PAIRS + LADDERS)
def test_settings_of_the_other_mode_are_refused_in_both(make: Make) -> None:
    ladder = make in (lc_ladder, li_ladder)
    name, value = ("threshold", 0.5) if ladder else ("tolerance", 0.1)
    match = "applies to strong=/weak=" if ladder else "applies to a ladder"
    with pytest.raises(ValueError, match=match):
        make(**{name: value})
    llm = make()
    with pytest.raises(ValueError, match=match):
        setattr(llm, name, value)


def test_per_call_configuration_of_a_ladder_knob() -> None:
    llm = lc_ladder(tolerance=0.05)
    configurable = llm.configurable_fields(
        tolerance=ConfigurableField(id="tolerance"), cost_weight=ConfigurableField(id="cw"))
    hard = "Prove that there are infinitely many primes."
    assert configurable.invoke(hard).response_metadata["routellm"]["model"] == "high"
    out = configurable.invoke(hard, config={"configurable": {"tolerance": 1.0}})
    assert out.response_metadata["routellm"]["model"] == "low"
    out = configurable.invoke(hard, config={"configurable": {"cw": 10.0}})
    assert out.response_metadata["routellm"]["knob"] == "cost_weight"
    assert llm.engine.ladder.value == 0.05 and llm.stats.snapshot().total_calls == 3


@pytest.mark.parametrize("make", LADDERS)
def test_a_ladders_strong_fraction_is_the_share_of_its_dearest_model(make: Make) -> None:
    llm = make()
    for force in ("top", "top", "bottom"):
        llm.engine.decide("x", force=force)
    snap = llm.stats.snapshot()
    assert snap.calls == {"low": 1, "mid": 0, "high": 2}
    assert snap.strong_fraction == pytest.approx(2 / 3)


@pytest.mark.parametrize("make", LADDERS)
@pytest.mark.parametrize("reserved", ["top", "bottom"])
def test_a_model_named_like_a_forcing_keyword_is_refused(make: Make, reserved: str) -> None:
    factory = _lc if make is lc_ladder else (lambda _n: MockLLM())
    with pytest.raises(ValueError, match=f"may not be called '{reserved}'"):
        make(models={reserved: factory("a"), "low": factory("b")},
             prices={reserved: (10, 30), "low": (0.1, 0.1)})


@pytest.mark.parametrize(("make", "typo", "right"), [
    (lc_pair, "strong_fractoin", "strong_fraction"), (li_pair, "strong_fractoin", "strong_fraction"),
    (lc_ladder, "tolerence", "tolerance"), (li_ladder, "tolerence", "tolerance"),
])
def test_a_typo_names_the_right_argument_in_both(make: Make, typo: str, right: str) -> None:
    with pytest.raises(ValueError, match=f"did you mean '{right}'"):
        make(**{typo: 0.1})


@pytest.mark.parametrize("make", PAIRS + LADDERS)
def test_a_price_of_three_numbers_is_refused(make: Make) -> None:
    ladder = make in (lc_ladder, li_ladder)
    prices = dict(PRICES) if ladder else {"strong": (10, 30), "weak": (1, 2)}
    prices[next(iter(prices))] = (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"must be \(input, output\) USD per million tokens"):
        make(prices=prices)


def test_the_cli_refuses_a_price_of_three_numbers_the_same_way() -> None:
    with pytest.raises(DataError, match=r"price of 'm' must be \(input, output\)"):
        parse_price("m=1,2,3")
    assert parse_price("m=1,2") == ("m", (1.0, 2.0))


@pytest.mark.parametrize("make", LADDERS)
def test_calibration_prompts_without_a_target_cost_are_refused(make: Make) -> None:
    with pytest.raises(ValueError, match="calibration_prompts= is only read with target_cost="):
        make(calibration_prompts=["hi", "prove it"])


@pytest.mark.parametrize("make", PAIRS)
def test_a_calibration_window_of_true_is_refused_not_one(make: Make) -> None:
    with pytest.raises(ValueError, match="calibration_window must be a positive integer, got "
                                         "bool True"):
        make(strong_fraction=0.3, calibration_window=True)


@pytest.mark.parametrize("make", LADDERS)
def test_a_target_cost_of_zero_gives_the_cheapest_model(make: Make) -> None:
    llm = make(target_cost=0, calibration_prompts=["prove it", "explain tides", "hi"])
    assert llm.engine.decide("Prove that there are infinitely many primes.").model == "low"


@pytest.mark.parametrize("make", LADDERS)
def test_the_missing_price_message_has_no_stray_brace(make: Make) -> None:
    with pytest.raises(ValueError, match="no price for 'low'") as info:
        make(prices={"high": 1.0, "mid": 1.0})
    assert "prices={model: (input, output)} in USD" in str(info.value)
    assert "output)}}" not in str(info.value)


@pytest.mark.parametrize("make", [lc_pair, lc_ladder])
def test_an_inner_model_without_structured_output_is_named_in_both_modes(make: Make) -> None:
    from pydantic import BaseModel

    class Joke(BaseModel):
        punchline: str

    with pytest.raises(NotImplementedError, match="has no structured output") as info:
        make().with_structured_output(Joke)
    assert isinstance(info.value, ValueError)  # a ConfigError too, as for other bad settings


HARD = "Prove that there are infinitely many primes."


def _configured(llm: Any, text: str, **settings: Any) -> dict[str, Any]:
    """One call with per-call settings: LangChain's configurable_fields, LlamaIndex's
    ``configured`` block; the decision's record."""
    if isinstance(llm, RouteLLM):
        with llm.configured(**settings):
            return dict(llm.complete(text).additional_kwargs["routellm"])
    fields = {k: ConfigurableField(id=k) for k in settings}
    out = llm.configurable_fields(**fields).invoke(text, config={"configurable": settings})
    return dict(out.response_metadata["routellm"])


@pytest.mark.parametrize("make", PAIRS)
def test_per_call_settings_share_the_statistics_and_replace_partners_in_both(make: Make) -> None:
    llm = make(strong_fraction=0.3)
    assert _call(llm, HARD) == "strong"
    record = _configured(llm, HARD, threshold=1.0)  # replaces the strong fraction, this call
    assert record["route"] == "weak" and record["threshold"] == 1.0
    assert llm.engine.strong_fraction == 0.3 and _call(llm, HARD) == "strong"
    assert llm.stats.snapshot().calls == {"strong": 2, "weak": 1}


@pytest.mark.parametrize("make", LADDERS)
def test_per_call_knobs_share_the_statistics_in_both(make: Make) -> None:
    llm = make(tolerance=0.05)
    assert _configured(llm, HARD, tolerance=1.0)["model"] == "low"
    assert _configured(llm, HARD, cost_weight=10.0)["knob"] == "cost_weight"
    assert llm.engine.ladder.value == 0.05 and llm.stats.snapshot().total_calls == 2


def test_llamaindex_per_call_settings_are_checked_like_the_constructor() -> None:
    llm = li_pair(strong_fraction=0.3)
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        with llm.configured(threshold=7):
            pass
    with pytest.raises(ValueError, match="applies to a ladder"):
        with llm.configured(tolerance=0.1):
            pass
    with pytest.raises(ValueError, match="did you mean 'strong_fraction'"):
        with llm.configured(strong_fractoin=0.1):
            pass


@pytest.mark.parametrize("make", LADDERS)
@pytest.mark.parametrize(("models", "match"), [
    ({}, r"the ladder is empty: pass models=\{name: "),
    ("gpt-4o", r"models must be a dict \{name: "),
    ({"high": None}, "a one-model ladder \\('high'\\) routes nothing"),
])
def test_the_ladder_argument_checks_are_the_same_in_both(make: Make, models: Any,
                                                         match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        make(models=models)
    assert "models=[" not in str(info.value)


def test_the_inner_model_copy_error_names_the_first_model_that_fails() -> None:
    def fn(model: Any) -> None:
        if model == "locked":
            raise RuntimeError("holds a lock")

    models = {"strong": "fine", "weak": "locked"}
    error = inner_model_copy_error("RouteLLMChat", "pickle", models, fn, "share the {which} one")
    assert error is not None
    assert str(error).startswith("cannot pickle RouteLLMChat: its weak model (str) cannot be "
                                 "pickled (RuntimeError: holds a lock)")
    assert str(error).endswith("share the weak one")
    assert isinstance(error.__cause__, RuntimeError)
    assert inner_model_copy_error("RouteLLM", "deepcopy", {"strong": "fine"}, fn, "") is None
