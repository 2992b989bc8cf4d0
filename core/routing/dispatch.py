"""One decided call, the same way in every wrapper: run, fall back, account, record.

Once the engine has decided a route (:meth:`~routellm_core.routing.engine.RoutingEngine.decide_turns`),
a wrapper hands the call to a :class:`RoutedCall`. It runs the call on the decided route
(:meth:`~RoutedCall.run`, :meth:`~RoutedCall.arun`, or streamed: :meth:`~RoutedCall.stream`,
:meth:`~RoutedCall.astream`), and

* **falls back**: with ``fallback=True``, a call that raises (for a stream: before its first
  chunk) is retried once on the other route; the engine records the fallback decision
  (statistics, ``on_route``) and the wrapper's ``on_fallback`` reports it (trace events);
* **accounts for usage**: the tokens the provider reported, and for every figure it did not
  report (missing, or zero) an estimate from the text
  (:func:`~routellm_core.costs.count_tokens`), marked as estimated in the statistics;
* **records** the call in the traffic recorder when one is attached (with a shadow call on
  the other route where the recorder asks for one), and gives the decision's record
  (:attr:`~RoutedCall.record`: the decision and the recorder's run id) for the wrapper to
  attach to its response.

The wrapper keeps what is framework-specific: it converts messages, binds tools, passes
callbacks, and tells the call how to read its framework's answer as a :class:`Reply`.
Nothing here imports LangChain or LlamaIndex.

Example:
    >>> from routellm_core.routing.engine import RoutingEngine
    >>> engine = RoutingEngine("random", threshold=1.0)  # every call goes weak
    >>> call = RoutedCall(engine, engine.decide("hi"), prompt="hi")
    >>> call.run(lambda route: f"answer from {route}", read=lambda text: Reply(text))
    'answer from weak'
    >>> engine.stats.snapshot().estimated  # the fake reported no usage: estimated
    True
"""

from __future__ import annotations

import inspect
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ..scoring.fingerprint import router_fingerprint
from .engine import RouteDecision, RoutingEngine, ShadowResult

__all__ = ["Reply", "Tally", "SumTally", "LastTally", "RoutedCall", "reported", "account_usage"]

T = TypeVar("T")
C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)

_END: Any = object()


def reported(tokens: int | None) -> int | None:
    """A provider's token figure, or ``None`` when it reported none: a missing figure and a
    zero are both "not reported" (a call always has a prompt, and some providers and
    frameworks report 0 for "unknown"), so the figure is estimated instead."""
    return int(tokens) if tokens else None


@dataclass(frozen=True)
class Reply:
    """What a wrapper reads off one answer (or one streamed chunk).

    Attributes:
        text: the answer's text.
        input_tokens, output_tokens: the provider's figures, ``None`` when not reported.
        tool_calls: the tool calls in the answer, for the recorder (``{"name", "args"}``).
    """

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    tool_calls: list[Any] = field(default_factory=list)


def account_usage(engine: RoutingEngine, route: str, reply: Reply,
                  prompt: str | Callable[[], str] | None) -> None:
    """Record one answer's tokens on ``route``: the provider's figures, and for each figure it
    did not report (:func:`reported`) an estimate from ``prompt`` / the answer's text, marked
    as estimated in the statistics."""
    engine.record_usage(route, reported(reply.input_tokens), reported(reply.output_tokens),  # type: ignore[arg-type]
                        prompt=prompt, output=reply.text)


class Tally(Protocol[C_contra]):
    """Adds up a stream's chunks into one :class:`Reply`."""

    def add(self, chunk: C_contra) -> None: ...

    def reply(self) -> Reply: ...


class SumTally(Generic[C]):
    """For streams of pieces (LangChain): the text is the pieces joined, the tokens the sum of
    the reported figures (``None`` when no chunk reported one), the tool calls all of them."""

    def __init__(self, read: Callable[[C], Reply]) -> None:
        self.read = read
        self.texts: list[str] = []
        self.tokens: list[int | None] = [None, None]
        self.tool_calls: list[Any] = []

    def add(self, chunk: C) -> None:
        r = self.read(chunk)
        self.texts.append(r.text)
        for i, n in enumerate((r.input_tokens, r.output_tokens)):
            if n is not None:
                self.tokens[i] = (self.tokens[i] or 0) + int(n)
        self.tool_calls.extend(r.tool_calls)

    def reply(self) -> Reply:
        return Reply("".join(self.texts), self.tokens[0], self.tokens[1], list(self.tool_calls))


class LastTally(Generic[C]):
    """For cumulative streams (LlamaIndex: each chunk holds the answer so far): the last
    chunk's reply."""

    def __init__(self, read: Callable[[C], Reply]) -> None:
        self.read = read
        self.last: C | None = None
        self.seen = False

    def add(self, chunk: C) -> None:
        self.last, self.seen = chunk, True

    def reply(self) -> Reply:
        return self.read(self.last) if self.seen else Reply("")  # type: ignore[arg-type]


