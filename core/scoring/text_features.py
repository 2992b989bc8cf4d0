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

__all__ = ["FEATURE_NAMES", "SCRIPT_AWARE_FEATURE_NAMES", "feature_names", "text_features"]

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

#: the same eight features measured the same way in every script (``variant="script-aware"``):
#: characters and words of Chinese and Japanese, written without spaces, count on the English
#: scale; question marks and maths symbols include their full-width and Arabic forms
SCRIPT_AWARE_FEATURE_NAMES: tuple[str, ...] = (
    "log_chars_latin_equivalent",
    "log_words_equivalent",
    "log_numbers",
    "digit_share_equivalent",
    "log_lines",
    "code",
    "log_math_symbols_any_width",
    "log_question_marks_any_script",
)
#: the translation trade's usual ratios: 100 English words (about 570 characters with spaces)
#: come out as about 160 Chinese characters or about 220 Japanese ones; so a Chinese character
#: is worth about 3.6 English characters and 0.63 words, a Japanese one (kana or kanji) about
#: 2.6 characters and 0.45 words (a text with any kana counts as Japanese)
_ZH_CHARS, _ZH_WORDS = 3.6, 0.63
_JA_CHARS, _JA_WORDS = 2.6, 0.45
_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_MATH_ANY = frozenset("=+*/^<>%∑∫√≤≥≠±×÷−＝＋＜＞％")
_QUESTION_ANY = frozenset("?？؟")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+")
_CODE = re.compile(r"```|\bdef |\bclass |#include|;\s*$|\{\s*$|=>|\bfunction\b", re.MULTILINE)
_MATH = frozenset("=+*/^<>%∑∫√≤≥≠±")


def feature_names(variant: str = "v1") -> tuple[str, ...]:
    """The column names of :func:`text_features` for a variant (``"v1"`` or
    ``"script-aware"``)."""
    if variant == "v1":
        return FEATURE_NAMES
    if variant == "script-aware":
        return SCRIPT_AWARE_FEATURE_NAMES
    from ..errors import unknown_name

    raise unknown_name("text-feature variant", variant, ("v1", "script-aware"))


def text_features(texts: Sequence[str], variant: str = "v1") -> np.ndarray:
    """Surface features of each text: a ``(len(texts), 8)`` float32 array.

    Counts are log-compressed (``log1p``) so a 5,000-word prompt does not dwarf everything else.
    ``variant="v1"`` (:data:`FEATURE_NAMES`) counts characters, ``\\w+`` words and ASCII
    question marks, so a Chinese prompt looks a third as long as its English translation and an
    Arabic question asks nothing; ``"script-aware"`` (:data:`SCRIPT_AWARE_FEATURE_NAMES`)
    measures every script on the English scale.

    Example:
        >>> en, zh = text_features(["Prove that there are infinitely many primes.",
        ...                         "证明素数有无穷多个。"], variant="script-aware")[:, 1]
        >>> bool(abs(en - zh) < 0.5)
        True
    """
    names = feature_names(variant)
    if variant == "script-aware":
        return _script_aware(texts, len(names))
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


def _script_aware(texts: Sequence[str], width: int) -> np.ndarray:
    out = np.zeros((len(texts), width), dtype=np.float32)
    for i, t in enumerate(texts):
        spaceless = len(_SPACELESS.findall(t))
        rest = _SPACELESS.sub(" ", t) if spaceless else t
        per_char, per_word = (_JA_CHARS, _JA_WORDS) if _KANA.search(t) else (_ZH_CHARS, _ZH_WORDS)
        chars = len(t) + (per_char - 1.0) * spaceless
        words = len(_WORD.findall(rest)) + per_word * spaceless
        digits = sum(c.isdigit() for c in t)
        out[i] = (
            math.log1p(chars),
            math.log1p(words),
            math.log1p(len(_NUMBER.findall(t))),
            digits / chars if chars else 0.0,
            math.log1p(t.count("\n")),
            1.0 if _CODE.search(t) else 0.0,
            math.log1p(sum(c in _MATH_ANY for c in t)),
            math.log1p(sum(c in _QUESTION_ANY for c in t)),
        )
    return out
