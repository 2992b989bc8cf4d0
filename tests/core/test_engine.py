"""The shared routing engine: policies, decisions, fail-safe, sticky threads, statistics."""

import asyncio
import logging
import threading

import pytest
from routellm_test_fake_routers import KeywordRouter

from routellm_core.errors import DataError, RouteLLMError, UnknownNameError
from routellm_core.routers.random import RandomRouter
from routellm_core.routing.engine import RoutingEngine, RoutingStats, Turn, routing_text
from routellm_core.scoring.calibration import calibrate, calibration_table, threshold_for_fraction

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
        RoutingEngine(KeywordRouter(threshold=None), strong_fraction=0.3)


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
        ds = await asyncio.gather(*(e.adecide_turns([Turn("user", f"async {i}")])
                                    for i in range(100)))
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


# ---- issue 15: settings, copies, fallbacks, names, usage estimates ---------------------------
def test_bad_settings_are_clear_errors_at_construction(tmp_path):
    from routellm_core.errors import CheckpointError, ConfigError

    with pytest.raises(CheckpointError, match="does not exist"):
        RoutingEngine(str(tmp_path / "runs" / "my_router"))
    with pytest.raises(CheckpointError, match="no such directory"):
        RoutingEngine(tmp_path / "missing")
    with pytest.raises(UnknownNameError, match="no directory 'radnom' exists") as err:
        RoutingEngine("radnom")
    assert "did you mean 'random'" in str(err.value)
    for bad in (float("nan"), 5, -0.1, float("inf"), "0.5", True):
        with pytest.raises(ConfigError, match="threshold must be"):
            RoutingEngine("random", threshold=bad)
    with pytest.raises(ConfigError, match="router must be a router name") as err:
        RoutingEngine(123)  # type: ignore[arg-type]
    assert not isinstance(err.value, TypeError) or "int 123" in str(err.value)
    with pytest.raises(ConfigError, match="on_route must be a callable"):
        RoutingEngine("random", on_route=123)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"on_route\[1\] must be a callable"):
        RoutingEngine("random", on_route=[print, "log"])  # type: ignore[list-item]
    with pytest.raises(UnknownNameError, match="valid routing_text policies: conversation"):
        RoutingEngine("random", routing_text="middle")
    with pytest.raises(ConfigError, match="routing_text must be one of"):
        RoutingEngine("random", routing_text=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="sticky must be True or False"):
        RoutingEngine("random", sticky="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_sticky_threads must be a positive integer"):
        RoutingEngine("random", max_sticky_threads=0)
    with pytest.raises(ConfigError, match="prices must be a mapping"):
        RoutingEngine("random", prices=[(1.0, 2.0)])  # type: ignore[arg-type]
    assert RoutingEngine("random", threshold=0).threshold == 0.0
    assert RoutingEngine("random", threshold=1.0).threshold == 1.0


def test_fallback_reaches_on_route_and_the_reasons():
    seen = []
    e = RoutingEngine(KeywordRouter(), threshold=0.5, on_route=seen.append)
    f = e.fallback_decision(e.decide("prove"))
    assert [d.reason for d in seen] == ["router", "fallback"]
    assert seen[-1] is f and f.route == "weak"
    s = e.stats.snapshot()
    assert s.reasons == {"fallback": 1} and sum(s.reasons.values()) == s.total_calls == 1


def test_same_model_names_are_told_apart_by_route():
    from routellm_core.errors import ConfigError, UnknownNameError
    from routellm_core.routing.settings import inner_model_name

    e = RoutingEngine(KeywordRouter(), threshold=0.5, strong_name="FakeChat", weak_name="FakeChat")
    assert e.names == {"strong": "FakeChat (strong)", "weak": "FakeChat (weak)"}
    assert e.decide("x", force="FakeChat (strong)").route == "strong"
    with pytest.raises(UnknownNameError, match=r"valid models: FakeChat \(strong\), FakeChat \(weak\)"):
        e.decide("x", force="FakeChat")
    assert e.decide("x", force="weak").route == "weak"
    assert e.decide("x", force="weak").model == "FakeChat (weak)"
    assert inner_model_name(None, "unknown", "", fallback="MockLLM") == "MockLLM"
    assert inner_model_name("gpt-4o", "x", fallback="ChatOpenAI") == "gpt-4o"
    with pytest.raises(ConfigError, match="model="):
        e.decide("x", force=3)  # type: ignore[arg-type]


