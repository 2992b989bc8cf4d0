"""Ensemble router (``ensemble``): a weighted blend of other routers' standardised scores.

Routers trained on different signals fail in different places: the IRT router reads dense
per-model outcomes and the everyday prior, matrix factorization reads who-beat-whom among a
few models. A blend of their scores, each standardised on the training prompts (``z = (s -
mean) / std``), with weights chosen on validation data, keeps what each ranks well. The
ensemble's score is ``sigmoid(sum_i w_i z_i)``: a ranking, calibrated to a strong fraction like
every other router's.

Members are given as small configs (``{"router": "irt", "params": {...}, "embedder":
"static"}``) and trained by :meth:`EnsembleRouter.fit` on the same training data; a member that
learns from battles sees the outcome tables expanded into battles among ``battle_models`` only
(all 31 MMLU-Pro models would be 2.4 million battles). A checkpoint holds each member's own
checkpoint in ``members/<i>/``.

Example:
    >>> from routellm_core.records import OutcomeTable, TrainingData
    >>> t = OutcomeTable(["add 2 and 2", "prove it"], {"big": [1, 1], "small": [1, 0]})
    >>> r = EnsembleRouter("big", "small", members=[
    ...     {"router": "irt", "embedder": "hashing-32", "params": {"epochs": 20}},
    ...     {"router": "mf", "embedder": "hashing-32", "params": {"epochs": 2}}],
    ...     weights=[0.5, 0.5]).fit(TrainingData(tables=[t]))
    >>> r.predict_win_rate(["prove it"]).shape
    (1,)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import CheckpointError, DataError
from .base import EmbeddingRouter, Router, check_prompts

if TYPE_CHECKING:
    from ..records import Battles, TrainingData

__all__ = ["EnsembleRouter"]

_MEMBER_KEYS = {"router", "params", "embedder", "battle_models"}


class EnsembleRouter(Router):
    """A weighted blend of member routers' standardised scores.

    Args:
        strong_model, weak_model: the pair to route between (passed to every member).
        members: one config per member: ``router`` (a registry name), ``params`` (its
            constructor arguments), ``embedder`` (``"static"``, ``"local"`` or
            ``"hashing-<dim>"``, for embedding routers) and, for members that learn from
            battles, ``battle_models`` (the models whose outcomes become battles, spelled as
            after aliasing; the routed pair is always added).
        weights: one weight per member (any real numbers; only their ratios matter).
    """

    name = "ensemble"
    uses_tables = True

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        *,
        members: Sequence[dict[str, Any]] = (),
        weights: Sequence[float] = (),
    ) -> None:
        super().__init__(strong_model, weak_model)
        self.members = [dict(m) for m in members]
        self.weights = [float(w) for w in weights]

    def _check(self) -> None:
        if not self.members:
            raise DataError("ensemble: give at least one member router config")
        if len(self.weights) != len(self.members):
            raise DataError(f"ensemble: {len(self.weights)} weights for {len(self.members)} "
                            "members; give one weight per member")
        if not all(np.isfinite(self.weights)) or not any(self.weights):
            raise DataError(f"ensemble: weights must be finite and not all zero, got {self.weights}")
        for i, m in enumerate(self.members):
            bad = set(m) - _MEMBER_KEYS
            if bad or "router" not in m:
                raise DataError(f"ensemble member {i}: needs 'router'; valid keys: "
                                f"{sorted(_MEMBER_KEYS)}" + (f" (unknown: {sorted(bad)})" if bad else ""))

    def _build_member(self, spec: dict[str, Any]) -> Router:
        from . import get_router_class

        klass = get_router_class(str(spec["router"]))
        params = dict(spec.get("params") or {})
        try:
            if issubclass(klass, EmbeddingRouter):
                from ..scoring.embeddings import embedder_from_spec

                emb = embedder_from_spec(str(spec.get("embedder", "static")))
                return klass(self.strong_model, self.weak_model, emb, **params)  # type: ignore[call-arg]
            return klass(self.strong_model, self.weak_model, **params)  # type: ignore[call-arg]
        except TypeError as exc:
            raise DataError(f"ensemble member {spec['router']!r}: bad params ({exc})") from None

    def _fit(self, data: TrainingData | Battles) -> None:  # type: ignore[override]
        from ..records import Battles, TrainingData

        self._check()
        if isinstance(data, Battles):
            data = TrainingData(battles=data)
        fitted: list[Router] = []
        for spec in self.members:
            member = self._build_member(spec)
            if member.uses_tables:
                member.fit(data)
            else:
                keep = spec.get("battle_models")
                if keep is not None:  # the routed pair always counts
                    keep = [*keep, self.strong_model, self.weak_model]
                extra = Battles([b for t in data.tables
                                 for b in t.to_battles(
                                     models=None if keep is None
                                     else sorted({m for m in keep if m in t.outcomes}))])
                member.fit(Battles([*data.battles, *extra]))
            fitted.append(member)
        self.members_ = fitted
        self._share_embedders()
        prompts = data.prompts()
        raw = np.vstack([m.predict_win_rate(prompts) for m in fitted])
        self.score_mean_ = raw.mean(axis=1)
        std = raw.std(axis=1)
        self.score_scale_ = np.where(std > 1e-12, std, 1.0)

    def _share_embedders(self) -> None:
        """Members on the same embedder use one instance, so a prompt is embedded once per
        request (the static embedder remembers its last small call)."""
        shared: dict[tuple[Any, ...], Any] = {}
        for m in self.members_:
            emb = getattr(m, "embedder", None)
            if emb is None or not getattr(emb, "model_id", None):
                continue
            key = (type(emb), emb.model_id, getattr(emb, "max_tokens", None),
                   getattr(emb, "head_tokens", None))
            m.embedder = shared.setdefault(key, emb)  # type: ignore[attr-defined]

    def _predict(self, prompts: list[str]) -> np.ndarray:
        raw = np.vstack([m.predict_win_rate(prompts) for m in self.members_])
        z = (raw - self.score_mean_[:, None]) / self.score_scale_[:, None]
        blend = np.asarray(self.weights, dtype=np.float64) @ z
        return 1.0 / (1.0 + np.exp(-blend))

    # ---- per-model estimates come from the first member that has them (the ladder) ---------
    def _quality_member(self) -> Any:
        self.check_is_fitted()
        for m in self.members_:
            if hasattr(m, "predict_quality"):
                return m
        raise DataError("no member of this ensemble predicts per-model quality (add an irt member)")

    @property
    def models_(self) -> list[str]:
        return list(self._quality_member().models_)

    @property
    def quality_scale_(self) -> Any:
        """The per-model quality scale of the member that predicts quality (``None`` when it
        has none), so a blend reads like its IRT member to the ladder."""
        return getattr(self._quality_member(), "quality_scale_", None)

    def predict_quality(self, prompts: Sequence[str], models: Sequence[str] | None = None,
                        *, raw: bool = False) -> np.ndarray:
        """Per-model quality from the first member that predicts it (the IRT member);
        ``raw=True`` skips that member's quality scale."""
        member = self._quality_member()
        if raw:
            return np.asarray(member.predict_quality(prompts, models, raw=True))
        return np.asarray(member.predict_quality(prompts, models))

    def score_pair(self, prompts: Sequence[str], strong: str, weak: str) -> np.ndarray:
        """The score for another pair: the blend when it is the routed pair, else the pair
        score of the first member that has one."""
        texts = check_prompts(prompts)
        if (strong, weak) == (self.strong_model, self.weak_model):
            return self.predict_win_rate(texts)
        return np.asarray(self._quality_member().score_pair(texts, strong, weak))

    def model_logits(self, prompts: Sequence[str]) -> np.ndarray:
        """The quality member's per-model logits (what :meth:`score_pair` of a pair other
        than the routed one is computed from; :mod:`routellm_core.routers.pair`)."""
        return np.asarray(self._quality_member().model_logits(check_prompts(prompts)))

    def pair_score_from_logits(self, strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
        """The quality member's pair score from two columns of :meth:`model_logits`."""
        return np.asarray(self._quality_member().pair_score_from_logits(strong, weak))

    # ---- checkpoint ---------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return ({"n_members": len(self.members_)},
                {"score_mean": self.score_mean_, "score_scale": self.score_scale_})

    def _save_extra(self, path: Path) -> None:
        for i, m in enumerate(self.members_):
            m.save(path / "members" / str(i))

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        n = int(meta.get("n_members", 0))
        if n != len(self.members):
            raise CheckpointError(f"{path}: {n} member checkpoints for {len(self.members)} "
                                  "member configs")
        loaded = []
        for i in range(n):
            sub = path / "members" / str(i)
            if not sub.is_dir():
                raise CheckpointError(f"{sub} is missing: the ensemble checkpoint is incomplete")
            loaded.append(Router.load(sub))
        self.members_ = loaded
        self._share_embedders()
        self.score_mean_ = np.asarray(tensors["score_mean"], dtype=np.float64)
        self.score_scale_ = np.asarray(tensors["score_scale"], dtype=np.float64)
