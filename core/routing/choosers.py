"""The two ways the engine chooses a model: between two models, or along a ladder.

The :class:`~routellm_core.routing.engine.RoutingEngine` owns everything around a decision (settings,
copies, sticky and momentum memory, statistics, callbacks, the fail-safe, fallbacks) and asks
its chooser for the decision itself:

* :class:`PairChooser`: a router's win rate for the strong model against a threshold (from the
  calibration table for a ``strong_fraction``, a raw ``threshold``, or following the traffic);
* :class:`LadderChooser`: every candidate's quality estimate and one knob
  (:class:`~routellm_core.routing.ladder.Ladder`).

A chooser is built from its settings (:class:`~routellm_core.routing.settings.RoutingSettings`,
:class:`~routellm_core.routing.settings.LadderSettings`) and a loaded router, and is replaced as a
whole when a setting changes, so a call in flight never mixes old and new settings.

Example:
    >>> from routellm_core.routers.random import RandomRouter
    >>> from routellm_core.routing.settings import RoutingSettings
    >>> chooser = PairChooser.build(RoutingSettings(threshold=0.0), RandomRouter())
    >>> chooser.choose("hi").route
    'strong'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..costs import PriceTable
from ..errors import ConfigError, unknown_name
from ..routers.base import Router
from ..scoring.calibration import TrafficThreshold, check_fraction
from .decisions import ROUTES, LadderDecision, Route, RouteDecision, RoutingStats
from .ladder import Ladder
from .long_text import score_text
from .pairs import route_pair, scored_pair
from .settings import (
    FORCE_KEYWORDS,
    LadderSettings,
    RoutingSettings,
    check_threshold,
    distinct_names,
)

__all__ = ["TRAFFIC_WARMUP", "Chooser", "PairChooser", "LadderChooser", "build_chooser"]

#: decisions routed on the calibration table's threshold before ``calibration_window`` takes
#: over (a 30 % quantile of 20 scores already has six scores above it)
TRAFFIC_WARMUP = 20

#: what a chooser may do to a router score before comparing it (conversational momentum)
Adjust = Callable[[float], float]


def _since(started: float | None) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()``; 0 for ``None``)."""
    return 0.0 if started is None else (time.perf_counter() - started) * 1e3


def _router_name(router: Any) -> str:
    return str(getattr(router, "name", "?"))


