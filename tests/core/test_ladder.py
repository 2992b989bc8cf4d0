"""The cost ladder: policy, calibration, aliases, errors, and the ladder engine."""

from __future__ import annotations

import logging
import pickle

import numpy as np
import pytest
from routellm_test_ladder_fakes import PRICES, PlantedQualityRouter

from routellm_core.data.battles import OutcomeTable, TrainingData
from routellm_core.errors import ConfigError, DataError, UnknownNameError
from routellm_core.routers.irt import IRTRouter
from routellm_core.routers.random import RandomRouter
from routellm_core.routing.ladder import (
    Ladder,
    QualityRouter,
    average_cost,
    calibrate_knob,
    choose,
    known_models,
    quality_estimator,
    resolve_aliases,
)
from routellm_core.routing.ladder_engine import LadderDecision, LadderEngine
from routellm_core.scoring.embeddings import HashingEmbedder


def PlantedRouter() -> PlantedQualityRouter:  # noqa: N802 - reads like the class it builds
    return PlantedQualityRouter()


def test_planted_router_satisfies_the_protocol():
    assert isinstance(PlantedRouter(), QualityRouter)
    assert not isinstance(RandomRouter(), QualityRouter)


def test_policy_picks_the_cheapest_adequate_model_on_planted_estimates():
    lad = Ladder(PlantedRouter(), ["high", "mid", "low"], PRICES, tolerance=0.05)
    assert lad.models == ["low", "mid", "high"]
    assert lad.choose(["prove the theorem", "explain tides", "say hi"]) == ["high", "mid", "low"]
    lad.set_knob(tolerance=0.5)  # half the best estimate: mid is adequate for medium prompts
    assert lad.choose(["prove it", "explain", "hi"]) == ["high", "mid", "low"]
    lad.set_knob(tolerance=1.0)  # anything goes: always the cheapest
    assert lad.choose(["prove it", "explain", "hi"]) == ["low"] * 3
    lad.set_knob(tolerance=0.0)  # the best estimate, whatever the price
    assert lad.choose(["prove it", "explain", "hi"]) == ["high"] * 3


def test_cost_weight_policy():
    q = np.array([[0.9, 0.5, 0.45]])
    costs = np.array([10.0, 1.0, 0.5])
    assert choose(q, costs, cost_weight=0.0).tolist() == [0]
    assert choose(q, costs, cost_weight=0.5).tolist() == [1]  # 0.4 < 0.5 - 0.05 > 0.45 - 0.025
    assert choose(q, costs, cost_weight=10.0).tolist() == [2]


def test_choose_needs_exactly_one_knob():
    with pytest.raises(ConfigError, match="exactly one knob"):
        choose(np.ones((1, 2)), [1.0, 2.0])
    with pytest.raises(ConfigError, match="exactly one knob"):
        choose(np.ones((1, 2)), [1.0, 2.0], tolerance=0.1, cost_weight=0.1)


@pytest.mark.parametrize("knob", ["tolerance", "cost_weight"])
@pytest.mark.parametrize("share", [0.05, 0.3, 0.6, 0.95])
def test_calibration_hits_the_average_cost_within_one_prompts_price(knob, share):
    rng = np.random.default_rng(7)
    n = 400
    q = np.clip(rng.random((n, 1)) * 0.5 + rng.random((n, 4)) * 0.5, 0, 1)
    base = np.array([0.05, 0.4, 1.5, 10.0])
    costs = base[None, :] * rng.uniform(0.5, 2.0, (n, 1))  # per-prompt prompt lengths
    # a target inside the reachable range: from always-cheapest to the best estimate
    low, high = average_cost(q, costs, "tolerance", 1.0), average_cost(q, costs, "tolerance", 0.0)
    target = low + share * (high - low)
    value = calibrate_knob(q, costs, target, knob)
    got = average_cost(q, costs, knob, value)
    assert abs(got - target) <= costs.max() / n


def test_calibration_of_the_ladder_sets_the_knob():
    prompts = [f"prove lemma {i}" for i in range(5)] + [f"say hi {i}" for i in range(15)]
    lad = Ladder(PlantedRouter(), ["high", "mid", "low"], PRICES, output_tokens=100)
    per_call = lad.call_costs(prompts)
    # hard prompts on the top model, the others on the cheapest one
    target = float((per_call[:5, 2].sum() + per_call[5:, 0].sum()) / 20)
    lad.calibrate(prompts, target)
    got = float(per_call[np.arange(20), [lad.models.index(m) for m in lad.choose(prompts)]].mean())
    assert abs(got - target) <= per_call.max() / len(prompts)


