"""Replay logs: recorded answers of real models, for evaluating routing offline.

A :class:`ReplayLog` holds :class:`ReplayRecord` rows: one model's recorded answer to one
prompt, with an optional outcome (correctness 0/1 or a judge grade) and optional token
counts. The framework replay models (``langchain_routellm.ReplayChatModel`` and
``llamaindex_routellm.ReplayLLM``) answer from such a log, so a real chain or engine can be run
over recorded traffic with no API key, and the routing inside it scored and priced.

Users fill a log from their own traffic in JSONL or CSV (one row per prompt and model):

.. code-block:: text

    {"prompt": "2+2?", "model": "gpt-4o", "answer": "4", "outcome": 1.0}
    {"prompt": "2+2?", "model": "gpt-4o-mini", "answer": "5", "outcome": 0.0, "output_tokens": 1}

Looking up a prompt or model that the log lacks raises an error; a replay model never makes an
answer up.

Example:
    >>> log = ReplayLog([
    ...     ReplayRecord("2+2?", "big", "4", outcome=1.0),
    ...     ReplayRecord("2+2?", "small", "5", outcome=0.0),
    ... ])
    >>> log.answer("small", "2+2?")
    '5'
    >>> log.models()
    ['big', 'small']
    >>> from routellm_core.costs import PriceTable
    >>> # 4 prompt tokens ("2", "+", "2", "?") at $10/M plus 1 answer token at $30/M
    >>> round(log.cost("big", "2+2?", PriceTable({"big": (10.0, 30.0)})), 8)
    7e-05
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..costs import PriceTable, count_tokens
from ..data.benchmarks import (
    BenchmarkSet,
    arena_bench_answers,
    arena_bench_grades,
    arena_bench_questions,
    load_gsm8k,
)
from ..data.files import read_jsonl
from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, UnknownNameError, unknown_name

__all__ = [
    "ReplayRecord",
    "ReplayLog",
    "RunCost",
    "gsm8k_log",
    "arena_bench_log",
]

#: CSV/JSONL columns of a log file, in order; the last three may be empty.
COLUMNS = ("prompt", "model", "answer", "outcome", "input_tokens", "output_tokens")


def _short(text: str, n: int = 70) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= n else one_line[: n - 3] + "..."


class ReplayRecord(BaseModel):
    """One model's recorded answer to one prompt (a pydantic model: typed, frozen, no extra
    fields).

    Attributes:
        prompt: the user prompt (the lookup key, matched exactly).
        model: the model's name.
        answer: the recorded answer text.
        outcome: how good the answer was: correctness (1.0 / 0.0) or a judge grade; ``None``
            when unknown (a NaN becomes ``None``).
        input_tokens: recorded prompt tokens; ``None`` to estimate with
            :func:`~routellm_core.costs.count_tokens`.
        output_tokens: recorded answer tokens; ``None`` to estimate likewise.

    Raises:
        DataError: a field of the wrong type (no conversion: ``"1"`` is not an outcome, ``True``
            not a token count), an empty model name, a negative token count or an unknown
            field; the message names the field.

    Example:
        >>> ReplayRecord("2+2?", "big", "4", outcome=1)
        ReplayRecord(prompt='2+2?', model='big', answer='4', outcome=1.0, input_tokens=None, output_tokens=None)
        >>> ReplayRecord("2+2?", "big", "4", score=1.0)
        Traceback (most recent call last):
        ...
        routellm_core.errors.DataError: replay record: unknown field 'score'; valid fields: prompt, model, answer, outcome, input_tokens, output_tokens
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    prompt: str
    model: str = Field(min_length=1)
    answer: str
    outcome: float | None = None
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)

    def __init__(self, prompt: str, model: str, answer: str, outcome: float | None = None,
                 input_tokens: int | None = None, output_tokens: int | None = None,
                 **extra: Any) -> None:
        try:
            super().__init__(prompt=prompt, model=model, answer=answer, outcome=outcome,
                             input_tokens=input_tokens, output_tokens=output_tokens, **extra)
        except ValidationError as exc:
            raise _record_error(exc) from None

    @field_validator("outcome")
    @classmethod
    def _nan_is_unknown(cls, value: float | None) -> float | None:
        return None if value is not None and math.isnan(value) else value

    @property
    def prompt_tokens(self) -> int:
        """Recorded input tokens, else the estimate for the prompt text."""
        return self.input_tokens if self.input_tokens is not None else count_tokens(self.prompt)

    @property
    def answer_tokens(self) -> int:
        """Recorded output tokens, else the estimate for the answer text."""
        return self.output_tokens if self.output_tokens is not None else count_tokens(self.answer)

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (the six fields)."""
        return self.model_dump()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReplayRecord:
        """Build a record from a mapping with at least ``prompt``, ``model`` and ``answer``."""
        missing = [k for k in ("prompt", "model", "answer") if k not in d]
        if missing:
            raise DataError(f"missing field {missing[0]!r}")
        return cls(
            prompt=d["prompt"],
            model=d["model"],
            answer=d["answer"],
            outcome=_opt_float(d.get("outcome"), "outcome"),
            input_tokens=_opt_int(d.get("input_tokens"), "input_tokens"),
            output_tokens=_opt_int(d.get("output_tokens"), "output_tokens"),
        )


def _record_error(exc: ValidationError) -> DataError:
    """The first problem of a record, in the words of the file format."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        return DataError(f"replay record: unknown field {name!r}; valid fields: "
                         f"{', '.join(ReplayRecord.model_fields)}")
    if name in ("prompt", "model", "answer"):
        if err["type"] == "string_too_short":
            return DataError(f"replay record {name} must be a non-empty string")
        return DataError(f"replay record {name} must be a string, got {type(value).__name__}")
    if name == "outcome":
        return DataError(f"replay record outcome must be a number or None, got {value!r}")
    return DataError(f"replay record {name} must be a non-negative integer or None, got {value!r}")