@dataclass(frozen=True)
class PairChooser:
    """Strong or weak: the router's win rate for the strong model against a threshold.

    Attributes:
        router: the loaded router.
        base_threshold: the threshold the settings give (the calibration table's for
            ``strong_fraction``, or the raw ``threshold``).
        strong_fraction: the fraction it was read for (``None`` with a raw threshold).
        names: the inner models' names by route.
        prices: per-route prices for the statistics (``None``: none given).
        traffic: the threshold that follows the traffic (``calibration_window``), or ``None``.
    """

    router: Router
    base_threshold: float
    strong_fraction: float | None
    names: dict[str, str]
    prices: PriceTable | None = None
    traffic: TrafficThreshold | None = field(default=None, compare=False)
    #: the pair the router scores, for the decisions (:func:`~routellm_core.routing.pairs.scored_pair`)
    pair: tuple[str, str] | None = None

    routes: tuple[str, ...] = ROUTES
    #: the route the fail-safe and "always strong" read as the strong one
    dearest: str = "strong"
    #: whether momentum can raise this chooser's scores
    scores_turns: bool = True

    @classmethod
    def build(cls, s: RoutingSettings, router: Router) -> PairChooser:
        """The chooser of checked settings (:meth:`RoutingSettings.check`) and a router."""
        threshold = check_threshold(s.threshold) if s.threshold is not None else None
        fraction = None if threshold is not None else check_fraction(
            0.5 if s.strong_fraction is None else s.strong_fraction)
        # the user's pair, when the router knows it (routellm_core.routing.pairs)
        router = route_pair(router, pair=s.pair, aliases=s.aliases, strong_name=s.strong_name,
                            weak_name=s.weak_name, need_calibration=threshold is None)
        if threshold is None:
            assert fraction is not None
            threshold = router.threshold_for(fraction)
        traffic = None
        if s.calibration_window is not None:
            assert fraction is not None
            traffic = TrafficThreshold(fraction, float(threshold), window=int(s.calibration_window),
                                       warmup=TRAFFIC_WARMUP)
        strong, weak = distinct_names(s.strong_name or router.strong_model,
                                      s.weak_name or router.weak_model)
        names = {"strong": strong, "weak": weak}
        return cls(router, float(threshold), fraction, names,
                   RoutingStats.price_table(s.prices), traffic, scored_pair(router))

    @property
    def threshold(self) -> float:
        """The threshold in force; with a calibration window, where the traffic moved it."""
        return self.base_threshold if self.traffic is None else self.traffic.threshold

    def score(self, text: str) -> float:
        """The router's win rate for the strong model on one text (a long text: its start,
        end and final part only, :func:`~routellm_core.routing.long_text.score_text`)."""
        return score_text(self.router, text)

    def choose(self, text: str, adjust: Adjust | None = None,
               started: float | None = None) -> RouteDecision:
        """The decision on one text; ``started`` (a ``time.perf_counter()``) gives its
        ``latency_ms``."""
        raw = self.score(text)
        s = raw if adjust is None else adjust(raw)
        threshold = self.threshold
        route: Route = "strong" if s >= threshold else "weak"
        if self.traffic is not None:
            self.traffic.observe(raw)
        # momentum that changed the route says so (reasons in the statistics)
        reason = "momentum" if s > raw and raw < threshold <= s else "router"
        return self.decision(route, s, reason, text=text, threshold=threshold,
                             latency_ms=_since(started))

    def decision(self, route: str, score: float | None, reason: str, *, text: str | None = None,
                 threshold: float | None = None, latency_ms: float = 0.0) -> RouteDecision:
        return RouteDecision(route, self.names[route], score,
                             self.threshold if threshold is None else threshold,
                             self.router.name, reason, latency_ms, text, self.pair)

    def resolve_force(self, force: str) -> str:
        """``"strong"``, ``"weak"`` or an inner model's name, as a route.

        Raises:
            ConfigError: it names both inner models (they have the same name).
            UnknownNameError: no route or model has that name (the valid names are listed).
        """
        if force in ROUTES:
            return force
        matches = [route for route, name in self.names.items() if name == force]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ConfigError(
                f"model {force!r} is ambiguous: the strong and the weak model are both called "
                f"{force!r}; force with model='strong' or model='weak'"
            )
        raise unknown_name("model", force, dict.fromkeys([*ROUTES, *self.names.values()]))

    def other(self, route: str) -> str:
        """The route a failed call falls back to."""
        return "weak" if route == "strong" else "strong"

    def fallback(self, decision: RouteDecision, to: str) -> RouteDecision:
        """The decision after a fallback to ``to`` (the score stays the router's)."""
        return replace(decision, route=to, model=self.names[to], reason="fallback")

    def on_error_route(self, value: str | None) -> str:
        """The route the fail-safe takes (checked by the settings)."""
        return value or "strong"

    def new_stats(self) -> RoutingStats:
        return RoutingStats(self.prices, routes=self.routes, dearest=self.dearest)

    def describe(self) -> dict[str, Any]:
        """What identifies this routing (a wrapper's identifying parameters)."""
        return {"strong": self.names["strong"], "weak": self.names["weak"],
                "router": _router_name(self.router), "threshold": self.threshold}


