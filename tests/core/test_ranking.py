"""Bradley-Terry ratings, tiers, and the cell fit."""

from __future__ import annotations

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles
from routellm_core.errors import DataError
from routellm_core.scoring.ranking import (
    aggregate_cells,
    assign_tiers,
    bradley_terry_ratings,
    fit_bt_cells,
)


def test_bt_recovers_order_and_gap():
    rng = np.random.default_rng(0)
    true = {"a": 1.0, "b": 0.0, "c": -1.0}
    bs = []
    for _ in range(3000):
        x, y = rng.choice(list(true), size=2, replace=False)
        p = 1 / (1 + np.exp(-(true[x] - true[y])))
        bs.append(Battle("q", str(x), str(y), "model_a" if rng.random() < p else "model_b"))
    r = bradley_terry_ratings(Battles(bs))
    assert r["a"] > r["b"] > r["c"]
    assert abs((r["a"] - r["c"]) - 2.0) < 0.25
    assert abs(sum(r.values())) < 1e-9


def test_ties_count_half_and_weights_count():
    # one win for a and one tie: a's share is 0.75 -> r_a - r_b = logit(0.75) (ridge ~ 0)
    r = bradley_terry_ratings([Battle("q", "a", "b", "model_a"), Battle("q", "b", "a", "tie")],
                              l2=1e-9)
    assert r["a"] - r["b"] == pytest.approx(np.log(3), rel=1e-4)
    # a weight-3 loss equals three unit losses
    w = bradley_terry_ratings([Battle("q", "a", "b", "model_b", weight=3.0),
                               Battle("q", "a", "b", "model_a")], l2=1e-9)
    u = bradley_terry_ratings([Battle("q", "a", "b", "model_b")] * 3
                              + [Battle("q", "a", "b", "model_a")], l2=1e-9)
    assert w["a"] == pytest.approx(u["a"], abs=1e-9)


def test_bt_empty_is_an_error():
    with pytest.raises(DataError, match="at least one battle"):
        bradley_terry_ratings([])


def test_tiers_minimise_within_variance():
    ratings = {"a": 0.0, "b": 0.1, "c": 5.0, "d": 5.2, "e": 10.0}
    assert assign_tiers(ratings, 3) == {"a": 0, "b": 0, "c": 1, "d": 1, "e": 2}
    # brute force over all 2-splits of sorted values agrees with the DP
    vals = np.sort(np.random.default_rng(1).normal(size=9))
    rat = {f"m{i}": float(v) for i, v in enumerate(vals)}
    t = assign_tiers(rat, 2)
    best = min(range(1, 9), key=lambda c: vals[:c].var() * c + vals[c:].var() * (9 - c))
    assert [t[f"m{i}"] for i in range(9)] == [0] * best + [1] * (9 - best)


def test_fewer_models_than_tiers_each_own_tier():
    t = assign_tiers({"x": 2.0, "y": -1.0, "z": 0.5}, n_tiers=10)
    assert t == {"y": 0, "z": 1, "x": 2}
    with pytest.raises(DataError):
        assign_tiers({"x": 1.0}, n_tiers=0)


def test_cell_fit_batched_equals_single():
    ia, ib, oc = np.array([0, 1, 2, 0]), np.array([1, 2, 0, 2]), np.array([0, 1, 2, 0])
    cell, (ca, cb, cy) = aggregate_cells(ia, ib, oc, 3)
    w = np.random.default_rng(0).uniform(1, 5, size=(4, len(ca)))
    batch = fit_bt_cells(ca, cb, cy, w, 3)
    for i in range(4):
        np.testing.assert_allclose(batch[i], fit_bt_cells(ca, cb, cy, w[i], 3), atol=1e-10)
