"""Routing among more than two models: a cost ladder with one quality knob.

A *ladder* is a set of models with prices. For each prompt a router that knows every model
(a :class:`QualityRouter`, such as the ``irt`` router) estimates each candidate's quality,
and one knob picks the model:

* ``tolerance`` (default :data:`DEFAULT_TOLERANCE`): how much lower, as a share, a cheaper
  model's estimate may be than the best candidate's. The cheapest model whose estimate is at
  least ``(1 - tolerance)`` times the best estimate is chosen. With estimates that are
  probabilities of an acceptable answer, 0.1 reads "accept a model at most 10 % less likely to
  answer acceptably than the best one". 0: the model estimated best; 1: always the cheapest;
* ``cost_weight``: the model maximising ``estimate - cost_weight * cost / top cost``, the cost
  of a call relative to the dearest candidate's on the same prompt.

The tolerance compares every model's estimate with a bar set by the best one, so the
estimates must be on one scale: an ``irt`` router trained with ``quality_folds`` (the default
of ``routellm train --router irt``) gives each model's probability of an acceptable answer,
calibrated per model on held-out outcomes (:mod:`routellm_core.routers.quality_scale`); an older router gives raw
estimates, each on the scale of the sources that graded that model.

The knob can be calibrated to a target average cost per call on calibration prompts
(:meth:`Ladder.calibrate`), as ``strong_fraction`` is calibrated for two models. A two-model
router (``predict_win_rate``) is the two-model case: its estimates are ``P(strong wins)`` for
the strong model and ``1 - P`` for the weak one, so the strong model is chosen when ``P``
exceeds ``1 / (2 - tolerance)`` (0.5 at 0, 1 at 1).

Models the router does not know are mapped by the user to a known model they resemble
(``aliases={"my-llama-finetune": "Meta-Llama-3_1-70B-Instruct"}``), or rejected with the list
of known names.

Example:
    >>> import numpy as np
    >>> q = np.array([[0.90, 0.85, 0.20],    # the mid model is good enough: pick it
    ...               [0.90, 0.40, 0.10]])   # only the top model will do
    >>> costs = np.array([10.0, 1.0, 0.1])
    >>> choose(q, costs, tolerance=0.1).tolist()    # the bar: 0.9 * 0.90 = 0.81
    [1, 0]
    >>> choose(q, costs, tolerance=0.05).tolist()   # the bar: 0.95 * 0.90 = 0.855
    [0, 0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..costs import PriceTable, count_tokens, parse_price
from ..errors import ConfigError, DataError, UnknownNameError

__all__ = [
    "KNOBS",
    "DEFAULT_TOLERANCE",
    "DEFAULT_OUTPUT_TOKENS",
    "QualityRouter",
    "known_models",
    "quality_estimator",
    "resolve_aliases",
    "choose",
    "average_cost",
    "calibrate_knob",
    "LadderChoice",
    "Ladder",
]

#: the two knobs of the policy
KNOBS = ("tolerance", "cost_weight")
#: the default knob: a model at most 10 % less likely to answer acceptably than the best one
#: (chosen on the difficulty check, a validation set: docs/results.md, "Cost ladder")
DEFAULT_TOLERANCE = 0.1
#: answer length assumed when pricing a call before it is made (tokens)
DEFAULT_OUTPUT_TOKENS = 256


@runtime_checkable
class QualityRouter(Protocol):
    """A router that estimates, per prompt, each known model's quality.

    ``predict_quality(prompts, models)`` returns a ``(len(prompts), len(models))`` array of
    values in [0, 1], ideally each model's probability of an acceptable answer, on one scale
    for every model;
    ``models_`` lists the model names it knows. ``IRTRouter`` (``routellm_core.routers.irt``)
    satisfies it.
    """

    models_: list[str]

    def predict_quality(self, prompts: Sequence[str], models: Sequence[str] | None = None
                        ) -> np.ndarray: ...


Estimator = Callable[[list[str], list[str]], np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def known_models(router: Any) -> list[str]:
    """The model names ``router`` can estimate: ``models_`` of a router that knows many
    models, else its strong and weak model (the two-model case)."""
    if isinstance(router, QualityRouter) or _is_mf(router):
        return list(router.models_)
    return [router.strong_model, router.weak_model]


def _is_mf(router: Any) -> bool:
    return (getattr(router, "name", None) == "mf" and hasattr(router, "model_vectors_")
            and hasattr(router, "models_"))


def quality_estimator(router: Any) -> Estimator:
    """A function ``(prompts, models) -> (n, k)`` quality estimates for ``router``.

    * a :class:`QualityRouter` (``irt``): its ``predict_quality``;
    * the ``mf`` router: ``sigmoid(s(m, q) - mean_k s(k, q))`` from its per-model vectors
      (the win probability of ``m`` against the average known model);
    * any other router (two models): ``P(strong wins)`` for the strong model and
      ``1 - P`` for the weak one.
    """
    if isinstance(router, QualityRouter):
        return lambda prompts, models: np.asarray(router.predict_quality(prompts, models),
                                                  dtype=np.float64)
    if _is_mf(router):
        def mf(prompts: list[str], models: list[str]) -> np.ndarray:
            idx = {m: i for i, m in enumerate(router.models_)}
            z = router.embed(prompts).astype(np.float64) @ router.projection_.T.astype(
                np.float64) + router.projection_bias_
            s = (z[:, None, :] * router.model_vectors_[None, :, :]) @ router.classifier_
            ref = s.mean(axis=1, keepdims=True)
            return _sigmoid(s[:, [idx[m] for m in models]] - ref)
        return mf

    def pair(prompts: list[str], models: list[str]) -> np.ndarray:
        p = np.asarray(router.predict_win_rate(prompts), dtype=np.float64)
        cols = {router.strong_model: p, router.weak_model: 1.0 - p}
        return np.stack([cols[m] for m in models], axis=1)
    return pair


def resolve_aliases(models: Sequence[str], known: Sequence[str],
                    aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map each ladder model to a model the router knows.

    Args:
        models: the ladder's model names.
        known: the router's model names.
        aliases: ``{ladder name: known name}`` for models the router does not know.

    Returns:
        ``{ladder name: known name}`` for every model.

    Raises:
        UnknownNameError: a model is neither known nor mapped, or maps to an unknown name; the
            message lists the known names and how to map.
    """
    aliases = dict(aliases or {})
    known_set = set(known)
    listing = ", ".join(sorted(known_set))
    for name, target in aliases.items():
        if target not in known_set:
            raise UnknownNameError(
                f"alias {name!r} -> {target!r}: the router does not know {target!r}; map "
                f"{name!r} to one of the models it knows: {listing}")
    out: dict[str, str] = {}
    for m in models:
        if m in aliases:
            out[m] = aliases[m]
        elif m in known_set:
            out[m] = m
        else:
            raise UnknownNameError(
                f"the router knows no model {m!r}; map it to a known model it resembles, e.g. "
                f"aliases={{{m!r}: {sorted(known_set)[0]!r}}}. Known models: {listing}")
    return out


