"""The random router: a seeded baseline that ignores the prompt."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from .base import Router

if TYPE_CHECKING:
    from ..records import Battles

__all__ = ["RandomRouter"]


class RandomRouter(Router):
    """Scores are uniform in [0, 1), independent of the prompt's meaning.

    Each score is derived from the seed and the prompt text, so the same prompt always gets
    the same score (reproducible evaluations, stable routing of retries) while different prompts
    are independent. Because scores are uniform, the threshold for a strong fraction ``f`` is
    ``1 - f`` without any calibration data.

    Args:
        strong_model, weak_model: the model pair.
        seed: changes every score.

    Example:
        >>> r = RandomRouter(seed=1)
        >>> float(r.predict_win_rate(["a"])[0]) == float(r.predict_win_rate(["a"])[0])
        True
    """

    name = "random"
    needs_fit = False

    def __init__(self, strong_model: str = STRONG_MODEL, weak_model: str = WEAK_MODEL, seed: int = 0) -> None:
        super().__init__(strong_model, weak_model)
        self.seed = seed

    def _fit(self, battles: Battles) -> None:
        pass

    def _predict(self, prompts: list[str]) -> np.ndarray:
        out = np.empty(len(prompts), dtype=np.float64)
        salt = str(self.seed).encode()
        for i, p in enumerate(prompts):
            h = hashlib.blake2b(p.encode("utf-8"), digest_size=8, key=salt[:64]).digest()
            out[i] = int.from_bytes(h, "little") / 2.0**64
        return out

    def threshold_for(self, strong_fraction: float) -> float:
        from ..scoring.calibration import check_fraction

        if getattr(self, "calibration_", None):
            return super().threshold_for(strong_fraction)
        return 1.0 - check_fraction(strong_fraction)
