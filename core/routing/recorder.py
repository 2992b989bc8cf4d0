"""Recording your own traffic: one replay-log row per routed call, and feedback by run id.

A :class:`TrafficRecorder` is opt-in. Give it to a wrapper (``RouteLLMChat(...,
recorder=rec)``, ``RouteLLM(..., recorder=rec)``) or to a
:class:`~routellm_core.routing.engine.RoutingEngine` (``recorder=``), and every routed call appends
one JSON line to a local file in the replay-log format
(:class:`~routellm_core.evaluation.replay.ReplayLog` reads it): ``prompt`` (the routed text),
``model`` and ``answer``, the token counts, and the decision (``run_id``, ``route``,
``score``, ``threshold``, ``reason``, ``router``, ``strong_model``, ``weak_model``). Nothing
leaves the machine.

Writing never raises into the user's call: an unwritable file or a full disk logs a warning
(once per kind of error) and is counted in :attr:`TrafficRecorder.stats`.

*Shadow sampling* (off by default: ``shadow_rate=0``) also sends a share of the calls to the
other model and records that answer too (with ``"shadow": true``); both answers of a run can
then be graded and compared. Shadow calls run in the background, off the caller's path: the
caller gets its answer in the time of the model that served it. Sync calls hand their shadow
call to the recorder's worker threads, async calls start it as a task on their event loop; at
most ``shadow_queue`` shadow calls wait or run at once, and one more is dropped and counted
(``shadow_dropped``). :meth:`TrafficRecorder.flush` (``await``
:meth:`TrafficRecorder.aflush` in async code) waits for them, :meth:`TrafficRecorder.close`
(or ``with TrafficRecorder(...)``) also stops the workers, and at interpreter exit the
pending sync shadow calls are waited for (up to :data:`EXIT_TIMEOUT` seconds). Shadow calls
cost money: their calls, tokens and, with ``prices`` (the recorder's, else the wrapper's),
their cost are in :meth:`TrafficRecorder.snapshot`.

A quality signal is attached afterwards with :meth:`TrafficRecorder.feedback` by run id (the
``run_id`` of the record: the LangChain run id of the call, or the id in the response's
``routellm`` metadata); a run id the log does not hold is refused at once. Feedback goes to a side file (``<log>.feedback.jsonl``), append-only;
:func:`~routellm_core.evaluation.traffic.load_traffic` merges it into the records when the
log is read (offline: reading logs belongs to the evaluation kit, writing them to the
runtime).

Example:
    >>> import tempfile, pathlib
    >>> from routellm_core.routing.engine import RoutingEngine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "traffic.jsonl"
    >>> rec = TrafficRecorder(path)
    >>> engine = RoutingEngine("random", threshold=1.0, strong_name="big", weak_name="small",
    ...                        recorder=rec)
    >>> d = engine.decide("What is 2 + 2?")
    >>> run_id = engine.record_call(d, "4", run_id="run-1")
    >>> rec.feedback("run-1", correct=True)
    >>> from routellm_core.evaluation.traffic import load_traffic
    >>> [(r.model, r.answer, r.outcome) for r in load_traffic(path).records]
    [('small', '4', 1.0)]
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import math
import os
import queue
import random
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..costs import Price, PriceTable, count_tokens
from ..errors import ConfigError, DataError
from .decisions import RouteDecision

__all__ = [
    "EXIT_TIMEOUT",
    "append_line",
    "TrafficRecorder",
    "RecorderStats",
    "feedback_path",
    "OUTCOME_KINDS",
    "check_recorder",
    "ShadowResult",
    "SHADOWED_REASONS",
    "record_call",
    "arecord_call",
    "record_shadow",
    "arecord_shadow",
    "text_of",
    "CallContext",
]

#: what a shadow call returns: the other model's answer and its input/output tokens (``None``
#: where the provider reported none)
ShadowResult = tuple[str, int | None, int | None]
#: the decisions whose calls may get a shadow call (a forced call says nothing of the router)
SHADOWED_REASONS = ("router", "sticky", "momentum")

logger = logging.getLogger("routellm")

#: the kinds of quality signal :meth:`TrafficRecorder.feedback` takes
OUTCOME_KINDS = ("correct", "grade", "thumbs")

#: seconds the interpreter waits at exit for pending shadow calls (per recorder)
EXIT_TIMEOUT = 30.0

#: a worker thread with nothing to do for this long ends (a new one starts on demand)
_WORKER_IDLE_S = 5.0

#: every live recorder, for the exit flush and for resetting the workers after a fork
_LIVE: weakref.WeakSet[TrafficRecorder] = weakref.WeakSet()


def append_line(path: Path, data: bytes) -> None:
    """Append ``data`` (whole lines) to ``path`` in one ``write`` on a file opened for
    appending: lines from several threads or processes never interleave. A file whose last
    line was cut (a crash mid-write) gets a newline first, so the torn line stays alone and
    this one stays readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with path.open("rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
        view = memoryview(data)
        while view:  # a regular file takes it in one write; loop only on a partial write
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)


