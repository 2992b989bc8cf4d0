"""A threshold that follows the traffic (``calibration_window``): the calibrator and the
engine (both wrappers: tests/test_wrappers_agree.py)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from routellm_test_fake_routers import NumberRouter

from routellm_core.errors import ConfigError, DataError
from routellm_core.routing.engine import TRAFFIC_WARMUP, RoutingEngine
from routellm_core.scoring.calibration import TrafficThreshold, simulate_traffic_share


def test_threshold_starts_from_the_table_then_follows_the_window() -> None:
    t = TrafficThreshold(0.3, initial=0.9, window=100, warmup=10)
    for i in range(9):
        t.observe(i / 100)
    assert t.threshold == 0.9 and t.seen == 9  # still warming up
    t.observe(0.09)
    assert t.threshold < 0.09  # 3 of 10 scores (0.07, 0.08, 0.09) at or above it
    for i in range(300):  # only the last 100 count
        t.observe(0.5 + i / 1000)
    assert t.seen == 100
    window = 0.5 + np.arange(200, 300) / 1000
    assert np.mean(window >= t.threshold) == pytest.approx(0.3)
    t.observe(float("nan"))  # ignored
    assert t.seen == 100
    back = pickle.loads(pickle.dumps(t))
    assert back.threshold == t.threshold and back.seen == 100
    back.observe(0.9)  # the lock comes back too


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(DataError, match="at least 10"):
        TrafficThreshold(0.3, initial=0.5, window=5)
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        TrafficThreshold(1.5, initial=0.5)
    with pytest.raises(ConfigError, match="needs strong_fraction"):
        RoutingEngine(NumberRouter(), threshold=0.5, calibration_window=100)
    with pytest.raises(ConfigError, match="at least 10"):
        RoutingEngine(NumberRouter(), strong_fraction=0.3, calibration_window=3)
    with pytest.raises(ConfigError, match="calibration_window"):
        RoutingEngine(NumberRouter(), strong_fraction=0.3, calibration_window="many")


def test_simulated_stream_hits_the_requested_share_where_the_table_does_not() -> None:
    scores = np.random.default_rng(0).uniform(0.5, 1.0, 2000)  # a table at 0.95 sends 10 %
    assert np.mean(scores >= 0.95) == pytest.approx(0.1, abs=0.02)
    share, strong = simulate_traffic_share(scores, 0.3, 0.95, window=500, warmup=20, seed=1)
    assert share == pytest.approx(0.3, abs=0.02) and strong.mean() == share
    # the ranking is kept: what goes strong scores higher than what goes weak, on average
    assert scores[strong].mean() > scores[~strong].mean() + 0.2


def test_engine_follows_the_traffic_and_reports_the_moving_threshold() -> None:
    rng = np.random.default_rng(3)
    prompts = [f"{x:.4f}" for x in rng.uniform(0.5, 1.0, 400)]
    fixed = RoutingEngine(NumberRouter(), strong_fraction=0.3)
    moving = RoutingEngine(NumberRouter(), strong_fraction=0.3, calibration_window=200)
    a = [fixed.decide(p) for p in prompts]
    b = [moving.decide(p) for p in prompts]
    assert {d.threshold for d in a} == {0.95}
    assert all(d.threshold == 0.95 for d in b[:TRAFFIC_WARMUP])
    late = b[TRAFFIC_WARMUP:]
    assert np.mean([d.route == "strong" for d in late]) == pytest.approx(0.3, abs=0.05)
    assert np.mean([d.route == "strong" for d in a]) < 0.15
    assert moving.threshold == late[-1].threshold or moving.threshold < 0.95
    assert moving.settings["calibration_window"] == 200
    # changing a setting starts a new window from the table's threshold
    moving.configure(sticky=True)
    assert moving.threshold == 0.95


def test_copies_and_pickles_keep_the_windows_recent_scores() -> None:
    import copy

    rng = np.random.default_rng(4)
    warm = RoutingEngine(NumberRouter(), strong_fraction=0.3, calibration_window=200)
    for x in rng.uniform(0.5, 0.8, 300):
        warm.decide(f"{x:.4f}")
    t = warm.threshold
    assert t < 0.8  # warm: far from the table's 0.95
    for clone in (pickle.loads(pickle.dumps(warm)), copy.deepcopy(warm), warm.copy(),
                  warm.variant(sticky=True)):
        assert clone.threshold == t
        clone.decide("0.7900")  # each goes on with its own window
    assert warm.threshold == t
    assert warm.copy(strong_fraction=0.5).threshold < t  # the same scores at another share
