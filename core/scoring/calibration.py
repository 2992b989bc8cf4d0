"""Calibration: turn a desired strong-call fraction into a score threshold.

Router scores are not calibrated probabilities (SW ranking scores, for example, can sit in a
narrow band such as 0.67-0.69 while still ranking prompts well), so users choose *how often*
the strong model should be called, and the threshold is the matching quantile of the router's
scores on a representative prompt set. A prompt goes to the strong model when
``score >= threshold``.

Example:
    >>> from routellm_core.routers.random import RandomRouter
    >>> prompts = [f"question {i}" for i in range(100)]
    >>> t = calibrate(RandomRouter(), prompts, strong_fraction=0.3)
    >>> int(sum(s >= t for s in RandomRouter().predict_win_rate(prompts)))
    30
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from ..errors import DataError, RouteLLMError

__all__ = [
    "Scorer",
    "TABLE_FRACTIONS",
    "check_fraction",
    "threshold_for_fraction",
    "calibrate",
    "calibration_table",
    "threshold_from_table",
    "TrafficThreshold",
    "simulate_traffic_share",
]


class Scorer(Protocol):
    """What calibration needs of a router: scores for prompts (any
    :class:`~routellm_core.routers.base.Router` is one). A protocol, so that this module and
    the routers, which read their thresholds from it, do not import each other."""

    def predict_win_rate(self, prompts: Sequence[str]) -> np.ndarray: ...

#: strong fractions stored in a checkpoint's calibration table: 5 %, 10 %, ..., 95 %
TABLE_FRACTIONS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


def check_fraction(strong_fraction: float) -> float:
    """Validate a strong fraction: a number strictly between 0 and 1."""
    try:
        f = float(strong_fraction)
    except (TypeError, ValueError):
        raise DataError(f"strong_fraction must be a number in (0, 1), got {strong_fraction!r}") from None
    if not 0.0 < f < 1.0 or np.isnan(f):
        raise DataError(
            f"strong_fraction must be strictly between 0 and 1, got {strong_fraction!r} "
            "(use model='strong' / model='weak' to force every call to one side)"
        )
    return f


def threshold_for_fraction(scores: np.ndarray | Sequence[float], strong_fraction: float) -> float:
    """Threshold so that ``round(strong_fraction * n)`` scores are ``>= threshold``.

    With ties at the boundary the count can only be hit as closely as the ties allow. The
    threshold sits midway between the last strong score and the first weak one, so new prompts
    near the boundary split evenly.
    """
    f = check_fraction(strong_fraction)
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if s.size == 0:
        raise DataError("cannot calibrate on an empty prompt set")
    k = int(round(f * s.size))
    if k <= 0:
        return float(np.nextafter(s[0], np.inf))
    if k >= s.size:
        return float(s[-1])
    hi, lo = s[k - 1], s[k]
    if hi == lo:
        return float(hi)
    return float(lo + (hi - lo) / 2.0)


def calibrate(router: Scorer, prompts: Sequence[str], strong_fraction: float) -> float:
    """The threshold at which ``router`` sends ``strong_fraction`` of ``prompts`` to strong."""
    check_fraction(strong_fraction)
    return threshold_for_fraction(router.predict_win_rate(list(prompts)), strong_fraction)


def calibration_table(
    router: Scorer, prompts: Sequence[str], prompt_set: str, *, scores: np.ndarray | None = None
) -> dict[str, Any]:
    """Thresholds for strong fractions 5 %..95 %, ready to store as ``router.calibration_``."""
    s = router.predict_win_rate(list(prompts)) if scores is None else np.asarray(scores)
    return {
        "prompt_set": prompt_set,
        "n": int(len(s)),
        "fractions": list(TABLE_FRACTIONS),
        "thresholds": [threshold_for_fraction(s, f) for f in TABLE_FRACTIONS],
    }


def threshold_from_table(table: Mapping[str, Any], strong_fraction: float) -> float:
    """Look up (interpolating linearly between table rows) the threshold for a fraction in a
    calibration table (as :func:`calibration_table` returns). Data in, number out.

    Example:
        >>> round(threshold_from_table({"fractions": [0.1, 0.5], "thresholds": [0.9, 0.5]}, 0.3), 6)
        0.7
    """
    f = check_fraction(strong_fraction)
    try:
        fr = np.asarray(table["fractions"], dtype=np.float64)
        th = np.asarray(table["thresholds"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise RouteLLMError(f"not a calibration table (needs 'fractions' and 'thresholds'): "
                            f"{exc}") from None
    # thresholds fall as the fraction grows; np.interp needs increasing x, which fr is
    return float(np.interp(f, fr, th))


class TrafficThreshold:
    """A threshold that follows the traffic: the ``strong_fraction`` quantile of the last
    ``window`` scores routed.

    A calibration table describes the prompts it was fitted on; traffic that a router scores
    higher or lower overall (exam questions, maths, chat) gets more or fewer strong calls than
    asked. This keeps the share of strong calls at the request on any traffic: until
    ``warmup`` scores have been seen the table's threshold (``initial``) is used, then the
    threshold is recomputed from the window after every score. The ranking inside the window
    is still the router's, so quality at that share is the router's; what is given up is the
    table's absolute meaning (on traffic that is all easy, the share stays at the request).

    Args:
        strong_fraction: the share of calls to send strong, in (0, 1).
        initial: the threshold to use before ``warmup`` scores (the calibration table's).
        window: how many recent scores the threshold is computed from.
        warmup: scores needed before the window replaces ``initial`` (at most ``window``).

    Example:
        >>> t = TrafficThreshold(0.3, initial=0.9, window=100, warmup=10)
        >>> for i in range(100):
        ...     t.observe(i / 100)
        >>> round(t.threshold, 3)
        0.695
    """

    def __init__(self, strong_fraction: float, initial: float, *, window: int = 500,
                 warmup: int = 50) -> None:
        self.strong_fraction = check_fraction(strong_fraction)
        if int(window) < 10 or int(warmup) < 1:
            raise DataError(f"calibration window must be at least 10 scores and warmup at least "
                            f"1, got window={window}, warmup={warmup}")
        self.initial = float(initial)
        self.window = int(window)
        self.warmup = min(int(warmup), self.window)
        self._scores: deque[float] = deque(maxlen=self.window)
        self._threshold = self.initial
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float:
        """The threshold in force now."""
        return self._threshold

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def carry_from(self, other: TrafficThreshold | None) -> None:
        """Continue from ``other``'s recent scores (a copy, a pickled or a derived engine of
        the same router), so a warm window stays warm: the last ``window`` of its scores are
        kept and the threshold recomputed from them (at this object's ``strong_fraction``).
        ``None`` changes nothing."""
        if other is None or other is self:
            return
        with other._lock:
            scores = list(other._scores)
        with self._lock:
            self._scores = deque(scores, maxlen=self.window)
            if len(self._scores) >= self.warmup:
                self._threshold = threshold_for_fraction(np.fromiter(self._scores, np.float64),
                                                         self.strong_fraction)
            else:
                self._threshold = self.initial

    @property
    def seen(self) -> int:
        """How many scores the window holds."""
        return len(self._scores)

    def observe(self, score: float) -> None:
        """Add one routed score and update the threshold."""
        if not np.isfinite(score):
            return
        with self._lock:
            self._scores.append(float(score))
            if len(self._scores) >= self.warmup:
                self._threshold = threshold_for_fraction(np.fromiter(self._scores, np.float64),
                                                         self.strong_fraction)


def simulate_traffic_share(scores: Sequence[float] | np.ndarray, strong_fraction: float,
                           initial: float, *, window: int = 500, warmup: int = 50,
                           seed: int = 0) -> tuple[float, np.ndarray]:
    """Route ``scores`` one by one, in a seeded random order, with a :class:`TrafficThreshold`.

    Returns:
        The share of strong calls and the boolean strong/weak decision of each score (in the
        input's order).
    """
    s = np.asarray(scores, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(s.size)
    t = TrafficThreshold(strong_fraction, initial, window=window, warmup=warmup)
    strong = np.zeros(s.size, dtype=bool)
    for i in order:
        strong[i] = s[i] >= t.threshold
        t.observe(s[i])
    return float(strong.mean()) if s.size else float("nan"), strong
