"""Zero-cost routers shared by the engine, call-path and wrapper tests of all three packages.

Loaded once by ``tests/conftest.py`` as the module ``routellm_test_fake_routers`` (the tests
run with ``--import-mode=importlib``, so sibling modules are not importable by name).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from routellm_core.routers.base import Router

#: words that make a prompt "hard" (routed strong at the threshold 0.5)
HARD_WORDS = ("prove", "derive", "theorem", "integral", "optimi")


class KeywordRouter(Router):
    """Scores 0.9 when the text holds a hard word, else 0.1, and raises on a text holding
    ``"boom"``. It keeps the texts it scored (``seen``), so tests can check *what* was routed.

    Args:
        threshold: what :meth:`threshold_for` answers for any strong fraction (``None``: the
            router has no calibration table, as a real uncalibrated router).
    """

    name = "keyword"
    needs_fit = False

    def __init__(self, strong_model: str = "s", weak_model: str = "w",
                 hard_words: Sequence[str] = HARD_WORDS, threshold: float | None = 0.5) -> None:
        super().__init__(strong_model, weak_model)
        self.hard_words = tuple(hard_words)
        self.threshold = threshold
        self.seen: list[str] = []

    def _fit(self, battles: object) -> None:  # pragma: no cover - needs_fit is False
        pass

    def _predict(self, prompts: list[str]) -> np.ndarray:
        self.seen.extend(prompts)
        if any("boom" in p for p in prompts):
            raise RuntimeError("router exploded")
        return np.array([0.9 if any(w in p.lower() for w in self.hard_words) else 0.1
                         for p in prompts])

    def threshold_for(self, strong_fraction: float) -> float:
        if self.threshold is None:
            return super().threshold_for(strong_fraction)
        return self.threshold


class BrokenRouter(KeywordRouter):
    """A router whose scoring always raises."""

    name = "broken"

    def _predict(self, prompts: list[str]) -> np.ndarray:
        raise RuntimeError("scoring service down")


class NumberRouter(Router):
    """Scores a prompt by the number it holds (``"0.73"`` scores 0.73); its calibration table
    answers 0.95 for any fraction, as a table fitted on other traffic would."""

    name = "number"
    needs_fit = False

    def _fit(self, battles: object) -> None:  # pragma: no cover - needs_fit is False
        pass

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return np.array([float(p) for p in prompts])

    def threshold_for(self, strong_fraction: float) -> float:
        return 0.95