def test_calibration_rejects_bad_targets():
    with pytest.raises(DataError, match="non-negative"):
        calibrate_knob(np.ones((3, 2)), [1.0, 2.0], -1.0)
    with pytest.raises(UnknownNameError, match="tolerance, cost_weight"):
        calibrate_knob(np.ones((3, 2)), [1.0, 2.0], 1.0, "temperature")


def test_unknown_models_are_rejected_with_the_known_names():
    with pytest.raises(UnknownNameError, match="Known models: high, low, mid"):
        Ladder(PlantedRouter(), ["high", "my-llama"], {"high": 1, "my-llama": 0.1})


def test_aliases_map_unknown_models_to_known_ones():
    lad = Ladder(PlantedRouter(), ["high", "my-llama"], {"high": (10, 30), "my-llama": 0.1},
                 aliases={"my-llama": "low"}, tolerance=0.05)
    assert lad.choose(["say hi", "prove it"]) == ["my-llama", "high"]
    with pytest.raises(UnknownNameError, match="does not know 'nope'"):
        resolve_aliases(["x"], ["low"], {"x": "nope"})


def test_missing_prices_empty_and_one_model_ladders():
    with pytest.raises(DataError, match="no price for 'mid'"):
        Ladder(PlantedRouter(), ["high", "mid"], {"high": 1.0})
    with pytest.raises(ConfigError, match="ladder is empty"):
        Ladder(PlantedRouter(), [], PRICES)
    with pytest.raises(ConfigError, match="one-model ladder"):
        Ladder(PlantedRouter(), ["high"], PRICES)
    with pytest.raises(ConfigError, match="listed twice"):
        Ladder(PlantedRouter(), ["high", "high"], PRICES)
    with pytest.raises(ConfigError, match="non-negative"):
        Ladder(PlantedRouter(), ["high", "mid"], PRICES, tolerance=-1)


def test_two_model_router_is_the_two_model_case():
    r = RandomRouter("s", "w")
    prompts = [f"q{i}" for i in range(50)]
    p = r.predict_win_rate(prompts)
    lad = Ladder(r, ["s", "w"], {"s": (10, 30), "w": (0.5, 0.5)}, tolerance=0.7)
    chosen = lad.choose(prompts)
    # tolerance t is the threshold 1 / (2 - t) on P(strong wins)
    assert chosen == ["s" if x > 1 / 1.3 else "w" for x in p]
    lad.set_knob(tolerance=0.0)
    assert lad.choose(prompts) == ["s" if x > 0.5 else "w" for x in p]
    assert known_models(r) == ["s", "w"]


def _tiny_irt() -> IRTRouter:
    table = OutcomeTable(
        ["add 2 and 2", "prove the theorem", "say hello", "derive the integral"],
        {"big": [1.0, 1.0, 1.0, 1.0], "mid": [1.0, 1.0, 1.0, 0.0], "small": [1.0, 0.0, 1.0, 0.0]},
        source="toy")
    return IRTRouter("big", "small", HashingEmbedder(32), epochs=30).fit(
        TrainingData(tables=[table]))


def test_irt_and_mf_estimators_give_one_column_per_model():
    irt = _tiny_irt()
    est = quality_estimator(irt)(["prove it", "hi"], ["small", "big", "mid"])
    assert est.shape == (2, 3) and ((est > 0) & (est < 1)).all()
    from routellm_core.data.battles import Battle, Battles
    from routellm_core.routers.mf import MatrixFactorizationRouter

    bs = Battles([Battle("math sum", "big", "small", "model_a"),
                  Battle("say hi", "mid", "small", "model_b"),
                  Battle("prove", "big", "mid", "model_a")])
    mf = MatrixFactorizationRouter("big", "small", HashingEmbedder(16), dim=4, epochs=2).fit(bs)
    q = quality_estimator(mf)(["math sum"], ["small", "mid", "big"])
    assert q.shape == (1, 3) and ((q > 0) & (q < 1)).all()
    assert known_models(mf) == mf.models_


