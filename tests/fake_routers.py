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


#: words of the planted pair router's two kinds of prompt
MATHS_WORDS = ("prove", "integral", "theorem")
WRITING_WORDS = ("poem", "story", "essay")


class PlantedPairRouter(Router):
    """A router with per-model estimates where the pair matters, for the pair-binding tests.

    It knows three models, named as the shipped default's training names them: the default
    pair (GPT-4 ``STRONG_MODEL``, Mixtral ``WEAK_MODEL``) and ``gpt-4o-mini``. GPT-4 answers
    everything; Mixtral fails maths prompts, gpt-4o-mini fails writing prompts. So the default
    pair routes maths strong and writing weak, and GPT-4 vs gpt-4o-mini the reverse. Each
    model's logit is +4 (answers) or -4 (fails); scores are the IRT gain ``(1 + p_s - p_w) / 2``.

    Args:
        calibrate: store a calibration table and the per-model logits (``pair_calibration_``)
            on :data:`CALIBRATION_PROMPTS`, as a checkpoint trained today does (``False``: as
            one trained before pair calibration was stored).
    """

    name = "planted-pair"
    needs_fit = False
    CALIBRATION_PROMPTS = [
        *(f"prove the theorem number {i}" for i in range(10)),
        *(f"write a poem about the sea, take {i}" for i in range(10)),
        *(f"hello there, friend {i}" for i in range(20)),
    ]

    def __init__(self, calibrate: bool = True) -> None:
        from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL

        super().__init__(STRONG_MODEL, WEAK_MODEL)
        self.calibrate = calibrate
        self.models_ = sorted([STRONG_MODEL, WEAK_MODEL, "gpt-4o-mini"])
        self.is_fitted_ = True
        self.calibration_ = None
        self.pair_calibration_ = None
        if calibrate:
            from routellm_core.routers.pair import pair_calibration
            from routellm_core.scoring.calibration import calibration_table

            self.calibration_ = calibration_table(self, self.CALIBRATION_PROMPTS, "planted")
            self.pair_calibration_ = pair_calibration(self, self.CALIBRATION_PROMPTS, "planted")

    def _fit(self, battles: object) -> None:  # pragma: no cover - needs_fit is False
        pass

    def model_logits(self, prompts: Sequence[str]) -> np.ndarray:
        from routellm_core.defaults import WEAK_MODEL

        out = np.full((len(prompts), len(self.models_)), 4.0)
        for i, p in enumerate(prompts):
            maths = any(w in p.lower() for w in MATHS_WORDS)
            writing = any(w in p.lower() for w in WRITING_WORDS)
            out[i, self.models_.index(WEAK_MODEL)] = -4.0 if maths else 4.0
            out[i, self.models_.index("gpt-4o-mini")] = -4.0 if writing else 4.0
        return out

    def pair_score_from_logits(self, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
        return (1.0 + 1.0 / (1.0 + np.exp(-strong)) - 1.0 / (1.0 + np.exp(-weak))) / 2.0

    def score_pair(self, prompts: Sequence[str], strong: str, weak: str) -> np.ndarray:
        q = self.model_logits(list(prompts))
        return self.pair_score_from_logits(q[:, self.models_.index(strong)],
                                           q[:, self.models_.index(weak)])

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return self.score_pair(prompts, self.strong_model, self.weak_model)
