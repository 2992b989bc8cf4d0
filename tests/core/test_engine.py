"""The shared routing engine: policies, decisions, fail-safe, sticky threads, statistics."""

import asyncio
import logging
import threading

import numpy as np
import pytest

from routellm_core.calibration import calibrate, calibration_table, threshold_for_fraction
from routellm_core.engine import RoutingEngine, RoutingStats, Turn, routing_text
from routellm_core.errors import DataError, RouteLLMError, UnknownNameError
from routellm_core.routers.base import Router
from routellm_core.routers.random import RandomRouter


class KeywordRouter(Router):
    """Scores 0.9 for prompts containing 'prove', else 0.1; raises on 'boom'."""

    name = "keyword"
    needs_fit = False

    def _fit(self, battles):
        pass

    def _predict(self, prompts):
        if any("boom" in p for p in prompts):
            raise RuntimeError("router exploded")
        return np.array([0.9 if "prove" in p.lower() else 0.1 for p in prompts])


TURNS = [Turn("system", "be nice"), Turn("user", "first q"), Turn("assistant", "a"),
         Turn("tool", "tool out"), Turn("user", "second q")]


def test_routing_text_policies():
    assert routing_text("last_user", TURNS) == "second q"
    assert routing_text("first_user", TURNS) == "first q"
    assert routing_text("conversation", TURNS).startswith("system: be nice\nuser: first q")
    assert routing_text("question", TURNS, question="bare q") == "bare q"
    assert routing_text("question", TURNS) == "second q"
    assert routing_text(lambda raw: raw[0].text.upper(), TURNS) == "BE NICE"
    with pytest.raises(DataError, match="empty message list"):
        routing_text("last_user", [])
    with pytest.raises(DataError, match="must return a str"):
        routing_text(lambda raw: 3, TURNS)  # type: ignore[arg-type,return-value]
    with pytest.raises(UnknownNameError, match="last_user"):
        routing_text("middle", TURNS)


def test_decisions_threshold_and_names():
    e = RoutingEngine(KeywordRouter(), threshold=0.5, strong_name="gpt", weak_name="mix")
    d = e.decide("Prove Fermat")
    assert (d.route, d.model, d.score, d.reason) == ("strong", "gpt", 0.9, "router")
    assert e.decide("hello").route == "weak"
    assert e.decide(None, force="mix").route == "weak"
    assert e.decide("prove", force="weak").reason == "forced"
    with pytest.raises(UnknownNameError, match="gpt"):
        e.decide("x", force="claude")
    snap = e.stats.snapshot()
    assert snap.calls == {"strong": 1, "weak": 3} and snap.reasons["forced"] == 2


def test_threshold_and_fraction_exclusive_and_validated():
    with pytest.raises(DataError, match="not both"):
        RoutingEngine("random", strong_fraction=0.3, threshold=0.5)
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        RoutingEngine("random", strong_fraction=1.2)
    assert RoutingEngine("random", strong_fraction=0.3).threshold == pytest.approx(0.7)
    with pytest.raises(RouteLLMError, match="no calibration table"):
        RoutingEngine(KeywordRouter(), strong_fraction=0.3)


def test_router_failure_falls_back_to_strong_and_logs(caplog):
    e = RoutingEngine(KeywordRouter(), threshold=0.5)
    with caplog.at_level(logging.WARNING, logger="routellm"):
        d = e.decide("boom")
    assert d.route == "strong" and d.reason == "router_error"
    assert "router exploded" in caplog.text
    e2 = RoutingEngine(KeywordRouter(), threshold=0.5, on_router_error="weak")
    assert e2.decide("boom").route == "weak"
    assert e2.stats.snapshot().router_errors == 1


def test_sticky_threads_and_lru():
    e = RoutingEngine(KeywordRouter(), threshold=0.5, sticky=True, max_sticky_threads=2)
    assert e.decide("prove it", thread_id="t1").route == "strong"
    d = e.decide("hello", thread_id="t1")
    assert (d.route, d.reason) == ("strong", "sticky")
    assert e.decide("hello", thread_id="t2").route == "weak"
    e.decide("hello", thread_id="t3")  # evicts t1
    assert e.decide("hello", thread_id="t1").reason == "router"


