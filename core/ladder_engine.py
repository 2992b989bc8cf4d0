"""The routing engine of a model ladder: the wrappers' ``models={...}`` mode.

:class:`LadderEngine` offers the interface of :class:`~routellm_core.engine.RoutingEngine`
(decisions from :class:`~routellm_core.engine.Turn` records, forced routes, sticky threads,
the router fail-safe, ``on_route`` callbacks, fallbacks, usage and statistics), with the
ladder's model names as routes. Each decision is a :class:`LadderDecision`, which lists every
candidate's quality estimate.

Example:
    >>> from routellm_core.routers.random import RandomRouter
    >>> engine = LadderEngine(RandomRouter("big", "small"), ["big", "small"],
    ...                       prices={"big": (10, 30), "small": (0.5, 1.5)}, tolerance=0.1)
    >>> d = engine.decide("What is the capital of France?")
    >>> d.route in ("big", "small"), sorted(d.estimates)
    (True, ['big', 'small'])
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .costs import PriceTable
from .engine import RouteDecision, RoutingEngine, RoutingStats, _freeze
from .errors import ConfigError, DataError, unknown_name
from .ladder import DEFAULT_OUTPUT_TOKENS, Ladder
from .routers import load_router
from .settings import check_callbacks, check_flag, check_positive_int, check_routing_text

__all__ = ["LadderDecision", "LadderStats", "LadderEngine", "LADDER_SETTINGS"]

logger = logging.getLogger("routellm")


@dataclass(frozen=True)
class LadderDecision(RouteDecision):
    """A :class:`~routellm_core.engine.RouteDecision` on a ladder.

    ``route`` and ``model`` are the chosen model's name, ``score`` its quality estimate,
    ``threshold`` the knob's value.

    Attributes:
        estimates: every candidate's quality estimate (empty when the router was not asked).
        knob: ``"tolerance"`` or ``"cost_weight"``.
    """

    estimates: dict[str, float] = field(default_factory=dict)
    knob: str = "tolerance"

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["estimates"] = dict(self.estimates)
        out["knob"] = self.knob
        return out


class LadderStats(RoutingStats):
    """:class:`~routellm_core.engine.RoutingStats` with one route per ladder model.

    ``always_strong_cost`` is what the calls would have cost on the ladder's dearest model.
    """

    def __init__(self, models: Sequence[str], prices: PriceTable | None = None) -> None:
        self._routes = tuple(models)
        self._lock = threading.Lock()
        self.prices = prices
        self.reset()

    @property
    def _dearest(self) -> str:  # type: ignore[override]
        return self._routes[-1]


#: The settings of a :class:`LadderEngine`, as its constructor takes them.
LADDER_SETTINGS = (
    "router", "embedder", "models", "prices", "aliases", "tolerance", "cost_weight",
    "target_cost", "calibration_prompts", "output_tokens", "routing_text", "sticky",
    "on_router_error", "on_route", "max_sticky_threads",
)


@dataclass(frozen=True)
class _LadderSettings:
    router: Any
    embedder: Any
    models: tuple[str, ...]
    prices: Any
    aliases: Any
    tolerance: float | None
    cost_weight: float | None
    target_cost: float | None
    calibration_prompts: Any
    output_tokens: int
    routing_text: Any
    sticky: bool
    on_router_error: str | None
    on_route: Any
    max_sticky_threads: int


@dataclass(frozen=True)
class _LadderActive:
    """What decisions read (the attributes :class:`RoutingEngine`'s helpers use, plus the
    ladder)."""

    router: Any
    ladder: Ladder
    threshold: float
    strong_fraction: float | None
    names: dict[str, str]
    policy: Any
    sticky: bool
    on_router_error: str
    max_sticky: int


class LadderEngine(RoutingEngine):
    """Chooses one model of a ladder per call; the engine of the wrappers' ``models=`` mode.

    Args:
        router: a fitted router, a checkpoint directory or ``"default"``: one that estimates
            every model's quality (``irt``, ``mf``), or a two-model router for a ladder of its
            strong and weak model.
        models: the ladder's model names (routes and names in decisions and statistics).
        prices: ``{model: (input, output)}`` USD per million tokens for every model.
        aliases: ``{model: model the router knows}`` for models the router was not trained on.
        tolerance, cost_weight: the knob (see :mod:`routellm_core.ladder`); at most one, and
            not with ``target_cost``. Default: ``tolerance=0.1``.
        target_cost: the average USD per call wanted on ``calibration_prompts``; the
            tolerance (or the cost weight, when ``cost_weight`` is given too as the starting
            knob) is calibrated to it.
        calibration_prompts: prompts representative of the traffic, for ``target_cost``.
        output_tokens: the answer length assumed when pricing a call before making it.
        routing_text, sticky, on_route, max_sticky_threads, embedder: as for
            :class:`~routellm_core.engine.RoutingEngine`.
        on_router_error: the model used when the router raises (default: the dearest).

    Raises:
        ConfigError: an empty or one-model ladder, a bad knob, or ``target_cost`` without
            calibration prompts.
        DataError: a model without a price.
        UnknownNameError: a model the router does not know (the known ones are listed).
    """

    def __init__(
        self,
        router: Any = "default",
        models: Sequence[str] = (),
        *,
        prices: Mapping[str, Any] | None = None,
        aliases: Mapping[str, str] | None = None,
        tolerance: float | None = None,
        cost_weight: float | None = None,
        target_cost: float | None = None,
        calibration_prompts: Sequence[str] | None = None,
        output_tokens: int = DEFAULT_OUTPUT_TOKENS,
        routing_text: Any = "last_user",
        sticky: bool = False,
        on_router_error: str | None = None,
        on_route: Any = None,
        max_sticky_threads: int = 10_000,
        embedder: Any = None,
    ) -> None:
        if isinstance(models, str):
            raise ConfigError("models must be a list of model names, not one string")
        settings = _LadderSettings(
            router, embedder, tuple(models), prices, aliases, tolerance, cost_weight,
            target_cost, None if calibration_prompts is None else tuple(calibration_prompts),
            output_tokens, routing_text, sticky, on_router_error, on_route, max_sticky_threads)
        active, callbacks = self._resolve_ladder(settings, None)
        self._settings = settings  # type: ignore[assignment]
        self._active = active  # type: ignore[assignment]
        self.on_route = list(callbacks)
        self.stats = LadderStats(active.ladder.models, PriceTable(active.ladder.prices))
        self._sticky = OrderedDict()
        self._sticky_lock = threading.Lock()
        self._score_lock = threading.Lock()
        self._variants = OrderedDict()
        self._variants_lock = threading.Lock()
        # the traffic recorder (docs/adapt.md) records two-model routing only, for now
        self.recorder = None

    # ---- settings -----------------------------------------------------------------------------
    @property
    def ladder(self) -> Ladder:
        """The :class:`~routellm_core.ladder.Ladder` in force (models cheapest first, knob)."""
        return self._active.ladder  # type: ignore[attr-defined,no-any-return]

    @property
    def models(self) -> list[str]:
        """The ladder's models, cheapest first."""
        return list(self.ladder.models)

    @property
    def settings(self) -> dict[str, Any]:
        s = self._settings
        return {k: getattr(s, k) for k in LADDER_SETTINGS}

    @staticmethod
    def _resolve_ladder(s: _LadderSettings, current: tuple[_LadderSettings, Any] | None
                        ) -> tuple[_LadderActive, tuple[Callable[..., Any], ...]]:
        policy = check_routing_text(s.routing_text)
        sticky = check_flag("sticky", s.sticky)
        callbacks = check_callbacks("on_route", s.on_route)
        max_sticky = check_positive_int("max_sticky_threads", s.max_sticky_threads)
        if s.target_cost is not None and s.tolerance is not None:
            raise ConfigError("give tolerance= or target_cost=, not both (target_cost "
                              "calibrates the tolerance)")
        if current is not None and current[0].router is s.router and current[0].embedder is s.embedder:
            router = current[1]
        else:
            router = load_router(s.router, embedder=s.embedder)
        ladder = Ladder(router, list(s.models), s.prices, aliases=s.aliases,
                        tolerance=s.tolerance, cost_weight=s.cost_weight,
                        output_tokens=s.output_tokens)
        if s.target_cost is not None:
            if not s.calibration_prompts:
                raise ConfigError(
                    "target_cost needs calibration_prompts=[...]: prompts like your traffic, on "
                    "which the knob is calibrated to that average cost per call (or give "
                    "tolerance= directly)")
            ladder.calibrate(list(s.calibration_prompts), s.target_cost)
        on_error = s.on_router_error if s.on_router_error is not None else ladder.models[-1]
        if on_error not in ladder.models:
            raise unknown_name("on_router_error model", on_error, ladder.models)
        names = {m: m for m in ladder.models}
        active = _LadderActive(router, ladder, ladder.value, None, names, policy, sticky,
                               on_error, max_sticky)
        return active, callbacks

    def configure(self, **changes: Any) -> None:
        """Change settings in place, validated as in the constructor; on an error nothing
        changes. Statistics and sticky memory are kept; ``models`` cannot change here (the
        statistics count per model): build a new engine."""
        settings = self._ladder_changes(changes)
        active, callbacks = self._resolve_ladder(settings, (self._settings, self.router))  # type: ignore[arg-type]
        self._settings = settings  # type: ignore[assignment]
        self._active = active  # type: ignore[assignment]
        if "on_route" in changes:
            self.on_route[:] = callbacks
        if "prices" in changes:
            self.stats.prices = PriceTable(active.ladder.prices)
        with self._variants_lock:
            self._variants.clear()

    def _ladder_changes(self, changes: Mapping[str, Any]) -> _LadderSettings:
        unknown = [k for k in changes if k not in LADDER_SETTINGS]
        if unknown:
            raise unknown_name("ladder engine setting", unknown[0], LADDER_SETTINGS)
        changes = dict(changes)
        if "models" in changes:
            new = tuple(changes["models"])
            if sorted(new) != sorted(self._settings.models):  # type: ignore[attr-defined]
                raise ConfigError("the ladder's models cannot change in place (statistics count "
                                  "per model); build a new model with the new ladder")
            changes["models"] = new
        # the knob set last wins
        if changes.get("tolerance") is not None:
            changes.setdefault("target_cost", None)
            changes.setdefault("cost_weight", None)
        if changes.get("cost_weight") is not None:
            changes.setdefault("tolerance", None)
        if changes.get("target_cost") is not None:
            changes.setdefault("tolerance", None)
        if "calibration_prompts" in changes and changes["calibration_prompts"] is not None:
            changes["calibration_prompts"] = tuple(changes["calibration_prompts"])
        return replace(self._settings, **changes)  # type: ignore[type-var,return-value]

    def variant(self, **changes: Any) -> LadderEngine:
        """An engine with other settings sharing this one's statistics and sticky memory."""
        if not changes:
            return self
        key = tuple(sorted((k, _freeze(v)) for k, v in changes.items()))
        with self._variants_lock:
            hit = self._variants.get(key)
            if hit is not None:
                return hit  # type: ignore[return-value]
        new = self._derive_ladder(changes, share=True)
        with self._variants_lock:
            self._variants[key] = new
        return new

    def copy(self, **changes: Any) -> LadderEngine:
        """An independent engine (own statistics from zero, own sticky memory)."""
        return self._derive_ladder(changes, share=False)

    def _derive_ladder(self, changes: Mapping[str, Any], *, share: bool) -> LadderEngine:
        settings = self._ladder_changes(changes)
        active, callbacks = self._resolve_ladder(settings, (self._settings, self.router))  # type: ignore[arg-type]
        new = LadderEngine.__new__(LadderEngine)
        new._settings = settings  # type: ignore[assignment]
        new._active = active  # type: ignore[assignment]
        self._hand_over(new, changes, callbacks, share=share, fresh_stats=lambda: LadderStats(
            active.ladder.models, PriceTable(active.ladder.prices)))
        new._score_lock = self._score_lock
        return new

    def __setstate__(self, state: dict[str, Any]) -> None:
        settings: _LadderSettings = state["settings"]
        active, _ = self._resolve_ladder(settings, None)
        self._restore(settings, active, state)

    # ---- decisions ----------------------------------------------------------------------------
    def resolve_force(self, force: str | None) -> str | None:  # type: ignore[override]
        """A ladder model's name (``"top"`` and ``"bottom"`` name the dearest and the
        cheapest).

        Raises:
            UnknownNameError: not a model of the ladder (the ladder's models are listed).
        """
        if force is None:
            return None
        models = self.ladder.models
        if not isinstance(force, str):
            raise ConfigError(f"a forced route (model=) must be a ladder model's name, got "
                              f"{type(force).__name__} {force!r}")
        if force == "top":
            return models[-1]
        if force == "bottom":
            return models[0]
        if force in models:
            return force
        raise unknown_name("ladder model", force, [*models, "top", "bottom"])

    def other(self, route: str) -> str:  # type: ignore[override]
        """The model a failed call falls back to: the next one up the ladder (the one below,
        for the dearest)."""
        up = self.ladder.next_up(route)
        return up if up is not None else self.ladder.models[-2]

    def score(self, text: str) -> float:
        """The best candidate's quality estimate for one text (no statistics)."""
        with self._score_lock:
            return max(self.ladder.choose_one(text).estimates.values())

    def _decide(  # type: ignore[override]
        self, get_text: Callable[[], str | None], *, force: str | None, thread_id: str | None
    ) -> LadderDecision:
        a: _LadderActive = self._active  # type: ignore[assignment]
        forced = self.resolve_force(force)
        if forced is not None:
            decision = self._ladder_make(a, forced, None, {}, "forced", 0.0)
        elif a.sticky and thread_id is not None and (r := self._sticky_get(thread_id)):
            decision = self._ladder_make(a, r, None, {}, "sticky", 0.0)
        else:
            t0 = time.perf_counter()
            try:
                text = get_text()
                if text is None:
                    raise DataError("no routing text")
                with self._score_lock:
                    choice = a.ladder.choose_one(text)
                decision = self._ladder_make(a, choice.model, choice.estimates[choice.model],
                                             choice.estimates, "router",
                                             (time.perf_counter() - t0) * 1e3)
            except Exception as exc:  # the fail-safe: never lose a call to a router bug
                logger.warning("router %r failed (%s: %s); sending the call to %s",
                               getattr(a.router, "name", "?"), type(exc).__name__, exc,
                               a.on_router_error)
                decision = self._ladder_make(a, a.on_router_error, None, {}, "router_error",
                                             (time.perf_counter() - t0) * 1e3)
            if a.sticky and thread_id is not None:
                self._sticky_set(thread_id, decision.route, a.max_sticky)  # type: ignore[arg-type]
        self.stats.record_decision(decision)
        self._notify(decision)
        return decision

    def fallback_decision(self, decision: RouteDecision) -> RouteDecision:
        """The decision after the chosen model raised: the next model up the ladder takes
        the call (recorded as ``"fallback"``; ``on_route`` callbacks receive it)."""
        to = self.other(decision.route)
        self.stats.record_fallback(decision.route, to, decision.reason)  # type: ignore[arg-type]
        logger.warning("%s raised; retrying once on %s", decision.model, to)
        estimates = getattr(decision, "estimates", {})
        # the score of the model that now answers (its own quality estimate), not the first's
        score = estimates.get(to, decision.score) if decision.score is not None else None
        new = LadderDecision(to, to, score, decision.threshold,  # type: ignore[arg-type]
                             decision.router, "fallback", decision.latency_ms,
                             text=decision.text, estimates=estimates,
                             knob=getattr(decision, "knob", self.ladder.knob))
        self._notify(new)
        return new

    @staticmethod
    def _ladder_make(a: _LadderActive, model: str, score: float | None,
                     estimates: dict[str, float], reason: str, ms: float) -> LadderDecision:
        return LadderDecision(model, model, score, a.ladder.value,  # type: ignore[arg-type]
                              getattr(a.router, "name", "?"), reason, ms,
                              estimates=dict(estimates), knob=a.ladder.knob)


def check_knob_value(name: str, value: Any) -> float | None:
    """``None`` or a finite non-negative number (for wrapper fields)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or math.isinf(value):
        raise ConfigError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)
