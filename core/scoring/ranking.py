"""Bradley-Terry ratings and rating tiers, shared by the SW ranking router and the classifiers.

* :func:`bradley_terry_ratings`: global Bradley-Terry ratings of every model in a set of
  battles (ties count as half a win for each side; each battle counts ``battle.weight``).
* :func:`assign_tiers`: group models into tiers that minimise the within-tier variance of
  their ratings (optimal 1-D k-means by dynamic programming); higher tier = stronger.
* :func:`fit_bt_cells`: a weighted Bradley-Terry fit over aggregated cells
  ``(index_a, index_b, outcome, weight)``; vectorised over a batch of weight vectors, which is
  what a per-query SW ranking fit needs.

Ratings are on the logit scale: ``P(a beats b) = sigmoid(r_a - r_b)``; they are centred so
their (unweighted) mean is 0. Multiply by ``400 / ln(10)`` for the Elo scale.

Example:
    >>> from routellm_core.records import Battle, Battles
    >>> bs = Battles([Battle("q", "a", "b", "model_a"), Battle("r", "a", "b", "tie")])
    >>> r = bradley_terry_ratings(bs)
    >>> r["a"] > r["b"]
    True
    >>> assign_tiers({"a": 1.0, "b": 0.9, "c": -2.0}, n_tiers=2)
    {'a': 1, 'b': 1, 'c': 0}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError

if TYPE_CHECKING:
    from ..records import Battle

__all__ = [
    "OUTCOME_VALUES",
    "bradley_terry_ratings",
    "assign_tiers",
    "fit_bt_cells",
    "aggregate_cells",
]

#: value of each outcome for the first model: a win, a tie (half a win), a loss
OUTCOME_VALUES: dict[str, float] = {"model_a": 1.0, "tie": 0.5, "model_b": 0.0}


def fit_bt_cells(
    idx_a: np.ndarray,
    idx_b: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    n_items: int,
    *,
    l2: float = 1e-3,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> np.ndarray:
    """Weighted Bradley-Terry maximum likelihood by Newton's method.

    Maximises ``sum_c w_c [y_c log s(r_a - r_b) + (1 - y_c) log s(r_b - r_a)] - l2/2 |r|^2``
    with ``s`` the logistic function. The small ridge ``l2`` keeps ratings finite when one
    item wins every battle and fixes the additive shift (the optimum has mean 0).

    Args:
        idx_a, idx_b: item index of each cell's first and second side, shape ``(C,)``.
        y: the first side's score in each cell (1 win, 0.5 tie, 0 loss), shape ``(C,)``.
        weights: cell weights, shape ``(C,)`` or a batch ``(B, C)`` (one fit per row).
        n_items: number of items (models or tiers).
        l2: ridge strength.
        max_iter: Newton iterations at most.
        tol: stop when the largest step is below this.

    Returns:
        Ratings, shape ``(n_items,)`` or ``(B, n_items)``.
    """
    idx_a = np.asarray(idx_a, dtype=np.int64)
    idx_b = np.asarray(idx_b, dtype=np.int64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    single = w.ndim == 1
    if single:
        w = w[None, :]
    n_batch, n_cells = w.shape
    if not (idx_a.shape == idx_b.shape == y.shape == (n_cells,)):
        raise DataError("fit_bt_cells: idx_a, idx_b, y and weights must have the same length")
    # D maps ratings to per-cell differences r_a - r_b: (C, T)
    d = np.zeros((n_cells, n_items))
    d[np.arange(n_cells), idx_a] += 1.0
    d[np.arange(n_cells), idx_b] -= 1.0
    r = np.zeros((n_batch, n_items))
    eye = np.eye(n_items)
    wy = w * y[None, :]
    for _ in range(max_iter):
        z = r @ d.T  # (B, C)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = (wy - w * p) @ d - l2 * r  # (B, T)
        curv = w * p * (1.0 - p)  # (B, C)
        hess = np.einsum("bc,ci,cj->bij", curv, d, d) + l2 * eye  # negative Hessian
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        r = r + step
        if np.max(np.abs(step)) < tol:
            break
    return r[0] if single else r


def aggregate_cells(
    idx_a: np.ndarray, idx_b: np.ndarray, outcome: np.ndarray, n_items: int
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Map battles to canonical ``(a, b, outcome)`` cells with ``a < b``.

    Battles between an item and itself carry no information for Bradley-Terry and map to
    cell ``-1``. Swapping the sides flips the outcome, so each unordered pair has three cells.

    Args:
        idx_a, idx_b: item of each battle's sides.
        outcome: 0 (first side won), 1 (tie), 2 (second side won) per battle.
        n_items: number of items.

    Returns:
        ``(cell_of_battle, (cell_a, cell_b, cell_y))``: the cell index of each battle and, per
        cell, its two items and the first item's score.
    """
    a = np.asarray(idx_a, dtype=np.int64)
    b = np.asarray(idx_b, dtype=np.int64)
    o = np.asarray(outcome, dtype=np.int64)
    swap = a > b
    lo, hi = np.where(swap, b, a), np.where(swap, a, b)
    o = np.where(swap, 2 - o, o)
    pair_a, pair_b = np.triu_indices(n_items, k=1)
    pair_index = -np.ones((n_items, n_items), dtype=np.int64)
    pair_index[pair_a, pair_b] = np.arange(len(pair_a))
    pair = pair_index[lo, hi]
    cell = np.where(pair >= 0, pair * 3 + o, -1)
    cell_a = np.repeat(pair_a, 3)
    cell_b = np.repeat(pair_b, 3)
    cell_y = np.tile(np.array([1.0, 0.5, 0.0]), len(pair_a))
    return cell, (cell_a, cell_b, cell_y)


