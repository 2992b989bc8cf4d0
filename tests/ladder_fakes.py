"""A router with planted per-model estimates, for the ladder tests of all three packages.

Loaded once by ``tests/conftest.py`` as the module ``routellm_test_ladder_fakes`` (the tests
run with ``--import-mode=importlib``, so sibling modules are not importable by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from routellm_core.errors import UnknownNameError
from routellm_core.routers.base import Router

#: list prices of the planted ladder, USD per million input / output tokens
PRICES = {"high": (10.0, 30.0), "mid": (1.0, 2.0), "low": (0.1, 0.1)}


def ladder_settings(router: Router, kw: dict[str, Any]) -> dict[str, Any]:
    """A ladder wrapper's keyword arguments: ``kw`` over the test defaults (``router``, the
    planted prices, a tolerance of 0.05)."""
    return {"router": router, "prices": PRICES, "tolerance": 0.05, **kw}

# probabilities of an acceptable answer: at tolerance 0.05 (a bar of 0.95 times the best) the
# low model is good enough for easy prompts, the mid one for medium prompts, and only the top
# model for hard ones
_LEVELS = {"hard": {"high": 0.9, "mid": 0.3, "low": 0.1},
           "medium": {"high": 0.99, "mid": 0.96, "low": 0.2},
           "easy": {"high": 0.99, "mid": 0.98, "low": 0.97}}


class PlantedQualityRouter(Router):
    """Prompts with a ``hard_words`` word: only the top model answers well; with a
    ``medium_words`` word: the mid model too; anything else: every model."""

    name = "planted"
    needs_fit = False

    def __init__(self, strong_model: str = "high", weak_model: str = "low",
                 hard_words: Sequence[str] = ("prove",),
                 medium_words: Sequence[str] = ("explain",)) -> None:
        super().__init__(strong_model, weak_model)
        self.hard_words = tuple(hard_words)
        self.medium_words = tuple(medium_words)
        self.models_ = ["high", "mid", "low"]

    def _fit(self, battles):  # pragma: no cover - needs_fit is False
        pass

    def _predict(self, prompts):
        return self.predict_quality(prompts, ["high"])[:, 0]

    def predict_quality(self, prompts, models=None):
        names = list(self.models_) if models is None else list(models)
        for m in names:
            if m not in self.models_:
                raise UnknownNameError(f"unknown model {m!r}")
        rows = []
        for p in prompts:
            p = p.lower()
            kind = ("hard" if any(w in p for w in self.hard_words) else
                    "medium" if any(w in p for w in self.medium_words) else "easy")
            rows.append([_LEVELS[kind][m] for m in names])
        return np.asarray(rows)