def test_engine_decision_lists_every_estimate_and_counts_per_model(caplog):
    seen: list[LadderDecision] = []
    e = LadderEngine(PlantedRouter(), ["high", "mid", "low"], prices=PRICES, tolerance=0.05,
                     on_route=seen.append)
    d = e.decide("explain tides")
    assert isinstance(d, LadderDecision) and d.model == "mid" and d.reason == "router"
    assert set(d.to_dict()["estimates"]) == {"high", "mid", "low"}
    assert e.decide(None, force="high").reason == "forced"
    assert e.decide(None, force="bottom").model == "low"
    with pytest.raises(UnknownNameError, match="bottom, high, low, mid, top"):
        e.decide("x", force="strong")
    e.record_usage("mid", 100, 50)
    snap = e.stats.snapshot()
    assert snap.calls == {"low": 1, "mid": 1, "high": 1}
    assert snap.cost == pytest.approx((100 * 1.0 + 50 * 2.0) / 1e6)
    assert snap.always_strong_cost == pytest.approx((100 * 10.0 + 50 * 30.0) / 1e6)
    # fallback: the next model up the ladder
    f = e.fallback_decision(d)
    assert f.model == "high" and f.reason == "fallback"
    assert e.other("high") == "mid"
    assert len(seen) == 4


def test_engine_sticky_threads_copies_and_pickling():
    e = LadderEngine(PlantedRouter(), ["high", "mid", "low"], prices=PRICES, sticky=True)
    assert e.decide("prove it", thread_id="t1").model == "high"
    assert e.decide("say hi", thread_id="t1").reason == "sticky"
    assert pickle.loads(pickle.dumps(e)).stats.snapshot().calls["high"] == 2
    c = e.copy(tolerance=1.0)
    assert c.decide("prove it").model == "low" and e.stats.snapshot().calls["low"] == 0
    v = e.variant(tolerance=1.0)
    v.decide("prove it")
    assert e.stats.snapshot().calls["low"] == 1
    with pytest.raises(ConfigError, match="cannot change in place"):
        e.configure(models=["high", "mid"])


def test_engine_target_cost_needs_calibration_prompts_and_router_errors_go_to_the_top(caplog):
    with pytest.raises(ConfigError, match="calibration_prompts"):
        LadderEngine(PlantedRouter(), ["high", "low"], prices=PRICES, target_cost=1e-3)
    e = LadderEngine(PlantedRouter(), ["high", "low"], prices=PRICES, target_cost=1e-3,
                     calibration_prompts=["prove a", "hi", "hello", "prove b"])
    assert e.ladder.knob == "tolerance"

    class Broken(PlantedQualityRouter):
        def predict_quality(self, prompts, models=None):
            raise RuntimeError("down")

    b = LadderEngine(Broken(), ["high", "low"], prices=PRICES)
    with caplog.at_level(logging.WARNING, logger="routellm"):
        d = b.decide("hi")
    assert d.model == "high" and d.reason == "router_error"


def test_ladder_eval_hull_area_and_cost_to_reach():
    from routellm_core.evaluation.ladder_eval import _cost_to_reach, curve_area, hull

    cost = np.array([1.0, 2.0, 10.0, 3.0])
    quality = np.array([0.2, 0.5, 0.9, 0.4])  # (3, 0.4) is under the hull
    hc, hq = hull(cost, quality)
    assert hc.tolist() == [1.0, 2.0, 10.0] and hq.tolist() == [0.2, 0.5, 0.9]
    # the straight line from the cheapest to the best model (a random mix) scores 0.5
    assert curve_area(np.array([1.0, 10.0]), np.array([0.2, 0.9]), 1.0, 10.0, 0.2, 0.9) \
        == pytest.approx(0.5)
    # a curve that reaches the best quality early scores more
    assert curve_area(cost, quality, 1.0, 10.0, 0.2, 0.9) > 0.5
    assert _cost_to_reach(cost, quality, 0.9) == pytest.approx(10.0)
    assert _cost_to_reach(np.array([1.0, 3.0]), np.array([0.2, 0.95]), 0.9) < 3.0
    assert _cost_to_reach(cost, quality, 0.95) is None


def test_a_fallback_reports_the_served_models_own_score():
    e = LadderEngine(PlantedRouter(), ["high", "mid", "low"], prices=PRICES, tolerance=0.05)
    d = e.decide("explain tides")
    f = e.fallback_decision(d)
    assert f.model == "high" and f.score == d.estimates["high"] != d.score
    assert e.fallback_decision(e.decide(None, force="mid")).score is None
