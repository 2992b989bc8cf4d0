"""What the engine decides and counts: decisions, and the statistics of the calls.

A :class:`RouteDecision` is one call's route (a ladder's :class:`LadderDecision` adds every
candidate's estimate); :class:`RoutingStats` counts calls, tokens, cost and savings per route,
for two models and for a ladder alike.

Example:
    >>> stats = RoutingStats({"strong": (10, 30), "weak": (0.5, 1.5)})
    >>> stats.record_decision(RouteDecision("weak", "small", 0.2, 0.5, "random"))
    >>> stats.snapshot().calls
    {'strong': 0, 'weak': 1}
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..costs import Price, PriceTable
from ..errors import ConfigError

__all__ = [
    "Route",
    "ROUTES",
    "RouteDecision",
    "LadderDecision",
    "StatsSnapshot",
    "RoutingStats",
    "LadderStats",
]

#: a two-model route
Route = Literal["strong", "weak"]
ROUTES: tuple[Route, Route] = ("strong", "weak")


@dataclass(frozen=True)
class RouteDecision:
    """The outcome of one routing decision.

    Attributes:
        route: ``"strong"`` or ``"weak"`` (a ladder: the chosen model's name).
        model: the chosen model's name.
        score: the router's score (``None`` when the router was not asked or failed).
        threshold: the threshold in force.
        router: the router's name.
        reason: ``"router"``, ``"forced"``, ``"sticky"``, ``"router_error"`` or
            ``"fallback"`` (the chosen model raised and the other one answered).
        latency_ms: time spent scoring.
        text: the routed text, when it was computed (the router was asked, or a recorder is
            attached); not part of :meth:`to_dict`.
        pair: the pair the router scored, ``(strong, weak)`` as the router names them (its
            own pair, or the user's: :mod:`routellm_core.routing.pairs`); ``None`` on a ladder.
    """

    route: str
    model: str
    score: float | None
    threshold: float
    router: str
    reason: str = "router"
    latency_ms: float = 0.0
    text: str | None = field(default=None, compare=False, repr=False)
    pair: tuple[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record wrappers attach to responses (``routellm`` metadata)."""
        out: dict[str, Any] = {
            "route": self.route,
            "model": self.model,
            "score": self.score,
            "threshold": self.threshold,
            "router": self.router,
            "reason": self.reason,
        }
        if self.pair is not None:
            out["pair"] = list(self.pair)
        return out


@dataclass(frozen=True)
class LadderDecision(RouteDecision):
    """A :class:`~routellm_core.routing.engine.RouteDecision` on a ladder.

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


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of :class:`RoutingStats` at one moment.

    ``input_tokens`` and ``output_tokens`` hold every call's tokens: the provider's figures,
    or estimates (:func:`~routellm_core.costs.count_tokens`) for calls whose model reported no
    usage. ``estimated_input_tokens`` and ``estimated_output_tokens`` say how many of those
    tokens are estimates, and :attr:`estimated` whether any are; costs and savings include
    them.
    """

    calls: dict[str, int]
    input_tokens: dict[str, int]
    output_tokens: dict[str, int]
    reasons: dict[str, int]
    fallbacks: int
    router_errors: int
    cost: float | None = None
    always_strong_cost: float | None = None
    savings: float | None = None
    scoring_ms: float = 0.0
    estimated_input_tokens: dict[str, int] = field(default_factory=dict)
    estimated_output_tokens: dict[str, int] = field(default_factory=dict)
    #: the route counted as "strong": ``"strong"``, or a ladder's most expensive model
    dearest: str = "strong"

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def strong_fraction(self) -> float:
        """The share of calls sent to the strong model (a ladder: its most expensive one)."""
        n = self.total_calls
        return self.calls.get(self.dearest, 0) / n if n else 0.0

    @property
    def estimated(self) -> bool:
        """Whether any token figure (and so the cost) is an estimate."""
        return any(self.estimated_input_tokens.values()) or any(
            self.estimated_output_tokens.values()
        )


class RoutingStats:
    """Thread-safe counters of calls and tokens per route, with cost and savings.

    Args:
        prices: optional ``{"strong": Price|(in, out), "weak": ...}`` in USD per million
            tokens (a ladder: one per model); with them, :meth:`snapshot` reports the cost,
            the cost had every call gone to the strong (dearest) model, and the savings.
        routes: the routes counted: ``("strong", "weak")``, or a ladder's models, cheapest
            first.
        dearest: the route "always strong" prices every call on (default: ``"strong"`` for
            two models, the last route for a ladder).

    Copies (``copy.deepcopy``, pickle) hold the counts at the time of the copy and count on
    their own from then on.
    """

    def __init__(self, prices: Mapping[str, Price | tuple[float, float]] | PriceTable | None = None,
                 *, routes: Sequence[str] = ROUTES, dearest: str | None = None) -> None:
        self._lock = threading.Lock()
        self._routes = tuple(routes)
        self._dearest = dearest if dearest is not None else (
            "strong" if self._routes == ROUTES else self._routes[-1])
        self.prices = (prices if isinstance(prices, PriceTable)
                       else self.price_table(prices, self._routes))
        self.reset()

    @staticmethod
    def price_table(prices: Mapping[str, Price | tuple[float, float]] | None,
                    routes: Sequence[str] = ROUTES) -> PriceTable | None:
        """Validate per-route prices: ``None``, or a price for every route (``"strong"`` and
        ``"weak"``)."""
        if prices is None:
            return None
        if not isinstance(prices, Mapping):
            raise ConfigError(
                'prices must be a mapping {"strong": (in, out), "weak": (in, out)} in USD per '
                f"million tokens, got {type(prices).__name__} {prices!r}"
            )
        if not prices:
            return None
        table = PriceTable(prices)
        for r in routes:
            table.get(r)  # fail at construction, not at the first call
        return table

    #: defaults for statistics pickled before routes and dearest were set per instance
    _routes: tuple[str, ...] = tuple(ROUTES)
    _dearest: str = "strong"

    def reset(self) -> None:
        with self._lock:
            r = self._routes
            self._calls: dict[str, int] = dict.fromkeys(r, 0)
            self._in: dict[str, int] = dict.fromkeys(r, 0)
            self._out: dict[str, int] = dict.fromkeys(r, 0)
            self._est_in: dict[str, int] = dict.fromkeys(r, 0)
            self._est_out: dict[str, int] = dict.fromkeys(r, 0)
            self._reasons: dict[str, int] = {}
            self._fallbacks = 0
            self._errors = 0
            self._scoring_ms = 0.0

    def record_decision(self, decision: RouteDecision) -> None:
        with self._lock:
            self._calls[decision.route] += 1
            self._reasons[decision.reason] = self._reasons.get(decision.reason, 0) + 1
            self._scoring_ms += decision.latency_ms
            if decision.reason == "router_error":
                self._errors += 1

    def record_fallback(self, from_route: str, to_route: str, from_reason: str | None = None) -> None:
        """The call moved from one route to the other (the chosen model raised).

        The call is counted once, under the route that answered; its reason becomes
        ``"fallback"`` (``from_reason``, the reason of the first decision, loses one count),
        so ``reasons`` adds up to the number of calls.
        """
        with self._lock:
            self._calls[from_route] -= 1
            self._calls[to_route] += 1
            self._fallbacks += 1
            if from_reason is not None and self._reasons.get(from_reason, 0) > 0:
                self._reasons[from_reason] -= 1
                if not self._reasons[from_reason]:
                    del self._reasons[from_reason]
            self._reasons["fallback"] = self._reasons.get("fallback", 0) + 1

    def record_usage(
        self,
        route: str,
        input_tokens: int,
        output_tokens: int,
        *,
        estimated_input: bool = False,
        estimated_output: bool = False,
    ) -> None:
        """Add one call's tokens; ``estimated_*`` marks figures that are estimates."""
        tin, tout = int(input_tokens or 0), int(output_tokens or 0)
        with self._lock:
            self._in[route] += tin
            self._out[route] += tout
            if estimated_input:
                self._est_in[route] += tin
            if estimated_output:
                self._est_out[route] += tout

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            calls, tin, tout = dict(self._calls), dict(self._in), dict(self._out)
            est_in, est_out = dict(self._est_in), dict(self._est_out)
            reasons, fb, err, ms = dict(self._reasons), self._fallbacks, self._errors, self._scoring_ms
        cost = always = savings = None
        if self.prices is not None:
            cost = sum(self.prices.cost(r, tin[r], tout[r]) for r in self._routes)
            # Always-strong assumes the strong model would have used the same tokens.
            always = self.prices.cost(self._dearest, sum(tin.values()), sum(tout.values()))
            savings = always - cost
        return StatsSnapshot(calls, tin, tout, reasons, fb, err, cost, always, savings, ms,
                             est_in, est_out, self._dearest)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {k: (dict(v) if isinstance(v, dict) else v)
                    for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_dearest" not in state and self._routes != ROUTES:
            self._dearest = self._routes[-1]  # a ladder's statistics of the previous release
        self._lock = threading.Lock()


class LadderStats(RoutingStats):
    """:class:`RoutingStats` with one route per ladder model (cheapest first); the dearest
    model is "strong". Kept as a name for code and pickles of the previous release.

    Args:
        models: the ladder's models, cheapest first.
        prices: their prices.
    """

    def __init__(self, models: Sequence[str], prices: PriceTable | None = None) -> None:
        super().__init__(prices, routes=models)


