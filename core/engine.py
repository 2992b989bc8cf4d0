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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .calibration import check_fraction
from .costs import Price, PriceTable
from .errors import DataError, unknown_name
from .routers import load_router
from .routers.base import Router

__all__ = [
    "Route",
    "Turn",
    "RouteDecision",
    "RoutingStats",
    "StatsSnapshot",
    "RoutingEngine",
    "ROUTING_TEXT_POLICIES",
    "routing_text",
]

logger = logging.getLogger("routellm")

Route = Literal["strong", "weak"]
ROUTES: tuple[Route, Route] = ("strong", "weak")

#: Named policies for which text the router scores.
ROUTING_TEXT_POLICIES = ("last_user", "first_user", "conversation", "question")


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, framework-neutral. ``role`` is ``"user"``,
    ``"assistant"``, ``"system"`` or ``"tool"``."""

    role: str
    text: str


RoutingTextPolicy = str | Callable[[Any], str]


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
    """

    route: Route
    model: str
    score: float | None
    threshold: float
    router: str
    reason: str = "router"
    latency_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The record wrappers attach to responses (``routellm`` metadata)."""
        return {
            "route": self.route,
            "model": self.model,
            "score": self.score,
            "threshold": self.threshold,
            "router": self.router,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of :class:`RoutingStats` at one moment."""

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

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def strong_fraction(self) -> float:
        n = self.total_calls
        return self.calls.get("strong", 0) / n if n else 0.0


class RoutingStats:
    """Thread-safe counters of calls and tokens per route, with cost and savings.

    Args:
        prices: optional ``{"strong": Price|(in, out), "weak": ...}`` in USD per million
            tokens; with them, :meth:`snapshot` reports the cost, the cost had every call gone
            to the strong model, and the savings.
    """

    def __init__(self, prices: Mapping[str, Price | tuple[float, float]] | None = None) -> None:
        self._lock = threading.Lock()
        self.prices = PriceTable(prices) if prices else None
        if self.prices is not None:
            for r in ROUTES:
                self.prices.get(r)  # fail at construction, not at the first call
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: dict[str, int] = dict.fromkeys(ROUTES, 0)
            self._in: dict[str, int] = dict.fromkeys(ROUTES, 0)
            self._out: dict[str, int] = dict.fromkeys(ROUTES, 0)
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

    def record_fallback(self, from_route: Route, to_route: Route) -> None:
        """The call moved from one route to the other (the chosen model raised)."""
        with self._lock:
            self._calls[from_route] -= 1
            self._calls[to_route] += 1
            self._fallbacks += 1

    def record_usage(self, route: Route, input_tokens: int, output_tokens: int) -> None:
        with self._lock:
            self._in[route] += int(input_tokens or 0)
            self._out[route] += int(output_tokens or 0)

    def snapshot(self) -> StatsSnapshot:
        with self._lock:
            calls, tin, tout = dict(self._calls), dict(self._in), dict(self._out)
            reasons, fb, err, ms = dict(self._reasons), self._fallbacks, self._errors, self._scoring_ms
        cost = always = savings = None
        if self.prices is not None:
            cost = sum(self.prices.cost(r, tin[r], tout[r]) for r in ROUTES)
            # Always-strong assumes the strong model would have used the same tokens.
            always = self.prices.cost("strong", sum(tin.values()), sum(tout.values()))
            savings = always - cost
        return StatsSnapshot(calls, tin, tout, reasons, fb, err, cost, always, savings, ms)


