"""k-nearest-neighbour router: the strong-vs-weak outcome of similar training prompts.

Not in the RouteLLM paper; recent work finds a tuned kNN is the baseline learned routers must
beat. Each training prompt with a strong-vs-weak signal gets a label in [0, 1] (the strong
model's mean score: 1 win, 0.5 tie, 0 loss, weighted by battle weight). A query's score is the
similarity-weighted mean label of its ``k`` nearest labelled prompts (cosine similarity,
negative similarities count 0), with ``k`` chosen on a seeded validation split by the lowest
weighted squared error.

Labels (``label_mode``):

* ``"direct"``: only battles between the strong and the weak model themselves.
* ``"tiers"``: also battles between any model rated at least as high as the strong model and
  any model rated at most as high as the weak model (global Bradley-Terry ratings), read as
  strong-vs-weak battles: more labelled prompts, noisier labels.

Example:
    >>> from routellm_core.records import Battle, Battles
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> bs = Battles([Battle("math sum", "big", "small", "model_a"),
    ...               Battle("say hi", "big", "small", "model_b")])
    >>> r = KNNRouter("big", "small", HashingEmbedder(64), k=1).fit(bs)
    >>> float(r.predict_win_rate(["math sum please"])[0])
    1.0
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, unknown_name
from ..scoring.embeddings import Embedder, l2_normalize
from ..scoring.ranking import bradley_terry_ratings
from .base import EmbeddingRouter
from .sw_ranking import check_pair_in_battles

if TYPE_CHECKING:
    from ..records import Battles

__all__ = ["KNNRouter"]

_Y = {"model_a": 1.0, "tie": 0.5, "model_b": 0.0}


class KNNRouter(EmbeddingRouter):
    """Similarity-weighted mean strong-vs-weak outcome over the k nearest training prompts.

    Args:
        strong_model, weak_model: the pair to route between (must appear in the battles).
        embedder: prompt embedder (default: all-MiniLM-L6-v2).
        k: a fixed k; ``None`` chooses it from ``k_candidates`` on a validation split.
        k_candidates: the values of k tried.
        label_mode: ``"direct"`` or ``"tiers"`` (see the module docstring).
        val_fraction: share of labelled prompts held out to choose k.
        seed: seeds the validation split.
    """

    name = "knn"

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        embedder: Embedder | None = None,
        *,
        k: int | None = None,
        k_candidates: Sequence[int] = (5, 10, 20, 50, 100, 200),
        label_mode: str = "direct",
        val_fraction: float = 0.2,
        seed: int = 0,
    ) -> None:
        super().__init__(strong_model, weak_model, embedder)
        self.k = k
        self.k_candidates = list(k_candidates)
        self.label_mode = label_mode
        self.val_fraction = val_fraction
        self.seed = seed

    # ------------------------------------------------------------------------------------------
    def prompt_labels(self, battles: Battles) -> tuple[list[str], np.ndarray, np.ndarray]:
        """``(prompts, label, weight)`` of every prompt with a strong-vs-weak signal."""
        if self.label_mode not in ("direct", "tiers"):
            raise unknown_name("label_mode", self.label_mode, ("direct", "tiers"))
        s, w = self.strong_model, self.weak_model
        strong_side, weak_side = {s}, {w}
        if self.label_mode == "tiers":
            r = bradley_terry_ratings(battles)
            strong_side = {m for m, v in r.items() if v >= r[s]}
            weak_side = {m for m, v in r.items() if v <= r[w]}
        num: dict[str, float] = {}
        den: dict[str, float] = {}
        for b in battles:
            if b.model_a in strong_side and b.model_b in weak_side:
                y = _Y[b.winner]
            elif b.model_b in strong_side and b.model_a in weak_side:
                y = 1.0 - _Y[b.winner]
            else:
                continue
            num[b.prompt] = num.get(b.prompt, 0.0) + b.weight * y
            den[b.prompt] = den.get(b.prompt, 0.0) + b.weight
        prompts = [p for p in den if den[p] > 0]
        labels = np.asarray([num[p] / den[p] for p in prompts], dtype=np.float64)
        weights = np.asarray([den[p] for p in prompts], dtype=np.float64)
        return prompts, labels, weights

    @staticmethod
    def _knn_scores(q: np.ndarray, e: np.ndarray, y: np.ndarray, k: int,
                    weights: np.ndarray | None = None) -> np.ndarray:
        sims = q @ e.T
        k = min(k, e.shape[0])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        s = np.maximum(np.take_along_axis(sims, top, axis=1).astype(np.float64), 0.0)
        if weights is not None:  # neighbours added by adaptation count with their weight
            s = s * weights[top]
        lab = y[top]
        den = s.sum(axis=1)
        plain = lab.mean(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 1e-12, (s * lab).sum(axis=1) / np.where(den > 0, den, 1), plain)
        return out

    def _fit(self, battles: Battles) -> None:
        check_pair_in_battles(battles, self.strong_model, self.weak_model, "knn")
        prompts, labels, weights = self.prompt_labels(battles)
        if not prompts:
            raise DataError(
                f"knn: no battle compares {self.strong_model!r} with {self.weak_model!r}, so no "
                "prompt has a label; add such battles, map aliases onto the pair, or use "
                "label_mode='tiers'"
            )
        emb = l2_normalize(self.embed(prompts))
        self.validation_errors_: dict[str, float] = {}
        if self.k is not None:
            if self.k < 1:
                raise DataError(f"k must be at least 1, got {self.k}")
            self.k_ = int(self.k)
        else:
            cands = sorted({int(c) for c in self.k_candidates if int(c) >= 1})
            if not cands:
                raise DataError("k_candidates must hold at least one positive integer")
            if not 0.0 < self.val_fraction < 1.0:
                raise DataError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
            idx = list(range(len(prompts)))
            random.Random(self.seed).shuffle(idx)
            n_val = max(1, round(len(idx) * self.val_fraction))
            if len(idx) - n_val < 1:
                self.k_ = 1
            else:
                va, tr = np.asarray(idx[:n_val]), np.asarray(idx[n_val:])
                best = None
                for k in cands:
                    if k > len(tr) and k != cands[0]:
                        continue
                    pred = self._knn_scores(emb[va], emb[tr], labels[tr], k)
                    err = float(np.average((pred - labels[va]) ** 2, weights=weights[va]))
                    self.validation_errors_[str(k)] = err
                    if best is None or err < best[0] - 1e-12:
                        best = (err, k)
                self.k_ = int(best[1]) if best else 1
        self.prompt_embeddings_ = emb.astype(np.float32)
        self.labels_ = labels
        self.embedding_dim_ = int(emb.shape[1])
        self.neighbour_weights_: np.ndarray | None = None

    def neighbour_weights(self) -> np.ndarray:
        """Each stored neighbour's weight (1 for trained ones; adaptation adds others)."""
        w = getattr(self, "neighbour_weights_", None)
        return np.ones(len(self.labels_)) if w is None else np.asarray(w, dtype=np.float64)

    def _predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        q = l2_normalize(embeddings)
        return self._knn_scores(q, self.prompt_embeddings_, self.labels_, self.k_,
                                getattr(self, "neighbour_weights_", None))

    # ------------------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"k": self.k_, "embedding_dim": self.embedding_dim_,
                "validation_errors": self.validation_errors_}
        tensors = {"prompt_embeddings": self.prompt_embeddings_, "labels": self.labels_}
        if getattr(self, "neighbour_weights_", None) is not None:
            tensors["neighbour_weights"] = np.asarray(self.neighbour_weights_)
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        self.k_ = int(meta["k"])
        self.embedding_dim_ = int(meta["embedding_dim"])
        self.validation_errors_ = dict(meta.get("validation_errors") or {})
        self.prompt_embeddings_ = tensors["prompt_embeddings"]
        self.labels_ = tensors["labels"].astype(np.float64)
        w = tensors.get("neighbour_weights")
        self.neighbour_weights_ = None if w is None else w.astype(np.float64)
