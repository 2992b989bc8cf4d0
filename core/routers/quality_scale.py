"""One scale for every model's quality estimate: per-model isotonic calibration.

A router that estimates many models' quality (the ``irt`` router) learns each model from
whatever sources graded it: a model seen only on MMLU-Pro gets estimates on the scale of
MMLU-Pro correctness, a model seen on arena-bench-v1 on the scale of a GPT-4 grade, the
everyday prior's two models on its 1/0 labels. Compared across models, such raw estimates
measure the sources as much as the models, and a ladder that compares them (the cheapest
model whose estimate reaches a bar) reads scale differences as quality differences.

:class:`QualityScale` maps each model's raw estimate to the probability that the model's
answer is *acceptable*: a held-out outcome of at least ``acceptable`` on the 0-1 scale of the
training tables (a correct answer; a judge grade of 6 or more out of 10 at the default 0.5;
an everyday-prior "answers well"). Each model gets a non-decreasing piecewise-linear map fitted
by isotonic regression (pool-adjacent-violators, every step averaging at least 2 % of the
model's outcomes) on out-of-fold pairs (raw estimate, acceptable or not); a model with too few
held-out outcomes uses the map fitted on every model together. Fitting the pairs is the router's job (``IRTRouter(quality_folds=...)`` cross-fits
them); this module is numpy only, so applying the maps costs one interpolation per model on
the request path.

Example:
    >>> raw = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    >>> ok = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    >>> x, y = isotonic(raw, ok)
    >>> y.tolist()
    [0.0, 0.5, 1.0]
    >>> scale = QualityScale.fit({"m": (raw, ok)}, min_count=1, min_share=0.0)
    >>> scale.apply(np.array([[0.05], [0.55]]), ["m"]).round(2).tolist()  # steps of >= 10
    [[0.5], [0.5]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import CheckpointError, DataError

__all__ = ["isotonic", "QualityScale", "POOLED"]

#: the name under which the map fitted on every model together is stored
POOLED = "*"


def isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, *,
             min_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Weighted isotonic (non-decreasing) regression of ``y`` on ``x``.

    Args:
        x: raw scores.
        y: targets (here 0/1: acceptable or not).
        w: non-negative weights (default 1).
        min_weight: blocks lighter than this are merged with a neighbour (adjacent blocks of
            a non-decreasing fit average to a non-decreasing fit), so that no step, above all
            at the two ends, rests on a handful of outcomes: plain isotonic regression puts
            its top step at 1.0 as soon as the few highest scores were all acceptable.

    Returns:
        ``(knots_x, knots_y)``: one knot per block of the pool-adjacent-violators solution, at
        the block's weighted mean ``x``, strictly increasing in ``x`` and non-decreasing in
        ``y``; :func:`numpy.interp` between them (flat beyond the ends) is the fitted map.

    Raises:
        DataError: empty or mismatched arrays, non-finite values or negative weights.
    """
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ys = np.asarray(y, dtype=np.float64).reshape(-1)
    ws = np.ones_like(xs) if w is None else np.asarray(w, dtype=np.float64).reshape(-1)
    if not (xs.size == ys.size == ws.size) or xs.size == 0:
        raise DataError(f"isotonic: x, y and w must be non-empty and of one length, got "
                        f"{xs.size}, {ys.size}, {ws.size}")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all() and np.isfinite(ws).all()) \
            or (ws < 0).any():
        raise DataError("isotonic: x, y must be finite and w finite and non-negative")
    keep = ws > 0
    xs, ys, ws = xs[keep], ys[keep], ws[keep]
    if xs.size == 0:
        raise DataError("isotonic: every weight is zero")
    order = np.argsort(xs, kind="stable")
    xs, ys, ws = xs[order], ys[order], ws[order]
    # equal x values form one point first, so the map is a function of x
    ux, start = np.unique(xs, return_index=True)
    sw = np.add.reduceat(ws, start)
    sy = np.add.reduceat(ws * ys, start)
    # pool adjacent violators on the (weight, weighted sum) of each block
    bw: list[float] = []
    by: list[float] = []
    bx: list[float] = []
    for i in range(ux.size):
        cw, cy, cx = float(sw[i]), float(sy[i]), float(sw[i] * ux[i])
        while bw and by[-1] / bw[-1] >= cy / cw:
            cw, cy, cx = cw + bw.pop(), cy + by.pop(), cx + bx.pop()
        bw.append(cw)
        by.append(cy)
        bx.append(cx)
    # merge light blocks, left to right, into the next one; a light last block into the one
    # before it
    mw: list[float] = []
    my: list[float] = []
    mx: list[float] = []
    cw = cy = cx = 0.0
    for a, b, c in zip(bw, by, bx, strict=True):
        cw, cy, cx = cw + a, cy + b, cx + c
        if cw >= min_weight:
            mw.append(cw)
            my.append(cy)
            mx.append(cx)
            cw = cy = cx = 0.0
    if cw > 0:
        if mw:
            mw[-1], my[-1], mx[-1] = mw[-1] + cw, my[-1] + cy, mx[-1] + cx
        else:
            mw, my, mx = [cw], [cy], [cx]
    bw, by, bx = mw, my, mx
    w_arr = np.asarray(bw)
    return np.asarray(bx) / w_arr, np.asarray(by) / w_arr