class RoutedCall:
    """One decided call: runs it on the decision's route, falls back once, accounts for the
    tokens and records it.

    Args:
        engine: the engine that decided (its statistics and recorder are used).
        decision: the decision to run.
        fallback: retry once on the other route when the call raises (a stream: before its
            first chunk).
        on_fallback: receives the new decision after a fallback (for the framework's trace
            events); may return an awaitable in the async forms.
        prompt: the text sent (or a function returning it), for estimating input tokens the
            provider did not report.
        run_id: the id the recorder files the call under (e.g. LangChain's run id); a new one
            when a recorder is attached and none is given. ``None`` without a recorder.

    Attributes:
        decision: the decision that answers: the given one, or after a fallback the other
            route's (reason ``"fallback"``).
        run_id: the recorder's id of the call (``None`` without a recorder).
    """

    def __init__(
        self,
        engine: RoutingEngine,
        decision: RouteDecision,
        *,
        fallback: bool = False,
        on_fallback: Callable[[RouteDecision], Any] | None = None,
        prompt: str | Callable[[], str] | None = None,
        run_id: Any = None,
    ) -> None:
        self.engine = engine
        self.decision = decision
        self.fallback = fallback
        self.on_fallback = on_fallback
        self.prompt = prompt
        recorder = engine.recorder
        self.run_id: str | None = None
        if recorder is not None:
            self.run_id = str(run_id) if run_id is not None else recorder.new_run_id()

    @property
    def record(self) -> dict[str, Any]:
        """The decision's record for the response (``routellm`` metadata): the decision's
        :meth:`~routellm_core.routing.engine.RouteDecision.to_dict`, plus ``run_id`` and ``router_id``
        (:func:`~routellm_core.scoring.fingerprint.router_fingerprint`) when recording."""
        out = self.decision.to_dict()
        if self.run_id is not None:
            out["run_id"] = self.run_id
            out["router_id"] = router_fingerprint(self.engine.router)
        return out

    # ---- falling back -----------------------------------------------------------------------
    def _can_fall_back(self) -> bool:
        return self.fallback and self.decision.reason != "fallback"

    def _fall_back(self) -> Any:
        self.decision = self.engine.fallback_decision(self.decision)
        return None if self.on_fallback is None else self.on_fallback(self.decision)

    async def _afall_back(self) -> None:
        pending = self._fall_back()
        if inspect.isawaitable(pending):
            await pending

    def attempt(self, fn: Callable[[str], T]) -> T:
        """``fn(route)`` on the decided route, once more on the other route if it raises
        (with ``fallback``); nothing is accounted (for calls whose usage is reported
        elsewhere, and for opening a stream eagerly)."""
        try:
            return fn(self.decision.route)
        except Exception:
            if not self._can_fall_back():
                raise
            self._fall_back()
            return fn(self.decision.route)

    async def aattempt(self, fn: Callable[[str], Awaitable[T]]) -> T:
        """:meth:`attempt` for a coroutine function."""
        try:
            return await fn(self.decision.route)
        except Exception:
            if not self._can_fall_back():
                raise
            await self._afall_back()
            return await fn(self.decision.route)

    # ---- whole answers ----------------------------------------------------------------------
    def run(self, fn: Callable[[str], T], *, read: Callable[[T], Reply],
            shadow: Callable[[str], T] | None = None) -> T:
        """Run the call (:meth:`attempt`), then account for and record its answer.

        Args:
            fn: calls the model of a route and returns its answer.
            read: reads an answer as a :class:`Reply`.
            shadow: calls the model of a route *outside* the user's run, for the recorder's
                shadow calls on the other route (default: no shadow call).
        """
        result = self.attempt(fn)
        reply = read(result)
        self.account(reply)
        self.engine.record_call(self.decision, reply.text, run_id=self.run_id,
                                shadow=self._shadow(shadow, read), **self._record_args(reply))
        return result

    async def arun(self, fn: Callable[[str], Awaitable[T]], *, read: Callable[[T], Reply],
                   shadow: Callable[[str], Awaitable[T]] | None = None) -> T:
        """:meth:`run` for coroutine functions."""
        result = await self.aattempt(fn)
        reply = read(result)
        self.account(reply)
        await self.engine.arecord_call(self.decision, reply.text, run_id=self.run_id,
                                       shadow=self._ashadow(shadow, read),
                                       **self._record_args(reply))
        return result

    def account(self, reply: Reply) -> None:
        """Record the answer's tokens on the answering route (:func:`account_usage`)."""
        account_usage(self.engine, self.decision.route, reply, self.prompt)

    @staticmethod
    def _record_args(reply: Reply) -> dict[str, Any]:
        return {"input_tokens": reported(reply.input_tokens),
                "output_tokens": reported(reply.output_tokens),
                "extra": {"tool_calls": list(reply.tool_calls)} if reply.tool_calls else None}

    @staticmethod
    def _shadow(shadow: Callable[[str], T] | None, read: Callable[[T], Reply]
                ) -> Callable[[Any], ShadowResult] | None:
        if shadow is None:
            return None

        def run(route: Any) -> ShadowResult:
            r = read(shadow(route))
            return r.text, reported(r.input_tokens), reported(r.output_tokens)
        return run

    @staticmethod
    def _ashadow(shadow: Callable[[str], Awaitable[T]] | None, read: Callable[[T], Reply]
                 ) -> Callable[[Any], Awaitable[ShadowResult]] | None:
        if shadow is None:
            return None

        async def run(route: Any) -> ShadowResult:
            r = read(await shadow(route))
            return r.text, reported(r.input_tokens), reported(r.output_tokens)
        return run

    # ---- streams ----------------------------------------------------------------------------
    def _write(self, tally: Tally[Any] | None) -> None:
        """Account for a stream as far as it went and record it (without a shadow call)."""
        if tally is None:
            return
        reply = tally.reply()
        self.account(reply)
        self.engine.record_call(self.decision, reply.text, run_id=self.run_id,
                                **self._record_args(reply))

    def stream(
        self,
        start: Callable[[str], Iterable[C]],
        *,
        tally: Tally[C] | None = None,
        tag: Callable[[C, dict[str, Any], bool], None] | None = None,
        opened: Iterable[C] | None = None,
        shadow: Callable[[str], Any] | None = None,
        read: Callable[[Any], Reply] | None = None,
    ) -> Generator[C, None, None]:
        """Stream the call: an error before the first chunk falls back (once, with
        ``fallback``), an error after it reaches the caller.

        Args:
            start: opens the stream of a route.
            tally: adds up the chunks; when the stream ends (or is closed, or fails midway)
                its reply is accounted and recorded. ``None``: nothing is accounted.
            tag: ``tag(chunk, record, first)`` attaches :attr:`record` to a chunk.
            opened: the decided route's stream, already opened (``start`` then only serves
                a fallback).
            shadow, read: a shadow call for the recorder once the stream ran to its end,
                and how to read its answer.
        """
        it: Iterator[C] | None = None if opened is None else iter(opened)
        try:
            if it is None:
                it = iter(start(self.decision.route))
            first = next(it, _END)
        except Exception:
            if not self._can_fall_back():
                raise
            self._fall_back()
            it = iter(start(self.decision.route))
            first = next(it, _END)
        record = self.record
        try:
            if first is not _END:
                yield self._chunk(first, tally, tag, record, True)
                for chunk in it:
                    yield self._chunk(chunk, tally, tag, record, False)
        finally:
            self._write(tally)
        # only a stream that ran to its end gets a shadow call
        if shadow is not None and read is not None:
            self.engine.record_shadow(self.decision, self.run_id, self._shadow(shadow, read))

    async def astream(
        self,
        start: Callable[[str], AsyncIterator[C] | Awaitable[AsyncIterator[C]]],
        *,
        tally: Tally[C] | None = None,
        tag: Callable[[C, dict[str, Any], bool], None] | None = None,
        opened: AsyncIterator[C] | None = None,
        shadow: Callable[[str], Awaitable[Any]] | None = None,
        read: Callable[[Any], Reply] | None = None,
    ) -> AsyncGenerator[C, None]:
        """:meth:`stream` for async streams (``start`` may be a coroutine function)."""
        it = opened
        try:
            if it is None:
                it = await _opened(start(self.decision.route))
            first = await anext(it, _END)
        except Exception:
            if not self._can_fall_back():
                raise
            await self._afall_back()
            it = await _opened(start(self.decision.route))
            first = await anext(it, _END)
        record = self.record
        try:
            if first is not _END:
                yield self._chunk(first, tally, tag, record, True)
                async for chunk in it:
                    yield self._chunk(chunk, tally, tag, record, False)
        finally:
            self._write(tally)
        # awaited after the finally block: an async generator closed early cannot await there
        if shadow is not None and read is not None:
            await self.engine.arecord_shadow(self.decision, self.run_id,
                                             self._ashadow(shadow, read))

    @staticmethod
    def _chunk(chunk: C, tally: Tally[C] | None,
               tag: Callable[[C, dict[str, Any], bool], None] | None, record: dict[str, Any],
               first: bool) -> C:
        if tag is not None:
            tag(chunk, record, first)
        if tally is not None:
            tally.add(chunk)
        return chunk


async def _opened(stream: AsyncIterator[C] | Awaitable[AsyncIterator[C]]) -> AsyncIterator[C]:
    return await stream if inspect.isawaitable(stream) else stream
