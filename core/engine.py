"""The routing engine both framework wrappers share.

A wrapper turns its framework's messages into :class:`Turn` records, asks the engine for a
:class:`RouteDecision`, calls the chosen model, and reports token usage back. Everything else
lives here, once: which text is routed (:func:`routing_text`), forced routes, sticky
conversations, the fail-safe when the router raises, ``on_route`` callbacks, and statistics.

Example:
    >>> engine = RoutingEngine("random", strong_fraction=0.5, strong_name="big", weak_name="small")
    >>> d = engine.decide("What is the capital of France?")
    >>> d.route in ("strong", "weak")
    True
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .calibration import TrafficThreshold, check_fraction
from .costs import Price, PriceTable, count_tokens
from .errors import ConfigError, DataError, unknown_name
from .fingerprint import router_fingerprint
from .long_text import score_text
from .pairs import PairSpec, route_pair, scored_pair
from .recorder import RecorderStats, TrafficRecorder, check_recorder
from .routers import load_router
from .routers.base import Router
from .settings import (
    ROUTES,
    ROUTING_TEXT_POLICIES,
    Route,
    RoutingSettings,
    RoutingTextPolicy,
    check_callbacks,
    check_flag,
    check_name,
    check_positive_int,
    check_route,
    check_routing_text,
    check_threshold,
    distinct_names,
)

__all__ = [
    "TRAFFIC_WARMUP",
    "Route",
    "RouterSpec",
    "OnRoute",
    "RoutingTextPolicy",
    "RoutingSettings",
    "Turn",
    "TURN_ROLES",
    "turn_role",
    "RouteDecision",
    "RoutingStats",
    "StatsSnapshot",
    "RoutingEngine",
    "ROUTING_TEXT_POLICIES",
    "routing_text",
]

#: decisions routed on the calibration table's threshold before ``calibration_window`` takes
#: over (a 30 % quantile of 20 scores already has six scores above it)
TRAFFIC_WARMUP = 20

logger = logging.getLogger("routellm")

#: what a shadow call returns to :meth:`RoutingEngine.record_call`: the other model's answer
#: and its input/output tokens (``None`` where the provider reported none)
ShadowResult = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, framework-neutral. ``role`` is ``"user"``,
    ``"assistant"``, ``"system"`` or ``"tool"`` (:func:`turn_role` maps a framework's role
    names onto these)."""

    role: str
    text: str


#: A framework's role names (lower case) and the :class:`Turn` role each one is.
TURN_ROLES: Mapping[str, str] = {
    "user": "user", "human": "user",
    "assistant": "assistant", "ai": "assistant", "model": "assistant", "chatbot": "assistant",
    "system": "system", "developer": "system",
    "tool": "tool", "function": "tool",
}


def turn_role(name: str) -> str:
    """The :class:`Turn` role of a framework's role name, the same rule in both wrappers.

    Known names (:data:`TURN_ROLES`, any case) map to their role. Any other name, such as a
    custom speaker (``ChatMessage(role="customer")``), is a ``"user"`` turn: its text is input
    the model must answer, so the router may score it, and policies only ever see the four
    roles they are written for. (Passing the name through would hide such a message from
    ``"last_user"``, which would score an older message instead.)

    Example:
        >>> turn_role("AI"), turn_role("developer"), turn_role("customer")
        ('assistant', 'system', 'user')
    """
    return TURN_ROLES.get(name.strip().lower(), "user")


def routing_text(
    policy: RoutingTextPolicy,
    turns: Sequence[Turn],
    *,
    question: str | None = None,
    raw: Any = None,
) -> str:
    """Select the text to route on.

    Args:
        policy: ``"last_user"`` (default in both wrappers: a whole tool loop stays on one
            model), ``"first_user"``, ``"conversation"`` (every turn, role-prefixed),
            ``"question"`` (the user's question when the framework knows it, e.g. a RAG
            query engine's ``query_str``; otherwise the last user message), or a function that
            receives ``raw`` (the framework's own messages) and returns the text.
        turns: the conversation.
        question: the bare user question, when known.
        raw: what a callable policy receives.

    Raises:
        DataError: the conversation is empty, or a callable policy returned a non-string.
    """
    if callable(policy):
        text = policy(raw if raw is not None else list(turns))
        if not isinstance(text, str):
            raise DataError(
                f"the routing_text function returned {type(text).__name__}; it must return a str"
            )
        return text
    if not turns and not (policy == "question" and question):
        raise DataError("cannot route an empty message list: pass at least one message")
    users = [t.text for t in turns if t.role == "user"]
    if policy == "question":
        if question:
            return question
        policy = "last_user"
    if policy == "last_user":
        return users[-1] if users else turns[-1].text
    if policy == "first_user":
        return users[0] if users else turns[0].text
    if policy == "conversation":
        return "\n".join(f"{t.role}: {t.text}" for t in turns)
    raise unknown_name("routing_text policy", policy, ROUTING_TEXT_POLICIES)