def _costs_2d(costs: np.ndarray, n: int) -> np.ndarray:
    c = np.asarray(costs, dtype=np.float64)
    if c.ndim == 1:
        c = np.broadcast_to(c, (n, c.shape[0]))
    return c


def choose(estimates: np.ndarray, costs: np.ndarray | Sequence[float], *,
           tolerance: float | None = None, cost_weight: float | None = None) -> np.ndarray:
    """The chosen model (column index) per prompt.

    Args:
        estimates: ``(n, k)`` quality estimates.
        costs: ``(k,)`` or ``(n, k)`` cost of each model's call.
        tolerance: pick the cheapest model whose estimate is at least ``(1 - tolerance)``
            times the best estimate.
        cost_weight: pick ``argmax(estimate - cost_weight * cost / max cost)``.
            Give exactly one of the two.

    Returns:
        An int array of ``n`` column indices. Equal costs are broken by the higher estimate.

    Example:
        >>> choose(np.array([[0.9, 0.5]]), [1.0, 0.1], cost_weight=0.2).tolist()
        [0]
    """
    q = np.asarray(estimates, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] == 0:
        raise DataError(f"estimates must be an (n_prompts, n_models) array, got shape {q.shape}")
    c = _costs_2d(np.asarray(costs), q.shape[0])
    if (tolerance is None) == (cost_weight is None):
        raise ConfigError("give exactly one knob: tolerance= or cost_weight=")
    if tolerance is not None:
        # a bar proportional to the best estimate: on a prompt every model answers well it is
        # nearly absolute (1 - tolerance); on one beyond every model it still lets a cheaper
        # model of nearly the same estimate win
        ok = q >= (1.0 - float(tolerance)) * q.max(axis=1, keepdims=True) - 1e-12
        # cheapest adequate model; among equal costs the better estimate
        key = np.where(ok, c - 1e-9 * q, np.inf)
        return np.argmin(key, axis=1)
    top = np.maximum(c.max(axis=1, keepdims=True), 1e-300)
    utility = q - float(cost_weight) * c / top  # type: ignore[arg-type]
    return np.argmax(utility - 1e-12 * c / top, axis=1)


