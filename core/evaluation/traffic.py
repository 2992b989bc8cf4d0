"""Reading a recorded traffic log: the recorder's rows with their feedback merged.

:class:`~routellm_core.routing.recorder.TrafficRecorder` writes the log while routing (a runtime
piece); :func:`load_traffic` reads it back offline, for adaptation (``routellm battles
--from-log``) and replay evaluation (:meth:`TrafficLog.to_replay_log`).

Example:
    >>> import tempfile, pathlib
    >>> from routellm_core.routing.engine import RoutingEngine
    >>> from routellm_core.routing.recorder import TrafficRecorder
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "traffic.jsonl"
    >>> rec = TrafficRecorder(path)
    >>> engine = RoutingEngine("random", threshold=1.0, strong_name="big", weak_name="small",
    ...                        recorder=rec)
    >>> run_id = engine.record_call(engine.decide("What is 2 + 2?"), "4", run_id="run-1")
    >>> rec.feedback("run-1", correct=True)
    >>> [(r.model, r.answer, r.outcome) for r in load_traffic(path).records]
    [('small', '4', 1.0)]
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..routing.recorder import OUTCOME_KINDS, feedback_path
from .replay import ReplayLog, ReplayRecord

__all__ = ["TrafficRecord", "TrafficLog", "load_traffic"]

logger = logging.getLogger("routellm")


@dataclass
class TrafficRecord:
    """One recorded answer with its decision and (after feedback) its quality signal.

    Attributes:
        record: the replay-log row (prompt, model, answer, outcome, tokens).
        run_id: the call's run id (``None`` in a hand-written log).
        route: ``"strong"``/``"weak"`` when recorded, else ``None``.
        shadow: whether this answer came from a shadow call.
        kind: the quality signal's kind (``"correct"``, ``"grade"``, ``"thumbs"``) or ``None``.
        line: the line of the log the record was read from.
        extra: the other fields of the row (score, threshold, strong_model, weak_model, ...).
    """

    record: ReplayRecord
    run_id: str | None = None
    route: str | None = None
    shadow: bool = False
    kind: str | None = None
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return self.record.model

    @property
    def prompt(self) -> str:
        return self.record.prompt

    @property
    def answer(self) -> str:
        return self.record.answer

    @property
    def outcome(self) -> float | None:
        return self.record.outcome


@dataclass
class TrafficLog:
    """A recorded log with its feedback merged (see :func:`load_traffic`).

    Attributes:
        path: the log file.
        records: the records in file order.
        skipped: the lines left out (not strict): ``"file:line: why"`` for each torn or
            invalid line of the log or the feedback file.
        feedback_skipped: the feedback rows left out because their record is not in the log
            (lost to a crash or a failed write, or skipped above): ``"file:line: why"``.
    """

    path: Path
    records: list[TrafficRecord]
    skipped: list[str] = field(default_factory=list)
    feedback_skipped: list[str] = field(default_factory=list)

    def labelled(self) -> list[TrafficRecord]:
        """The records with a quality signal."""
        return [r for r in self.records if r.outcome is not None]

    def to_replay_log(self) -> ReplayLog:
        """A :class:`~routellm_core.evaluation.replay.ReplayLog` of the records: the first
        answer of each model to each prompt (a prompt asked twice keeps its first answer)."""
        log = ReplayLog(name=self.path.stem)
        for r in self.records:
            if not log.has(r.model, r.prompt):
                log.add(r.record)
        return log


_RESERVED = {"prompt", "model", "answer", "outcome", "input_tokens", "output_tokens", "run_id",
             "route", "shadow", "outcome_kind"}


def _lines(path: Path, strict: bool, skipped: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line; a line that is not a JSON object
    raises (``strict``) or is noted in ``skipped``."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                why = f"{path}:{lineno}: not valid JSON ({exc.msg}; a line cut by a crash?)"
            else:
                if isinstance(obj, dict):
                    yield lineno, obj
                    continue
                why = f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}"
            if strict:
                raise DataError(why)
            skipped.append(why)


def _row(p: Path, lineno: int, obj: dict[str, Any]) -> TrafficRecord:
    """One log row as a record; a bad row is a :class:`DataError` naming the file and line."""
    try:
        rec = ReplayRecord.from_dict(obj)
    except DataError as exc:
        raise DataError(f"{p}:{lineno}: {exc}") from None
    kind = obj.get("outcome_kind")
    if kind is not None and kind not in OUTCOME_KINDS:
        raise DataError(f"{p}:{lineno}: outcome_kind must be one of {', '.join(OUTCOME_KINDS)}, "
                        f"got {kind!r}")
    if kind is not None and rec.outcome is None:
        raise DataError(f"{p}:{lineno}: outcome_kind is {kind!r} but the outcome is missing; "
                        "give the grade in 'outcome' or drop 'outcome_kind'")
    route = obj.get("route")
    if route is not None and route not in ("strong", "weak"):
        raise DataError(f"{p}:{lineno}: route must be 'strong' or 'weak', got {route!r}")
    run_id = obj.get("run_id")
    return TrafficRecord(rec, None if run_id is None else str(run_id), route,
                         bool(obj.get("shadow", False)), kind, lineno,
                         {k: v for k, v in obj.items() if k not in _RESERVED})


def load_traffic(path: str | os.PathLike[str], *, feedback: bool = True,
                 strict: bool = False) -> TrafficLog:
    """Read a recorded (or hand-written) log in the replay-log JSONL format and merge the
    feedback side file (:func:`feedback_path`) when there is one.

    A row needs ``prompt``, ``model`` and ``answer``; ``outcome`` (with ``outcome_kind``),
    ``run_id``, ``route`` and ``shadow`` are optional. Feedback replaces a row's outcome;
    later feedback for the same answer wins.

    A log survives a crash: a torn or invalid line (not JSON, a missing field, a bad value)
    is skipped with one warning that counts the lines (listed in
    :attr:`TrafficLog.skipped`), unless ``strict``. Feedback whose record is not in the log
    (the record was lost, or skipped) is skipped and reported
    (:attr:`TrafficLog.feedback_skipped`), never fatal.

    Args:
        path: the log (``.jsonl``).
        feedback: merge the feedback side file.
        strict: fail on the first torn or invalid line instead of skipping it.

    Raises:
        DataError: the file is missing or not ``.jsonl``; with ``strict``, a line is not
            valid JSON (a truncated last line, for example), a row misses a field or has a
            bad value, a row's ``outcome_kind`` is set with no outcome (a missing grade), or
            a feedback row has no value or an unknown kind. Every message names the file and
            line.
    """
    p = Path(path)
    if p.suffix.lower() not in (".jsonl", ".ndjson"):
        raise DataError(f"traffic log {str(p)!r}: use a .jsonl file (the recorder's format)")
    if not p.is_file():
        raise DataError(f"traffic log {str(p)!r} does not exist")
    records: list[TrafficRecord] = []
    skipped: list[str] = []
    lost: list[str] = []
    by_run: dict[str, list[TrafficRecord]] = {}
    for lineno, obj in _lines(p, strict, skipped):
        try:
            tr = _row(p, lineno, obj)
        except DataError as exc:
            if strict:
                raise
            skipped.append(str(exc))
            continue
        records.append(tr)
        if tr.run_id is not None:
            by_run.setdefault(tr.run_id, []).append(tr)
    fb = feedback_path(p)
    if feedback and fb.is_file():
        for lineno, obj in _lines(fb, strict, skipped):
            run_id, kind = obj.get("run_id"), obj.get("kind")
            value = obj.get("outcome")
            why = None
            if kind not in OUTCOME_KINDS:
                why = f"{fb}:{lineno}: kind must be one of {', '.join(OUTCOME_KINDS)}, got {kind!r}"
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                why = (f"{fb}:{lineno}: the {kind} value is missing or not a number "
                       f"(outcome={value!r})")
            if why is not None or not isinstance(value, (int, float)):
                why = why or f"{fb}:{lineno}: not a number (outcome={value!r})"
                if strict:
                    raise DataError(why)
                skipped.append(why)
                continue
            runs = by_run.get(str(run_id))
            if not runs:
                lost.append(f"{fb}:{lineno}: run id {run_id!r} is not in {p}")
                continue
            want_shadow = bool(obj.get("shadow", False))
            target = [r for r in runs if r.shadow == want_shadow][:1]
            if not target:
                lost.append(f"{fb}:{lineno}: run {run_id!r} has no "
                            f"{'shadow' if want_shadow else 'served'} answer in {p}")
                continue
            for r in target:
                r.record = ReplayRecord(r.record.prompt, r.record.model, r.record.answer,
                                        float(value), r.record.input_tokens,
                                        r.record.output_tokens)
                r.kind = kind
    if skipped:
        logger.warning("%s: skipped %d torn or invalid line%s (first: %s); strict=True "
                       "(routellm battles --strict) fails on them instead", p, len(skipped),
                       "" if len(skipped) == 1 else "s", skipped[0])
    if lost:
        logger.warning("%s: skipped %d feedback row%s whose record is not in the log (first: "
                       "%s)", fb, len(lost), "" if len(lost) == 1 else "s", lost[0])
    return TrafficLog(p, records, skipped, lost)
