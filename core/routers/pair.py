"""A router bound to another pair of the models it knows, with that pair's calibration.

A router is trained and calibrated for one pair (``strong_model`` vs ``weak_model``: GPT-4 vs
Mixtral for the shipped default), but routers with per-model estimates (IRT, MF and the
ensemble through its IRT member) score any two models they know (``score_pair``). Binding
makes such a router route for the pair the user actually wraps:

* :func:`bind_pair` returns a :class:`PairRouter` whose ``predict_win_rate`` is the router's
  ``score_pair(prompts, strong, weak)`` and whose ``calibration_`` is a table for that pair, so
  ``strong_fraction`` keeps its meaning (the share of the calibration prompts sent strong).
* The table needs no data at run time: when a calibration table is computed at training time
  (:func:`~routellm_core.training.runs.train_from_config`, ``routellm calibrate``), the
  checkpoint also stores every known model's logit on the same prompts
  (:func:`pair_calibration`: float16, ``pair_calibration_logits`` in ``tensors.safetensors``,
  the model order and a block version in ``config.json`` under ``"pair_calibration"``). Any
  pair's scores on those prompts, hence its table, follow from two columns.
* A checkpoint written before (no ``"pair_calibration"`` block, or a block version this
  library does not read) still loads and scores any pair, but cannot calibrate one: the bound
  router then has no table (``calibration_`` is ``None``), and the engine routes the default
  pair instead, saying so once in the log (:func:`routellm_core.routing.pairs.route_pair`).

Example:
    >>> from routellm_core.data.battles import OutcomeTable, TrainingData
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> from routellm_core.routers.irt import IRTRouter
    >>> t = OutcomeTable(["add 2 and 2", "prove it"], {"big": [1.0, 1.0], "mid": [1.0, 0.5],
    ...                  "small": [1.0, 0.0]}, source="toy")
    >>> r = IRTRouter("big", "small", HashingEmbedder(32), epochs=20).fit(TrainingData(tables=[t]))
    >>> r.pair_calibration_ = pair_calibration(r, ["add 2 and 2", "prove it"], "toy")
    >>> bound = bind_pair(r, "big", "mid")
    >>> bound.pair_, bound.calibration_["prompt_set"]
    (('big', 'mid'), 'toy')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RouteLLMError, unknown_name
from ._pair_state import (
    LOGITS_TENSOR,
    PAIR_CALIBRATION_VERSION,
    read_pair_calibration,
    write_pair_calibration,
)
from .base import Router, check_prompts

__all__ = [
    "PAIR_CALIBRATION_VERSION",
    "LOGITS_TENSOR",
    "PairRouter",
    "bind_pair",
    "knows_pair",
    "known_models",
    "pair_calibration",
    "pair_calibration_table",
    "write_pair_calibration",
    "read_pair_calibration",
]

logger = logging.getLogger(__name__)

def known_models(router: Router) -> list[str]:
    """The models a router scores pairs of (``models_``); empty for a router without
    per-model estimates (random, kNN, SW ranking, the classifiers)."""
    if not callable(getattr(router, "score_pair", None)):
        return []
    try:
        return [str(m) for m in getattr(router, "models_", [])]
    except RouteLLMError:  # an ensemble without a member that has per-model estimates
        return []


def knows_pair(router: Router, strong: str, weak: str) -> bool:
    """Whether ``router`` can score ``strong`` vs ``weak`` (both known, two different models)."""
    known = set(known_models(router))
    return strong != weak and strong in known and weak in known


# ---- what a checkpoint stores ------------------------------------------------------------------
def pair_calibration(router: Router, prompts: Sequence[str], prompt_set: str
                     ) -> dict[str, Any] | None:
    """Every known model's logit on the calibration prompts, to store with the checkpoint.

    Returns:
        ``{"version", "prompt_set", "models", "logits"}`` (``logits``: float16, ``(n prompts,
        n models)``), or ``None`` for a router without per-model logits (``model_logits``).
    """
    logits_of = getattr(router, "model_logits", None)
    models = known_models(router)
    if not callable(logits_of) or not models:
        return None
    logits = np.asarray(logits_of(list(prompts)), dtype=np.float64)
    if logits.shape != (len(prompts), len(models)):
        raise RouteLLMError(f"{router.name}: model_logits gave shape {logits.shape} for "
                            f"{len(prompts)} prompts and {len(models)} models")
    return {"version": PAIR_CALIBRATION_VERSION, "prompt_set": str(prompt_set),
            "models": models, "logits": logits.astype(np.float16)}


def pair_calibration_table(router: Router, strong: str, weak: str) -> dict[str, Any] | None:
    """The calibration table of ``strong`` vs ``weak``, from the stored logits; ``None`` when
    the router stores none, or not for both models."""
    from ..scoring.calibration import calibration_table

    cal = getattr(router, "pair_calibration_", None)
    from_logits = getattr(router, "pair_score_from_logits", None)
    if not cal or not callable(from_logits):
        return None
    idx = {m: i for i, m in enumerate(cal["models"])}
    if strong not in idx or weak not in idx:
        return None
    logits = np.asarray(cal["logits"], dtype=np.float64)
    scores = np.asarray(from_logits(logits[:, idx[strong]], logits[:, idx[weak]]))
    table = calibration_table(router, [], str(cal.get("prompt_set", "")), scores=scores)
    table["pair"] = [strong, weak]
    return table


# ---- the bound router ---------------------------------------------------------------------------
class PairRouter(Router):
    """A router scoring another pair of its known models (made by :func:`bind_pair`).

    ``predict_win_rate`` is the inner router's ``score_pair(prompts, strong, weak)``;
    ``calibration_`` is that pair's table (``None`` when the checkpoint stores no pair
    calibration). The binding is a run-time view: it has no checkpoint of its own
    (``save`` writes the inner router).

    Args:
        router: a fitted router with per-model estimates.
        strong, weak: two of its known models (``router.models_``).

    Attributes:
        router: the inner router.
        pair_: ``(strong, weak)``, the pair scored.
        calibration_: the pair's calibration table, or ``None``.
    """

    needs_fit = False

    def __init__(self, router: Router, strong: str, weak: str) -> None:
        super().__init__(strong, weak)
        self.router = router
        self.pair_ = (strong, weak)
        self.is_fitted_ = True

    @property  # type: ignore[misc]  # the inner router's name, in decisions and logs
    def name(self) -> str:  # type: ignore[override]
        return self.router.name

    def __repr__(self) -> str:
        return f"PairRouter({self.router!r}, {self.pair_[0]!r}, {self.pair_[1]!r})"

    @property
    def models_(self) -> list[str]:
        return known_models(self.router)

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return np.asarray(self.router.score_pair(prompts, *self.pair_))  # type: ignore[attr-defined]

    def score_pair(self, prompts: Sequence[str], strong: str, weak: str) -> np.ndarray:
        return np.asarray(self.router.score_pair(check_prompts(prompts), strong, weak))  # type: ignore[attr-defined]

    def save(self, path: Any) -> Path:
        """Save the inner router (a binding is chosen at run time, not stored)."""
        return self.router.save(path)


def bind_pair(router: Router, strong: str, weak: str, *, calibrate: bool = True) -> Router:
    """``router`` routing ``strong`` vs ``weak`` (two of its known models).

    Args:
        router: a fitted router with per-model estimates (``score_pair``, ``models_``); a
            :class:`PairRouter` is rebound from its inner router.
        strong, weak: the pair, as the router names them (``router.models_``; the user's API
            names are mapped to these by :func:`routellm_core.routing.pairs.resolve_model`).
        calibrate: compute the pair's calibration table from the checkpoint's stored logits
            (``False``: scores only, ``calibration_`` is ``None``).

    Returns:
        ``router`` itself for its own pair (its score and table stay as trained: for the
        ensemble, the blend), else a :class:`PairRouter`.

    Raises:
        UnknownNameError: a model the router does not know (the message lists those it knows),
            or a router with no per-model estimates.
        RouteLLMError: the same model twice.
    """
    inner = router.router if isinstance(router, PairRouter) else router
    if strong == weak:
        raise RouteLLMError(f"a pair needs two different models, got {strong!r} twice")
    if (strong, weak) == (inner.strong_model, inner.weak_model):
        return inner
    known = known_models(inner)
    if not known:
        raise RouteLLMError(f"router {inner.name!r} has no per-model estimates, so it scores "
                            f"only its own pair ({inner.strong_model} vs {inner.weak_model})")
    for m in (strong, weak):
        if m not in known:
            raise unknown_name(f"model of router {inner.name!r}", m, known)
    bound = PairRouter(inner, strong, weak)
    bound.calibration_ = pair_calibration_table(inner, strong, weak) if calibrate else None
    return bound