def average_cost(estimates: np.ndarray, costs: np.ndarray | Sequence[float], knob: str,
                 value: float) -> float:
    """The mean cost per call of the choices :func:`choose` makes with ``knob=value``."""
    q = np.asarray(estimates, dtype=np.float64)
    c = _costs_2d(np.asarray(costs), q.shape[0])
    idx = choose(q, c, **{knob: value})
    return float(c[np.arange(len(idx)), idx].mean())


def _check_knob(knob: str) -> str:
    if knob not in KNOBS:
        raise UnknownNameError(f"unknown knob {knob!r}; valid knobs: {', '.join(KNOBS)}")
    return knob


def calibrate_knob(estimates: np.ndarray, costs: np.ndarray | Sequence[float],
                   target_cost: float, knob: str = "tolerance") -> float:
    """The knob value whose average cost per call on these prompts is closest to
    ``target_cost``.

    The average cost falls step by step as either knob grows, one prompt moving to a cheaper
    model at each step, so a bisection lands within one prompt's price change of the target
    (closer when the target is between two steps). A target outside the reachable range
    (from "always the cheapest" to "always the best estimate") gives the nearest end: a
    target of 0 (or any below the cheapest model's cost) always picks the cheapest model.

    Raises:
        DataError: the target is negative or not a number.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> q, costs = rng.random((200, 3)), np.array([10.0, 1.0, 0.1])
        >>> t = calibrate_knob(q, costs, target_cost=2.0)  # reachable: 0.1 to 3.8 per call
        >>> abs(average_cost(q, costs, "tolerance", t) - 2.0) <= 10.0 / 200
        True
    """
    _check_knob(knob)
    try:
        target = float(target_cost)
    except (TypeError, ValueError):
        raise DataError(f"target_cost must be a number (USD per call), got {target_cost!r}") from None
    if not target >= 0 or math.isinf(target):
        raise DataError(f"target_cost must be a non-negative number (USD per call), got "
                        f"{target_cost!r}")
    q = np.asarray(estimates, dtype=np.float64)
    if q.ndim != 2 or q.shape[0] == 0:
        raise DataError("cannot calibrate on an empty prompt set")
    c = _costs_2d(np.asarray(costs), q.shape[0])

    def cost(v: float) -> float:
        return average_cost(q, c, knob, v)

    lo, hi = 0.0, 1.0 + 1e-9
    if knob == "cost_weight":
        floor = float(c.min(axis=1).mean())
        while cost(hi) > floor + 1e-15 and hi < 1e9:
            hi *= 2.0
    if cost(lo) <= target:
        return lo
    if cost(hi) > target:
        return hi
    for _ in range(100):  # cost(lo) > target >= cost(hi)
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):
            break
        if cost(mid) > target:
            lo = mid
        else:
            hi = mid
    return lo if abs(cost(lo) - target) < abs(cost(hi) - target) else hi


@dataclass(frozen=True)
class LadderChoice:
    """One prompt's choice: the model, the knob, and every candidate's estimate."""

    model: str
    estimates: dict[str, float]
    costs: dict[str, float]
    knob: str
    value: float


