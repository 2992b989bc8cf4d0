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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError, RouteLLMError

if TYPE_CHECKING:
    from .routers.base import Router

__all__ = [
    "TABLE_FRACTIONS",
    "check_fraction",
    "threshold_for_fraction",
    "calibrate",
    "calibration_table",
    "threshold_from_table",
]

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


def calibrate(router: Router, prompts: Sequence[str], strong_fraction: float) -> float:
    """The threshold at which ``router`` sends ``strong_fraction`` of ``prompts`` to strong."""
    check_fraction(strong_fraction)
    return threshold_for_fraction(router.predict_win_rate(list(prompts)), strong_fraction)


def calibration_table(
    router: Router, prompts: Sequence[str], prompt_set: str, *, scores: np.ndarray | None = None
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