def _opt_float(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "false"):  # correctness columns are often written as True/False
            return 1.0 if v == "true" else 0.0
        try:
            return float(v)
        except ValueError:
            raise DataError(f"{name} must be a number, True/False or empty, got {value!r}") from None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise DataError(f"{name} must be a number or empty, got {value!r}")


def _opt_int(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a non-negative integer or empty, got {value!r}") from None
    if f != int(f) or f < 0:
        raise DataError(f"{name} must be a non-negative integer or empty, got {value!r}")
    return int(f)


@dataclass(frozen=True)
class RunCost:
    """The cost of a run of calls and of the same prompts sent to one model only.

    Attributes:
        cost: USD for the calls as routed.
        always: USD per model, had that model answered every prompt of the run.
        calls: number of calls per model in the routed run.
    """

    cost: float
    always: dict[str, float]
    calls: dict[str, int]

    def savings_against(self, model: str) -> float:
        """Fraction of ``model``-only spend saved by the routed run (0.8 = 80 % cheaper)."""
        if model not in self.always:
            raise unknown_name("model", model, self.always)
        base = self.always[model]
        return 1.0 - self.cost / base if base > 0 else 0.0


class ReplayLog:
    """Recorded answers, looked up by ``(model, prompt)``.

    Args:
        records: the rows. Two rows for the same model and prompt are an error (which answer
            should be replayed?) unless they are identical.
        name: a label for messages and reports.

    Example:
        >>> log = ReplayLog([ReplayRecord("hi", "m", "hello")], name="demo")
        >>> log.get("m", "hi").answer
        'hello'
        >>> log.get("m", "bye")
        Traceback (most recent call last):
        ...
        routellm_core.errors.DataError: prompt 'bye' is not in the replay log 'demo' for model 'm' (1 prompts recorded); a replay model only answers recorded prompts
    """

    def __init__(self, records: Iterable[ReplayRecord] = (), *, name: str = "") -> None:
        self.name = name
        self._by_model: dict[str, dict[str, ReplayRecord]] = {}
        self._prompts: dict[str, None] = {}
        self._n = 0
        for r in records:
            self.add(r)

    # ---- building ------------------------------------------------------------------------------
    def add(self, record: ReplayRecord) -> None:
        """Add one record (see the class docstring for duplicates)."""
        if not isinstance(record, ReplayRecord):
            raise DataError(f"expected a ReplayRecord, got {type(record).__name__}")
        rows = self._by_model.setdefault(record.model, {})
        old = rows.get(record.prompt)
        if old is not None:
            if old == record:
                return
            raise DataError(
                f"two different records for model {record.model!r} and prompt "
                f"{_short(record.prompt)!r} in the replay log; keep one answer per model and prompt"
            )
        rows[record.prompt] = record
        self._prompts.setdefault(record.prompt, None)
        self._n += 1

    # ---- queries -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[ReplayRecord]:
        for rows in self._by_model.values():
            yield from rows.values()

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"ReplayLog({label}records={len(self)}, models={len(self._by_model)}, prompts={len(self._prompts)})"

    def models(self) -> list[str]:
        """Sorted model names."""
        return sorted(self._by_model)

    def prompts(self, model: str | None = None) -> list[str]:
        """Distinct prompts in first-seen order (only those ``model`` answered, if given)."""
        if model is None:
            return list(self._prompts)
        return list(self._rows(model))

    def has(self, model: str, prompt: str) -> bool:
        """Whether the log holds ``model``'s answer to ``prompt``."""
        return prompt in self._by_model.get(model, {})

    def _rows(self, model: str) -> dict[str, ReplayRecord]:
        rows = self._by_model.get(model)
        if rows is None:
            where = f" {self.name!r}" if self.name else ""
            raise UnknownNameError(
                f"unknown model {model!r}: the replay log{where} holds answers of "
                f"{', '.join(self.models()) or 'no model'}"
            )
        return rows

    def get(self, model: str, prompt: str) -> ReplayRecord:
        """The record of ``model`` for ``prompt``.

        Raises:
            UnknownNameError: the log has no answers of ``model`` (lists the models it has).
            DataError: ``model`` never answered ``prompt`` in the log.
        """
        rows = self._rows(model)
        rec = rows.get(prompt)
        if rec is None:
            where = f" {self.name!r}" if self.name else ""
            raise DataError(
                f"prompt {_short(prompt)!r} is not in the replay log{where} for model {model!r} "
                f"({len(rows)} prompts recorded); a replay model only answers recorded prompts"
            )
        return rec

    def answer(self, model: str, prompt: str) -> str:
        """The recorded answer text (see :meth:`get` for errors)."""
        return self.get(model, prompt).answer

    def outcome(self, model: str, prompt: str) -> float | None:
        """The recorded outcome, or ``None`` when unknown."""
        return self.get(model, prompt).outcome

    def outcomes(self, model: str, prompts: Sequence[str]) -> np.ndarray:
        """Outcomes of ``model`` on ``prompts`` as float64 (NaN where unknown)."""
        return np.asarray(
            [np.nan if (o := self.outcome(model, p)) is None else o for p in prompts],
            dtype=np.float64,
        )

    def tokens(self, model: str, prompt: str) -> tuple[int, int]:
        """``(input_tokens, output_tokens)``: recorded, else estimated from the text."""
        rec = self.get(model, prompt)
        return rec.prompt_tokens, rec.answer_tokens

    def subset(self, prompts: Iterable[str], models: Iterable[str] | None = None) -> ReplayLog:
        """A log with only these prompts (and models); unknown prompts are an error."""
        wanted = list(dict.fromkeys(prompts))
        unknown = [p for p in wanted if p not in self._prompts]
        if unknown:
            raise DataError(
                f"{len(unknown)} prompts are not in the replay log, e.g. {_short(unknown[0])!r}"
            )
        ms = self.models() if models is None else list(models)
        for m in ms:
            self._rows(m)
        return ReplayLog(
            (self._by_model[m][p] for m in ms for p in wanted if p in self._by_model[m]),
            name=self.name,
        )

    # ---- costs ---------------------------------------------------------------------------------
    def cost(self, model: str, prompt: str, prices: PriceTable) -> float:
        """USD for ``model`` answering ``prompt``; a model without a price is an error."""
        price = prices.get(model)
        tin, tout = self.tokens(model, prompt)
        return price.cost(tin, tout)

    def model_cost(self, model: str, prompts: Sequence[str], prices: PriceTable) -> float:
        """USD had ``model`` answered every prompt."""
        return float(sum(self.cost(model, p, prices) for p in prompts))

    def run_cost(
        self,
        calls: Sequence[tuple[str, str]],
        prices: PriceTable,
        *,
        compare: Sequence[str] = (),
    ) -> RunCost:
        """Price a run of ``(model, prompt)`` calls, and the same prompts sent to each model of
        ``compare`` alone.

        Example:
            >>> log = ReplayLog([ReplayRecord("q", "a", "x y"), ReplayRecord("q", "b", "x")])
            >>> rc = log.run_cost([("b", "q")], PriceTable({"a": (1e6, 1e6), "b": (0, 0)}),
            ...                   compare=["a", "b"])
            >>> rc.cost, rc.always["a"], rc.savings_against("a")
            (0.0, 3.0, 1.0)
        """
        calls_by: dict[str, int] = {}
        total = 0.0
        for model, prompt in calls:
            total += self.cost(model, prompt, prices)
            calls_by[model] = calls_by.get(model, 0) + 1
        prompts = [p for _, p in calls]
        always = {m: self.model_cost(m, prompts, prices) for m in compare}
        return RunCost(float(total), always, calls_by)

    # ---- evaluation bridge ---------------------------------------------------------------------
    def to_benchmark(
        self,
        strong: str,
        weak: str,
        *,
        name: str | None = None,
        metric: Literal["accuracy", "grade"] = "accuracy",
        prompts: Sequence[str] | None = None,
    ) -> BenchmarkSet:
        """A :class:`~routellm_core.data.benchmarks.BenchmarkSet` of the prompts both models answered
        with a known outcome, for :mod:`routellm_core.evaluation.evaluate`.

        Raises:
            DataError: no prompt has outcomes for both models.
        """
        ps = list(prompts) if prompts is not None else self.prompts()
        srows, wrows = self._rows(strong), self._rows(weak)
        keep = [
            p
            for p in ps
            if p in srows and p in wrows
            and srows[p].outcome is not None and wrows[p].outcome is not None
        ]
        if not keep:
            raise DataError(
                f"no prompt in the replay log has outcomes for both {strong!r} and {weak!r}"
            )
        return BenchmarkSet(
            name=name or self.name or "replay",
            prompts=keep,
            outcomes={strong: self.outcomes(strong, keep), weak: self.outcomes(weak, keep)},
            metric=metric,
            strong=strong,
            weak=weak,
        )

    # ---- I/O -----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the log as JSONL (``.jsonl``) or CSV (``.csv``), chosen by the suffix."""
        p = Path(path)
        fmt = _format_of(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "jsonl":
            with p.open("w", encoding="utf-8") as fh:
                for r in self:
                    fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
        else:
            with p.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(COLUMNS)
                for r in self:
                    w.writerow(["" if (v := getattr(r, c)) is None else v for c in COLUMNS])
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, name: str | None = None) -> ReplayLog:
        """Read a log written by :meth:`save` or by hand (JSONL or CSV with the columns
        ``prompt, model, answer`` and optionally ``outcome, input_tokens, output_tokens``).

        Raises:
            DataError: the file is missing, has another suffix, or a row is malformed (the
                message names the file and line).
        """
        p = Path(path)
        fmt = _format_of(p)
        if not p.is_file():
            raise DataError(f"replay log {str(p)!r} does not exist")
        log = cls(name=name if name is not None else p.stem)
        if fmt == "jsonl":
            for lineno, obj in read_jsonl(p):
                log._add_row(obj, p, lineno)
        else:
            with p.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                header = reader.fieldnames or []
                for col in ("prompt", "model", "answer"):
                    if col not in header:
                        raise DataError(
                            f"{p}: missing column {col!r} (has: {', '.join(header) or 'nothing'}); "
                            f"a replay CSV needs the columns {', '.join(COLUMNS[:3])}"
                        )
                for row in reader:
                    log._add_row(row, p, reader.line_num)
        return log

    def _add_row(self, row: Mapping[str, Any], path: Path, lineno: int) -> None:
        try:
            self.add(ReplayRecord.from_dict(row))
        except DataError as exc:
            raise DataError(f"{path}:{lineno}: {exc}") from None


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise DataError(f"replay log {str(path)!r}: use a .jsonl or .csv file name")


# --------------------------------------------------------------------------------------------
# Builders from the RouteLLM data
# --------------------------------------------------------------------------------------------
def gsm8k_log(data_dir: str | os.PathLike[str] | None = None) -> ReplayLog:
    """The recorded GSM8K answers of GPT-4 (``gpt-4-1106-preview``) and Mixtral
    (``mistralai/Mixtral-8x7B-Instruct-v0.1``) with their correctness: 1,307 prompts each,
    after dropping the contaminated ones exactly as :func:`~routellm_core.data.benchmarks.load_gsm8k`.

    Example:
        >>> log = gsm8k_log()  # doctest: +SKIP
        >>> len(log.prompts()), log.models()  # doctest: +SKIP
        (1307, ['gpt-4-1106-preview', 'mistralai/Mixtral-8x7B-Instruct-v0.1'])
    """
    bench = load_gsm8k(data_dir)
    records = []
    for m in (STRONG_MODEL, WEAK_MODEL):
        answers = bench.extra.get(f"{m}_response")
        if answers is None or any(a is None for a in answers):
            raise DataError(
                f"gsm8k_responses.csv has no complete {m + '_response'!r} column; "
                "is the data directory the published one?"
            )
        for prompt, answer, outcome in zip(bench.prompts, answers, bench.outcomes[m], strict=True):
            records.append(ReplayRecord(prompt, m, answer, float(outcome)))
    return ReplayLog(records, name="gsm8k")


def arena_bench_log(
    data_dir: str | os.PathLike[str] | None = None, models: Iterable[str] | None = None
) -> ReplayLog:
    """The recorded answers of arena-bench-v1 (300 Arena prompts) with GPT-4 judge grades.

    Model names are the answer files' ``model_id`` (the same names as in
    ``judge_scores.jsonl``, e.g. ``mistralai/Mixtral-8x7B-Instruct-v0.1``). The answer is the
    first turn of the first choice. The outcome is the judge's 1-10 grade, ``None`` where the
    judge output was not parsed or the model was not graded.

    Args:
        data_dir: the data directory (see :func:`~routellm_core.data.files.resolve_data_dir`).
        models: keep only these models (default: all 16 answer files).

    Raises:
        DataError: a file is missing or malformed; UnknownNameError: a requested model has no
            answer file.
    """
    prompts = arena_bench_questions(data_dir)
    grades = arena_bench_grades(data_dir)
    per_model = {
        model: [ReplayRecord(prompts[qid], model, answer, grades.get((qid, model)))
                for qid, answer in rows]
        for model, rows in arena_bench_answers(data_dir).items()
    }
    keep = list(per_model) if models is None else list(models)
    for m in keep:
        if m not in per_model:
            raise unknown_name("arena-bench-v1 model", m, per_model)
    return ReplayLog((r for m in keep for r in per_model[m]), name="arena-bench-v1")
