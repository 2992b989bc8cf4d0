"""The ``RouteDecision`` instrumentation event.

:class:`~llamaindex_routellm.llms.RouteLLM` dispatches one :class:`RouteDecisionEvent` through
``llama_index.core.instrumentation`` for every routing decision (and a second one, with
``reason="fallback"``, when the chosen model raised and the other model took the call). Any
event handler attached to the root dispatcher receives it, next to LlamaIndex's own LLM events.

Example:
    >>> from llama_index.core.instrumentation import get_dispatcher
    >>> from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    >>> class Collect(BaseEventHandler):
    ...     events: list = []
    ...     def handle(self, event, **kwargs):
    ...         if isinstance(event, RouteDecisionEvent):
    ...             self.events.append(event)
    >>> handler = Collect()
    >>> get_dispatcher().add_event_handler(handler)
    >>> # ... RouteLLM calls ...; handler.events[i].route is "strong" or "weak"
    >>> get_dispatcher().event_handlers.remove(handler)
"""

from __future__ import annotations

from llama_index.core.instrumentation.events.base import BaseEvent

from routellm_core.routing.engine import RouteDecision

__all__ = ["RouteDecisionEvent"]


class RouteDecisionEvent(BaseEvent):
    """One routing decision of a :class:`~llamaindex_routellm.llms.RouteLLM`.

    Attributes:
        route: ``"strong"`` or ``"weak"``: the model that takes the call.
        model: that model's name.
        score: the router's score (``None`` when the router was not asked or failed).
        threshold: the threshold in force (``score >= threshold`` routes strong).
        router: the router's name.
        reason: ``"router"``, ``"forced"``, ``"sticky"``, ``"router_error"`` or ``"fallback"``.
        latency_ms: time spent scoring.
        method: the LLM method that was routed (``"chat"``, ``"astream_complete"``, ...).
    """

    route: str
    model: str
    score: float | None = None
    threshold: float
    router: str
    reason: str
    latency_ms: float = 0.0
    method: str = ""

    @classmethod
    def class_name(cls) -> str:
        return "RouteDecisionEvent"

    @classmethod
    def from_decision(cls, decision: RouteDecision, *, method: str) -> RouteDecisionEvent:
        return cls(
            route=decision.route,
            model=decision.model,
            score=decision.score,
            threshold=decision.threshold,
            router=decision.router,
            reason=decision.reason,
            latency_ms=decision.latency_ms,
            method=method,
        )

    def to_decision(self) -> RouteDecision:
        """The core :class:`~routellm_core.routing.engine.RouteDecision` this event reports."""
        return RouteDecision(
            self.route,  # type: ignore[arg-type]
            self.model,
            self.score,
            self.threshold,
            self.router,
            self.reason,
            self.latency_ms,
        )
