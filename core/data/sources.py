"""The training sources in the data directory, read as battles or outcome tables.

* :data:`SOURCES`: Arena human votes, arena-bench-v1 GPT-4 grades, MMLU-Pro and the MMLU
  training split (golden labels), the GPT-4-judged vicuna-bench reviews, the everyday prior
  shipped in the package (``data/priors/``) and the six newer extracts
  (``NEW_SOURCES`` of :mod:`routellm_core.data.extracts`: llmrouter, theoremqa, qlora-oa,
  arena-hard-v0.1, simpleqa, routerarena; read by :mod:`routellm_core.data.extracts`).
* :func:`load_source`: one source as battles; :func:`load_table`: one source as a dense
  outcome table (for the sources that grade several models per prompt).
* :func:`calibration_prompts`: the named prompt sets that calibration tables are computed on.

Training sets built from them (weights, aliases, decontamination) are in
:mod:`routellm_core.training`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, unknown_name
from .battles import Battle, Battles, OutcomeTable, battles_from_outcomes
from .benchmarks import BenchmarkSet, arena_bench_grades, arena_bench_questions, load_mmlu
from .extracts import (
    BATTLE_EXTRACTS,
    NEW_SOURCES,
    TABLE_EXTRACTS,
    multiple_choice_prompt,
    read_extract,
)
from .files import read_jsonl, resolve_data_dir

__all__ = [
    "SOURCES",
    "ORIGINAL_SOURCES",
    "load_source",
    "load_table",
    "mmlu_pro_prompt",
    "anchors_path",
    "CALIBRATION_SETS",
    "MIX_PER_SOURCE",
    "calibration_prompts",
]


#: the training sources of the shipped default's recipe (the ``"mix"`` calibration set draws
#: from these, so that adding sources does not change what the default is calibrated on)
ORIGINAL_SOURCES = ("arena-human", "arena-bench-v1", "mmlu-pro", "mmlu-train", "vicuna-bench",
                    "everyday-anchors")

#: training sources: the original ones and the six newer extracts
SOURCES = (*ORIGINAL_SOURCES, *NEW_SOURCES)


def mmlu_pro_prompt(question: str, options: Sequence[str]) -> str:
    """Build an MMLU-style prompt: the question, lettered options, then ``Answer:``."""
    return multiple_choice_prompt(question, options)


def _data_file(path: Path, what: str) -> Path:
    """``path``, or a :class:`DataError` saying that ``what`` is not found there."""
    if not path.is_file():
        raise DataError(f"{what} not found at {str(path)!r}")
    return path


def _arena_human(root: Path) -> Battles:
    path = _data_file(root / "arena-human" / "battles.jsonl", "arena-human battles")
    out = []
    for lineno, obj in read_jsonl(path):
        try:
            b = Battle.from_dict({**obj, "source": "arena-human"})
        except (KeyError, DataError) as exc:
            raise DataError(f"{path}:{lineno}: {exc}") from None
        out.append(b)
    return Battles(out)


def _arena_bench_outcomes(root: Path) -> tuple[list[str], dict[str, list[float | None]]]:
    questions = arena_bench_questions(root)
    qids = sorted(questions)
    pos = {q: i for i, q in enumerate(qids)}
    scores: dict[str, list[float | None]] = {}
    for (qid, model), score in arena_bench_grades(root).items():
        if qid in pos:
            scores.setdefault(model, [None] * len(qids))[pos[qid]] = score
    return [questions[q] for q in qids], scores


def _arena_bench(root: Path, models: Sequence[str] | None) -> Battles:
    prompts, scores = _arena_bench_outcomes(root)
    return battles_from_outcomes(prompts, scores, source="arena-bench-v1", models=models)


def _mmlu_pro_outcomes(root: Path) -> tuple[list[str], dict[str, list[float | None]]]:
    path = _data_file(root / "mmlu-pro" / "correctness.jsonl", "mmlu-pro data")
    prompts: list[str] = []
    rows: list[dict[str, Any]] = []
    for lineno, obj in read_jsonl(path):
        try:
            prompts.append(mmlu_pro_prompt(obj["question"], obj["options"]))
            rows.append(obj["correct"])
        except KeyError as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc.args[0]!r}") from None
    names = sorted({m for r in rows for m in r})
    return prompts, {m: [r.get(m) for r in rows] for m in names}


def _mmlu_pro(root: Path, models: Sequence[str] | None) -> Battles:
    prompts, outcomes = _mmlu_pro_outcomes(root)
    return battles_from_outcomes(prompts, outcomes, source="mmlu-pro", models=models)


def _vicuna_bench(root: Path) -> Battles:
    """GPT-4-judged pairwise reviews of vicuna-bench (the gpt-3.5-turbo reviews are left out:
    a weaker judge than the one behind every other grade here)."""
    path = _data_file(root / "vicuna-bench" / "reviews.jsonl", "vicuna-bench reviews")
    out = []
    for lineno, obj in read_jsonl(path):
        try:
            if not str(obj["judge"]).startswith("gpt-4"):
                continue
            out.append(Battle(obj["prompt"], obj["model_a"], obj["model_b"], obj["winner"],
                              "vicuna-bench"))
        except KeyError as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc.args[0]!r}") from None
        except DataError as exc:
            raise DataError(f"{path}:{lineno}: {exc}") from None
    return Battles(out)


def anchors_path() -> Path:
    """The hand-written everyday prompts shipped in the package (``data/priors/everyday.jsonl``)."""
    return Path(__file__).resolve().parent / "priors" / "everyday.jsonl"


def _anchor_outcomes(strong_model: str, weak_model: str
                     ) -> tuple[list[str], dict[str, list[float | None]]]:
    """The everyday prior as outcomes: an easy prompt is answered well by both models, a hard
    one by the strong model only (``data/priors/README.md``)."""
    path = anchors_path()
    if not path.is_file():
        raise DataError(f"the everyday prior is missing from {path}; reinstall the package")
    prompts: list[str] = []
    weak: list[float | None] = []
    for lineno, obj in read_jsonl(path):
        label = obj.get("label")
        if label not in ("easy", "hard") or not isinstance(obj.get("prompt"), str):
            raise DataError(f"{path}:{lineno}: expected 'prompt' and label 'easy' or 'hard'")
        prompts.append(obj["prompt"])
        weak.append(1.0 if label == "easy" else 0.0)
    return prompts, {strong_model: [1.0] * len(prompts), weak_model: weak}


def _table(prompts: Sequence[str], outcomes: Mapping[str, Sequence[float | None]], source: str,
           models: Sequence[str] | None = None, scale: float = 1.0, low: float = 0.0
           ) -> OutcomeTable:
    """An outcome table with duplicate prompts merged (mean outcome) and values mapped to 0-1
    by ``(v - low) / scale``."""
    names = sorted(models) if models is not None else sorted(outcomes)
    for m in names:
        if m not in outcomes:
            raise unknown_name("model", m, outcomes)
    uniq = list(dict.fromkeys(prompts))
    pos = {p: i for i, p in enumerate(uniq)}
    rows = np.asarray([pos[p] for p in prompts])
    merged: dict[str, np.ndarray] = {}
    for m in names:
        v = np.asarray([np.nan if x is None else (float(x) - low) / scale for x in outcomes[m]])
        total = np.zeros(len(uniq))
        count = np.zeros(len(uniq))
        ok = ~np.isnan(v)
        np.add.at(total, rows[ok], v[ok])
        np.add.at(count, rows[ok], 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            merged[m] = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
    return OutcomeTable(uniq, merged, source)


def load_table(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    models: Sequence[str] | None = None,
    exclude_domains: Sequence[str] = (),
    strong_model: str = STRONG_MODEL,
    weak_model: str = WEAK_MODEL,
) -> OutcomeTable | None:
    """The per-model outcomes of a source, on a 0-1 scale, or ``None`` for the sources that
    hold only pairwise votes (``arena-human``, ``vicuna-bench``, ``qlora-oa``,
    ``arena-hard-v0.1``).

    MMLU-Pro and the MMLU training split give correctness (0/1), arena-bench-v1 GPT-4 grades
    (1-10, stored as ``(g - 1) / 9``), the everyday prior 1/0 for ``strong_model`` and
    ``weak_model``; the newer extracts as read by
    :func:`~routellm_core.data.extracts.read_extract` (``llmrouter``: correctness, a coverage
    fraction for commongen; ``theoremqa``, ``simpleqa``: correctness; ``routerarena``: the
    published 0-1 score). A prompt that occurs on several rows is one row with the mean
    outcome. Arguments as for :func:`load_source`.
    """
    if name not in SOURCES:
        raise unknown_name("training source", name, SOURCES)
    if name in ("arena-human", "vicuna-bench", *BATTLE_EXTRACTS):
        return None
    if name in TABLE_EXTRACTS:
        rows = read_extract(name, resolve_data_dir(data_dir))
        return _table(rows.prompts, rows.outcomes, name, models)
    if name == "everyday-anchors":
        prompts, out = _anchor_outcomes(strong_model, weak_model)
        return _table(prompts, out, name)
    if name == "mmlu-train":
        bench = _mmlu_train(data_dir, exclude_domains)
        return _table(bench.prompts, {m: list(v) for m, v in bench.outcomes.items()}, name,
                      models)
    root = resolve_data_dir(data_dir)
    if name == "arena-bench-v1":
        prompts, out = _arena_bench_outcomes(root)
        return _table(prompts, out, name, models, scale=9.0, low=1.0)
    prompts, out = _mmlu_pro_outcomes(root)
    return _table(prompts, out, name, models)


def load_source(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    models: Sequence[str] | None = None,
    exclude_domains: Sequence[str] = (),
) -> Battles:
    """Battles of one training source.

    Args:
        name: one of :data:`SOURCES`: ``"arena-human"`` (human votes; ``tie (bothbad)`` is a
            tie), ``"arena-bench-v1"`` (GPT-4 grades; every model pair per prompt, higher grade
            wins), ``"mmlu-pro"`` (golden labels; every model pair per question, correct beats
            wrong), ``"mmlu-train"`` (the MMLU golden training split, GPT-4 vs Mixtral),
            ``"vicuna-bench"``, ``"everyday-anchors"``, or one of the newer extracts
            (:func:`~routellm_core.data.extracts.read_extract`): ``"llmrouter"``,
            ``"theoremqa"``, ``"simpleqa"``, ``"routerarena"`` (outcome tables, every model
            pair per prompt) and ``"qlora-oa"``, ``"arena-hard-v0.1"`` (judged battles).
        data_dir: the data directory (see :func:`~routellm_core.data.files.resolve_data_dir`).
        models: build battles among these models only (default: all; names as spelled in the
            source). MMLU-Pro with all 31 models gives 2.4 million battles.
        exclude_domains: for ``"mmlu-train"``, MMLU domains to leave out (for example
            ``high_school_mathematics``, where the recorded GPT-4 answers were cut to one token
            and marked wrong on 97 % of rows: it teaches "math goes to the weak model").
    """
    if name not in SOURCES:
        raise unknown_name("training source", name, SOURCES)
    root = resolve_data_dir(data_dir)
    if name == "arena-human":
        bs = _arena_human(root)
        return bs.filter(models=models) if models is not None else bs
    if name == "arena-bench-v1":
        return _arena_bench(root, models)
    if name == "mmlu-pro":
        return _mmlu_pro(root, models)
    if name == "vicuna-bench":
        bs = _vicuna_bench(root)
        return bs.filter(models=models) if models is not None else bs
    if name == "everyday-anchors":
        prompts, out = _anchor_outcomes(STRONG_MODEL, WEAK_MODEL)
        return battles_from_outcomes(prompts, out, source=name)
    if name in TABLE_EXTRACTS:
        rows = read_extract(name, root)
        return battles_from_outcomes(rows.prompts, rows.outcomes, source=name, models=models)
    if name in BATTLE_EXTRACTS:
        bs = read_extract(name, root).battles
        if models is not None:
            known = bs.models()
            for m in models:
                if m not in known:
                    raise unknown_name(f"{name} model", m, known)
            bs = bs.filter(models=models)
        return bs
    return _mmlu_train(root, exclude_domains).to_battles(source="mmlu-train")


def _mmlu_train(data_dir: str | os.PathLike[str] | None, exclude_domains: Sequence[str]
                ) -> BenchmarkSet:
    bench = load_mmlu(data_dir, split="train")
    if exclude_domains:
        known = set(bench.extra["domain"])
        for d in exclude_domains:
            if d not in known:
                raise unknown_name("MMLU domain", d, known)
        drop = set(exclude_domains)
        bench = bench.subset([i for i, d in enumerate(bench.extra["domain"]) if d not in drop])
    return bench


#: named calibration prompt sets (see :func:`calibration_prompts`)
CALIBRATION_SETS = ("mix", "arena-bench-v1", "arena-human")


#: prompts drawn from each training source for the ``"mix"`` calibration set
MIX_PER_SOURCE = 300


def calibration_prompts(name: str, data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Prompts of a named calibration set.

    * ``"mix"``: a seeded sample of up to :data:`MIX_PER_SOURCE` distinct prompts from every
      original training source (:data:`ORIGINAL_SOURCES`: Arena human votes, arena-bench-v1,
      MMLU-Pro, the MMLU training split, vicuna-bench, the everyday prior), so that no one
      kind of traffic sets the thresholds.
    * ``"arena-bench-v1"``: its 300 Arena prompts; ``"arena-human"``: its 895 Arena prompts.
    """
    root = resolve_data_dir(data_dir)
    if name == "arena-bench-v1":
        return list(arena_bench_questions(root).values())
    if name == "arena-human":
        return _arena_human(root).prompts()
    if name == "mix":
        import random

        out: list[str] = []
        for source in ORIGINAL_SOURCES:
            table = load_table(source, root)
            prompts = (table.prompts if table is not None
                       else load_source(source, root).prompts())
            prompts = sorted(set(prompts))
            random.Random(f"calibration-mix-{source}").shuffle(prompts)
            out += prompts[:MIX_PER_SOURCE]
        return list(dict.fromkeys(out))
    raise unknown_name("calibration prompt set", name, CALIBRATION_SETS)
