"""Similarity-weighted (SW) ranking router: a per-query Bradley-Terry fit over model tiers.

Training (``fit``): global Bradley-Terry ratings of all models in the battles (ties count half),
models grouped into ``n_tiers`` tiers minimising within-tier rating variance, and every battle
mapped to a cell ``(tier_a, tier_b, outcome)``. Per training prompt the router stores its
embedding and its battle weight in each cell.

Scoring a query: ``S_p`` = cosine similarity of the query to training prompt ``p`` divided by
the largest similarity; each battle on ``p`` weighs ``gamma ** (1 + S_p)``; a weighted
Bradley-Terry fit over tiers gives the query's tier ratings, and
``P(strong wins) = sigmoid(r[tier(strong)] - r[tier(weak)])``. Because the weight depends on the
battle only through its prompt, the cell weights are one matrix product
``weights @ cells`` (prompts x cells), and the fit runs over at most ``tiers^2/2 x 3`` cells
instead of every battle: the result is identical (a test checks it against the naive
per-battle fit).

Example:
    >>> from routellm_core.records import Battle, Battles
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> bs = Battles([Battle("math sum", "big", "small", "model_a"),
    ...               Battle("say hi", "big", "small", "model_b")])
    >>> r = SWRankingRouter("big", "small", HashingEmbedder(64)).fit(bs)
    >>> r.predict_win_rate(["math sum please"]).shape
    (1,)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError
from ..scoring.embeddings import Embedder, l2_normalize
from ..scoring.ranking import aggregate_cells, assign_tiers, bradley_terry_ratings, fit_bt_cells
from .base import EmbeddingRouter

if TYPE_CHECKING:
    from ..records import Battles

__all__ = ["SWRankingRouter", "check_pair_in_battles"]

_OUTCOME_CODE = {"model_a": 0, "tie": 1, "model_b": 2}


def check_pair_in_battles(battles: Battles, strong: str, weak: str, router: str) -> list[str]:
    """The battles' model names; raise when the strong or weak model never appears."""
    models = battles.models()
    for role, m in (("strong", strong), ("weak", weak)):
        if m not in models:
            shown = ", ".join(models[:40]) + (" ..." if len(models) > 40 else "")
            raise DataError(
                f"{router}: the {role} model {m!r} appears in no training battle; models in the "
                f"battles: {shown}. Pass strong_model=/weak_model= as spelled in the battles, "
                "or map spellings onto them with an alias table (training config 'aliases')."
            )
    return models


