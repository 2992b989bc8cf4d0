"""Reading a recorded traffic log: the recorder's rows with their feedback merged.

:class:`~routellm_core.recorder.TrafficRecorder` writes the log while routing (a runtime
piece); :func:`load_traffic` reads it back offline, for adaptation (``routellm battles
--from-log``) and replay evaluation (:meth:`TrafficLog.to_replay_log`).

Example:
    >>> import tempfile, pathlib
    >>> from routellm_core.engine import RoutingEngine
    >>> from routellm_core.recorder import TrafficRecorder
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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.files import read_jsonl
from ..errors import DataError
from ..recorder import OUTCOME_KINDS, feedback_path
from .replay import ReplayLog, ReplayRecord

__all__ = ["TrafficRecord", "TrafficLog", "load_traffic"]


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
    """

    path: Path
    records: list[TrafficRecord]

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


def load_traffic(path: str | os.PathLike[str], *, feedback: bool = True) -> TrafficLog:
    """Read a recorded (or hand-written) log in the replay-log JSONL format and merge the
    feedback side file (:func:`feedback_path`) when there is one.

    A row needs ``prompt``, ``model`` and ``answer``; ``outcome`` (with ``outcome_kind``),
    ``run_id``, ``route`` and ``shadow`` are optional. Feedback replaces a row's outcome;
    later feedback for the same answer wins.

    Raises:
        DataError: the file is missing or not ``.jsonl``; a line is not valid JSON (a
            truncated last line, for example); a row misses a field or has a bad value; a
            row's ``outcome_kind`` is set with no outcome (a missing grade); feedback names a
            run id or model the log does not hold, or has no value. Every message names the
            file and line.
    """
    p = Path(path)
    if p.suffix.lower() not in (".jsonl", ".ndjson"):
        raise DataError(f"traffic log {str(p)!r}: use a .jsonl file (the recorder's format)")
    if not p.is_file():
        raise DataError(f"traffic log {str(p)!r} does not exist")
    records: list[TrafficRecord] = []
    by_run: dict[str, list[TrafficRecord]] = {}
    for lineno, obj in read_jsonl(p):
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
        tr = TrafficRecord(rec, None if run_id is None else str(run_id), route,
                           bool(obj.get("shadow", False)), kind, lineno,
                           {k: v for k, v in obj.items() if k not in _RESERVED})
        records.append(tr)
        if tr.run_id is not None:
            by_run.setdefault(tr.run_id, []).append(tr)
    fb = feedback_path(p)
    if feedback and fb.is_file():
        for lineno, obj in read_jsonl(fb):
            run_id, kind = obj.get("run_id"), obj.get("kind")
            if kind not in OUTCOME_KINDS:
                raise DataError(f"{fb}:{lineno}: kind must be one of {', '.join(OUTCOME_KINDS)}, "
                                f"got {kind!r}")
            value = obj.get("outcome")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DataError(f"{fb}:{lineno}: the {kind} value is missing or not a number "
                                f"(outcome={value!r})")
            runs = by_run.get(str(run_id))
            if not runs:
                raise DataError(f"{fb}:{lineno}: run id {run_id!r} is not in {p}")
            want_shadow = bool(obj.get("shadow", False))
            target = [r for r in runs if r.shadow == want_shadow][:1]
            if not target:
                raise DataError(f"{fb}:{lineno}: run {run_id!r} has no "
                                f"{'shadow' if want_shadow else 'served'} answer in {p}")
            for r in target:
                r.record = ReplayRecord(r.record.prompt, r.record.model, r.record.answer,
                                        float(value), r.record.input_tokens,
                                        r.record.output_tokens)
                r.kind = kind
    return TrafficLog(p, records)