def _outcome_code(winner: str) -> int:
    return {"model_a": 0, "tie": 1, "model_b": 2}[winner]


def bradley_terry_ratings(battles: Iterable[Battle], *, l2: float = 1e-3) -> dict[str, float]:
    """Global Bradley-Terry ratings of every model in ``battles``.

    Ties count as half a win for each side; each battle counts ``battle.weight``. Battles are
    aggregated by (model pair, outcome) first, so millions of battles fit in milliseconds.

    Args:
        battles: the battles (any iterable of :class:`~routellm_core.records.Battle`).
        l2: ridge strength (keeps an undefeated model's rating finite).

    Returns:
        ``{model: rating}`` on the logit scale, centred at 0.

    Raises:
        DataError: no battles.

    Example:
        >>> from routellm_core.records import Battle
        >>> r = bradley_terry_ratings([Battle("q", "x", "y", "model_b")])
        >>> r["y"] > r["x"]
        True
    """
    blist = list(battles)
    if not blist:
        raise DataError("bradley_terry_ratings needs at least one battle")
    names = sorted({b.model_a for b in blist} | {b.model_b for b in blist})
    pos = {m: i for i, m in enumerate(names)}
    ia = np.fromiter((pos[b.model_a] for b in blist), dtype=np.int64, count=len(blist))
    ib = np.fromiter((pos[b.model_b] for b in blist), dtype=np.int64, count=len(blist))
    oc = np.fromiter((_outcome_code(b.winner) for b in blist), dtype=np.int64, count=len(blist))
    wt = np.fromiter((b.weight for b in blist), dtype=np.float64, count=len(blist))
    n = len(names)
    if n == 1:
        return {names[0]: 0.0}
    cell, (ca, cb, cy) = aggregate_cells(ia, ib, oc, n)
    keep = cell >= 0
    cw = np.bincount(cell[keep], weights=wt[keep], minlength=len(ca))
    nz = cw > 0
    r = fit_bt_cells(ca[nz], cb[nz], cy[nz], cw[nz], n, l2=l2)
    r = r - r.mean()
    return {m: float(r[i]) for i, m in enumerate(names)}


def assign_tiers(ratings: Mapping[str, float], n_tiers: int = 10) -> dict[str, int]:
    """Group models into ``n_tiers`` tiers minimising the within-tier variance of ratings.

    This is optimal 1-D k-means (dynamic programming over the sorted ratings, O(k n^2)).
    With fewer models than tiers, each model is its own tier. Tier 0 is the weakest; a higher
    tier index means stronger models. Equal ratings always share a tier.

    Args:
        ratings: ``{model: rating}``.
        n_tiers: number of tiers wanted (at least 1).

    Returns:
        ``{model: tier}`` with tiers ``0 .. min(n_tiers, distinct ratings) - 1``.

    Example:
        >>> assign_tiers({"a": 3.0, "b": 2.9, "c": 0.0, "d": 0.1}, n_tiers=2)
        {'a': 1, 'b': 1, 'c': 0, 'd': 0}
    """
    if n_tiers < 1:
        raise DataError(f"n_tiers must be at least 1, got {n_tiers}")
    if not ratings:
        raise DataError("assign_tiers needs at least one rated model")
    names = sorted(ratings, key=lambda m: (ratings[m], m))
    x = np.asarray([ratings[m] for m in names], dtype=np.float64)
    values = np.unique(x)  # sorted distinct ratings: equal ratings share a tier
    n = len(values)
    k = min(n_tiers, n)
    # cost(i, j) = sum of squared deviations of values[i:j] (counting duplicates)
    counts = np.asarray([np.sum(x == v) for v in values], dtype=np.float64)
    c1 = np.concatenate([[0.0], np.cumsum(counts * values)])
    c2 = np.concatenate([[0.0], np.cumsum(counts * values**2)])
    cn = np.concatenate([[0.0], np.cumsum(counts)])

    def cost(i: int, j: int) -> float:
        s, s2, m = c1[j] - c1[i], c2[j] - c2[i], cn[j] - cn[i]
        return float(max(s2 - s * s / m, 0.0))

    inf = float("inf")
    best = np.full((k + 1, n + 1), inf)
    arg = np.zeros((k + 1, n + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for t in range(1, k + 1):
        for j in range(t, n + 1):
            for i in range(t - 1, j):
                v = best[t - 1, i] + cost(i, j)
                if v < best[t, j]:
                    best[t, j], arg[t, j] = v, i
    bounds = [n]
    for t in range(k, 0, -1):
        bounds.append(int(arg[t, bounds[-1]]))
    bounds = bounds[::-1]  # [0, e1, e2, ..., n]
    tier_of_value: dict[float, int] = {}
    for t in range(k):
        for v in values[bounds[t] : bounds[t + 1]]:
            tier_of_value[float(v)] = t
    return {m: tier_of_value[float(ratings[m])] for m in sorted(ratings)}
