"""The routing engine both framework wrappers share, for two models and for ladders.

A wrapper turns its framework's messages into :class:`~routellm_core.routing.turns.Turn` records, asks
the engine for a :class:`~routellm_core.routing.decisions.RouteDecision`, calls the chosen model, and
reports token usage back. The engine owns everything around a decision, once: its settings
and their changes, per-call variants, copies and pickling, forced routes, sticky
conversations and conversational momentum, the fail-safe when the router raises, fallbacks,
``on_route`` callbacks and statistics. The decision itself comes from its chooser
(:mod:`routellm_core.routing.choosers`): the pair chooser for ``strong``/``weak``, the ladder chooser
for ``models``.

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
from dataclasses import dataclass
from typing import Any

from ..costs import count_tokens
from ..errors import ConfigError, DataError, unknown_name
from ..routers import load_router
from ..routers.base import Router
from ..scoring.fingerprint import router_fingerprint
from .choosers import TRAFFIC_WARMUP, Chooser, LadderChooser, build_chooser
from .decisions import Route, RouteDecision, RoutingStats, StatsSnapshot
from .ladder import Ladder
from .memory import ThreadMemory, momentum_score
from .recorder import (
    CallContext,
    RecorderStats,
    ShadowResult,
    TrafficRecorder,
    arecord_call,
    arecord_shadow,
    check_recorder,
    record_call,
    record_shadow,
    text_of,
)
from .settings import (
    LADDER_SETTINGS,
    ROUTING_TEXT_POLICIES,
    SETTINGS,
    LadderSettings,
    OnRoute,
    RouterSpec,
    RoutingSettings,
    RoutingTextPolicy,
    check_callbacks,
    check_momentum,
)
from .turns import TURN_ROLES, Turn, routing_text, turn_role

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
    "LadderEngine",
    "ROUTING_TEXT_POLICIES",
    "routing_text",
]

logger = logging.getLogger("routellm")

#: The settings of engines pickled before they were called RoutingSettings.
_Settings = RoutingSettings
#: the largest number of per-call variants an engine keeps
MAX_VARIANTS = 32


@dataclass(frozen=True)
class _Active:
    """What decisions read, validated and resolved; swapped as one object, so a call in
    flight never mixes old and new settings."""

    chooser: Chooser
    policy: RoutingTextPolicy
    sticky: bool
    on_router_error: str
    max_sticky: int
    momentum: float | None


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


def _resolve(s: RoutingSettings | LadderSettings, current: tuple[Any, Any] | None
             ) -> tuple[_Active, tuple[Callable[..., Any], ...]]:
    """Check settings, load the router (reusing ``current``'s ``(settings, router)`` when
    unchanged) and build the chooser."""
    s.check()
    if (current is not None and _same_router_spec(current[0].router, s.router)
            and current[0].embedder is s.embedder):
        router = current[1]
    else:
        router = load_router(s.router, embedder=s.embedder)
    chooser = build_chooser(s, router)
    active = _Active(chooser, s.routing_text, bool(s.sticky),
                     chooser.on_error_route(s.on_router_error), int(s.max_sticky_threads),
                     check_momentum(s.momentum))
    return active, check_callbacks("on_route", s.on_route)


def _settings_from(kind: type[RoutingSettings] | type[LadderSettings], names: Sequence[str],
                   **values: Any) -> RoutingSettings | LadderSettings:
    """The settings object of an engine's keywords; an unknown keyword names the closest
    setting."""
    for key in values:
        if key not in names:
            raise unknown_name("engine setting", key, names)
    return kind(**values)


def _carry_window(new: _Active, old: _Active) -> None:
    """A derived engine's traffic window continues from its parent's recent scores."""
    traffic = getattr(new.chooser, "traffic", None)
    if traffic is not None:
        traffic.carry_from(getattr(old.chooser, "traffic", None))


class RoutingEngine:
    """Decides the model for each call; shared by the LangChain and LlamaIndex wrappers.

    The constructor takes the two-model settings (the pair chooser); a ladder's engine is a
    :class:`LadderEngine`, and :meth:`from_settings` builds either from its settings object.

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
            :func:`~routellm_core.routing.settings.inner_model_name`.
        routing_text: policy for which text is scored (see :func:`routing_text`).
        sticky: keep a conversation (by thread id) on the route of its first decision.
        on_router_error: route used when the router raises (``"strong"`` by default).
        on_route: callables receiving each :class:`RouteDecision`, fallbacks included.
        prices: per-route prices for :class:`RoutingStats`.
        max_sticky_threads: how many conversations the sticky (or momentum) memory keeps (LRU).
        calibration_window: keep the share of strong calls at ``strong_fraction`` on *this*
            traffic: after :data:`TRAFFIC_WARMUP` decisions the threshold is the
            ``strong_fraction`` quantile of the last ``calibration_window`` router scores
            (:class:`~routellm_core.scoring.calibration.TrafficThreshold`; at least 10), instead of
            the calibration table's threshold. Needs ``strong_fraction``; changing settings
            later starts a new window.
        pair: the pair the router scores: ``None`` (default: the router's own pair),
            ``"auto"`` (recognise ``strong_name`` and ``weak_name``) or ``(strong, weak)``
            names. A pair the router knows is scored and calibrated for itself; any other
            falls back to the router's own pair, logged once (:mod:`routellm_core.routing.pairs`).
        aliases: ``{your model name: a model the router knows}`` for that recognition.
        momentum: conversational momentum in [0, 1) (``None``: off): in a conversation (by
            thread id), a turn's score is raised to ``momentum`` times the score the previous
            turn was routed on (:func:`~routellm_core.routing.memory.momentum_score`), so a short
            follow-up after a hard exchange stays strong while the memory decays.
        embedder: optional embedder for embedding routers (any object with ``embed``).
        recorder: a :class:`~routellm_core.routing.recorder.TrafficRecorder` (``None``: nothing is
            recorded).

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

    #: the traffic recorder (``None``: nothing is recorded)
    recorder: TrafficRecorder | None = None

    def __init__(self, router: RouterSpec = "default", *, recorder: TrafficRecorder | None = None,
                 **settings: Any) -> None:
        # the keywords are RoutingSettings' fields, defined (and checked) there once
        self._start(_settings_from(RoutingSettings, SETTINGS, router=router, **settings),
                    recorder)

    def _start(self, settings: RoutingSettings | LadderSettings,
               recorder: TrafficRecorder | None) -> None:
        active, callbacks = _resolve(settings, None)
        self._settings = settings
        self._active = active
        self.on_route: list[Callable[[RouteDecision], Any]] = list(callbacks)
        self.stats = active.chooser.new_stats()
        self._sticky: ThreadMemory[str] = ThreadMemory()
        self._momentum: ThreadMemory[float] = ThreadMemory()
        # one scoring at a time: torch/BLAS thread pools thrash on 2 cores when several
        # threads embed at once, and some tokenizers are not thread-safe.
        self._score_lock = threading.Lock()
        self._variants: OrderedDict[Any, RoutingEngine] = OrderedDict()
        self._variants_lock = threading.Lock()
        self.recorder = check_recorder(recorder)

    @classmethod
    def from_settings(cls, settings: RoutingSettings | LadderSettings, *,
                      recorder: TrafficRecorder | None = None) -> RoutingEngine:
        """The engine of a settings object (how both wrappers and the agent middleware build
        theirs): a :class:`RoutingEngine` for
        :class:`~routellm_core.routing.settings.RoutingSettings`, a :class:`LadderEngine` for
        :class:`~routellm_core.routing.settings.LadderSettings`; validated as in the constructors.

        Example:
            >>> from routellm_core.routing.settings import RoutingSettings
            >>> RoutingEngine.from_settings(RoutingSettings(router="random", threshold=0.4)).threshold
            0.4
        """
        klass = LadderEngine if isinstance(settings, LadderSettings) else RoutingEngine
        engine = klass.__new__(klass)
        engine._start(settings, recorder)
        return engine

    # ---- settings -----------------------------------------------------------------------------
    @property
    def chooser(self) -> Chooser:
        """The chooser in force (:class:`~routellm_core.routing.choosers.PairChooser` or
        :class:`~routellm_core.routing.choosers.LadderChooser`)."""
        return self._active.chooser

    @property
    def router(self) -> Router:
        """The loaded router."""
        return self._active.chooser.router  # type: ignore[no-any-return]

    @property
    def threshold(self) -> float:
        """The threshold in force (``score >= threshold`` routes strong); with
        ``calibration_window``, the one the traffic has moved it to; on a ladder, the knob's
        value."""
        return self._active.chooser.threshold

    @property
    def strong_fraction(self) -> float | None:
        """The strong fraction the threshold was read for (``None`` with a raw threshold)."""
        return self._active.chooser.strong_fraction

    @property
    def names(self) -> dict[str, str]:
        """The inner models' names by route."""
        return self._active.chooser.names

    @property
    def routing_text_policy(self) -> RoutingTextPolicy:
        return self._active.policy

    @property
    def sticky(self) -> bool:
        return self._active.sticky

    @property
    def momentum(self) -> float | None:
        """The conversational momentum (``None``: off)."""
        return self._active.momentum

    @property
    def remembers_threads(self) -> bool:
        """Whether decisions read a conversation's memory (``sticky`` or ``momentum``), so a
        wrapper should name the conversation."""
        return self._active.sticky or self._active.momentum is not None

    @property
    def on_router_error(self) -> str:
        return self._active.on_router_error

    @property
    def settings_object(self) -> RoutingSettings | LadderSettings:
        """The settings as given, as one object."""
        return self._settings

    @property
    def settings(self) -> dict[str, Any]:
        """The settings as given (router as a name, directory or instance), by name."""
        return self._settings.as_dict()

    def configure(self, **changes: Any) -> None:
        """Change settings in place, validated as in the constructor; on an error nothing
        changes. Statistics and sticky memory are kept; the router is loaded again only
        when ``router`` (or ``embedder``) changes.

        A ``threshold`` replaces a ``strong_fraction`` set before, and the reverse (on a
        ladder, the knob set last wins).

        Example:
            >>> engine = RoutingEngine("random", strong_fraction=0.3)
            >>> engine.configure(threshold=0.9)
            >>> engine.threshold, engine.strong_fraction
            (0.9, None)
        """
        settings = self._settings.changed(**changes)
        active, callbacks = _resolve(settings, (self._settings, self.router))
        self._settings = settings
        self._active = active
        if "on_route" in changes:
            self.on_route[:] = callbacks
        if "prices" in changes:
            self.stats.prices = active.chooser.prices
        with self._variants_lock:
            self._variants.clear()
        self._sticky.trim(active.max_sticky)
        self._momentum.trim(active.max_sticky)

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
            while len(self._variants) > MAX_VARIANTS:
                self._variants.popitem(last=False)
        return new

    def copy(self, **changes: Any) -> RoutingEngine:
        """An independent engine with the same settings (or these changes): its own statistics
        (starting at zero), sticky memory and ``on_route`` list. The loaded router is reused
        when the router setting is unchanged."""
        return self._derive(changes, share=False)

    def _derive(self, changes: Mapping[str, Any], *, share: bool) -> RoutingEngine:
        settings = self._settings.changed(**changes)
        active, callbacks = _resolve(settings, (self._settings, self.router))
        new = type(self).__new__(type(self))
        new._settings = settings
        new._active = active
        if share:
            new.on_route = self.on_route if "on_route" not in changes else list(callbacks)
            new.stats = self.stats
            new._sticky, new._momentum = self._sticky, self._momentum
        else:
            new.on_route = list(callbacks) if "on_route" in changes else list(self.on_route)
            new.stats = active.chooser.new_stats()
            new._sticky, new._momentum = ThreadMemory(), ThreadMemory()
        new._variants, new._variants_lock = OrderedDict(), threading.Lock()
        new._score_lock = self._score_lock if active.chooser.router is self.router else threading.Lock()
        new.recorder = self.recorder  # one log file: variants and copies record to it too
        if active.chooser.router is self.router:
            _carry_window(active, self._active)  # a warm window stays warm
        return new

    def __getstate__(self) -> dict[str, Any]:
        s = self._settings
        router = s.router
        if not isinstance(router, (str, os.PathLike)):
            router = self.router  # an instance: pickled as it is
        return {"settings": s.changed(router=router), "on_route": list(self.on_route),
                "stats": self.stats, "sticky": self._sticky.items(),
                "momentum": self._momentum.items(), "recorder": self.recorder,
                "traffic": getattr(self._active.chooser, "traffic", None)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        settings = state["settings"]
        # a router given by name or directory is loaded again, not unpickled
        active, _ = _resolve(settings, None)
        traffic = getattr(active.chooser, "traffic", None)
        if traffic is not None:
            traffic.carry_from(state.get("traffic"))  # the window's recent scores
        self._settings = settings
        self._active = active
        self.on_route = list(state["on_route"])
        self.stats = state["stats"]
        self._sticky = ThreadMemory(dict(state["sticky"]))
        self._momentum = ThreadMemory(dict(state.get("momentum") or {}))
        self._score_lock = threading.Lock()
        self._variants, self._variants_lock = OrderedDict(), threading.Lock()
        self.recorder = state.get("recorder")

    # ------------------------------------------------------------------------------------------
    def resolve_force(self, force: str | None) -> str | None:
        """Map a forced route to a route: ``"strong"``, ``"weak"`` or an inner model's name
        (two models), a model's name, ``"top"`` or ``"bottom"`` (a ladder).

        Raises:
            ConfigError: ``force`` is not a string, or it names both inner models (they have
                the same name): force with ``"strong"`` or ``"weak"`` then.
            UnknownNameError: no route or model has that name (the valid names are listed).
        """
        if force is None:
            return None
        if not isinstance(force, str):
            raise ConfigError(f"a forced route (model=) must be a route or a model's name, "
                              f"got {type(force).__name__} {force!r}")
        return self._active.chooser.resolve_force(force)

    def other(self, route: str) -> str:
        """The route a failed call falls back to (a ladder: the next model up)."""
        return self._active.chooser.other(route)

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
        """The router's score for one text (no threshold, no statistics; a ladder: the best
        candidate's estimate)."""
        with self._score_lock:
            return self._active.chooser.score(text)

    def decide(
        self, text: str | None, *, force: str | None = None, thread_id: str | None = None
    ) -> RouteDecision:
        """Decide the route for one call and record it.

        Args:
            text: the routing text (from :meth:`text_for`); may be ``None`` when forced.
            force: ``"strong"``, ``"weak"`` or an inner model's name: skip the router.
            thread_id: conversation id for sticky routing and momentum.
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

    async def adecide_turns(self, turns: Sequence[Turn], **route: Any) -> RouteDecision:
        """:meth:`decide_turns` (the same keywords: ``question``, ``raw``, ``force``,
        ``thread_id``) in a worker thread unless the router is not asked."""
        if route.get("force") is not None:
            return self.decide_turns(turns, **route)
        return await asyncio.to_thread(functools.partial(self.decide_turns, turns, **route))

    def _decide(
        self, get_text: Callable[[], str | None], *, force: str | None, thread_id: str | None
    ) -> RouteDecision:
        a = self._active
        chooser = a.chooser
        forced = self.resolve_force(force)
        if forced is not None:
            decision = chooser.decision(forced, None, "forced", text=self._recorded_text(get_text))
        elif a.sticky and thread_id is not None and (r := self._sticky.get(thread_id)):
            decision = chooser.decision(r, None, "sticky", text=self._recorded_text(get_text))
        else:
            t0 = time.perf_counter()
            try:
                text = get_text()
                if text is None:
                    raise DataError("no routing text")
                adjust = self._momentum_for(a, thread_id)
                with self._score_lock:
                    decision = chooser.choose(text, adjust, t0)
                if adjust is not None and thread_id is not None and decision.score is not None:
                    self._momentum.set(thread_id, decision.score, a.max_sticky)
            except Exception as exc:  # the fail-safe: never lose a call to a router bug
                logger.warning(
                    "router %r failed (%s: %s); sending the call to the %s model",
                    getattr(chooser.router, "name", "?"), type(exc).__name__, exc,
                    a.on_router_error,
                )
                decision = chooser.decision(a.on_router_error, None, "router_error",
                                            latency_ms=(time.perf_counter() - t0) * 1e3)
            if a.sticky and thread_id is not None:
                self._sticky.set(thread_id, decision.route, a.max_sticky)
        self.stats.record_decision(decision)
        self._notify(decision)
        return decision

    def _momentum_for(self, a: _Active, thread_id: str | None) -> Callable[[float], float] | None:
        """The momentum rule of this conversation, or ``None`` (momentum off, no thread)."""
        if a.momentum is None or thread_id is None or not a.chooser.scores_turns:
            return None
        memory, momentum = self._momentum.get(thread_id), a.momentum
        return lambda score: momentum_score(score, memory, momentum)

    def _notify(self, decision: RouteDecision) -> None:
        for cb in self.on_route:
            try:
                cb(decision)
            except Exception as exc:  # a user's callback must not break the call
                logger.warning("on_route callback %r raised %s: %s", cb, type(exc).__name__, exc)

    # ---- the chosen model raised ------------------------------------------------------------
    def fallback_decision(self, decision: RouteDecision) -> RouteDecision:
        """The decision after the chosen model raised and the other model (a ladder: the next
        one up) takes the call.

        The statistics move the call to the other route with the reason ``"fallback"``, a
        warning is logged, and the ``on_route`` callbacks receive the new decision.
        """
        to = self.other(decision.route)
        model = self.names[to]
        self.stats.record_fallback(decision.route, to, decision.reason)
        logger.warning("the %s model (%s) raised; retrying once on the %s model (%s)",
                       decision.route, decision.model, to, model)
        new = self._active.chooser.fallback(decision, to)
        self._notify(new)
        return new

    # ---- usage ------------------------------------------------------------------------------
    def record_usage(
        self,
        route: str,
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
        tin = count_tokens(text_of(prompt)) if est_in else int(input_tokens or 0)
        tout = count_tokens(text_of(output)) if est_out else int(output_tokens or 0)
        self.stats.record_usage(route, tin, tout, estimated_input=est_in,
                                estimated_output=est_out)

    # ---- recording (opt-in: a TrafficRecorder; routellm_core.routing.recorder writes) ---------------
    def _recorded_text(self, get_text: Callable[[], str | None]) -> str | None:
        """The routed text of a forced or sticky call, computed only when recording."""
        if self.recorder is None:
            return None
        try:
            return get_text()
        except Exception:  # a user's routing_text function; recording must not break the call
            return None

    def record_call(self, decision: RouteDecision, answer: str | Callable[[], str],
                    **record: Any) -> str | None:
        """Append the call to the recorder's log (nothing without a recorder); never raises.
        ``record``: the keywords of :func:`routellm_core.routing.recorder.record_call`
        (``input_tokens``, ``output_tokens``, ``run_id``, ``prompt``, ``extra``, ``shadow``).

        Returns:
            The run id of the record, or ``None`` without a recorder.
        """
        if self.recorder is None:  # the common case: no fingerprint or names to gather
            return None
        return record_call(self.recorder, self._call_context(), decision, answer,
                           **record)

    async def arecord_call(self, decision: RouteDecision, answer: str | Callable[[], str],
                           **record: Any) -> str | None:
        """:meth:`record_call` with an async ``shadow`` call."""
        if self.recorder is None:
            return None
        return await arecord_call(self.recorder, self._call_context(), decision, answer,
                                  **record)

    def record_shadow(self, decision: RouteDecision, run_id: str | None,
                      shadow: Callable[[str], ShadowResult] | None) -> None:
        """The shadow call of a recorded call (:func:`routellm_core.routing.recorder.record_shadow`)."""
        if self.recorder is not None:
            record_shadow(self.recorder, self._call_context(), decision, run_id, shadow)

    async def arecord_shadow(self, decision: RouteDecision, run_id: str | None,
                             shadow: Callable[[str], Awaitable[ShadowResult]] | None) -> None:
        """:meth:`record_shadow` with an async ``shadow`` call."""
        if self.recorder is not None:
            await arecord_shadow(self.recorder, self._call_context(), decision, run_id, shadow)

    def _call_context(self) -> CallContext:
        """What this engine's records say of it (names, router fingerprint, prices)."""
        return CallContext(self.names, router_fingerprint(self.router), self.other,
                           self.stats.prices)

    def recorder_stats(self) -> RecorderStats | None:
        """The recorder's statistics, shadow calls priced with this engine's prices (``None``
        without a recorder)."""
        if self.recorder is None:
            return None
        return self.recorder.snapshot(self.stats.prices)


class LadderEngine(RoutingEngine):
    """The engine of a model ladder (the wrappers' ``models=`` mode): a
    :class:`RoutingEngine` with the ladder chooser, built from the ladder's settings.

    Each decision is a :class:`~routellm_core.routing.decisions.LadderDecision`, which lists every
    candidate's quality estimate; routes are the ladder's model names; ``"top"`` and
    ``"bottom"`` force the dearest and the cheapest model.

    Args:
        router: a fitted router, a checkpoint directory or ``"default"``: one that estimates
            every model's quality (``irt``, ``mf``), or a two-model router for a ladder of its
            strong and weak model.
        models: the ladder's model names (routes and names in decisions and statistics); not
            ``"top"`` or ``"bottom"``.
        prices: ``{model: (input, output)}`` USD per million tokens for every model.
        aliases: ``{model: model the router knows}`` for models the router was not trained on.
        tolerance, cost_weight: the knob (see :mod:`routellm_core.routing.ladder`); at most one, and
            not with ``target_cost``. Default: ``tolerance=0.1``.
        target_cost: the average USD per call wanted on ``calibration_prompts``; the
            tolerance (or the cost weight, when ``cost_weight`` is given too as the starting
            knob) is calibrated to it. A target below the cheapest model's cost (0 included)
            gives the cheapest model.
        calibration_prompts: prompts representative of the traffic, for ``target_cost``.
        output_tokens: the answer length assumed when pricing a call before making it.
        routing_text, sticky, on_route, max_sticky_threads, embedder: as for
            :class:`RoutingEngine`.
        on_router_error: the model used when the router raises (default: the dearest).

    Raises:
        ConfigError: an empty or one-model ladder, a model called ``"top"`` or ``"bottom"``, a
            bad knob, ``target_cost`` without calibration prompts or the reverse.
        DataError: a model without a price.
        UnknownNameError: a model the router does not know (the known ones are listed).

    Example:
        >>> from routellm_core.routers.random import RandomRouter
        >>> engine = LadderEngine(RandomRouter("big", "small"), ["big", "small"],
        ...                       prices={"big": (10, 30), "small": (0.5, 1.5)}, tolerance=0.1)
        >>> d = engine.decide("What is the capital of France?")
        >>> d.route in ("big", "small"), sorted(d.estimates)
        (True, ['big', 'small'])
    """

    def __init__(self, router: Any = "default", models: Sequence[str] = (),
                 **settings: Any) -> None:
        # the keywords are LadderSettings' fields, defined (and checked) there once
        self._start(_settings_from(LadderSettings, LADDER_SETTINGS, router=router, models=models,
                                   **settings), None)

    @property
    def ladder(self) -> Ladder:
        """The :class:`~routellm_core.routing.ladder.Ladder` in force (models cheapest first, knob)."""
        chooser = self._active.chooser
        assert isinstance(chooser, LadderChooser)
        return chooser.ladder

    @property
    def models(self) -> list[str]:
        """The ladder's models, cheapest first."""
        return list(self.ladder.models)

