"""Item-response-theory router (``irt``): a difficulty profile per prompt, an ability per model.

Where the RouteLLM routers learn from one bit per battle (did the strong model win?), this
router reads every model's outcome on a prompt: MMLU-Pro grades 31 models per question and
arena-bench-v1 14, so each training prompt tells it how hard the prompt is for models of every
strength. The model is a multidimensional two-parameter IRT model whose prompt parameters are
predicted from the text:

* ``x`` = the prompt's embedding, followed by standardised surface features
  (:mod:`routellm_core.scoring.text_features`: length, numbers, symbols, code, lines);
* ``h = relu(H x + c)`` when ``hidden`` > 0 (one hidden layer), else ``h = x``;
* ``z = P h + p``: the prompt's latent profile (``dim`` numbers);
* for model ``m``: ``q_m(x) = a_m + v_m . z``, the logit of "``m`` answers this prompt well".

Training fits per-model outcomes on a 0-1 scale (correctness; judge grades as ``(g - 1) / 9``)
with ``sigmoid(q_m + o_s)``, where ``o_s`` absorbs each source's grading level (offsets are
centred, so a new prompt gets the average level), and pairwise battles (human votes) with
``sigmoid(q_a - q_b)``, Bradley-Terry style. Every prompt counts once per source whatever the
number of models that answered it (its observations share the source's weight), so the
31-model MMLU-Pro questions do not drown the chat sources.

The score of a prompt (``score=``) is either

* ``"gain"``: the predicted quality gain of the strong model over the weak one,
  ``g = sigmoid(q_strong) - sigmoid(q_weak)`` in [-1, 1], reported as ``(1 + g) / 2`` so that
  0.5 means "no gain". It is small both for easy prompts (both models answer well) and for
  prompts the router believes beyond either model; or
* ``"weak-failure"``: the predicted probability that the weak model does *not* answer well,
  ``1 - sigmoid(q_weak)``. It keeps ranking a prompt higher the harder it looks, so a router
  that misjudges how hard a new kind of traffic is for *both* models (a shift in level) still
  orders it by difficulty; it ignores the strong model's own failures.

Either way the same parameters give every known model's expected quality
(:meth:`IRTRouter.predict_quality`) and the score for any pair of known models
(:meth:`IRTRouter.score_pair`).

**One scale for every model** (``quality_folds`` > 1): each model's raw ``sigmoid(q_m)`` is on
the scale of the sources that graded it (MMLU-Pro correctness, a GPT-4 grade, the everyday
prior), so raw estimates of two models are not comparable. With ``quality_folds=k`` the fit
also trains ``k`` routers, each without one fold of the training prompts, scores every
held-out outcome with the router that did not see it (at the grading level of the outcome's
source, ``sigmoid(q_m + o_s)``: the source offsets, not the map, absorb how leniently each
source grades), and fits per model an isotonic map from that estimate to the probability of
an *acceptable* answer (a held-out outcome of at least
``acceptable``: a correct answer, a judge grade of 6/10 or more, an everyday-prior "answers
well"; :mod:`routellm_core.routers.quality_scale`). :meth:`IRTRouter.predict_quality` then
returns those probabilities, which the cost ladder compares across models; the two-model
score (``gain``/``weak-failure``) and its threshold table stay on the raw estimates.

Prediction is numpy only: embed, compute eight surface features, one small matrix product.
Training uses torch (imported lazily), single-threaded with a fixed seed, so a config gives
the same tensors on every run.

Example:
    >>> from routellm_core.records import OutcomeTable, TrainingData
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> table = OutcomeTable(["add 2 and 2", "prove the theorem"],
    ...                      {"big": [1.0, 1.0], "small": [1.0, 0.0]}, source="toy")
    >>> r = IRTRouter("big", "small", HashingEmbedder(32), epochs=50).fit(TrainingData(tables=[table]))
    >>> r.predict_win_rate(["prove the theorem"]).shape
    (1,)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, UnknownNameError, unknown_name
from ..scoring.embeddings import Embedder
from ..scoring.text_features import feature_names, text_features
from .base import EmbeddingRouter, check_prompts
from .quality_scale import QualityScale

if TYPE_CHECKING:
    from ..records import Battles, TrainingData

__all__ = ["IRTRouter", "Observations", "observations"]

_Y = {"model_a": 1.0, "tie": 0.5, "model_b": 0.0}
_SCORES = ("gain", "weak-failure")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Observations:
    """Training data as index arrays: pointwise outcomes (prompt, model, source, value, weight)
    and pairwise battles (prompt, model a, model b, label, weight)."""

    pi: np.ndarray
    mi: np.ndarray
    si: np.ndarray
    y: np.ndarray
    w: np.ndarray
    qi: np.ndarray
    ai: np.ndarray
    bi: np.ndarray
    y2: np.ndarray
    w2: np.ndarray


def observations(data: TrainingData, pos: dict[str, int], mpos: dict[str, int],
                 sources: Sequence[str]) -> Observations:
    """Index the training data for the IRT model (training and adaptation share this).

    Each prompt of a table counts the table's weight in total, shared by the models that
    answered it; each (source, prompt)'s battles share their weights the same way, so a prompt
    counts once per source however many models or battles it has.

    Raises:
        DataError: a battle weight that is negative or not finite.
    """
    src = {s: i for i, s in enumerate(sources)}
    pi: list[int] = []
    mi: list[int] = []
    si: list[int] = []
    y: list[float] = []
    w: list[float] = []
    for t in data.tables:
        names = t.models()
        if not names:
            continue
        arr = np.vstack([t.outcomes[m] for m in names])
        counts = (~np.isnan(arr)).sum(axis=0)
        for j, prompt in enumerate(t.prompts):
            if counts[j] == 0:
                continue
            for r, m in enumerate(names):
                v = arr[r, j]
                if np.isnan(v):
                    continue
                pi.append(pos[prompt])
                mi.append(mpos[m])
                si.append(src.get(t.source, 0))
                y.append(float(v))
                w.append(t.weight / counts[j])
    per_prompt = Counter((b.source, b.prompt) for b in data.battles)
    qi: list[int] = []
    ai: list[int] = []
    bi: list[int] = []
    y2: list[float] = []
    w2: list[float] = []
    for b in data.battles:
        if not np.isfinite(b.weight) or b.weight < 0:
            raise DataError(f"irt: battle weight must be a finite non-negative number, got {b.weight}")
        qi.append(pos[b.prompt])
        ai.append(mpos[b.model_a])
        bi.append(mpos[b.model_b])
        y2.append(_Y[b.winner])
        w2.append(b.weight / per_prompt[(b.source, b.prompt)])
    def ints(v: list[int]) -> np.ndarray:
        return np.asarray(v, dtype=np.int64)

    def floats(v: list[float]) -> np.ndarray:
        return np.asarray(v, dtype=np.float64)

    return Observations(ints(pi), ints(mi), ints(si), floats(y), floats(w),
                        ints(qi), ints(ai), ints(bi), floats(y2), floats(w2))


class IRTRouter(EmbeddingRouter):
    """Per-model quality from a latent prompt profile predicted from text.

    Args:
        strong_model, weak_model: the pair to route between (both must appear in training).
        embedder: prompt embedder (default: the package's default embedder).
        dim: size of the latent prompt profile ``z``.
        hidden: width of one ReLU hidden layer between the text and ``z`` (0: linear).
        epochs: full-batch Adam steps.
        lr: Adam learning rate.
        l2: L2 penalty on the text-to-profile weights (the main regulariser).
        model_l2: L2 penalty on model vectors and abilities.
        text_features: append the surface features of :mod:`routellm_core.scoring.text_features`:
            ``True`` (their ``"v1"`` variant), ``"script-aware"`` (the same features measured
            on the English scale in every script: Chinese and Japanese characters, full-width
            and Arabic question marks), or ``False``.
        linear_features: with ``hidden`` > 0, surface features that skip the hidden layer and
            move the profile linearly (``z = P relu(H [e, f_h] + c) + L f_l + p``): ``True`` for
            all of them, or a list of names from
            ``routellm_core.scoring.text_features.FEATURE_NAMES``. A linear feature shifts every
            model's expected quality in the same direction whatever the prompt's topic (a
            word problem with more numbers is harder, however it is worded); through the
            hidden layer a feature's effect can flip sign between regions of embedding space,
            and a new kind of traffic lands wherever the layer happens to extrapolate.
        score: ``"gain"`` or ``"weak-failure"`` (see the module docstring).
        seed: seeds the initialisation (and the folds of ``quality_folds``).
        quality_folds: 0 (raw per-model estimates), or the number of cross-fitting folds
            (at least 2) for the per-model quality scale (see the module docstring); the fit
            then trains ``quality_folds`` more routers.
        acceptable: an outcome on the tables' 0-1 scale counts as acceptable from this value on
            (0.5: a correct answer, a judge grade of 6/10 or more).
    """

    name = "irt"
    uses_tables = True

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        embedder: Embedder | None = None,
        *,
        dim: int = 8,
        hidden: int = 0,
        epochs: int = 300,
        lr: float = 0.02,
        l2: float = 1e-2,
        model_l2: float = 1e-4,
        text_features: bool | str = True,
        linear_features: bool | Sequence[str] = False,
        score: str = "gain",
        seed: int = 0,
        quality_folds: int = 0,
        acceptable: float = 0.5,
    ) -> None:
        super().__init__(strong_model, weak_model, embedder)
        self.dim = dim
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.l2 = l2
        self.model_l2 = model_l2
        self.text_features = text_features
        self.linear_features = (list(linear_features) if not isinstance(linear_features, bool)
                                else linear_features)
        self.score = score
        self.seed = seed
        self.quality_folds = quality_folds
        self.acceptable = acceptable

    # ---- training -----------------------------------------------------------------------------
    def _check_params(self) -> None:
        if int(self.hidden) < 0:
            raise DataError(f"irt: hidden must be 0 (linear) or a positive width, got {self.hidden}")
        if not isinstance(self.text_features, bool):
            feature_names(str(self.text_features))  # an unknown variant lists the valid ones
        if self.linear_features and not (self.hidden and self.text_features):
            raise DataError("irt: linear_features needs a hidden layer (hidden > 0) and "
                            "text_features=True; without a hidden layer every input is linear")
        if not isinstance(self.linear_features, bool):
            for name in self.linear_features:
                if name not in self._feature_names:
                    raise unknown_name("irt linear feature", str(name), self._feature_names)
        if self.score not in _SCORES:
            raise unknown_name("irt score", str(self.score), _SCORES)
        if int(self.dim) < 1 or int(self.epochs) < 1:
            raise DataError(f"irt: dim and epochs must be positive, got dim={self.dim}, "
                            f"epochs={self.epochs}")
        folds = self.quality_folds
        if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 0 \
                or folds == 1:
            raise DataError(f"irt: quality_folds must be 0 (raw estimates) or an integer >= 2, "
                            f"got {folds!r}")
        a = float(self.acceptable)
        if not 0.0 < a <= 1.0:
            raise DataError(f"irt: acceptable must be in (0, 1] (the 0-1 outcome scale), got {a}")
        for name in ("lr", "l2", "model_l2"):
            v = float(getattr(self, name))
            if not np.isfinite(v) or v < 0 or (name == "lr" and v == 0):
                raise DataError(f"irt: {name} must be a finite {'positive' if name == 'lr' else 'non-negative'} "
                                f"number, got {v}")

    def _fit(self, data: TrainingData | Battles) -> None:  # type: ignore[override]
        from ..records import Battles, TrainingData

        self._check_params()
        if isinstance(data, Battles):
            data = TrainingData(battles=data)
        prompts = data.prompts()
        pos = {p: i for i, p in enumerate(prompts)}
        models = data.models()
        for m in (self.strong_model, self.weak_model):
            if m not in models:
                raise unknown_name("model (not in the training data)", m, models)
        mpos = {m: i for i, m in enumerate(models)}
        sources = sorted({t.source for t in data.tables})

        obs = observations(data, pos, mpos, sources)
        if not len(obs.y) and not len(obs.y2):
            raise DataError("irt: the training data holds no outcome and no battle to learn from")

        x = self._features(prompts, fit=True)
        self._train_torch(x, obs.pi, obs.mi, obs.si, obs.y, obs.w, obs.qi, obs.ai, obs.bi,
                          obs.y2, obs.w2, len(models), len(sources))
        self.models_ = models
        self.sources_ = sources
        self.embedding_dim_ = int(x.shape[1] - (len(self._feature_names) if self.text_features
                                                 else 0))
        self.quality_scale_: QualityScale | None = None
        if self.quality_folds:
            self.quality_scale_ = self._cross_fit_scale(data)

    def _cross_fit_scale(self, data: TrainingData) -> QualityScale:
        """Per-model isotonic maps fitted on out-of-fold estimates (see the module docstring).

        The prompts are split into ``quality_folds`` folds (seeded); a router with the same
        hyperparameters trained without a fold scores that fold's outcomes in every table, for
        the models it learnt, at the level of the table's source (``sigmoid(q_m + o_s)``).
        Each held-out outcome is one pair (that estimate, acceptable or not).
        """
        prompts = data.prompts()
        k = int(self.quality_folds)
        order = np.random.default_rng(int(self.seed)).permutation(len(prompts))
        fold = np.empty(len(prompts), dtype=np.int64)
        fold[order] = np.arange(len(prompts)) % k
        fold_of = dict(zip(prompts, fold.tolist(), strict=True))
        params = {**self.get_params(), "quality_folds": 0}
        xs: dict[str, list[np.ndarray]] = {}
        ys: dict[str, list[np.ndarray]] = {}
        for j in range(k):
            def outside(p: str, j: int = j) -> bool:
                return fold_of[p] != j

            def inside(p: str, j: int = j) -> bool:
                return fold_of[p] == j

            # type(data): the data kit's TrainingData, without importing the kit here
            train = type(data)(data.battles.filter(lambda b: outside(b.prompt)),
                               [t.subset(outside) for t in data.tables])
            sub = type(self)(**params, embedder=self.embedder)
            try:
                sub.fit(train)
            except (DataError, UnknownNameError) as exc:
                raise DataError(f"irt: cannot cross-fit the quality scale ({k} folds): fold "
                                f"{j + 1} leaves too little to train on ({exc}); use fewer "
                                "quality_folds or more data") from None
            known = set(sub.models_)
            for t in data.tables:
                held = t.subset(inside)
                names = [m for m in held.models() if m in known]
                if not len(held) or not names:
                    continue
                # each held-out outcome is scored at the grading level of its source (the
                # source offset the fold router learnt), so the map corrects the model's own
                # estimate, not the level of the sources that happened to grade it; a new
                # prompt is then scored at the average level, as the raw estimate is
                offset = (float(sub.source_offsets_[sub.sources_.index(t.source)])
                          if t.source in sub.sources_ else 0.0)
                raw = _sigmoid(sub._logits(sub._prompt_features(held.prompts), names) + offset)
                for c, m in enumerate(names):
                    v = held.outcomes[m]
                    seen = ~np.isnan(v)
                    xs.setdefault(m, []).append(raw[seen, c])
                    ys.setdefault(m, []).append((v[seen] >= float(self.acceptable) - 1e-9)
                                                .astype(np.float64))
        if not xs:
            raise DataError("irt: quality_folds needs outcome tables (graded models) in the "
                            "training data; the battles alone give no probability of an "
                            "acceptable answer")
        return QualityScale.fit({m: (np.concatenate(xs[m]), np.concatenate(ys[m]))
                                 for m in sorted(xs)})


    @property
    def _feature_names(self) -> tuple[str, ...]:
        """The names of the surface features this router reads (``v1`` for ``True``)."""
        variant = self.text_features
        return feature_names("v1" if isinstance(variant, bool) else str(variant))

    def _features(self, prompts: Sequence[str], *, fit: bool = False) -> np.ndarray:
        emb = self.embed(prompts).astype(np.float64)
        if not self.text_features:
            return emb
        variant = "v1" if isinstance(self.text_features, bool) else str(self.text_features)
        f = text_features(prompts, variant).astype(np.float64)
        if fit:
            self.feature_mean_ = f.mean(axis=0)
            scale = f.std(axis=0)
            self.feature_scale_ = np.where(scale > 1e-6, scale, 1.0)
        return np.hstack([emb, (f - self.feature_mean_) / self.feature_scale_])

    def _train_torch(self, x: np.ndarray, pi: np.ndarray, mi: np.ndarray, si: np.ndarray,
                     y: np.ndarray, w: np.ndarray, qi: np.ndarray, ai: np.ndarray,
                     bi: np.ndarray, y2: np.ndarray, w2: np.ndarray, n_models: int,
                     n_sources: int) -> None:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # same summation order everywhere: reproducible weights
        try:
            g = torch.Generator().manual_seed(int(self.seed))
            k, width = int(self.dim), int(self.hidden)
            lin_cols = self._linear_columns(x.shape[1])
            n_lin = len(lin_cols)
            hid_cols = np.setdiff1d(np.arange(x.shape[1]), lin_cols)
            d = len(hid_cols)
            hid = torch.nn.Parameter(
                torch.randn(max(width, 1), d, generator=g, dtype=torch.float64) / d**0.5)
            hid_b = torch.nn.Parameter(torch.zeros(max(width, 1), dtype=torch.float64))
            proj = torch.nn.Parameter(
                torch.randn(k, width or d, generator=g, dtype=torch.float64) * 0.01)
            proj_b = torch.nn.Parameter(torch.zeros(k, dtype=torch.float64))
            vec = torch.nn.Parameter(torch.randn(n_models, k, generator=g, dtype=torch.float64) * 0.1)
            ability = torch.nn.Parameter(torch.zeros(n_models, dtype=torch.float64))
            offset = torch.nn.Parameter(torch.zeros(max(n_sources, 1), dtype=torch.float64))
            lin = torch.nn.Parameter(torch.zeros(k, max(n_lin, 1), dtype=torch.float64))
            params = ([proj, proj_b, vec, ability, offset] + ([hid, hid_b] if width else [])
                      + ([lin] if n_lin else []))
            opt = torch.optim.Adam(params, lr=float(self.lr))
            xt = torch.from_numpy(np.ascontiguousarray(x[:, hid_cols], dtype=np.float64))
            ft = torch.from_numpy(np.ascontiguousarray(x[:, lin_cols], dtype=np.float64))
            t_pi, t_mi, t_si = (torch.from_numpy(a.astype(np.int64)) for a in (pi, mi, si))
            t_y, t_w = torch.from_numpy(y.astype(np.float64)), torch.from_numpy(w.astype(np.float64))
            t_qi, t_ai, t_bi = (torch.from_numpy(a.astype(np.int64)) for a in (qi, ai, bi))
            t_y2, t_w2 = torch.from_numpy(y2.astype(np.float64)), torch.from_numpy(w2.astype(np.float64))
            total = float(w.sum() + w2.sum())
            bce = torch.nn.functional.binary_cross_entropy_with_logits
            for _ in range(int(self.epochs)):
                h = torch.relu(xt @ hid.T + hid_b) if width else xt
                z = h @ proj.T + proj_b + (ft @ lin.T if n_lin else 0.0)
                loss = torch.zeros((), dtype=torch.float64)
                if len(y):
                    centred = offset - offset.mean()
                    logit = ability[t_mi] + (vec[t_mi] * z[t_pi]).sum(1) + centred[t_si]
                    loss = loss + bce(logit, t_y, weight=t_w, reduction="sum")
                if len(y2):
                    diff = ability[t_ai] - ability[t_bi] + ((vec[t_ai] - vec[t_bi]) * z[t_qi]).sum(1)
                    loss = loss + bce(diff, t_y2, weight=t_w2, reduction="sum")
                penalty = ((proj ** 2).sum() + ((hid ** 2).sum() if width else 0.0)
                           + ((lin ** 2).sum() if n_lin else 0.0))
                loss = (loss / total + float(self.l2) * penalty
                        + float(self.model_l2) * ((vec ** 2).sum() + (ability ** 2).sum()))
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.projection_ = proj.detach().numpy().copy()
            if width:
                self.hidden_weight_ = hid.detach().numpy().copy()
                self.hidden_bias_ = hid_b.detach().numpy().copy()
            self.projection_bias_ = proj_b.detach().numpy().copy()
            if n_lin:
                self.feature_projection_ = lin.detach().numpy().copy()
            self.model_vectors_ = vec.detach().numpy().copy()
            self.model_bias_ = ability.detach().numpy().copy()
            off = offset.detach().numpy()
            self.source_offsets_ = (off - off.mean())[:n_sources].copy()
        finally:
            torch.set_num_threads(threads)

    # ---- prediction ---------------------------------------------------------------------------
    def _model_index(self, names: Sequence[str]) -> list[int]:
        idx = {m: i for i, m in enumerate(self.models_)}
        for m in names:
            if m not in idx:
                raise unknown_name("model", m, self.models_)
        return [idx[m] for m in names]

    @property
    def _split_features(self) -> bool:
        """Whether some surface features bypass the hidden layer (``linear_features``)."""
        return bool(self.linear_features and self.hidden and self.text_features)

    def _linear_columns(self, width: int) -> np.ndarray:
        """Columns of the input (embedding, then surface features) that act linearly."""
        if not self._split_features:
            return np.zeros(0, dtype=np.int64)
        all_names = self._feature_names
        chosen = all_names if isinstance(self.linear_features, bool) else self.linear_features
        names = [n for n in all_names if n in set(chosen)]
        start = width - len(all_names)
        return np.asarray([start + all_names.index(n) for n in names], dtype=np.int64)

    def split_input(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The input rows split into the hidden layer's columns and the linear features'
        (an empty second block without ``linear_features``)."""
        cols = self._linear_columns(x.shape[1])
        return np.delete(x, cols, axis=1), x[:, cols]

    def _logits(self, x: np.ndarray, names: Sequence[str]) -> np.ndarray:
        j = self._model_index(names)
        lin = 0.0
        if self._split_features:
            x, f = self.split_input(x)
            lin = f @ self.feature_projection_.T
        if self.hidden:
            x = np.maximum(x @ self.hidden_weight_.T + self.hidden_bias_, 0.0)
        z = x @ self.projection_.T + self.projection_bias_ + lin
        return self.model_bias_[j] + z @ self.model_vectors_[j].T

    def _prompt_features(self, prompts: list[str]) -> np.ndarray:
        x = self._features(prompts)
        want = (self.hidden_weight_ if self.hidden else self.projection_).shape[1]
        if self._split_features:
            want += self.feature_projection_.shape[1]
            if self.feature_projection_.shape[1] != len(self._linear_columns(x.shape[1])):
                raise DataError("irt router: its linear_features do not match its "
                                "feature_projection tensor; retrain it (routellm train)")
        if x.shape[1] != want:
            raise DataError(f"irt router expects {want} input features, got {x.shape[1]}: "
                            "use the embedder it was trained with")
        return x

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return self._gain(self._prompt_features(prompts), self.strong_model, self.weak_model)

    def _predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        if self.text_features:
            raise DataError("this irt router also reads the prompt's text (surface features); "
                            "score prompts with predict_win_rate(prompts) instead of embeddings")
        return self._gain(embeddings.astype(np.float64), self.strong_model, self.weak_model)

    def _gain(self, x: np.ndarray, strong: str, weak: str) -> np.ndarray:
        p = _sigmoid(self._logits(x, [strong, weak]))
        if self.score == "weak-failure":
            return 1.0 - p[:, 1]
        return (1.0 + p[:, 0] - p[:, 1]) / 2.0

    def predict_quality(self, prompts: Sequence[str], models: Sequence[str] | None = None,
                        *, raw: bool = False) -> np.ndarray:
        """Each model's predicted probability of answering each prompt well.

        With a quality scale (``quality_folds`` > 1 at training), the probability of an
        acceptable answer, on one scale for every model; else (or with ``raw=True``) the raw
        ``sigmoid(q_m)``, on the scale of the sources that graded each model.

        Args:
            prompts: the prompts.
            models: model names seen in training (default: all, in :attr:`models_` order).
            raw: skip the quality scale.

        Returns:
            A ``(len(prompts), len(models))`` float64 array of values in [0, 1].

        Raises:
            UnknownNameError: a model not seen in training (the message lists the known ones).
        """
        texts = check_prompts(prompts)
        self.check_is_fitted()
        names = list(self.models_) if models is None else list(models)
        q = _sigmoid(self._logits(self._prompt_features(texts), names))
        scale = getattr(self, "quality_scale_", None)
        if raw or scale is None:
            return q
        return scale.apply(q, names)

    def score_pair(self, prompts: Sequence[str], strong: str, weak: str) -> np.ndarray:
        """The routing score (:attr:`score`) for another pair of known models, per prompt."""
        texts = check_prompts(prompts)
        self.check_is_fitted()
        return self._gain(self._prompt_features(texts), strong, weak)

    # ---- what a pair's calibration is computed from (routers.pair) ----------------------------
    def model_logits(self, prompts: Sequence[str]) -> np.ndarray:
        """Every known model's logit ``q_m`` per prompt, ``(len(prompts), len(models_))``:
        :meth:`score_pair` of any pair follows from two columns
        (:meth:`pair_score_from_logits`), so a checkpoint stores these on its calibration
        prompts to calibrate any pair later (:mod:`routellm_core.routers.pair`)."""
        texts = check_prompts(prompts)
        self.check_is_fitted()
        return np.asarray(self._logits(self._prompt_features(texts), self.models_))

    def pair_score_from_logits(self, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
        """:meth:`score_pair` from the two models' columns of :meth:`model_logits`."""
        ps, pw = _sigmoid(np.asarray(strong, np.float64)), _sigmoid(np.asarray(weak, np.float64))
        if self.score == "weak-failure":
            return 1.0 - pw
        return (1.0 + ps - pw) / 2.0

    # ---- checkpoint ---------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"models": self.models_, "sources": self.sources_,
                "embedding_dim": self.embedding_dim_, "features": list(self._feature_names)}
        tensors = {
            "projection": self.projection_,
            "projection_bias": self.projection_bias_,
            "model_vectors": self.model_vectors_,
            "model_bias": self.model_bias_,
            "source_offsets": self.source_offsets_,
        }
        if self.hidden:
            tensors["hidden_weight"] = self.hidden_weight_
            tensors["hidden_bias"] = self.hidden_bias_
        if self.text_features:
            tensors["feature_mean"] = self.feature_mean_
            tensors["feature_scale"] = self.feature_scale_
        if self._split_features:
            tensors["feature_projection"] = self.feature_projection_
        scale = getattr(self, "quality_scale_", None)
        if scale is not None:
            meta["quality_scale_models"], scale_tensors = scale.to_state()
            tensors.update(scale_tensors)
        return meta, tensors

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        from ..errors import CheckpointError

        if self.text_features and list(meta.get("features") or []) != list(self._feature_names):
            raise CheckpointError(
                f"{path}: the irt router was trained with text features {meta.get('features')}, "
                f"this library computes {list(self._feature_names)}; retrain it (routellm train)"
            )
        self.models_ = [str(m) for m in meta["models"]]
        self.sources_ = [str(s) for s in meta.get("sources") or []]
        self.embedding_dim_ = int(meta["embedding_dim"])
        for name in ("projection", "projection_bias", "model_vectors", "model_bias", "source_offsets"):
            setattr(self, f"{name}_", np.asarray(tensors[name], dtype=np.float64))
        if self.hidden:
            self.hidden_weight_ = np.asarray(tensors["hidden_weight"], dtype=np.float64)
            self.hidden_bias_ = np.asarray(tensors["hidden_bias"], dtype=np.float64)
        if self.text_features:
            self.feature_mean_ = np.asarray(tensors["feature_mean"], dtype=np.float64)
            self.feature_scale_ = np.asarray(tensors["feature_scale"], dtype=np.float64)
        if self._split_features:
            if "feature_projection" not in tensors:
                raise CheckpointError(f"{path}: linear_features is set but the checkpoint has no "
                                      "feature_projection tensor; retrain it (routellm train)")
            self.feature_projection_ = np.asarray(tensors["feature_projection"], dtype=np.float64)
        # checkpoints of format version 1 (and routers trained without quality_folds) have no
        # quality scale: their estimates stay raw
        self.quality_scale_ = None
        if meta.get("quality_scale_models") is not None:
            self.quality_scale_ = QualityScale.from_state(meta["quality_scale_models"], tensors,
                                                          str(path))
        if self.model_vectors_.shape[0] != len(self.models_):
            raise CheckpointError(f"{path}: {self.model_vectors_.shape[0]} model vectors for "
                                  f"{len(self.models_)} models")
