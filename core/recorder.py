"""Recording your own traffic: one replay-log row per routed call, and feedback by run id.

A :class:`TrafficRecorder` is opt-in. Give it to a wrapper (``RouteLLMChat(...,
recorder=rec)``, ``RouteLLM(..., recorder=rec)``) or to a
:class:`~routellm_core.engine.RoutingEngine` (``recorder=``), and every routed call appends
one JSON line to a local file in the replay-log format
(:class:`~routellm_core.evaluation.replay.ReplayLog` reads it): ``prompt`` (the routed text),
``model`` and ``answer``, the token counts, and the decision (``run_id``, ``route``,
``score``, ``threshold``, ``reason``, ``router``, ``strong_model``, ``weak_model``). Nothing
leaves the machine.

Writing never raises into the user's call: an unwritable file or a full disk logs a warning
(once per kind of error) and is counted in :attr:`TrafficRecorder.stats`.

*Shadow sampling* (off by default: ``shadow_rate=0``) also sends a share of the calls to the
other model, after the user's call has been answered, and records that answer too (with
``"shadow": true``); both answers of a run can then be graded and compared. Shadow calls cost
money: their calls, tokens and, with ``prices``, their cost are in
:meth:`TrafficRecorder.snapshot`.

A quality signal is attached afterwards with :meth:`TrafficRecorder.feedback` by run id (the
``run_id`` of the record: the LangChain run id of the call, or the id in the response's
``routellm`` metadata). Feedback goes to a side file (``<log>.feedback.jsonl``), append-only;
:func:`~routellm_core.evaluation.traffic.load_traffic` merges it into the records when the
log is read (offline: reading logs belongs to the evaluation kit, writing them to the
runtime).

Example:
    >>> import tempfile, pathlib
    >>> from routellm_core.engine import RoutingEngine
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

import json
import logging
import math
import os
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .costs import Price, PriceTable
from .errors import ConfigError, DataError

__all__ = [
    "TrafficRecorder",
    "RecorderStats",
    "feedback_path",
    "OUTCOME_KINDS",
    "check_recorder",
]

logger = logging.getLogger("routellm")

#: the kinds of quality signal :meth:`TrafficRecorder.feedback` takes
OUTCOME_KINDS = ("correct", "grade", "thumbs")


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
        shadow_cost: USD of the shadow calls with ``prices``, else ``None``.
    """

    records: int
    write_errors: int
    shadow_calls: dict[str, int]
    shadow_errors: int
    shadow_input_tokens: dict[str, int]
    shadow_output_tokens: dict[str, int]
    shadow_cost: float | None

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

    Raises:
        ConfigError: ``shadow_rate`` is not a number in [0, 1], or the path is not ``.jsonl``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        shadow_rate: float = 0.0,
        seed: int | None = None,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
    ) -> None:
        p = Path(path)
        if p.suffix.lower() != ".jsonl":
            raise ConfigError(f"recorder path {str(p)!r}: use a .jsonl file name (the log is "
                              "JSON lines in the replay-log format)")
        if (isinstance(shadow_rate, bool) or not isinstance(shadow_rate, (int, float))
                or not 0.0 <= float(shadow_rate) <= 1.0):
            raise ConfigError(f"shadow_rate must be a number in [0, 1], got {shadow_rate!r}; "
                              "0 turns shadow calls off")
        self.path = p
        self.shadow_rate = float(shadow_rate)
        self.seed = seed
        self.prices = PriceTable(prices) if prices else None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._records = 0
        self._write_errors = 0
        self._warned: set[str] = set()
        self._shadow_calls = {"strong": 0, "weak": 0}
        self._shadow_in = {"strong": 0, "weak": 0}
        self._shadow_out = {"strong": 0, "weak": 0}
        self._shadow_errors = 0

    def __repr__(self) -> str:
        return f"TrafficRecorder({str(self.path)!r}, shadow_rate={self.shadow_rate})"

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> TrafficRecorder:
        return self  # one file, one recorder: copies of a wrapper share it

    # ---- writing ------------------------------------------------------------------------------
    @staticmethod
    def new_run_id() -> str:
        """A fresh run id (a UUID4 string)."""
        return str(uuid.uuid4())

    def write(self, row: Mapping[str, Any]) -> bool:
        """Append one row; returns whether it was written. Never raises: a failure (an
        unwritable file, a full disk, a value JSON cannot hold) is warned about and counted."""
        try:
            line = json.dumps(dict(row), ensure_ascii=False, default=str) + "\n"
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line)
                    fh.flush()
                self._records += 1
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
                     failed: bool = False) -> None:
        """Count one shadow call to ``route`` (``failed``: it raised)."""
        with self._lock:
            if failed:
                self._shadow_errors += 1
                return
            self._shadow_calls[route] += 1
            self._shadow_in[route] += int(input_tokens)
            self._shadow_out[route] += int(output_tokens)

    def snapshot(self, prices: PriceTable | None = None) -> RecorderStats:
        """What was written and what the shadow calls cost (``prices`` by route, else the
        recorder's own)."""
        table = self.prices or prices
        with self._lock:
            calls, tin, tout = dict(self._shadow_calls), dict(self._shadow_in), dict(self._shadow_out)
            recs, errs, serr = self._records, self._write_errors, self._shadow_errors
        cost = None
        if table is not None:
            cost = float(sum(table.cost(r, tin[r], tout[r]) for r in calls))
        return RecorderStats(recs, errs, calls, serr, tin, tout, cost)

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
            ConfigError: not exactly one signal, or a value of the wrong type.
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
        row: dict[str, Any] = {"run_id": run_id, "kind": kind, "outcome": outcome,
                               "time": time.time()}
        if shadow:
            row["shadow"] = True
        if note is not None:
            row["note"] = note
        fb = feedback_path(self.path)
        try:
            with self._lock:
                fb.parent.mkdir(parents=True, exist_ok=True)
                with fb.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise DataError(f"could not write feedback to {fb}: {exc}") from None


def check_recorder(recorder: Any) -> TrafficRecorder | None:
    """``recorder`` if it is a :class:`TrafficRecorder` or ``None``; anything else is a
    :class:`~routellm_core.errors.ConfigError`."""
    if recorder is not None and not isinstance(recorder, TrafficRecorder):
        raise ConfigError("recorder must be a routellm_core.recorder.TrafficRecorder or None, got "
                          f"{type(recorder).__name__}; build one with TrafficRecorder('traffic.jsonl')")
    return recorder


# --------------------------------------------------------------------------------------------
# Reading a recorded log
# --------------------------------------------------------------------------------------------