def test_on_route_callbacks_and_bad_callback(caplog):
    seen = []
    e = RoutingEngine(KeywordRouter(), threshold=0.5,
                      on_route=[seen.append, lambda d: 1 / 0])
    with caplog.at_level(logging.WARNING, logger="routellm"):
        e.decide("prove")
    assert len(seen) == 1 and seen[0].route == "strong"
    assert "ZeroDivisionError" in caplog.text


def test_fallback_moves_the_call():
    e = RoutingEngine(KeywordRouter(), threshold=0.5)
    d = e.decide("prove")
    f = e.fallback_decision(d)
    assert (f.route, f.reason) == ("weak", "fallback")
    s = e.stats.snapshot()
    assert s.calls == {"strong": 0, "weak": 1} and s.fallbacks == 1


def test_stats_costs_and_missing_price():
    s = RoutingStats(prices={"strong": (10.0, 30.0), "weak": (1.0, 1.0)})
    e = RoutingEngine(KeywordRouter(), threshold=0.5)
    s.record_decision(e.decide("prove"))
    s.record_usage("strong", 1000, 1000)
    s.record_decision(e.decide("hi"))
    s.record_usage("weak", 1000, 1000)
    snap = s.snapshot()
    assert snap.cost == pytest.approx(0.04 + 0.002)
    assert snap.always_strong_cost == pytest.approx(0.08)
    assert snap.savings == pytest.approx(0.08 - 0.042)
    assert snap.strong_fraction == 0.5
    with pytest.raises(UnknownNameError, match="weak"):
        RoutingStats(prices={"strong": (1.0, 1.0)})


def test_concurrent_decisions_threads_and_async():
    e = RoutingEngine("random", strong_fraction=0.5)

    def work(k):
        for i in range(50):
            d = e.decide(f"thread {k} prompt {i}")
            e.record_usage(d.route, 3, 5)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def many():
        ds = await asyncio.gather(*(e.adecide(f"async {i}") for i in range(100)))
        for d in ds:
            e.record_usage(d.route, 3, 5)
        return ds

    ds = asyncio.run(many())
    snap = e.stats.snapshot()
    assert snap.total_calls == 500
    assert sum(snap.input_tokens.values()) == 1500 and sum(snap.output_tokens.values()) == 2500
    assert snap.calls["strong"] == snap.input_tokens["strong"] // 3
    assert len(ds) == 100


def test_calibration_hits_fraction_within_one_prompt():
    r = RandomRouter(seed=4)
    prompts = [f"prompt number {i}" for i in range(237)]
    scores = r.predict_win_rate(prompts)
    for f in (0.05, 0.3, 0.5, 0.77, 0.95):
        t = calibrate(r, prompts, f)
        assert abs(int((scores >= t).sum()) - f * len(prompts)) <= 1
    table = calibration_table(r, prompts, "test-set")
    assert table["n"] == 237 and len(table["thresholds"]) == 19
    assert all(a >= b for a, b in zip(table["thresholds"], table["thresholds"][1:]))
    r.calibration_ = table
    assert int((scores >= r.threshold_for(0.3)).sum()) in (71, 72)
    with pytest.raises(DataError):
        calibrate(r, prompts, 0.0)
    with pytest.raises(DataError):
        threshold_for_fraction([], 0.5)
    # ties: threshold can only split between distinct values
    assert threshold_for_fraction([0.5, 0.5, 0.5, 0.1], 0.5) == 0.5


def test_warmup_scores_once_without_statistics():
    calls = []

    class Counting(KeywordRouter):
        def _predict(self, prompts):
            calls.append(list(prompts))
            return super()._predict(prompts)

    e = RoutingEngine(Counting(), threshold=0.5)
    assert e.warmup() >= 0.0
    assert calls == [["warm-up"]]
    assert e.stats.snapshot().total_calls == 0