def feedback_path(path: str | os.PathLike[str]) -> Path:
    """The feedback side file of a traffic log: ``traffic.jsonl`` -> ``traffic.feedback.jsonl``."""
    p = Path(path)
    return p.with_name(p.stem + ".feedback.jsonl")


@dataclass(frozen=True)
class RecorderStats:
    """A snapshot of what a recorder did.

    Attributes:
        records: lines written (shadow answers included).
        write_errors: records lost because the file could not be written (each warned about).
        shadow_calls: shadow calls per route (the route of the model that was shadow-called).
        shadow_errors: shadow calls that raised (not recorded; the user's call is unaffected).
        shadow_input_tokens, shadow_output_tokens: tokens of the shadow calls per route
            (provider figures, else estimates).
        shadow_cost: USD of the shadow calls with ``prices`` (the recorder's, else those of
            the engine that made the calls), else ``None``.
        shadow_dropped: shadow calls not made: the queue was full (``shadow_queue``), or an
            async one was cancelled when its event loop closed.
        shadow_pending: shadow calls waiting or running now.
    """

    records: int
    write_errors: int
    shadow_calls: dict[str, int]
    shadow_errors: int
    shadow_input_tokens: dict[str, int]
    shadow_output_tokens: dict[str, int]
    shadow_cost: float | None
    shadow_dropped: int = 0
    shadow_pending: int = 0

    @property
    def total_shadow_calls(self) -> int:
        return sum(self.shadow_calls.values())


