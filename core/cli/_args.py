"""Argument types and checks the subcommands share, so that a bad value is reported by the
flag the user typed (``--strong-fraction``, ``--threshold``), before anything is loaded.

The library's own checks (``calibration.check_fraction``, ``settings.check_threshold``) name
the Python arguments (``strong_fraction=``); these are the command line's.
"""

from __future__ import annotations

import argparse
import math

from ..errors import DataError, RouteLLMError

__all__ = ["strong_fraction", "score_threshold", "STRONG_FRACTION_HELP", "check_calibrated"]

#: what ``--strong-fraction`` is, for the help of every subcommand that takes it
STRONG_FRACTION_HELP = "share of prompts for the strong model, strictly between 0 and 1"


def _number(value: str, what: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    return x


def strong_fraction(value: str) -> float:
    """``--strong-fraction``: a number strictly between 0 and 1."""
    f = _number(value, "a number strictly between 0 and 1 (e.g. 0.3)")
    if math.isnan(f) or not 0.0 < f < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be strictly between 0 and 1 (the share of prompts for the strong model), "
            f"got {value}")
    return f


def score_threshold(value: str) -> float:
    """``--threshold``: a raw score threshold, a number in [0, 1]."""
    t = _number(value, "a number between 0 and 1 (e.g. 0.62)")
    if math.isnan(t) or not 0.0 <= t <= 1.0:
        raise argparse.ArgumentTypeError(
            f"must be between 0 and 1 (router scores are win rates in [0, 1]), got {value}; "
            "or choose a share of prompts with --strong-fraction")
    return t


def check_calibrated(router: object, spec: str, fraction: float) -> None:
    """A ``--strong-fraction`` needs the router's calibration table: refuse it, naming the
    flags, when the router has none."""
    try:
        router.threshold_for(fraction)  # type: ignore[attr-defined]
    except RouteLLMError:
        if getattr(router, "calibration_", None):
            raise  # a table that is there but unusable: the library's own message
        raise DataError(
            f"router {spec!r} has no calibration table, so --strong-fraction cannot be turned "
            f"into a threshold: run `routellm calibrate --router {spec} --prompts FILE --save` "
            "first, or pass --threshold"
        ) from None
