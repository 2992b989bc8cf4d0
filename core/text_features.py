"""Cheap surface features of a prompt that carry difficulty signal an embedding misses.

A sentence embedding is mostly about *topic*; how much work a prompt asks for also shows in its
surface: how long it is, how many numbers and symbols it holds (a multi-step word problem), code
and line structure. These features are computed with the standard library and numpy only, in
microseconds, so they cost nothing on the routing path.

Example:
    >>> text_features(["What is 2+2?", "hi"]).shape == (2, len(FEATURE_NAMES))
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["FEATURE_NAMES", "text_features"]

#: Column names of :func:`text_features`, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "log_numbers",
    "digit_share",
    "log_lines",
    "code",
    "log_math_symbols",
    "log_question_marks",
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+")
_CODE = re.compile(r"```|\bdef |\bclass |#include|;\s*$|\{\s*$|=>|\bfunction\b", re.MULTILINE)
_MATH = frozenset("=+*/^<>%∑∫√≤≥≠±")


def text_features(texts: Sequence[str]) -> np.ndarray:
    """Surface features of each text: a ``(len(texts), len(FEATURE_NAMES))`` float32 array.

    Counts are log-compressed (``log1p``) so a 5,000-word prompt does not dwarf everything else.
    """
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
    for i, t in enumerate(texts):
        n = len(t)
        digits = sum(c.isdigit() for c in t)
        out[i] = (
            math.log1p(n),
            math.log1p(len(_WORD.findall(t))),
            math.log1p(len(_NUMBER.findall(t))),
            digits / n if n else 0.0,
            math.log1p(t.count("\n")),
            1.0 if _CODE.search(t) else 0.0,
            math.log1p(sum(c in _MATH for c in t)),
            math.log1p(t.count("?")),
        )
    return out