class TrafficRecorder:
    """Appends one replay-log row per routed call to a local JSONL file.

    Args:
        path: the log file (``.jsonl``); its folder is created on the first write.
        shadow_rate: share of router-decided calls (0 to 1) on which the other model is also
            called and its answer recorded. 0 (default) never calls it.
        seed: seeds the shadow sampling (``None``: not reproducible).
        prices: ``{"strong": (in, out), "weak": (in, out)}`` in USD per million tokens, to
            price the shadow calls in :meth:`snapshot` (a wrapper's ``prices`` when omitted).
        shadow_queue: how many shadow calls may wait or run at once (64); one more is
            dropped and counted in ``shadow_dropped``.
        shadow_workers: threads that run the shadow calls of sync calls (2).

    Raises:
        ConfigError: ``shadow_rate`` is not a number in [0, 1], ``shadow_queue`` or
            ``shadow_workers`` is not a positive integer, or the path is not ``.jsonl``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        shadow_rate: float = 0.0,
        seed: int | None = None,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
        shadow_queue: int = 64,
        shadow_workers: int = 2,
    ) -> None:
        p = Path(path)
        if p.suffix.lower() != ".jsonl":
            raise ConfigError(f"recorder path {str(p)!r}: use a .jsonl file name (the log is "
                              "JSON lines in the replay-log format)")
        if (isinstance(shadow_rate, bool) or not isinstance(shadow_rate, (int, float))
                or not 0.0 <= float(shadow_rate) <= 1.0):
            raise ConfigError(f"shadow_rate must be a number in [0, 1], got {shadow_rate!r}; "
                              "0 turns shadow calls off")
        for name, value in (("shadow_queue", shadow_queue), ("shadow_workers", shadow_workers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        self.path = p
        self.shadow_rate = float(shadow_rate)
        self.seed = seed
        self.prices = PriceTable(prices) if prices else None
        self.shadow_queue = shadow_queue
        self.shadow_workers = shadow_workers
        self._rng = random.Random(seed)
        self._records = 0
        self._write_errors = 0
        self._warned: set[str] = set()
        self._shadow_calls = {"strong": 0, "weak": 0}
        self._shadow_in = {"strong": 0, "weak": 0}
        self._shadow_out = {"strong": 0, "weak": 0}
        self._shadow_errors = 0
        self._shadow_dropped = 0
        self._shadow_cost = 0.0
        self._engine_prices: PriceTable | None = None
        self._run_ids: set[str] = set()
        self._scanned = 0
        self._runtime()

    def _runtime(self) -> None:
        """The state that is not copied or pickled: locks, the workers and their queue."""
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._queued = 0  # shadow jobs waiting in the queue (not yet taken by a worker)
        self._threads: list[threading.Thread] = []
        self._pending_sync = 0
        self._tasks: set[asyncio.Task[None]] = set()
        _LIVE.add(self)

    def __repr__(self) -> str:
        return f"TrafficRecorder({str(self.path)!r}, shadow_rate={self.shadow_rate})"

    _RUNTIME = frozenset({"_lock", "_idle", "_jobs", "_queued", "_threads", "_pending_sync",
                          "_tasks"})

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._RUNTIME}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._runtime()

    def __enter__(self) -> TrafficRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> TrafficRecorder:
        return self  # one file, one recorder: copies of a wrapper share it

    # ---- writing ------------------------------------------------------------------------------
    @staticmethod
    def new_run_id() -> str:
        """A fresh run id (a UUID4 string)."""
        return str(uuid.uuid4())

    def write(self, row: Mapping[str, Any]) -> bool:
        """Append one row; returns whether it was written. Never raises: a failure (an
        unwritable file, a full disk, a value JSON cannot hold) is warned about and counted.

        Each row is one ``write`` on a file opened for appending (:func:`append_line`), so
        rows from several threads or processes never interleave."""
        try:
            line = json.dumps(dict(row), ensure_ascii=False, default=str) + "\n"
            with self._lock:
                append_line(self.path, line.encode("utf-8"))
                self._records += 1
                run_id = row.get("run_id")
                if run_id is not None:
                    self._run_ids.add(str(run_id))
            return True
        except Exception as exc:  # the user's call must never fail because of the log
            self.count_error(exc)
            return False

    def count_error(self, exc: BaseException) -> None:
        """Count one lost record; the first error of each kind is logged as a warning."""
        with self._lock:
            self._write_errors += 1
            kind = type(exc).__name__ + str(getattr(exc, "errno", ""))
            first = kind not in self._warned
            self._warned.add(kind)
        if first:
            logger.warning("routellm recorder: could not write to %s (%s: %s); the call went "
                           "through, the record is lost (counted in "
                           "recorder.snapshot().write_errors)", self.path, type(exc).__name__, exc)

    def should_shadow(self) -> bool:
        """Draw whether this call is shadowed (``shadow_rate`` of the calls)."""
        if self.shadow_rate <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < self.shadow_rate

    def count_shadow(self, route: str, input_tokens: int, output_tokens: int, *,
                     failed: bool = False, prices: PriceTable | None = None) -> None:
        """Count one shadow call to ``route`` (``failed``: it raised). ``prices``: the
        calling engine's, used for the cost when the recorder has none of its own."""
        with self._lock:
            if prices is not None and self._engine_prices is None:
                self._engine_prices = prices
            if failed:
                self._shadow_errors += 1
                return
            self._shadow_calls[route] += 1
            self._shadow_in[route] += int(input_tokens)
            self._shadow_out[route] += int(output_tokens)

    def snapshot(self, prices: PriceTable | None = None) -> RecorderStats:
        """What was written and what the shadow calls cost (priced with the recorder's own
        ``prices``, else ``prices`` given here, else those of the engine that made the shadow
        calls; ``None`` when none is known)."""
        with self._lock:
            table = self.prices or prices or self._engine_prices
            calls, tin, tout = dict(self._shadow_calls), dict(self._shadow_in), dict(self._shadow_out)
            recs, errs, serr = self._records, self._write_errors, self._shadow_errors
            dropped = self._shadow_dropped
            pending = self._pending_sync + len(self._tasks)
        cost = None
        if table is not None:
            cost = float(sum(table.cost(r, tin[r], tout[r]) for r in calls))
        return RecorderStats(recs, errs, calls, serr, tin, tout, cost, dropped, pending)

    # ---- shadow calls in the background -------------------------------------------------------
    def _admit(self) -> bool:
        """Whether one more shadow call fits (``shadow_queue``); counted as dropped if not.
        Call with the lock held."""
        if self._pending_sync + len(self._tasks) < self.shadow_queue:
            return True
        self._shadow_dropped += 1
        if "queue_full" not in self._warned:
            self._warned.add("queue_full")
            logger.warning("routellm recorder: %d shadow calls already pending; this one is "
                           "dropped (counted in recorder.stats.shadow_dropped; raise "
                           "shadow_queue= or lower shadow_rate=)", self.shadow_queue)
        return False

    def submit(self, job: Callable[[], None]) -> bool:
        """Run ``job`` (a sync shadow call and its record) on a worker thread, off the
        caller's path. Returns whether it was queued (``False``: the queue was full, the call
        dropped and counted). ``job`` must not raise; if it does, the error is logged."""
        with self._lock:
            if not self._admit():
                return False
            self._pending_sync += 1
            # put under the lock: a worker that finds the queue empty under the lock may end,
            # and the next submit then starts a new one
            self._jobs.put(job)
            self._queued += 1
            if len(self._threads) < min(self.shadow_workers, self._pending_sync):
                t = threading.Thread(target=self._work, name="routellm-shadow", daemon=True)
                self._threads.append(t)
                t.start()
        return True

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            try:
                job = self._jobs.get(timeout=_WORKER_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queued == 0:  # idle: end (submit starts a new worker if needed)
                        if me in self._threads:
                            self._threads.remove(me)
                        return
                continue
            with self._lock:
                self._queued -= 1
            if job is None:  # close(): stop
                with self._lock:
                    if me in self._threads:
                        self._threads.remove(me)
                return
            try:
                job()
            except Exception as exc:  # a job must not end the worker
                logger.warning("routellm recorder: a shadow call failed (%s: %s)",
                               type(exc).__name__, exc)
            finally:
                with self._idle:
                    self._pending_sync -= 1
                    self._idle.notify_all()

    def submit_async(self, job: Callable[[], Awaitable[None]]) -> bool:
        """Start ``job()`` (an async shadow call and its record) as a task on the running
        event loop, off the caller's path. Returns whether it was started (``False``: the
        queue was full, or no loop runs; dropped and counted). A task still pending when its
        loop closes is cancelled and counted as dropped: ``await`` :meth:`aflush` first."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            with self._lock:
                self._shadow_dropped += 1
            return False
        with self._lock:
            if not self._admit():
                return False
            task: asyncio.Task[None] = loop.create_task(_run_job(job))
            self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return True

    def _task_done(self, task: asyncio.Task[None]) -> None:
        with self._idle:
            self._tasks.discard(task)
            if task.cancelled():
                self._shadow_dropped += 1
                first = "cancelled" not in self._warned
                self._warned.add("cancelled")
            else:
                first = False
            self._idle.notify_all()
        if first:
            logger.warning("routellm recorder: a shadow call was cancelled (its event loop "
                           "closed first); counted in recorder.stats.shadow_dropped. "
                           "`await recorder.aflush()` before the loop ends keeps them")

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the pending shadow calls of sync calls are made and recorded.

        Async shadow calls are tasks on their event loop: ``await`` :meth:`aflush` there
        (waiting for them here, on the loop's own thread, could never end).

        Args:
            timeout: seconds to wait at most (``None``: until done).

        Returns:
            Whether none is pending any more.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending_sync:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(left)
        return True

    async def aflush(self, timeout: float | None = None) -> bool:
        """Wait until every pending shadow call is made and recorded: the tasks started on
        this event loop, and the sync ones on the worker threads.

        Returns:
            Whether none is pending any more.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            with self._lock:
                mine = [t for t in self._tasks if t.get_loop() is loop]
            if not mine:
                break
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(mine, timeout=left)
        left = None if deadline is None else max(0.0, deadline - loop.time())
        done = await asyncio.to_thread(self.flush, left)
        with self._lock:
            return done and not any(t.get_loop() is loop for t in self._tasks)

    def close(self, timeout: float | None = None) -> bool:
        """:meth:`flush`, then stop the worker threads (a later shadow call starts them
        again). Returns whether nothing was left pending."""
        done = self.flush(timeout)
        with self._lock:
            for _ in self._threads:
                self._jobs.put(None)
                self._queued += 1
        return done

    def _after_fork(self) -> None:
        # the parent's workers do not exist in a forked child; its queued jobs stay with the
        # parent (they were counted there)
        self._runtime()

    @property
    def stats(self) -> RecorderStats:
        """:meth:`snapshot` with the recorder's own prices."""
        return self.snapshot()

    # ---- feedback -----------------------------------------------------------------------------
    def feedback(
        self,
        run_id: str,
        *,
        correct: bool | None = None,
        grade: float | None = None,
        thumbs: bool | None = None,
        shadow: bool = False,
        note: str | None = None,
    ) -> None:
        """Attach a quality signal to the recorded answer of a run.

        Give exactly one of ``correct`` (the answer is right), ``grade`` (a number, e.g. 1-10;
        compare grades of one scale only) or ``thumbs`` (True: up, False: down).

        Args:
            run_id: the record's ``run_id``.
            shadow: grade the shadow answer of the run (the other model's) instead of the
                answer the user received.
            note: free text kept with the feedback.

        Raises:
            ConfigError: not exactly one signal, a value of the wrong type, or a run id that
                the log does not hold (at once, not when the log is read).
            DataError: the feedback file cannot be written (feedback is explicit, so this one
                does raise).
        """
        given = {k: v for k, v in (("correct", correct), ("grade", grade), ("thumbs", thumbs))
                 if v is not None}
        if len(given) != 1:
            raise ConfigError("feedback needs exactly one of correct=, grade= or thumbs=, got "
                              f"{sorted(given) or 'none'}")
        if not isinstance(run_id, str) or not run_id:
            raise ConfigError(f"run_id must be a non-empty string, got {run_id!r}")
        kind, value = next(iter(given.items()))
        if kind in ("correct", "thumbs"):
            if not isinstance(value, bool):
                raise ConfigError(f"{kind}= must be True or False, got {value!r}")
            outcome = 1.0 if value else 0.0
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"grade= must be a finite number, got {value!r}")
            outcome = float(value)
        if not self.has_run(run_id):
            raise ConfigError(
                f"feedback for run id {run_id!r}: {self.path} holds no record with that run id. "
                "Give the run_id of a recorded call (LangChain: "
                "msg.response_metadata['routellm']['run_id']; LlamaIndex: "
                "response.additional_kwargs['routellm']['run_id']); a call whose record could "
                "not be written (recorder.stats.write_errors) cannot take feedback")
        row: dict[str, Any] = {"run_id": run_id, "kind": kind, "outcome": outcome,
                               "time": time.time()}
        if shadow:
            row["shadow"] = True
        if note is not None:
            row["note"] = note
        fb = feedback_path(self.path)
        try:
            with self._lock:
                append_line(fb, (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        except OSError as exc:
            raise DataError(f"could not write feedback to {fb}: {exc}") from None

    def has_run(self, run_id: str) -> bool:
        """Whether the log holds a record with this run id (written by this recorder, or
        found in the file: by another process, or before a restart). The file is read once,
        then only what was appended since."""
        with self._lock:
            if run_id in self._run_ids:
                return True
            self._scan()
            return run_id in self._run_ids

    def _scan(self) -> None:
        """Add the run ids of the lines appended to the log since the last scan (lock held);
        a torn last line is read again next time."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._scanned)
                data = fh.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            if b'"run_id"' not in line:
                continue
            try:
                rid = json.loads(line).get("run_id")
            except (ValueError, AttributeError):  # a torn or foreign line: not a record
                continue
            if rid is not None:
                self._run_ids.add(str(rid))
        self._scanned += end


async def _run_job(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception as exc:  # never an unretrieved task exception
        logger.warning("routellm recorder: a shadow call failed (%s: %s)",
                       type(exc).__name__, exc)


def _flush_all_at_exit() -> None:
    for rec in list(_LIVE):
        with rec._lock:
            pending = rec._pending_sync
        if pending and not rec.flush(EXIT_TIMEOUT):
            logger.warning("routellm recorder: %d shadow calls still pending at exit after "
                           "%.0f s; their records are lost", rec._pending_sync, EXIT_TIMEOUT)


def _reset_after_fork() -> None:
    for rec in list(_LIVE):
        rec._after_fork()


atexit.register(_flush_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def check_recorder(recorder: Any) -> TrafficRecorder | None:
    """``recorder`` if it is a :class:`TrafficRecorder` or ``None``; anything else is a
    :class:`~routellm_core.errors.ConfigError`."""
    if recorder is not None and not isinstance(recorder, TrafficRecorder):
        raise ConfigError("recorder must be a routellm_core.routing.recorder.TrafficRecorder or None, got "
                          f"{type(recorder).__name__}; build one with TrafficRecorder('traffic.jsonl')")
    return recorder


# --------------------------------------------------------------------------------------------
# Reading a recorded log
# --------------------------------------------------------------------------------------------




# ---- writing a routed call's record (the engine's record_call) ----------------------------------
@dataclass(frozen=True)
class CallContext:
    """What a record says of the engine that routed the call.

    Attributes:
        names: the inner models' names by route.
        router_id: the router's checkpoint fingerprint
            (:func:`~routellm_core.scoring.fingerprint.router_fingerprint`).
        other: the route a shadow call goes to, given the decision's.
        prices: the engine's prices, for the shadow calls' cost.
    """

    names: Mapping[str, str]
    router_id: str | None = None
    other: Callable[[str], str] | None = None
    prices: PriceTable | None = None


def text_of(value: str | Callable[[], str] | None) -> str:
    """A text, or what a function returning it returns (``""`` for ``None``)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value()


def _row(ctx: CallContext, decision: RouteDecision, route: str, model: str, answer: str,
         tin: int | None, tout: int | None, run_id: str, prompt: str) -> dict[str, Any]:
    return {
        "prompt": prompt, "model": model, "answer": answer, "outcome": None,
        "input_tokens": tin, "output_tokens": tout, "run_id": run_id, "route": route,
        "reason": decision.reason, "score": decision.score,
        "threshold": decision.threshold, "router": decision.router,
        "router_id": ctx.router_id, "strong_model": ctx.names.get("strong"),
        "weak_model": ctx.names.get("weak"), "time": time.time(),
    }


def _write_record(rec: TrafficRecorder, ctx: CallContext, decision: RouteDecision,
                  answer: str | Callable[[], str], tin: int | None, tout: int | None,
                  run_id: str | None, prompt: str | Callable[[], str] | None,
                  extra: Mapping[str, Any] | None) -> str:
    run_id = run_id or rec.new_run_id()
    try:
        text = decision.text if decision.text is not None else text_of(prompt)
        row = _row(ctx, decision, decision.route, decision.model, text_of(answer), tin, tout,
                   str(run_id), text)
        row.update(extra or {})
    except Exception as exc:  # e.g. an answer callable that raises: count it as lost
        rec.count_error(exc)
        return str(run_id)
    rec.write(row)
    return str(run_id)


def record_call(rec: TrafficRecorder | None, ctx: CallContext, decision: RouteDecision,
                answer: str | Callable[[], str], *, input_tokens: int | None = None,
                output_tokens: int | None = None, run_id: str | None = None,
                prompt: str | Callable[[], str] | None = None,
                extra: Mapping[str, Any] | None = None,
                shadow: Callable[[str], ShadowResult] | None = None) -> str | None:
    """Append a routed call to ``rec``'s log (nothing without a recorder); never raises.

    Wrappers call this (through the engine's ``record_call``) once per answered call, after
    the answer has reached the user's code path (for streams: when the stream ends).

    Args:
        rec: the recorder, or ``None``.
        ctx: what the record says of the engine (:class:`CallContext`).
        decision: the decision that answered (after any fallback).
        answer: the answer text (or a function returning it).
        input_tokens, output_tokens: the provider's figures, when it reported them.
        run_id: the call's id (the LangChain run id); a new UUID when ``None``.
        prompt: the routed text when the decision does not carry it.
        extra: more fields for the row (e.g. ``tool_calls``).
        shadow: calls the *other* model on the same input and returns ``(answer,
            input_tokens, output_tokens)``; used on the recorder's ``shadow_rate`` share of
            router-decided calls, off the caller's path (:func:`record_shadow`).

    Returns:
        The run id of the record, or ``None`` without a recorder.
    """
    if rec is None:
        return None
    rid = _write_record(rec, ctx, decision, answer, input_tokens, output_tokens, run_id,
                        prompt, extra)
    record_shadow(rec, ctx, decision, rid, shadow)
    return rid


async def arecord_call(rec: TrafficRecorder | None, ctx: CallContext, decision: RouteDecision,
                       answer: str | Callable[[], str], *, input_tokens: int | None = None,
                       output_tokens: int | None = None, run_id: str | None = None,
                       prompt: str | Callable[[], str] | None = None,
                       extra: Mapping[str, Any] | None = None,
                       shadow: Callable[[str], Awaitable[ShadowResult]] | None = None
                       ) -> str | None:
    """:func:`record_call` with an async ``shadow`` call."""
    if rec is None:
        return None
    rid = _write_record(rec, ctx, decision, answer, input_tokens, output_tokens, run_id,
                        prompt, extra)
    await arecord_shadow(rec, ctx, decision, rid, shadow)
    return rid


def _shadow_target(rec: TrafficRecorder | None, ctx: CallContext, decision: RouteDecision,
                   run_id: str | None, shadow: object) -> str | None:
    """The route a shadow call goes to, or ``None`` when none is made: no recorder, no shadow
    function, a forced call, or not in the recorder's ``shadow_rate`` share."""
    if rec is None or shadow is None or run_id is None or ctx.other is None:
        return None
    if decision.reason not in SHADOWED_REASONS or not rec.should_shadow():
        return None
    return ctx.other(decision.route)


def record_shadow(rec: TrafficRecorder | None, ctx: CallContext, decision: RouteDecision,
                  run_id: str | None, shadow: Callable[[str], ShadowResult] | None) -> None:
    """The shadow call of a recorded call: on the recorder's ``shadow_rate`` share of
    router-decided calls, ``shadow`` runs the *other* model and its answer is recorded under
    ``run_id``, on the recorder's worker threads (off the caller's path:
    :meth:`TrafficRecorder.submit`). Never raises."""
    route = _shadow_target(rec, ctx, decision, run_id, shadow)
    if route is None or shadow is None or rec is None or run_id is None:
        return
    target, rid, call, recorder = route, run_id, shadow, rec

    def job() -> None:
        try:
            result: ShadowResult | None = call(target)
        except Exception as exc:
            _shadow_failed(target, exc)
            result = None
        _write_shadow(recorder, ctx, decision, target, rid, result)
    rec.submit(job)


async def arecord_shadow(rec: TrafficRecorder | None, ctx: CallContext,
                         decision: RouteDecision, run_id: str | None,
                         shadow: Callable[[str], Awaitable[ShadowResult]] | None) -> None:
    """:func:`record_shadow` with an async ``shadow`` call, started as a task on the running
    loop (:meth:`TrafficRecorder.submit_async`); returns without waiting for it."""
    route = _shadow_target(rec, ctx, decision, run_id, shadow)
    if route is None or shadow is None or rec is None or run_id is None:
        return
    target, rid, call, recorder = route, run_id, shadow, rec

    async def job() -> None:
        try:
            result: ShadowResult | None = await call(target)
        except Exception as exc:
            _shadow_failed(target, exc)
            result = None
        _write_shadow(recorder, ctx, decision, target, rid, result)
    rec.submit_async(job)


def _shadow_failed(route: str, exc: Exception) -> None:
    logger.warning("routellm recorder: the shadow call to the %s model raised (%s: %s); "
                   "nothing recorded for it", route, type(exc).__name__, exc)


def _write_shadow(rec: TrafficRecorder, ctx: CallContext, decision: RouteDecision, route: str,
                  run_id: str, result: ShadowResult | None) -> None:
    if result is None:
        rec.count_shadow(route, 0, 0, failed=True, prices=ctx.prices)
        return
    answer, tin, tout = result
    prompt = decision.text or ""
    rec.count_shadow(route, count_tokens(prompt) if tin is None else int(tin),
                     count_tokens(answer) if tout is None else int(tout), prices=ctx.prices)
    row = _row(ctx, decision, route, ctx.names[route], answer, tin, tout, run_id, prompt)
    row["shadow"] = True
    rec.write(row)