class SWRankingRouter(EmbeddingRouter):
    """Similarity-weighted Bradley-Terry ranking (RouteLLM's ``sw_ranking``).

    Args:
        strong_model, weak_model: the pair to route between (must appear in the battles).
        embedder: prompt embedder (default: all-MiniLM-L6-v2).
        gamma: similarity sharpness; a battle weighs ``gamma ** (1 + S)``.
        n_tiers: number of rating tiers (each model its own tier when there are fewer models).
        l2: ridge strength of the Bradley-Terry fits.
        batch_size: queries fitted together (memory: ``batch_size x training prompts``).
    """

    name = "sw_ranking"

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        embedder: Embedder | None = None,
        *,
        gamma: float = 10.0,
        n_tiers: int = 10,
        l2: float = 1e-3,
        batch_size: int = 128,
    ) -> None:
        super().__init__(strong_model, weak_model, embedder)
        self.gamma = gamma
        self.n_tiers = n_tiers
        self.l2 = l2
        self.batch_size = batch_size

    # ------------------------------------------------------------------------------------------
    def _fit(self, battles: Battles) -> None:
        if not self.gamma > 1.0:
            raise DataError(f"gamma must be greater than 1, got {self.gamma}")
        check_pair_in_battles(battles, self.strong_model, self.weak_model, "sw_ranking")
        ratings = bradley_terry_ratings(battles, l2=self.l2)
        tiers = assign_tiers(ratings, self.n_tiers)
        n = max(tiers.values()) + 1
        ts, tw = tiers[self.strong_model], tiers[self.weak_model]
        if ts == tw:
            # One tier would make every score 0.5; split it between the two models' ratings so
            # the pair is always compared (documented: n_tiers + 1 tiers then).
            cut = (ratings[self.strong_model] + ratings[self.weak_model]) / 2.0
            for m, t in list(tiers.items()):
                upper = m == self.strong_model or (
                    m != self.weak_model and ratings[m] > cut
                )
                if t > ts or (t == ts and upper):
                    tiers[m] = t + 1
            n += 1
        prompts = battles.prompts()
        pos = {p: i for i, p in enumerate(prompts)}
        pi = np.fromiter((pos[b.prompt] for b in battles), dtype=np.int64, count=len(battles))
        ta = np.fromiter((tiers[b.model_a] for b in battles), dtype=np.int64, count=len(battles))
        tb = np.fromiter((tiers[b.model_b] for b in battles), dtype=np.int64, count=len(battles))
        oc = np.fromiter((_OUTCOME_CODE[b.winner] for b in battles), dtype=np.int64,
                         count=len(battles))
        wt = np.fromiter((b.weight for b in battles), dtype=np.float64, count=len(battles))
        cell, (ca, cb, cy) = aggregate_cells(ta, tb, oc, n)
        keep = cell >= 0
        counts = np.zeros((len(prompts), len(ca)))
        np.add.at(counts, (pi[keep], cell[keep]), wt[keep])
        used = counts.sum(axis=0) > 0
        if not used.any():
            raise DataError("sw_ranking: every battle is between models of one tier; "
                            "nothing to learn (use more tiers or battles between stronger "
                            "and weaker models)")
        rows = counts.sum(axis=1) > 0  # prompts whose battles all sit inside one tier add nothing
        self.prompt_embeddings_ = l2_normalize(self.embed([p for p, r in zip(prompts, rows,
                                                                                strict=True) if r]))
        self.cell_weights_ = counts[np.ix_(rows, used)]
        self.cell_a_, self.cell_b_, self.cell_y_ = ca[used], cb[used], cy[used]
        self.ratings_ = ratings
        self.tiers_ = tiers
        self.n_tiers_ = n
        self.strong_tier_ = tiers[self.strong_model]
        self.weak_tier_ = tiers[self.weak_model]
        self.embedding_dim_ = int(self.prompt_embeddings_.shape[1])

    # ------------------------------------------------------------------------------------------
    def query_weights(self, embeddings: np.ndarray) -> np.ndarray:
        """Per-prompt battle weights ``gamma ** (1 + S)`` for each query (``(B, prompts)``)."""
        q = l2_normalize(embeddings)
        sims = (q @ self.prompt_embeddings_.T).astype(np.float64)
        mx = sims.max(axis=1, keepdims=True)
        # A query unlike every training prompt (max similarity <= 0) gets uniform weights.
        scaled = np.where(mx > 1e-12, sims / np.where(mx > 1e-12, mx, 1.0), 0.0)
        return np.power(float(self.gamma), 1.0 + scaled)

    def tier_ratings(self, embeddings: np.ndarray) -> np.ndarray:
        """Per-query Bradley-Terry ratings of the tiers, shape ``(B, n_tiers_)``."""
        out = []
        for start in range(0, len(embeddings), self.batch_size):
            w = self.query_weights(embeddings[start : start + self.batch_size])
            cw = w @ self.cell_weights_
            out.append(fit_bt_cells(self.cell_a_, self.cell_b_, self.cell_y_, cw,
                                    self.n_tiers_, l2=self.l2))
        return np.concatenate(out, axis=0)

    def _predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        r = self.tier_ratings(embeddings)
        d = r[:, self.strong_tier_] - r[:, self.weak_tier_]
        return 1.0 / (1.0 + np.exp(-d))

    # ------------------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {
            "ratings": self.ratings_,
            "tiers": self.tiers_,
            "n_tiers": self.n_tiers_,
            "strong_tier": self.strong_tier_,
            "weak_tier": self.weak_tier_,
            "embedding_dim": self.embedding_dim_,
        }
        tensors = {
            "prompt_embeddings": self.prompt_embeddings_.astype(np.float32),
            "cell_weights": self.cell_weights_.astype(np.float64),
            "cell_a": self.cell_a_.astype(np.int64),
            "cell_b": self.cell_b_.astype(np.int64),
            "cell_y": self.cell_y_.astype(np.float64),
        }
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        self.ratings_ = {k: float(v) for k, v in meta["ratings"].items()}
        self.tiers_ = {k: int(v) for k, v in meta["tiers"].items()}
        self.n_tiers_ = int(meta["n_tiers"])
        self.strong_tier_ = int(meta["strong_tier"])
        self.weak_tier_ = int(meta["weak_tier"])
        self.embedding_dim_ = int(meta["embedding_dim"])
        self.prompt_embeddings_ = tensors["prompt_embeddings"]
        self.cell_weights_ = tensors["cell_weights"]
        self.cell_a_ = tensors["cell_a"]
        self.cell_b_ = tensors["cell_b"]
        self.cell_y_ = tensors["cell_y"]
