"""Metrics on hand-computed curves, independent of any data file."""

import numpy as np
import pytest

from routellm_core.evaluation import metrics as m

# Four prompts: the strong model helps on prompts 0 and 1 only.
STRONG = np.array([1.0, 1.0, 1.0, 0.0])
WEAK = np.array([0.0, 0.0, 1.0, 0.0])
WEAK_MEAN, STRONG_MEAN = 0.25, 0.75


def test_perfect_router_curve_and_metrics():
    scores = np.array([0.9, 0.8, 0.2, 0.1])  # ranks the two helpful prompts first
    fr = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    q = m.quality_curve(scores, STRONG, WEAK, fr)
    np.testing.assert_allclose(q, [0.25, 0.5, 0.75, 0.75, 0.75])
    p = m.pgr(q, WEAK_MEAN, STRONG_MEAN)
    np.testing.assert_allclose(p, [0.0, 0.5, 1.0, 1.0, 1.0])
    # trapezoids: 0.25*(0+.5)/2 + 0.25*(.5+1)/2 + 0.25 + 0.25 = 0.0625+0.1875+0.5
    assert m.apgr(fr, p) == pytest.approx(0.75)
    assert m.cpt(fr, p, 0.5) == pytest.approx(0.25)
    assert m.cpt(fr, p, 0.8) == pytest.approx(0.25 + 0.25 * 0.6)


def test_inverted_router_is_worst():
    scores = np.array([0.1, 0.2, 0.8, 0.9])
    fr = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    p = m.pgr(m.quality_curve(scores, STRONG, WEAK, fr), WEAK_MEAN, STRONG_MEAN)
    np.testing.assert_allclose(p, [0.0, 0.0, 0.0, 0.5, 1.0])
    assert m.apgr(fr, p) == pytest.approx(0.25 * 0.25 + 0.25 * 0.75)
    assert m.cpt(fr, p, 0.5) == pytest.approx(0.75)


def test_all_tied_scores_equal_random_expectation():
    scores = np.full(4, 0.5)
    fr = m.FRACTIONS
    q = m.quality_curve(scores, STRONG, WEAK, fr)
    # every tied prompt contributes the mean gain, so the curve is the straight line
    np.testing.assert_allclose(q, WEAK_MEAN + fr * (STRONG_MEAN - WEAK_MEAN))
    assert m.apgr(fr, m.pgr(q, WEAK_MEAN, STRONG_MEAN)) == pytest.approx(0.5)


def test_partial_ties_split_in_expectation():
    # prompts 0 and 2 tie at the top: gains 1 and 0 -> each counts 0.5 when one slot is left
    scores = np.array([0.9, 0.1, 0.9, 0.0])
    q = m.quality_at(scores, STRONG, WEAK, 0.25)
    assert q == pytest.approx(WEAK_MEAN + 0.5 / 4)
    q2 = m.quality_at(scores, STRONG, WEAK, 0.5)
    assert q2 == pytest.approx(WEAK_MEAN + 1 / 4)


def test_oracle_is_best_and_cpt_unreached():
    o = m.oracle_curve(STRONG, WEAK, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(o, [0.25, 0.75, 0.75])
    assert m.cpt([0, 0.5, 1], [0.0, 0.1, 0.2], 0.5) == 1.0
    assert m.cpt([0, 0.5, 1], [0.6, 0.7, 0.8], 0.5) == 0.0


def test_threshold_helpers_match_deployed_rule():
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    assert m.strong_fraction_at_threshold(scores, 0.5) == 0.75
    assert m.quality_at_threshold(scores, STRONG, WEAK, 0.5) == pytest.approx((1 + 1 + 1 + 0) / 4)


def test_bad_shapes_and_equal_gap():
    with pytest.raises(ValueError, match="one value per prompt"):
        m.quality_curve([0.1, 0.2], STRONG, WEAK)
    with pytest.raises(ValueError, match="zero prompts"):
        m.quality_curve([], [], [])
    with pytest.raises(ValueError, match="undefined"):
        m.pgr(0.5, 0.5, 0.5)