@dataclass
class QualityScale:
    """Per-model maps from a raw quality estimate to the probability of an acceptable answer.

    Attributes:
        models: model names with a map of their own; :data:`POOLED` (``"*"``) names the map
            every other model uses.
        knots_x, knots_y: ``(len(models), n_knots)`` knots of each map (rows padded by
            repeating their last knot).
        counts: held-out outcomes each map was fitted on.
    """

    models: list[str]
    knots_x: np.ndarray
    knots_y: np.ndarray
    counts: np.ndarray

    @classmethod
    def fit(cls, pairs: Mapping[str, tuple[np.ndarray, np.ndarray]], *, min_count: int = 50,
            min_share: float = 0.02) -> QualityScale:
        """Fit one map per model, plus the pooled map.

        Args:
            pairs: ``{model: (raw estimates, acceptable 0/1)}`` on held-out outcomes.
            min_count: a model with fewer held-out outcomes gets no map of its own (it uses
                the pooled one).
            min_share: each step of a map averages at least this share of the map's
                outcomes (and at least 10), so that its ends are not set by a few prompts.

        Raises:
            DataError: no pairs at all.
        """
        xs = [np.asarray(v[0], dtype=np.float64).reshape(-1) for v in pairs.values()]
        ys = [np.asarray(v[1], dtype=np.float64).reshape(-1) for v in pairs.values()]
        if not xs or sum(x.size for x in xs) == 0:
            raise DataError("cannot fit a quality scale without held-out outcomes")
        def fit_one(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return isotonic(x, y, min_weight=max(10.0, float(min_share) * x.size))

        maps: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        px, py = fit_one(np.concatenate(xs), np.concatenate(ys))
        maps[POOLED] = (px, py, int(sum(x.size for x in xs)))
        for (m, _), x, y in zip(pairs.items(), xs, ys, strict=True):
            if x.size >= max(int(min_count), 1):
                kx, ky = fit_one(x, y)
                maps[m] = (kx, ky, int(x.size))
        names = sorted(maps)
        width = max(len(maps[m][0]) for m in names)

        def pad(a: np.ndarray) -> np.ndarray:
            return np.concatenate([a, np.full(width - a.size, a[-1])])

        return cls(names, np.stack([pad(maps[m][0]) for m in names]),
                   np.stack([pad(maps[m][1]) for m in names]),
                   np.asarray([maps[m][2] for m in names], dtype=np.int64))

    def apply(self, raw: np.ndarray, models: Sequence[str]) -> np.ndarray:
        """Calibrated estimates: column ``j`` of ``raw`` through the map of ``models[j]``."""
        q = np.asarray(raw, dtype=np.float64)
        row = {m: i for i, m in enumerate(self.models)}
        out = np.empty_like(q)
        for j, m in enumerate(models):
            i = row.get(m, row[POOLED])
            out[:, j] = np.interp(q[:, j], self.knots_x[i], self.knots_y[i])
        return out

    # ---- checkpoint ---------------------------------------------------------------------------
    def to_state(self) -> tuple[list[str], dict[str, np.ndarray]]:
        """The model names (JSON) and the tensors (safetensors) of a checkpoint."""
        return list(self.models), {"quality_knots_x": self.knots_x,
                                   "quality_knots_y": self.knots_y,
                                   "quality_counts": self.counts}

    @classmethod
    def from_state(cls, models: Sequence[str], tensors: Mapping[str, np.ndarray], where: str
                   ) -> QualityScale:
        """Rebuild from :meth:`to_state`'s output; ``where`` names the checkpoint in errors.

        Raises:
            CheckpointError: a tensor is missing or the shapes do not match the names.
        """
        missing = [k for k in ("quality_knots_x", "quality_knots_y", "quality_counts")
                   if k not in tensors]
        if missing:
            raise CheckpointError(f"{where}: the quality scale lacks tensors {missing}; "
                                  "retrain the router (routellm train)")
        kx = np.asarray(tensors["quality_knots_x"], dtype=np.float64)
        ky = np.asarray(tensors["quality_knots_y"], dtype=np.float64)
        counts = np.asarray(tensors["quality_counts"], dtype=np.int64)
        names = [str(m) for m in models]
        if kx.ndim != 2 or kx.shape != ky.shape or kx.shape[0] != len(names) \
                or counts.shape != (len(names),) or POOLED not in names:
            raise CheckpointError(f"{where}: the quality scale's tensors {kx.shape}, {ky.shape} "
                                  f"do not match its {len(names)} model names (with "
                                  f"{POOLED!r}); retrain the router (routellm train)")
        return cls(names, kx, ky, counts)