@dataclass(frozen=True)
class RouteDecision:
    """The outcome of one routing decision.

    Attributes:
        route: ``"strong"`` or ``"weak"``.
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
            own pair, or the user's: :mod:`routellm_core.pairs`); ``None`` on a ladder.
    """

    route: Route
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


#: What ``router=`` accepts: a name (``"default"``, ``"random"``), a checkpoint directory, or a
#: :class:`~routellm_core.routers.base.Router`.
RouterSpec = str | os.PathLike[str] | Router
#: What ``on_route=`` accepts: ``None``, one callable receiving each decision, or several.
OnRoute = Callable[[RouteDecision], Any] | Sequence[Callable[[RouteDecision], Any]] | None


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

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def strong_fraction(self) -> float:
        n = self.total_calls
        return self.calls.get("strong", 0) / n if n else 0.0

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
            tokens; with them, :meth:`snapshot` reports the cost, the cost had every call gone
            to the strong model, and the savings.

    Copies (``copy.deepcopy``, pickle) hold the counts at the time of the copy and count on
    their own from then on.
    """

    def __init__(self, prices: Mapping[str, Price | tuple[float, float]] | None = None) -> None:
        self._lock = threading.Lock()
        self.prices = self.price_table(prices)
        self.reset()

    @staticmethod
    def price_table(prices: Mapping[str, Price | tuple[float, float]] | None) -> PriceTable | None:
        """Validate per-route prices: ``None``, or a price for both ``"strong"`` and ``"weak"``."""
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
        for r in ROUTES:
            table.get(r)  # fail at construction, not at the first call
        return table

    #: the routes counted (a ladder counts one per model)
    _routes: tuple[str, ...] = tuple(ROUTES)
    #: the route "always strong" prices every call on (a ladder: its dearest model)
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

    def record_fallback(self, from_route: Route, to_route: Route, from_reason: str | None = None) -> None:
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
        route: Route,
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
                             est_in, est_out)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {k: (dict(v) if isinstance(v, dict) else v)
                    for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


#: The settings of engines pickled before they were called RoutingSettings.
_Settings = RoutingSettings


@dataclass(frozen=True)
class _Active:
    """What decisions read, validated and resolved; swapped as one object, so a call in
    flight never mixes old and new settings."""

    router: Router
    threshold: float
    strong_fraction: float | None
    names: dict[Route, str]
    policy: RoutingTextPolicy
    sticky: bool
    on_router_error: Route
    max_sticky: int
    traffic: TrafficThreshold | None = None


def _same_router_spec(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, (str, os.PathLike)) and isinstance(b, (str, os.PathLike)):
        return os.fspath(a) == os.fspath(b)
    return False


def _freeze(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return ("id", id(value))


class RoutingEngine:
    """Decides strong or weak for each call; shared by the LangChain and LlamaIndex wrappers.

    Args:
        router: ``"default"`` (the shipped router), ``"random"``, a checkpoint directory, or a
            :class:`~routellm_core.routers.base.Router`.
        strong_fraction: the share of calls (on the router's calibration prompts) that should
            go to the strong model; the threshold comes from the router's calibration table.
        threshold: a raw score threshold in [0, 1] instead (``score >= threshold`` routes
            strong). Give ``strong_fraction`` or ``threshold``, not both; with neither, 0.5 of
            calls.
        strong_name, weak_name: model names reported in decisions (default: the router's
            ``strong_model`` / ``weak_model``); wrappers name them with
            :func:`~routellm_core.settings.inner_model_name`.
        routing_text: policy for which text is scored (see :func:`routing_text`).
        sticky: keep a conversation (by thread id) on the route of its first decision.
        on_router_error: route used when the router raises (``"strong"`` by default).
        on_route: callables receiving each :class:`RouteDecision`, fallbacks included.
        prices: per-route prices for :class:`RoutingStats`.
        max_sticky_threads: how many conversations the sticky memory keeps (LRU).
        calibration_window: keep the share of strong calls at ``strong_fraction`` on *this*
            traffic: after :data:`TRAFFIC_WARMUP` decisions the threshold is the
            ``strong_fraction`` quantile of the last ``calibration_window`` router scores
            (:class:`~routellm_core.calibration.TrafficThreshold`; at least 10), instead of
            the calibration table's threshold. Needs ``strong_fraction``; changing settings
            later starts a new window, while copies, variants, pickles and deep copies keep
            the window's recent scores (a warm threshold stays warm).
        embedder: optional embedder for embedding routers (any object with ``embed``).
        pair: the pair the router scores: ``None`` (default: the router's own pair),
            ``"auto"`` (recognise ``strong_name`` and ``weak_name``) or ``(strong, weak)``
            names. A pair the router knows is scored and calibrated for itself; any other
            falls back to the router's own pair, logged once (:mod:`routellm_core.pairs`).
        aliases: ``{your model name: a model the router knows}`` for that recognition.

    Raises:
        ConfigError: a setting has a wrong type or value (the message names it and the fix).
        UnknownNameError: an unknown router name or routing-text policy (valid ones listed).
        CheckpointError: the router directory does not exist or holds no checkpoint.

    Settings can change later with :meth:`configure` (validated the same way; statistics and
    sticky memory are kept). :meth:`variant` derives an engine with other settings that
    shares this one's statistics and sticky memory (per-call configuration); :meth:`copy`
    one with its own. Pickling and ``copy.deepcopy`` keep every setting, the statistics and
    the sticky memory; a router given by name or directory is loaded again on unpickling.
    """

    #: the traffic recorder (``None``: nothing is recorded); engines built without
    #: ``__init__`` (ladder engines, copies) fall back to this
    recorder: TrafficRecorder | None = None

    def __init__(
        self,
        router: RouterSpec = "default",
        *,
        strong_fraction: float | None = None,
        threshold: float | None = None,
        strong_name: str | None = None,
        weak_name: str | None = None,
        routing_text: RoutingTextPolicy = "last_user",
        sticky: bool = False,
        on_router_error: Route = "strong",
        on_route: OnRoute = None,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
        max_sticky_threads: int = 10_000,
        calibration_window: int | None = None,
        embedder: Any = None,
        recorder: TrafficRecorder | None = None,
        pair: PairSpec = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        settings = RoutingSettings(router, embedder, strong_fraction, threshold, strong_name,
                                   weak_name, routing_text, sticky, on_router_error, on_route,
                                   prices, max_sticky_threads, calibration_window, pair, aliases)
        active, callbacks = self._resolve(settings, None)
        self._settings = settings
        self._active = active
        self.on_route: list[Callable[[RouteDecision], Any]] = list(callbacks)
        self.stats = RoutingStats(settings.prices)
        self._sticky: OrderedDict[str, Route] = OrderedDict()
        self._sticky_lock = threading.Lock()
        # one scoring at a time: torch/BLAS thread pools thrash on 2 cores when several
        # threads embed at once, and some tokenizers are not thread-safe.
        self._score_lock = threading.Lock()
        self._variants: OrderedDict[Any, RoutingEngine] = OrderedDict()
        self._variants_lock = threading.Lock()
        self.recorder = check_recorder(recorder)

    @classmethod
    def from_settings(cls, settings: RoutingSettings, *,
                      recorder: TrafficRecorder | None = None) -> RoutingEngine:
        """The engine of a :class:`~routellm_core.settings.RoutingSettings` (how both wrappers
        and the agent middleware build theirs); validated as in the constructor.

        Example:
            >>> from routellm_core.settings import RoutingSettings
            >>> RoutingEngine.from_settings(RoutingSettings(router="random", threshold=0.4)).threshold
            0.4
        """
        return cls(**settings.as_dict(), recorder=recorder)

    # ---- settings -----------------------------------------------------------------------------
    @property
    def router(self) -> Router:
        """The loaded router."""
        return self._active.router

    @property
    def threshold(self) -> float:
        """The threshold in force (``score >= threshold`` routes strong); with
        ``calibration_window``, the one the traffic has moved it to."""
        a = self._active
        return a.threshold if a.traffic is None else a.traffic.threshold

    @property
    def strong_fraction(self) -> float | None:
        """The strong fraction the threshold was read for (``None`` with a raw threshold)."""
        return self._active.strong_fraction

    @property
    def names(self) -> dict[Route, str]:
        """The inner models' names by route."""
        return self._active.names

    @property
    def routing_text_policy(self) -> RoutingTextPolicy:
        return self._active.policy

    @property
    def sticky(self) -> bool:
        return self._active.sticky

    @property
    def on_router_error(self) -> Route:
        return self._active.on_router_error

    @property
    def settings(self) -> dict[str, Any]:
        """The settings as given (router as a name, directory or instance), by name."""
        return self._settings.as_dict()

    @staticmethod
    def _resolve(
        s: RoutingSettings, current: tuple[RoutingSettings, Router] | None
    ) -> tuple[_Active, tuple[Callable[..., Any], ...]]:
        """Validate settings and load the router (reusing ``current``'s when unchanged)."""
        if s.strong_fraction is not None and s.threshold is not None:
            raise ConfigError(
                "give strong_fraction or threshold, not both (strong_fraction chooses the share "
                "of strong calls, threshold a raw score)"
            )
        threshold = check_threshold(s.threshold) if s.threshold is not None else None
        fraction = None if threshold is not None else check_fraction(
            0.5 if s.strong_fraction is None else s.strong_fraction)
        policy = check_routing_text(s.routing_text)
        sticky = check_flag("sticky", s.sticky)
        on_error = check_route("on_router_error", s.on_router_error)
        callbacks = check_callbacks("on_route", s.on_route)
        max_sticky = check_positive_int("max_sticky_threads", s.max_sticky_threads)
        strong_name = check_name("strong_name", s.strong_name)
        weak_name = check_name("weak_name", s.weak_name)
        RoutingStats.price_table(s.prices)
        if (current is not None and _same_router_spec(current[0].router, s.router)
                and current[0].embedder is s.embedder):
            router = current[1]
        else:
            router = load_router(s.router, embedder=s.embedder)
        # the user's pair, when the router knows it (routellm_core.pairs)
        router = route_pair(router, pair=s.pair, aliases=s.aliases, strong_name=strong_name,
                            weak_name=weak_name, need_calibration=threshold is None)
        if threshold is None:
            assert fraction is not None
            threshold = router.threshold_for(fraction)
        traffic = None
        if s.calibration_window is not None:
            window = check_positive_int("calibration_window", s.calibration_window)
            if s.threshold is not None or window < 10:
                raise ConfigError(
                    f"calibration_window={s.calibration_window!r}: following the traffic keeps "
                    "a share of strong calls, so it needs strong_fraction (not a raw "
                    "threshold) and a window of at least 10 scores (500 is a good start)")
            assert fraction is not None
            traffic = TrafficThreshold(fraction, float(threshold), window=window,
                                       warmup=TRAFFIC_WARMUP)
        strong, weak = distinct_names(strong_name or router.strong_model,
                                      weak_name or router.weak_model)
        names: dict[Route, str] = {"strong": strong, "weak": weak}
        active = _Active(router, float(threshold), fraction, names, policy, sticky, on_error,
                         max_sticky, traffic)
        return active, callbacks

    def configure(self, **changes: Any) -> None:
        """Change settings in place, validated as in the constructor; on an error nothing
        changes. Statistics and sticky memory are kept; the router is loaded again only
        when ``router`` (or ``embedder``) changes.

        A ``threshold`` replaces a ``strong_fraction`` set before, and the reverse.

        Example:
            >>> engine = RoutingEngine("random", strong_fraction=0.3)
            >>> engine.configure(threshold=0.9)
            >>> engine.threshold, engine.strong_fraction
            (0.9, None)
        """
        settings = self._settings.changed(**changes)
        active, callbacks = self._resolve(settings, (self._settings, self.router))
        prices = RoutingStats.price_table(settings.prices)
        self._settings = settings
        self._active = active
        if "on_route" in changes:
            self.on_route[:] = callbacks
        if "prices" in changes:
            self.stats.prices = prices
        with self._variants_lock:
            self._variants.clear()
        with self._sticky_lock:
            while len(self._sticky) > active.max_sticky:
                self._sticky.popitem(last=False)

    def variant(self, **changes: Any) -> RoutingEngine:
        """An engine with other settings that shares this one's statistics, sticky memory and
        ``on_route`` callbacks (for per-call configuration). Variants are cached by their
        settings, so asking again is cheap.

        Raises:
            ConfigError: ``prices`` differ (statistics are shared, so are prices), or a
                setting is invalid.
        """
        if not changes:
            return self
        if "prices" in changes and changes["prices"] != self._settings.prices:
            raise ConfigError("prices cannot change per call: the statistics are shared; "
                              "build a separate model (or model_copy) with other prices")
        key = tuple(sorted((k, _freeze(v)) for k, v in changes.items()))
        with self._variants_lock:
            hit = self._variants.get(key)
            if hit is not None:
                self._variants.move_to_end(key)
                return hit
        new = self._derive(changes, share=True)
        with self._variants_lock:
            self._variants[key] = new
            while len(self._variants) > 32:
                self._variants.popitem(last=False)
        return new

    def copy(self, **changes: Any) -> RoutingEngine:
        """An independent engine with the same settings (or these changes): its own statistics
        (starting at zero), sticky memory and ``on_route`` list. The loaded router is reused
        when the router setting is unchanged."""
        return self._derive(changes, share=False)

    def _hand_over(self, new: RoutingEngine, changes: Mapping[str, Any],
                   callbacks: Sequence[Callable[..., Any]], *, share: bool,
                   fresh_stats: Callable[[], Any]) -> None:
        """Give a derived engine its callbacks, statistics and sticky memory: this engine's
        (a per-call variant) or new ones (a copy); its own variant cache either way."""
        if share:
            new.on_route = self.on_route if "on_route" not in changes else list(callbacks)
            new.stats = self.stats
            new._sticky, new._sticky_lock = self._sticky, self._sticky_lock
        else:
            new.on_route = list(callbacks) if "on_route" in changes else list(self.on_route)
            new.stats = fresh_stats()
            new._sticky, new._sticky_lock = OrderedDict(), threading.Lock()
        new._variants, new._variants_lock = OrderedDict(), threading.Lock()

    def _derive(self, changes: Mapping[str, Any], *, share: bool) -> RoutingEngine:
        settings = self._settings.changed(**changes)
        active, callbacks = self._resolve(settings, (self._settings, self.router))
        new = RoutingEngine.__new__(RoutingEngine)
        new._settings = settings
        new._active = active
        self._hand_over(new, changes, callbacks, share=share,
                        fresh_stats=lambda: RoutingStats(settings.prices))
        new._score_lock = self._score_lock if active.router is self.router else threading.Lock()
        new.recorder = self.recorder  # one log file: variants and copies record to it too
        if active.traffic is not None and active.router is self.router:
            active.traffic.carry_from(self._active.traffic)  # a warm window stays warm
        return new

    def __getstate__(self) -> dict[str, Any]:
        s = self._settings
        router = s.router
        if not isinstance(router, (str, os.PathLike)):
            router = self.router  # an instance: pickled as it is
        with self._sticky_lock:
            sticky = dict(self._sticky)
        return {"settings": replace(s, router=router), "on_route": list(self.on_route),
                "stats": self.stats, "sticky": sticky, "recorder": self.recorder,
                "traffic": getattr(self._active, "traffic", None)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        settings: RoutingSettings = state["settings"]
        # a router given by name or directory is loaded again, not unpickled
        active, _ = self._resolve(settings, None)
        if active.traffic is not None:
            active.traffic.carry_from(state.get("traffic"))  # the window's recent scores
        self._restore(settings, active, state)
        self.recorder = state.get("recorder")

    def _restore(self, settings: Any, active: Any, state: dict[str, Any]) -> None:
        """The unpickled state, with new locks and an empty variant cache (engine and ladder)."""
        self._settings = settings
        self._active = active
        self.on_route = list(state["on_route"])
        self.stats = state["stats"]
        self._sticky = OrderedDict(state["sticky"])
        self._sticky_lock = threading.Lock()
        self._score_lock = threading.Lock()
        self._variants, self._variants_lock = OrderedDict(), threading.Lock()

    # ------------------------------------------------------------------------------------------
    def resolve_force(self, force: str | None) -> Route | None:
        """Map ``"strong"``, ``"weak"`` or an inner model's name to a route.

        Raises:
            ConfigError: ``force`` is not a string, or it names both inner models (they have
                the same name): force with ``"strong"`` or ``"weak"`` then.
            UnknownNameError: no route or model has that name (the valid names are listed).
        """
        if force is None:
            return None
        if not isinstance(force, str):
            raise ConfigError(f"a forced route (model=) must be 'strong', 'weak' or an inner "
                              f"model's name, got {type(force).__name__} {force!r}")
        if force in ROUTES:
            return force  # type: ignore[return-value]
        names = self._active.names
        matches = [route for route, name in names.items() if name == force]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ConfigError(
                f"model {force!r} is ambiguous: the strong and the weak model are both called "
                f"{force!r}; force with model='strong' or model='weak'"
            )
        raise unknown_name("model", force, dict.fromkeys([*ROUTES, *names.values()]))

    def other(self, route: Route) -> Route:
        return "weak" if route == "strong" else "strong"

    def text_for(self, turns: Sequence[Turn], *, question: str | None = None, raw: Any = None) -> str:
        """Apply this engine's routing-text policy."""
        return routing_text(self._active.policy, turns, question=question, raw=raw)

    def warmup(self) -> float:
        """Load the router's models now instead of on the first routed call; returns the
        seconds it took. For the shipped default this reads the static embedding table (well
        under a second); a router on MiniLM loads torch and the weights (seconds). Nothing is
        recorded in the statistics."""
        t0 = time.perf_counter()
        self.score("warm-up")
        return time.perf_counter() - t0

    def score(self, text: str) -> float:
        """The router's score for one text (no threshold, no statistics)."""
        with self._score_lock:
            return score_text(self._active.router, text)

    def decide(
        self, text: str | None, *, force: str | None = None, thread_id: str | None = None
    ) -> RouteDecision:
        """Decide the route for one call and record it.

        Args:
            text: the routing text (from :meth:`text_for`); may be ``None`` when forced.
            force: ``"strong"``, ``"weak"`` or an inner model's name: skip the router.
            thread_id: conversation id for sticky routing.
        """
        return self._decide(lambda: text, force=force, thread_id=thread_id)

    def decide_turns(
        self,
        turns: Sequence[Turn],
        *,
        question: str | None = None,
        raw: Any = None,
        force: str | None = None,
        thread_id: str | None = None,
    ) -> RouteDecision:
        """:meth:`text_for` then :meth:`decide`, for wrappers.

        The routing text is only computed when the router is asked (not for forced or sticky
        calls), and a user's ``routing_text`` function that raises is handled by the same
        fail-safe as a router that raises.

        Raises:
            DataError: the conversation is empty (and no question is known).
        """
        if not turns and not question and not (callable(self._active.policy) and raw):
            raise DataError("cannot route an empty message list: pass at least one message")
        return self._decide(
            lambda: self.text_for(turns, question=question, raw=raw),
            force=force,
            thread_id=thread_id,
        )

    async def adecide_turns(
        self,
        turns: Sequence[Turn],
        *,
        question: str | None = None,
        raw: Any = None,
        force: str | None = None,
        thread_id: str | None = None,
    ) -> RouteDecision:
        """:meth:`decide_turns` in a worker thread unless the router is not asked."""
        kw = {"question": question, "raw": raw, "force": force, "thread_id": thread_id}
        if force is not None:
            return self.decide_turns(turns, **kw)
        return await asyncio.to_thread(functools.partial(self.decide_turns, turns, **kw))

    def _decide(
        self, get_text: Callable[[], str | None], *, force: str | None, thread_id: str | None
    ) -> RouteDecision:
        a = self._active
        forced = self.resolve_force(force)
        if forced is not None:
            decision = self._make(a, forced, None, "forced", 0.0, self._recorded_text(get_text))
        elif a.sticky and thread_id is not None and (r := self._sticky_get(thread_id)):
            decision = self._make(a, r, None, "sticky", 0.0, self._recorded_text(get_text))
        else:
            t0 = time.perf_counter()
            try:
                text = get_text()
                if text is None:
                    raise DataError("no routing text")
                with self._score_lock:  # a long text: its start, end and final part only
                    s = score_text(a.router, text)
                threshold = a.threshold if a.traffic is None else a.traffic.threshold
                route: Route = "strong" if s >= threshold else "weak"
                if a.traffic is not None:
                    a.traffic.observe(s)
                decision = self._make(a, route, s, "router", (time.perf_counter() - t0) * 1e3,
                                      text, threshold)
            except Exception as exc:  # the fail-safe: never lose a call to a router bug
                logger.warning(
                    "router %r failed (%s: %s); sending the call to the %s model",
                    a.router.name, type(exc).__name__, exc, a.on_router_error,
                )
                decision = self._make(a, a.on_router_error, None, "router_error",
                                      (time.perf_counter() - t0) * 1e3)
            if a.sticky and thread_id is not None:
                self._sticky_set(thread_id, decision.route, a.max_sticky)
        self.stats.record_decision(decision)
        self._notify(decision)
        return decision

    def _notify(self, decision: RouteDecision) -> None:
        for cb in self.on_route:
            try:
                cb(decision)
            except Exception as exc:  # a user's callback must not break the call
                logger.warning("on_route callback %r raised %s: %s", cb, type(exc).__name__, exc)

    # ---- the chosen model raised ------------------------------------------------------------
    def fallback_decision(self, decision: RouteDecision) -> RouteDecision:
        """The decision after the chosen model raised and the other model takes the call.

        The statistics move the call to the other route with the reason ``"fallback"``, a
        warning is logged, and the ``on_route`` callbacks receive the new decision.
        """
        to = self.other(decision.route)
        names = self._active.names
        self.stats.record_fallback(decision.route, to, decision.reason)
        logger.warning("the %s model (%s) raised; retrying once on the %s model (%s)",
                       decision.route, decision.model, to, names[to])
        new = RouteDecision(to, names[to], decision.score, decision.threshold,
                            decision.router, "fallback", decision.latency_ms, decision.text,
                            decision.pair)
        self._notify(new)
        return new

    # ---- usage ------------------------------------------------------------------------------
    def record_usage(
        self,
        route: Route,
        input_tokens: int | None,
        output_tokens: int | None,
        *,
        prompt: str | Callable[[], str] | None = None,
        output: str | Callable[[], str] | None = None,
    ) -> None:
        """Record one call's tokens, estimating the figures the provider did not report.

        Args:
            route: the route that answered.
            input_tokens, output_tokens: the provider's figures; ``None`` when it reported
                none: then the tokens of ``prompt`` / ``output`` are estimated with
                :func:`~routellm_core.costs.count_tokens` and marked as estimated in the
                statistics.
            prompt, output: the call's text (or a function returning it, only called when an
                estimate is needed).
        """
        est_in = input_tokens is None and prompt is not None
        est_out = output_tokens is None and output is not None
        tin = count_tokens(_text(prompt)) if est_in else int(input_tokens or 0)
        tout = count_tokens(_text(output)) if est_out else int(output_tokens or 0)
        self.stats.record_usage(route, tin, tout, estimated_input=est_in,
                                estimated_output=est_out)

    # ---- recording (opt-in: a TrafficRecorder) ----------------------------------------------
    def _recorded_text(self, get_text: Callable[[], str | None]) -> str | None:
        """The routed text of a forced or sticky call, computed only when recording."""
        if self.recorder is None:
            return None
        try:
            return get_text()
        except Exception:  # a user's routing_text function; recording must not break the call
            return None

    def record_call(
        self,
        decision: RouteDecision,
        answer: str | Callable[[], str],
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        run_id: str | None = None,
        prompt: str | Callable[[], str] | None = None,
        extra: Mapping[str, Any] | None = None,
        shadow: Callable[[Route], ShadowResult] | None = None,
    ) -> str | None:
        """Append the call to the recorder's log (nothing without a recorder); never raises.

        Wrappers call this once per answered call, after the answer has reached the user's
        code path (for streams: when the stream ends).

        Args:
            decision: the decision that answered (after any fallback).
            answer: the answer text (or a function returning it).
            input_tokens, output_tokens: the provider's figures, when it reported them.
            run_id: the call's id (the LangChain run id); a new UUID when ``None``.
            prompt: the routed text when the decision does not carry it.
            extra: more fields for the row (e.g. ``tool_calls``).
            shadow: calls the *other* model on the same input and returns ``(answer,
                input_tokens, output_tokens)``; used on the recorder's ``shadow_rate`` share
                of router-decided calls.

        Returns:
            The run id of the record, or ``None`` without a recorder.
        """
        rec = self.recorder
        if rec is None:
            return None
        run_id = self._write_record(rec, decision, answer, input_tokens, output_tokens, run_id,
                                    prompt, extra)
        self.record_shadow(decision, run_id, shadow)
        return run_id

    async def arecord_call(
        self,
        decision: RouteDecision,
        answer: str | Callable[[], str],
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        run_id: str | None = None,
        prompt: str | Callable[[], str] | None = None,
        extra: Mapping[str, Any] | None = None,
        shadow: Callable[[Route], Awaitable[ShadowResult]] | None = None,
    ) -> str | None:
        """:meth:`record_call` with an async ``shadow`` call."""
        rec = self.recorder
        if rec is None:
            return None
        run_id = self._write_record(rec, decision, answer, input_tokens, output_tokens, run_id,
                                    prompt, extra)
        await self.arecord_shadow(decision, run_id, shadow)
        return run_id

    def record_shadow(self, decision: RouteDecision, run_id: str | None,
                      shadow: Callable[[Route], ShadowResult] | None) -> None:
        """The shadow call of a recorded call (:meth:`record_call`): on the recorder's
        ``shadow_rate`` share of router-decided calls, ``shadow`` runs the *other* model and
        its answer is recorded under ``run_id``, on the recorder's worker threads (off the
        caller's path: :meth:`~routellm_core.recorder.TrafficRecorder.submit`). Never raises."""
        target = self._shadow_target(decision, run_id, shadow)
        if target is None or shadow is None:
            return
        rec, other, rid = target

        def job() -> None:
            try:
                result: ShadowResult | None = shadow(other)
            except Exception as exc:
                _shadow_failed(other, exc)
                result = None
            self._write_shadow(rec, decision, other, rid, result)
        rec.submit(job)

    async def arecord_shadow(self, decision: RouteDecision, run_id: str | None,
                             shadow: Callable[[Route], Awaitable[ShadowResult]] | None) -> None:
        """:meth:`record_shadow` with an async ``shadow`` call, started as a task on the
        running loop (:meth:`~routellm_core.recorder.TrafficRecorder.submit_async`); returns
        without waiting for it."""
        target = self._shadow_target(decision, run_id, shadow)
        if target is None or shadow is None:
            return
        rec, other, rid = target

        async def job() -> None:
            try:
                result: ShadowResult | None = await shadow(other)
            except Exception as exc:
                _shadow_failed(other, exc)
                result = None
            self._write_shadow(rec, decision, other, rid, result)
        rec.submit_async(job)

    def _shadow_target(self, decision: RouteDecision, run_id: str | None,
                       shadow: object) -> tuple[TrafficRecorder, Route, str] | None:
        """Where a shadow call goes (recorder, the other route, run id), or ``None`` when
        none is made: no recorder, no shadow function, a forced call, or not in the
        recorder's ``shadow_rate`` share."""
        rec = self.recorder
        if rec is None or shadow is None or run_id is None:
            return None
        if decision.reason not in ("router", "sticky") or not rec.should_shadow():
            return None
        return rec, self.other(decision.route), run_id

    def _row(self, decision: RouteDecision, route: Route, model: str, answer: str,
             tin: int | None, tout: int | None, run_id: str, prompt: str) -> dict[str, Any]:
        names = self._active.names
        return {
            "prompt": prompt, "model": model, "answer": answer, "outcome": None,
            "input_tokens": tin, "output_tokens": tout, "run_id": run_id, "route": route,
            "reason": decision.reason, "score": decision.score,
            "threshold": decision.threshold, "router": decision.router,
            "router_id": router_fingerprint(self._active.router),
            "strong_model": names["strong"], "weak_model": names["weak"], "time": time.time(),
        }

    def _write_record(self, rec: TrafficRecorder, decision: RouteDecision,
                      answer: str | Callable[[], str], tin: int | None, tout: int | None,
                      run_id: str | None, prompt: str | Callable[[], str] | None,
                      extra: Mapping[str, Any] | None) -> str:
        run_id = run_id or rec.new_run_id()
        try:
            text = decision.text if decision.text is not None else _text(prompt)
            row = self._row(decision, decision.route, decision.model, _text(answer), tin, tout,
                            str(run_id), text)
            row.update(extra or {})
        except Exception as exc:  # e.g. an answer callable that raises: count it as lost
            rec.count_error(exc)
            return str(run_id)
        rec.write(row)
        return str(run_id)

    def _write_shadow(self, rec: TrafficRecorder, decision: RouteDecision, route: Route,
                      run_id: str, result: ShadowResult | None) -> None:
        prices = self.stats.prices
        if result is None:
            rec.count_shadow(route, 0, 0, failed=True, prices=prices)
            return
        answer, tin, tout = result
        prompt = decision.text or ""
        rec.count_shadow(route, count_tokens(prompt) if tin is None else int(tin),
                         count_tokens(answer) if tout is None else int(tout), prices=prices)
        row = self._row(decision, route, self._active.names[route], answer, tin, tout, run_id,
                        prompt)
        row["shadow"] = True
        rec.write(row)

    def recorder_stats(self) -> RecorderStats | None:
        """The recorder's statistics, shadow calls priced with this engine's prices (``None``
        without a recorder)."""
        if self.recorder is None:
            return None
        return self.recorder.snapshot(self.stats.prices)

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _make(a: _Active, route: Route, score: float | None, reason: str, ms: float,
              text: str | None = None, threshold: float | None = None) -> RouteDecision:
        return RouteDecision(route, a.names[route], score,
                             a.threshold if threshold is None else threshold, a.router.name,
                             reason, ms, text, scored_pair(a.router))

    def _sticky_get(self, thread_id: str) -> Route | None:
        with self._sticky_lock:
            r = self._sticky.get(thread_id)
            if r is not None:
                self._sticky.move_to_end(thread_id)
            return r

    def _sticky_set(self, thread_id: str, route: Route, limit: int) -> None:
        with self._sticky_lock:
            self._sticky[thread_id] = route
            self._sticky.move_to_end(thread_id)
            while len(self._sticky) > limit:
                self._sticky.popitem(last=False)


def _shadow_failed(route: Route, exc: Exception) -> None:
    logger.warning("routellm recorder: the shadow call to the %s model raised (%s: %s); "
                   "nothing recorded for it", route, type(exc).__name__, exc)


def _text(value: str | Callable[[], str] | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value()