def test_usage_without_provider_figures_is_estimated_and_marked():
    from routellm_core.costs import count_tokens

    e = RoutingEngine(KeywordRouter(), threshold=0.5, prices={"strong": (10, 30), "weak": (1, 1)})
    e.record_usage("strong", 7, 3, prompt="ignored", output="ignored")
    prompt, answer = "What is the capital of France?", "Paris is the capital of France."
    e.record_usage("weak", None, None, prompt=lambda: prompt, output=answer)
    s = e.stats.snapshot()
    assert s.input_tokens == {"strong": 7, "weak": count_tokens(prompt)}
    assert s.output_tokens == {"strong": 3, "weak": count_tokens(answer)}
    assert s.estimated_input_tokens == {"strong": 0, "weak": count_tokens(prompt)}
    assert s.estimated and s.cost > 0


def test_configure_validates_keeps_statistics_and_the_one_set_last_wins():
    from routellm_core.errors import ConfigError

    e = RoutingEngine("random", strong_fraction=0.3, sticky=False)
    e.decide("hello")
    e.configure(threshold=0.9)
    assert (e.threshold, e.strong_fraction) == (0.9, None)
    e.configure(strong_fraction=0.6)
    assert e.threshold == pytest.approx(0.4) and e.strong_fraction == 0.6
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        e.configure(strong_fraction=7)
    with pytest.raises(ConfigError, match="threshold must be"):
        e.configure(threshold=float("nan"))
    assert e.threshold == pytest.approx(0.4)  # a failed change changes nothing
    e.configure(sticky=True)
    assert e.sticky and e.stats.snapshot().total_calls == 1
    with pytest.raises(UnknownNameError, match="engine setting"):
        e.configure(stickiness=True)


def test_variant_shares_statistics_and_sticky_memory_copy_does_not():
    e = RoutingEngine(KeywordRouter(), strong_fraction=None, threshold=0.5, sticky=True)
    v = e.variant(threshold=0.95)
    assert v is e.variant(threshold=0.95)  # cached
    assert v.router is e.router and v.stats is e.stats
    assert v.decide("prove it", thread_id="t").route == "weak"  # 0.9 < 0.95
    assert e.decide("prove it", thread_id="t").reason == "sticky"
    c = e.copy(threshold=0.2)
    assert c.stats is not e.stats and c.stats.snapshot().total_calls == 0
    assert c.decide("hello", thread_id="t").reason == "router"


def test_engine_pickles_and_deepcopies_with_its_settings_and_counts():
    import copy
    import pickle

    e = RoutingEngine("random", threshold=0.25, sticky=True, on_router_error="weak",
                      prices={"strong": (10, 30), "weak": (1, 1)}, on_route=print)
    e.decide("a", thread_id="t1")
    for clone in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e)):
        assert clone.threshold == 0.25 and clone.sticky and clone.on_router_error == "weak"
        assert clone.on_route == [print] and clone.stats.prices is not None
        assert clone.stats.snapshot().total_calls == 1
        assert clone.decide("b", thread_id="t1").reason == "sticky"
        assert e.stats.snapshot().total_calls == 1  # independent from the original


def test_engines_are_built_from_one_settings_object():
    from routellm_core.routing.settings import SETTINGS, RoutingSettings

    s = RoutingSettings(router="random", strong_fraction=0.3, sticky=True)
    e = RoutingEngine.from_settings(s)
    assert e.settings == s.as_dict() and set(e.settings) == set(SETTINGS)
    assert e.settings == RoutingEngine("random", strong_fraction=0.3, sticky=True).settings
    assert s.changed(threshold=0.8).strong_fraction is None  # the one set last wins
    assert s.changed(threshold=0.8).changed(strong_fraction=0.2).threshold is None
    with pytest.raises(UnknownNameError, match="engine setting 'stickiness'"):
        s.changed(stickiness=True)
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        RoutingEngine.from_settings(s.changed(strong_fraction=2))  # checked by the engine