class RoutingEngine:
    """Decides strong or weak for each call; shared by the LangChain and LlamaIndex wrappers.

    Args:
        router: ``"default"`` (the shipped router), ``"random"``, a checkpoint directory, or a
            :class:`~routellm_core.routers.base.Router`.
        strong_fraction: the share of calls (on the router's calibration prompts) that should
            go to the strong model; the threshold comes from the router's calibration table.
        threshold: a raw score threshold instead (``score >= threshold`` routes strong).
            Give ``strong_fraction`` or ``threshold``, not both; with neither, 0.5 of calls.
        strong_name, weak_name: model names reported in decisions (default: the router's
            ``strong_model`` / ``weak_model``).
        routing_text: policy for which text is scored (see :func:`routing_text`).
        sticky: keep a conversation (by thread id) on the route of its first decision.
        on_router_error: route used when the router raises (``"strong"`` by default).
        on_route: callables receiving each :class:`RouteDecision`.
        prices: per-route prices for :class:`RoutingStats`.
        max_sticky_threads: how many conversations the sticky memory keeps (LRU).
        embedder: optional embedder for embedding routers (any object with ``embed``).
    """

    def __init__(
        self,
        router: str | os.PathLike[str] | Router = "default",
        *,
        strong_fraction: float | None = None,
        threshold: float | None = None,
        strong_name: str | None = None,
        weak_name: str | None = None,
        routing_text: RoutingTextPolicy = "last_user",
        sticky: bool = False,
        on_router_error: Route = "strong",
        on_route: Sequence[Callable[[RouteDecision], Any]] | Callable[[RouteDecision], Any] | None = None,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
        max_sticky_threads: int = 10_000,
        embedder: Any = None,
    ) -> None:
        if strong_fraction is not None and threshold is not None:
            raise DataError("give strong_fraction or threshold, not both")
        if on_router_error not in ROUTES:
            raise unknown_name("route", on_router_error, ROUTES)
        if isinstance(routing_text, str) and routing_text not in ROUTING_TEXT_POLICIES:
            raise unknown_name("routing_text policy", routing_text, ROUTING_TEXT_POLICIES)
        self.router: Router = load_router(router, embedder=embedder)
        if threshold is not None:
            self.threshold = float(threshold)
        else:
            self.strong_fraction = check_fraction(0.5 if strong_fraction is None else strong_fraction)
            self.threshold = self.router.threshold_for(self.strong_fraction)
        self.names: dict[Route, str] = {
            "strong": strong_name or self.router.strong_model,
            "weak": weak_name or self.router.weak_model,
        }
        self.routing_text_policy = routing_text
        self.sticky = sticky
        self.on_router_error: Route = on_router_error
        if on_route is None:
            self.on_route: list[Callable[[RouteDecision], Any]] = []
        elif callable(on_route):
            self.on_route = [on_route]
        else:
            self.on_route = list(on_route)
        self.stats = RoutingStats(prices)
        self._sticky: OrderedDict[str, Route] = OrderedDict()
        self._sticky_lock = threading.Lock()
        self._max_sticky = max_sticky_threads
        # one scoring at a time: torch/BLAS thread pools thrash on 2 cores when several
        # threads embed at once, and some tokenizers are not thread-safe.
        self._score_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------
    def resolve_force(self, force: str | None) -> Route | None:
        """Map ``"strong"``, ``"weak"`` or an inner model's name to a route."""
        if force is None:
            return None
        if force in ROUTES:
            return force  # type: ignore[return-value]
        for route, name in self.names.items():
            if force == name:
                return route
        raise unknown_name("model", force, [*ROUTES, *self.names.values()])

    def other(self, route: Route) -> Route:
        return "weak" if route == "strong" else "strong"

    def text_for(self, turns: Sequence[Turn], *, question: str | None = None, raw: Any = None) -> str:
        """Apply this engine's routing-text policy."""
        return routing_text(self.routing_text_policy, turns, question=question, raw=raw)

    def warmup(self) -> float:
        """Load the router's models now (for embedding routers: torch and MiniLM, about 4 s on
        2 cores) instead of on the first routed call; returns the seconds it took. Nothing is
        recorded in the statistics."""
        t0 = time.perf_counter()
        self.score("warm-up")
        return time.perf_counter() - t0

    def score(self, text: str) -> float:
        """The router's score for one text (no threshold, no statistics)."""
        with self._score_lock:
            return float(self.router.predict_win_rate([text])[0])

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
        if not turns and not question and not (callable(self.routing_text_policy) and raw):
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
        forced = self.resolve_force(force)
        router_name = self.router.name
        if forced is not None:
            decision = self._make(forced, None, "forced", 0.0)
        elif self.sticky and thread_id is not None and (r := self._sticky_get(thread_id)):
            decision = self._make(r, None, "sticky", 0.0)
        else:
            t0 = time.perf_counter()
            try:
                text = get_text()
                if text is None:
                    raise DataError("no routing text")
                s = self.score(text)
                route: Route = "strong" if s >= self.threshold else "weak"
                decision = self._make(route, s, "router", (time.perf_counter() - t0) * 1e3)
            except Exception as exc:  # the fail-safe: never lose a call to a router bug
                logger.warning(
                    "router %r failed (%s: %s); sending the call to the %s model",
                    router_name, type(exc).__name__, exc, self.on_router_error,
                )
                decision = self._make(self.on_router_error, None, "router_error",
                                      (time.perf_counter() - t0) * 1e3)
            if self.sticky and thread_id is not None:
                self._sticky_set(thread_id, decision.route)
        self.stats.record_decision(decision)
        for cb in self.on_route:
            try:
                cb(decision)
            except Exception as exc:  # a user's callback must not break the call
                logger.warning("on_route callback %r raised %s: %s", cb, type(exc).__name__, exc)
        return decision

    async def adecide(
        self, text: str | None, *, force: str | None = None, thread_id: str | None = None
    ) -> RouteDecision:
        """:meth:`decide` in a worker thread, so scoring never blocks the event loop."""
        if force is not None or text is None:
            return self.decide(text, force=force, thread_id=thread_id)
        return await asyncio.to_thread(self.decide, text, force=force, thread_id=thread_id)

    def fallback_decision(self, decision: RouteDecision) -> RouteDecision:
        """The decision after the chosen model raised and the other model takes the call."""
        to = self.other(decision.route)
        self.stats.record_fallback(decision.route, to)
        logger.warning("the %s model (%s) raised; retrying once on the %s model (%s)",
                       decision.route, decision.model, to, self.names[to])
        return RouteDecision(to, self.names[to], decision.score, decision.threshold,
                             decision.router, "fallback", decision.latency_ms)

    def record_usage(self, route: Route, input_tokens: int, output_tokens: int) -> None:
        self.stats.record_usage(route, input_tokens, output_tokens)

    # ------------------------------------------------------------------------------------------
    def _make(self, route: Route, score: float | None, reason: str, ms: float) -> RouteDecision:
        return RouteDecision(route, self.names[route], score, self.threshold, self.router.name, reason, ms)

    def _sticky_get(self, thread_id: str) -> Route | None:
        with self._sticky_lock:
            r = self._sticky.get(thread_id)
            if r is not None:
                self._sticky.move_to_end(thread_id)
            return r

    def _sticky_set(self, thread_id: str, route: Route) -> None:
        with self._sticky_lock:
            self._sticky[thread_id] = route
            self._sticky.move_to_end(thread_id)
            while len(self._sticky) > self._max_sticky:
                self._sticky.popitem(last=False)

