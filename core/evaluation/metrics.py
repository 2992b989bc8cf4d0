"""The paper's routing metrics: the quality curve, PGR, APGR and CPT. Pure numpy.

Arrays in, numbers out; nothing here knows about routers or data files, so every function can
be checked on hand-made curves.

Conventions:
* ``scores``: the router's score per prompt (higher = more likely to need the strong model).
* ``strong`` / ``weak``: each model's outcome per prompt (0/1 correctness or a grade).
* Routing a fraction ``f`` of prompts to the strong model sends the ``f * n`` highest-scoring
  prompts there. Prompts whose scores tie at the boundary are split as random tie-breaking
  would split them *in expectation*: the tied block contributes its mean gain per prompt. So a
  router whose scores are all equal behaves exactly like the random router, not like a lucky
  or unlucky fixed order, and each operating point sits at exactly the requested fraction.

Example:
    >>> import numpy as np
    >>> scores = np.array([0.9, 0.1]); strong = np.array([1.0, 1.0]); weak = np.array([0.0, 1.0])
    >>> float(apgr(FRACTIONS, pgr(quality_curve(scores, strong, weak), weak.mean(), strong.mean())))
    0.75
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "FRACTIONS",
    "quality_at",
    "quality_curve",
    "oracle_curve",
    "pgr",
    "apgr",
    "cpt",
    "strong_fraction_at_threshold",
    "quality_at_threshold",
    "auc",
]

#: The 11 operating points of the protocol: 0 %, 10 %, ..., 100 % strong calls.
FRACTIONS: np.ndarray = np.linspace(0.0, 1.0, 11)


def _as_arrays(scores: Sequence[float] | np.ndarray, strong: Sequence[float] | np.ndarray,
               weak: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    a = np.asarray(strong, dtype=np.float64).reshape(-1)
    b = np.asarray(weak, dtype=np.float64).reshape(-1)
    if not (s.shape == a.shape == b.shape):
        raise ValueError(f"scores, strong and weak must have one value per prompt; got "
                         f"{s.shape[0]}, {a.shape[0]} and {b.shape[0]}")
    if s.size == 0:
        raise ValueError("cannot evaluate on zero prompts")
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    return s, a, b


def _cumulative_gain(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """``G[k]`` = expected total gain (strong - weak) of sending the top-k prompts to strong,
    for k = 0..n, with ties at equal scores split evenly."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    gain = (strong - weak)[order]
    # replace each tied block's gains by the block mean
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    sums = np.add.reduceat(gain, starts)
    counts = np.diff(np.r_[starts, s.size])
    gain = np.repeat(sums / counts, counts)
    return np.r_[0.0, np.cumsum(gain)]


def quality_at(scores: Sequence[float] | np.ndarray, strong: Sequence[float] | np.ndarray,
               weak: Sequence[float] | np.ndarray, fraction: float) -> float:
    """Mean outcome when ``fraction`` of prompts (the highest-scoring) go to the strong model."""
    return float(quality_curve(scores, strong, weak, [fraction])[0])


def quality_curve(scores: Sequence[float] | np.ndarray, strong: Sequence[float] | np.ndarray,
                  weak: Sequence[float] | np.ndarray,
                  fractions: Sequence[float] | np.ndarray = FRACTIONS) -> np.ndarray:
    """Mean outcome at each strong-call fraction (linear between whole prompt counts)."""
    s, a, b = _as_arrays(scores, strong, weak)
    g = _cumulative_gain(s, a, b)
    k = np.clip(np.asarray(fractions, dtype=np.float64), 0.0, 1.0) * s.size
    total_gain = np.interp(k, np.arange(s.size + 1), g)
    return b.mean() + total_gain / s.size


def oracle_curve(strong: Sequence[float] | np.ndarray, weak: Sequence[float] | np.ndarray,
                 fractions: Sequence[float] | np.ndarray = FRACTIONS) -> np.ndarray:
    """The best possible curve: prompts ordered by their true gain (strong - weak)."""
    a = np.asarray(strong, dtype=np.float64)
    b = np.asarray(weak, dtype=np.float64)
    return quality_curve(a - b, a, b, fractions)


def pgr(quality: np.ndarray | float, weak_score: float, strong_score: float) -> np.ndarray:
    """Performance gap recovered: (quality - weak) / (strong - weak)."""
    gap = strong_score - weak_score
    if gap == 0:
        raise ValueError("strong and weak scores are equal: PGR is undefined")
    return (np.asarray(quality, dtype=np.float64) - weak_score) / gap


def apgr(fractions: Sequence[float] | np.ndarray, pgrs: Sequence[float] | np.ndarray) -> float:
    """Area under the PGR curve over the strong-call fraction (trapezoids)."""
    x = np.asarray(fractions, dtype=np.float64)
    y = np.asarray(pgrs, dtype=np.float64)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def cpt(fractions: Sequence[float] | np.ndarray, pgrs: Sequence[float] | np.ndarray,
        target: float) -> float:
    """Call-performance threshold: the smallest strong-call fraction whose PGR reaches
    ``target`` (e.g. 0.5), linearly interpolated between operating points. Returns the last
    fraction (1.0) if the target is never reached."""
    x = np.asarray(fractions, dtype=np.float64)
    y = np.asarray(pgrs, dtype=np.float64)
    if y[0] >= target:
        return float(x[0])
    for i in range(1, len(x)):
        if y[i] >= target:
            y0, y1 = y[i - 1], y[i]
            t = (target - y0) / (y1 - y0) if y1 != y0 else 1.0
            return float(x[i - 1] + t * (x[i] - x[i - 1]))
    return float(x[-1])


def strong_fraction_at_threshold(scores: Sequence[float] | np.ndarray, threshold: float) -> float:
    """Share of prompts with ``score >= threshold`` (those routed strong)."""
    s = np.asarray(scores, dtype=np.float64)
    return float(np.mean(s >= threshold))


def quality_at_threshold(scores: Sequence[float] | np.ndarray, strong: Sequence[float] | np.ndarray,
                         weak: Sequence[float] | np.ndarray, threshold: float) -> float:
    """Mean outcome of a deployed router: ``score >= threshold`` goes strong (no tie-splitting;
    this is what a wrapper in a real chain does, so replayed chains must match it exactly)."""
    s, a, b = _as_arrays(scores, strong, weak)
    return float(np.where(s >= threshold, a, b).mean())


def auc(scores: Sequence[float] | np.ndarray, positive: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve: the probability that a random positive prompt scores above a
    random negative one (ties count one half). 0.5 is a coin, 1.0 a perfect ranking.

    Example:
        >>> auc([0.9, 0.4, 0.4, 0.1], [True, True, False, False])
        0.875
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(positive, dtype=bool).reshape(-1)
    if s.shape != y.shape:
        raise ValueError(f"{s.size} scores for {y.size} labels")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative prompt")
    # rank-sum (Mann-Whitney U) with mid-ranks for ties: O(n log n)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < s.size:
        j = i
        while j + 1 < s.size and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))