@dataclass(frozen=True)
class LadderChooser:
    """One model of a priced ladder: every candidate's estimate and one knob.

    Attributes:
        router: the loaded router.
        ladder: the :class:`~routellm_core.routing.ladder.Ladder` (models cheapest first, knob).
    """

    router: Any
    ladder: Ladder
    strong_fraction: None = None
    scores_turns: bool = False

    @classmethod
    def build(cls, s: LadderSettings, router: Any) -> LadderChooser:
        """The chooser of checked settings (:meth:`LadderSettings.check`) and a router.

        Raises:
            ConfigError: an empty or one-model ladder, a bad knob.
            DataError: a model without a price.
            UnknownNameError: a model the router does not know (the known ones are listed).
        """
        ladder = Ladder(router, list(s.models), s.prices, aliases=s.aliases,
                        tolerance=s.tolerance, cost_weight=s.cost_weight,
                        output_tokens=s.output_tokens)
        if s.target_cost is not None:
            assert s.calibration_prompts
            ladder.calibrate(list(s.calibration_prompts), s.target_cost)
        return cls(router, ladder)

    @property
    def routes(self) -> tuple[str, ...]:
        return tuple(self.ladder.models)

    @property
    def dearest(self) -> str:
        return self.ladder.models[-1]

    @property
    def names(self) -> dict[str, str]:
        return {m: m for m in self.ladder.models}

    @property
    def prices(self) -> PriceTable:
        return PriceTable(self.ladder.prices)

    @property
    def threshold(self) -> float:
        """The knob's value (reported as the decisions' threshold)."""
        return self.ladder.value

    def score(self, text: str) -> float:
        """The best candidate's quality estimate for one text."""
        return max(self.ladder.choose_one(text).estimates.values())

    def choose(self, text: str, adjust: Adjust | None = None,
               started: float | None = None) -> RouteDecision:
        choice = self.ladder.choose_one(text)
        return self.decision(choice.model, choice.estimates[choice.model], "router", text=text,
                             estimates=choice.estimates, latency_ms=_since(started))

    def decision(self, route: str, score: float | None, reason: str, *, text: str | None = None,
                 threshold: float | None = None, latency_ms: float = 0.0,
                 estimates: dict[str, float] | None = None) -> LadderDecision:
        return LadderDecision(route, route, score,
                              self.ladder.value if threshold is None else threshold,
                              _router_name(self.router), reason, latency_ms, text,
                              estimates=dict(estimates or {}), knob=self.ladder.knob)

    def resolve_force(self, force: str) -> str:
        """A ladder model's name (``"top"`` and ``"bottom"`` name the dearest and the
        cheapest).

        Raises:
            UnknownNameError: not a model of the ladder (the ladder's models are listed).
        """
        models = self.ladder.models
        if force == "top":
            return models[-1]
        if force == "bottom":
            return models[0]
        if force in models:
            return force
        raise unknown_name("ladder model", force, [*models, *FORCE_KEYWORDS])

    def fallback(self, decision: RouteDecision, to: str) -> RouteDecision:
        """The decision after a fallback to ``to``, with the score of the model that now
        answers (its own quality estimate), not the first's."""
        estimates = getattr(decision, "estimates", None) or {}
        score = estimates.get(to, decision.score) if decision.score is not None else None
        return replace(decision, route=to, model=to, reason="fallback", score=score)

    def other(self, route: str) -> str:
        """The next model up the ladder (the one below, for the dearest)."""
        up = self.ladder.next_up(route)
        return up if up is not None else self.ladder.models[-2]

    def on_error_route(self, value: str | None) -> str:
        """The model the fail-safe takes: ``value``, or the dearest.

        Raises:
            UnknownNameError: not a model of the ladder.
        """
        on_error = value if value is not None else self.ladder.models[-1]
        if on_error not in self.ladder.models:
            raise unknown_name("on_router_error model", on_error, self.ladder.models)
        return on_error

    def new_stats(self) -> RoutingStats:
        return RoutingStats(self.prices, routes=self.routes, dearest=self.dearest)

    def describe(self) -> dict[str, Any]:
        """What identifies this routing (a wrapper's identifying parameters)."""
        return {"models": list(self.ladder.models), "router": _router_name(self.router),
                self.ladder.knob: self.ladder.value}


#: A chooser: :class:`PairChooser` or :class:`LadderChooser`.
Chooser = PairChooser | LadderChooser


def build_chooser(settings: RoutingSettings | LadderSettings, router: Any) -> Chooser:
    """The chooser for a settings object (the pair chooser for
    :class:`~routellm_core.routing.settings.RoutingSettings`, the ladder's for
    :class:`~routellm_core.routing.settings.LadderSettings`)."""
    if isinstance(settings, LadderSettings):
        return LadderChooser.build(settings, router)
    return PairChooser.build(settings, router)
