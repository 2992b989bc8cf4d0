"""Matrix factorization router (RouteLLM's ``mf``).

A model ``m`` answering prompt ``q`` (embedding ``e_q``) scores
``s(m, q) = w^T (v_m * (W e_q + b))``; ``P(strong beats weak | q) = sigmoid(s(strong, q) -
s(weak, q))``. Trained on battles with a weighted logistic loss and Adam, in torch on CPU
(imported lazily), single-threaded so a seed gives the same weights on every run.

Ties: with ``ties="half"`` (default) a tie is a soft label 0.5 (the loss pulls the two models'
scores together on that prompt, which is what "both answers are equally good" means); with
``ties="drop"`` ties are ignored.

At inference the bilinear form for the configured pair collapses to one vector ``u`` and bias
``c``: ``s(strong) - s(weak) = u . e_q + c`` with ``u = W^T (w * (v_s - v_w))`` and
``c = (w * (v_s - v_w)) . b``, so routing a prompt is one numpy dot product after embedding.

Example:
    >>> from routellm_core.records import Battle, Battles
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> bs = Battles([Battle("math sum", "big", "small", "model_a"),
    ...               Battle("say hi", "big", "small", "model_b")])
    >>> r = MatrixFactorizationRouter("big", "small", HashingEmbedder(64), epochs=5).fit(bs)
    >>> r.predict_win_rate(["math sum please"]).shape
    (1,)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, unknown_name
from ..scoring.embeddings import Embedder
from .base import EmbeddingRouter, check_prompts

if TYPE_CHECKING:
    from ..records import Battles

__all__ = ["MatrixFactorizationRouter"]

_Y = {"model_a": 1.0, "tie": 0.5, "model_b": 0.0}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class MatrixFactorizationRouter(EmbeddingRouter):
    """Bilinear model-prompt scores learned from battles.

    Args:
        strong_model, weak_model: the pair to route between (must appear in the battles).
        embedder: prompt embedder (default: all-MiniLM-L6-v2).
        dim: latent dimension of model vectors and the prompt projection.
        epochs: passes over the battles.
        lr: Adam learning rate.
        weight_decay: Adam weight decay (L2) on all parameters.
        noise: standard deviation of Gaussian noise added to prompt embeddings in training.
        batch_size: battles per Adam step.
        ties: ``"half"`` (a tie is label 0.5) or ``"drop"``.
        seed: seeds initialisation, shuffling and noise.
    """

    name = "mf"

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        embedder: Embedder | None = None,
        *,
        dim: int = 64,
        epochs: int = 10,
        lr: float = 3e-3,
        weight_decay: float = 1e-2,
        noise: float = 0.01,
        batch_size: int = 512,
        ties: str = "half",
        seed: int = 0,
    ) -> None:
        super().__init__(strong_model, weak_model, embedder)
        self.dim = dim
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.noise = noise
        self.batch_size = batch_size
        self.ties = ties
        self.seed = seed

    # ------------------------------------------------------------------------------------------
    def _fit(self, battles: Battles) -> None:
        if self.ties not in ("half", "drop"):
            raise unknown_name("ties mode", self.ties, ("half", "drop"))
        if self.dim < 1 or self.epochs < 1:
            raise DataError(f"dim and epochs must be positive, got dim={self.dim}, "
                            f"epochs={self.epochs}")
        if self.ties == "drop":
            battles = battles.filter(lambda b: b.winner != "tie")
            if not len(battles):
                raise DataError("mf: every battle is a tie and ties='drop'; nothing to learn")
        # imported here: sw_ranking loads the Bradley-Terry fits, which routing never needs
        from .sw_ranking import check_pair_in_battles

        models = check_pair_in_battles(battles, self.strong_model, self.weak_model, "mf")
        prompts = battles.prompts()
        pos = {p: i for i, p in enumerate(prompts)}
        mpos = {m: i for i, m in enumerate(models)}
        n = len(battles)
        pi = np.fromiter((pos[b.prompt] for b in battles), dtype=np.int64, count=n)
        ia = np.fromiter((mpos[b.model_a] for b in battles), dtype=np.int64, count=n)
        ib = np.fromiter((mpos[b.model_b] for b in battles), dtype=np.int64, count=n)
        y = np.fromiter((_Y[b.winner] for b in battles), dtype=np.float32, count=n)
        wt = np.fromiter((b.weight for b in battles), dtype=np.float32, count=n)
        emb = self.embed(prompts)
        self._train_torch(emb, pi, ia, ib, y, wt, len(models))
        self.models_ = models
        self.embedding_dim_ = int(emb.shape[1])
        self._collapse()

    def _train_torch(self, emb: np.ndarray, pi: np.ndarray, ia: np.ndarray, ib: np.ndarray,
                     y: np.ndarray, wt: np.ndarray, n_models: int) -> None:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # same summation order on every machine: reproducible weights
        try:
            g = torch.Generator().manual_seed(int(self.seed))
            d_in = emb.shape[1]
            v = torch.nn.Parameter(torch.randn(n_models, self.dim, generator=g) * 0.1)
            w_proj = torch.nn.Parameter(torch.randn(self.dim, d_in, generator=g) / d_in**0.5)
            b = torch.nn.Parameter(torch.zeros(self.dim))
            w = torch.nn.Parameter(torch.randn(self.dim, generator=g) / self.dim**0.5)
            params = [v, w_proj, b, w]
            opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
            e_all = torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32))
            t_pi, t_ia, t_ib = (torch.from_numpy(a) for a in (pi, ia, ib))
            t_y, t_w = torch.from_numpy(y), torch.from_numpy(wt)
            wsum = float(wt.sum())
            n = len(y)
            for _ in range(self.epochs):
                perm = torch.randperm(n, generator=g)
                for start in range(0, n, self.batch_size):
                    idx = perm[start : start + self.batch_size]
                    e = e_all[t_pi[idx]]
                    if self.noise > 0:
                        e = e + self.noise * torch.randn(e.shape, generator=g)
                    h = e @ w_proj.T + b
                    logit = ((v[t_ia[idx]] - v[t_ib[idx]]) * h) @ w
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(
                        logit, t_y[idx], weight=t_w[idx], reduction="sum"
                    ) * (n / wsum / max(len(idx), 1))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            self.model_vectors_ = v.detach().numpy().astype(np.float32)
            self.projection_ = w_proj.detach().numpy().astype(np.float32)
            self.projection_bias_ = b.detach().numpy().astype(np.float32)
            self.classifier_ = w.detach().numpy().astype(np.float32)
        finally:
            torch.set_num_threads(threads)

    # ------------------------------------------------------------------------------------------
    def pair_vector(self, strong: str, weak: str) -> tuple[np.ndarray, float]:
        """``(u, c)`` with ``s(strong, q) - s(weak, q) = u . e_q + c``."""
        if not hasattr(self, "models_"):
            self.check_is_fitted()
        idx = {m: i for i, m in enumerate(self.models_)}
        for m in (strong, weak):
            if m not in idx:
                raise unknown_name("model", m, self.models_)
        z = self.classifier_.astype(np.float64) * (
            self.model_vectors_[idx[strong]].astype(np.float64)
            - self.model_vectors_[idx[weak]].astype(np.float64)
        )
        u = self.projection_.astype(np.float64).T @ z
        c = float(z @ self.projection_bias_.astype(np.float64))
        return u, c

    def _collapse(self) -> None:
        u, c = self.pair_vector(self.strong_model, self.weak_model)
        self.pair_vector_, self.pair_bias_ = u, c

    def _predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        return _sigmoid(embeddings.astype(np.float64) @ self.pair_vector_ + self.pair_bias_)

    def score_pair(self, prompts: Sequence[str], strong: str, weak: str) -> np.ndarray:
        """P(``strong`` beats ``weak``) per prompt, for any two models seen in training.

        Raises:
            UnknownNameError: a name not among the trained models (the message lists them).
        """
        texts = check_prompts(prompts)
        u, c = self.pair_vector(strong, weak)
        return _sigmoid(self.embed(texts).astype(np.float64) @ u + c)

    def model_logits(self, prompts: Sequence[str]) -> np.ndarray:
        """Every known model's bilinear score ``s(m, q)`` per prompt, ``(len(prompts),
        len(models_))``: ``score_pair(strong, weak)`` is ``sigmoid(s_strong - s_weak)``
        (:meth:`pair_score_from_logits`); a checkpoint stores these on its calibration prompts
        to calibrate any pair later (:mod:`routellm_core.routers.pair`)."""
        texts = check_prompts(prompts)
        self.check_is_fitted()
        h = (self.embed(texts).astype(np.float64) @ self.projection_.astype(np.float64).T
             + self.projection_bias_.astype(np.float64))
        return (h * self.classifier_.astype(np.float64)) @ self.model_vectors_.astype(np.float64).T

    def pair_score_from_logits(self, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
        """:meth:`score_pair` from the two models' columns of :meth:`model_logits`."""
        return _sigmoid(np.asarray(strong, np.float64) - np.asarray(weak, np.float64))

    # ------------------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"models": self.models_, "embedding_dim": self.embedding_dim_}
        tensors = {
            "model_vectors": self.model_vectors_,
            "projection": self.projection_,
            "projection_bias": self.projection_bias_,
            "classifier": self.classifier_,
        }
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        self.models_ = [str(m) for m in meta["models"]]
        self.embedding_dim_ = int(meta["embedding_dim"])
        self.model_vectors_ = tensors["model_vectors"]
        self.projection_ = tensors["projection"]
        self.projection_bias_ = tensors["projection_bias"]
        self.classifier_ = tensors["classifier"]
        self.is_fitted_ = True
        self._collapse()