class Ladder:
    """Models with prices, a router that estimates each one's quality, and one knob.

    Args:
        router: a fitted router: a :class:`QualityRouter` (``irt``), an ``mf`` router, or any
            two-model router (then the ladder is its strong and weak model).
        models: the ladder's model names (any order; the ladder sorts them by price).
        prices: ``{model: (input, output)}`` USD per million tokens (or one number for both)
            for every model.
        aliases: ``{model: known model}`` for models the router does not know.
        tolerance, cost_weight: the knob (at most one; default
            ``tolerance=DEFAULT_TOLERANCE``).
        output_tokens: the answer length assumed when pricing a call before making it.

    Raises:
        ConfigError: fewer than two models, a model listed twice, both knobs, or a negative knob.
        DataError: a model without a price (the message lists them).
        UnknownNameError: a model the router does not know and that is not mapped.

    Example:
        >>> from routellm_core.routers.random import RandomRouter
        >>> lad = Ladder(RandomRouter("big", "small"), ["big", "small"],
        ...              {"big": (10, 30), "small": (0.5, 1.5)}, tolerance=0.2)
        >>> lad.models
        ['small', 'big']
        >>> lad.choose_one("hello").model in lad.models
        True
    """

    def __init__(
        self,
        router: Any,
        models: Sequence[str],
        prices: Mapping[str, Any] | PriceTable | None,
        *,
        aliases: Mapping[str, str] | None = None,
        tolerance: float | None = None,
        cost_weight: float | None = None,
        output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    ) -> None:
        names = list(models)
        if isinstance(models, str) or not names:
            raise ConfigError("the ladder is empty: pass models=[...] with at least two models "
                              "(with one model there is nothing to route)")
        if len(names) == 1:
            raise ConfigError(f"a one-model ladder ({names[0]!r}) routes nothing: add a cheaper "
                              "or a stronger model, or call that model directly")
        dupes = sorted({m for m in names if names.count(m) > 1})
        if dupes:
            raise ConfigError(f"models listed twice: {', '.join(dupes)}")
        table = prices.prices if isinstance(prices, PriceTable) else dict(prices or {})
        missing = [m for m in names if m not in table]
        if missing:
            raise DataError(
                f"no price for {', '.join(map(repr, missing))}: pass prices={{model: (input, "
                "output)} in USD per million tokens for every model of the ladder")
        self.prices = {m: parse_price(table[m], m) for m in names}
        self.output_tokens = int(output_tokens)
        if self.output_tokens < 0:
            raise ConfigError(f"output_tokens must be >= 0, got {output_tokens!r}")
        self.router = router
        self.aliases = resolve_aliases(names, known_models(router), aliases)
        # cheapest first (price of a 500-token prompt with the assumed answer)
        self.models = sorted(names, key=lambda m: (self.prices[m].cost(500, self.output_tokens), m))
        self._estimate = quality_estimator(router)
        self.knob, self.value = "tolerance", DEFAULT_TOLERANCE
        self.set_knob(tolerance=tolerance, cost_weight=cost_weight)
        self.target_cost: float | None = None

    # ---- knob ---------------------------------------------------------------------------------
    def set_knob(self, *, tolerance: float | None = None, cost_weight: float | None = None) -> None:
        """Set the knob (one of the two; with neither, nothing changes)."""
        if tolerance is not None and cost_weight is not None:
            raise ConfigError("give tolerance= or cost_weight=, not both")
        for knob, v in (("tolerance", tolerance), ("cost_weight", cost_weight)):
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0 or math.isinf(v):
                raise ConfigError(f"{knob} must be a non-negative number, got {v!r}")
            self.knob, self.value = knob, float(v)

    # ---- estimates and costs ------------------------------------------------------------------
    def estimates(self, prompts: Sequence[str]) -> np.ndarray:
        """``(n, k)`` quality estimates, columns in :attr:`models` order (cheapest first)."""
        texts = list(prompts)
        if not texts:
            raise DataError("empty prompt list: pass at least one prompt")
        return self._estimate(texts, [self.aliases[m] for m in self.models])

    def call_costs(self, prompts: Sequence[str]) -> np.ndarray:
        """``(n, k)`` price of each call: the prompt's tokens plus :attr:`output_tokens`."""
        tokens = np.asarray([count_tokens(p) for p in prompts], dtype=np.float64)
        pin = np.asarray([self.prices[m].input for m in self.models])
        pout = np.asarray([self.prices[m].output for m in self.models])
        return (tokens[:, None] * pin[None, :] + self.output_tokens * pout[None, :]) / 1e6

    def choose(self, prompts: Sequence[str]) -> list[str]:
        """The chosen model for each prompt."""
        idx = choose(self.estimates(prompts), self.call_costs(prompts), **{self.knob: self.value})
        return [self.models[i] for i in idx]

    def choose_one(self, prompt: str) -> LadderChoice:
        """The choice for one prompt, with every candidate's estimate and call cost."""
        q = self.estimates([prompt])
        c = self.call_costs([prompt])
        i = int(choose(q, c, **{self.knob: self.value})[0])
        return LadderChoice(self.models[i],
                            {m: float(q[0, j]) for j, m in enumerate(self.models)},
                            {m: float(c[0, j]) for j, m in enumerate(self.models)},
                            self.knob, self.value)

    def next_up(self, model: str) -> str | None:
        """The next dearer model of the ladder (``None`` for the top one)."""
        i = self.models.index(model)
        return self.models[i + 1] if i + 1 < len(self.models) else None

    # ---- calibration --------------------------------------------------------------------------
    def calibrate(self, prompts: Sequence[str], target_cost: float, knob: str | None = None
                  ) -> float:
        """Set the knob so that the average cost per call on ``prompts`` is closest to
        ``target_cost`` (USD per call); returns the knob's value.

        Args:
            prompts: calibration prompts, representative of the traffic.
            target_cost: the wanted average cost per call, in USD.
            knob: ``"tolerance"`` or ``"cost_weight"`` (default: the current knob).
        """
        knob = _check_knob(knob or self.knob)
        texts = list(prompts)
        value = calibrate_knob(self.estimates(texts), self.call_costs(texts), target_cost, knob)
        self.knob, self.value = knob, value
        self.target_cost = float(target_cost)
        return value

    def __repr__(self) -> str:
        return (f"Ladder(models={self.models!r}, router={getattr(self.router, 'name', '?')!r}, "
                f"{self.knob}={self.value:g})")
