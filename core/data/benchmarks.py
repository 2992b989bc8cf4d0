"""Benchmark sets: prompts with each model's outcome, what routers are evaluated on.

A *benchmark set* holds prompts with a per-model outcome (correctness 0/1, or a judge grade).
The loaders read the RouteLLM evaluation data in ``../shared/data`` (MT-Bench, MMLU, GSM8K,
arena-bench-v1) and the difficulty check shipped in the package.

Example:
    >>> bench = BenchmarkSet("toy", ["2+2?", "prove it"], {"big": [1.0, 1.0], "small": [1.0, 0.0]},
    ...                      strong="big", weak="small")
    >>> bench.weak_score, bench.strong_score  # accuracy in %
    (50.0, 100.0)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, unknown_name
from .battles import Battles, battles_from_outcomes
from .files import read_jsonl, resolve_data_dir

__all__ = [
    "BENCHMARKS",
    "BenchmarkSet",
    "load_benchmark",
    "load_mmlu",
    "load_gsm8k",
    "load_mt_bench",
    "mmlu_train_rows",
    "arena_bench_questions",
    "arena_bench_grades",
    "arena_bench_answers",
    "load_difficulty",
    "difficulty_set_path",
    "difficulty_languages",
    "DIFFICULTY_LANGUAGES",
    "evaluation_prompts",
]

#: Names accepted by :func:`load_benchmark`.
BENCHMARKS = ("mt-bench", "mmlu", "gsm8k", "difficulty")


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(f"{what} not found at {str(path)!r}; is the data directory complete?")
    return path


# --------------------------------------------------------------------------------------------
# Benchmark sets
# --------------------------------------------------------------------------------------------
@dataclass
class BenchmarkSet:
    """Prompts with a per-model outcome, for evaluating a router on one model pair.

    Attributes:
        name: ``"mmlu"``, ``"gsm8k"``, ``"mt-bench"`` or a user name.
        prompts: the text the router scores (for MT-Bench: the first turn).
        outcomes: per model, one float per prompt (1/0 correctness, or a grade).
        metric: ``"accuracy"`` (reported as %) or ``"grade"`` (reported as is).
        strong: the strong model's name; weak: the weak model's name.
        extra: per-prompt extras (for MT-Bench: ``question_id`` and ``turns``).
    """

    name: str
    prompts: list[str]
    outcomes: dict[str, np.ndarray]
    metric: Literal["accuracy", "grade"] = "accuracy"
    strong: str = STRONG_MODEL
    weak: str = WEAK_MODEL
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in (self.strong, self.weak):
            if m not in self.outcomes:
                raise unknown_name("model", m, self.outcomes)
        for m, arr in self.outcomes.items():
            if len(arr) != len(self.prompts):
                raise DataError(f"{self.name}: model {m!r} has {len(arr)} outcomes for "
                                f"{len(self.prompts)} prompts")

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def strong_outcomes(self) -> np.ndarray:
        return self.outcomes[self.strong]

    @property
    def weak_outcomes(self) -> np.ndarray:
        return self.outcomes[self.weak]

    @property
    def scale(self) -> float:
        """Multiplier from mean outcome to the benchmark's reported unit."""
        return 100.0 if self.metric == "accuracy" else 1.0

    @property
    def weak_score(self) -> float:
        return float(np.mean(self.weak_outcomes) * self.scale)

    @property
    def strong_score(self) -> float:
        return float(np.mean(self.strong_outcomes) * self.scale)

    def subset(self, indices: Sequence[int] | np.ndarray) -> BenchmarkSet:
        idx = list(np.asarray(indices, dtype=int))
        return BenchmarkSet(
            name=self.name,
            prompts=[self.prompts[i] for i in idx],
            outcomes={m: v[idx] for m, v in self.outcomes.items()},
            metric=self.metric,
            strong=self.strong,
            weak=self.weak,
            extra={k: [v[i] for i in idx] for k, v in self.extra.items()},
        )

    def to_battles(self, source: str | None = None) -> Battles:
        """Every model pair on every prompt as a battle (see :func:`battles_from_outcomes`)."""
        return battles_from_outcomes(self.prompts, self.outcomes, source=source or self.name)


def _contaminated(path: Path) -> set[str]:
    out = set()
    for lineno, obj in read_jsonl(path):
        if "eval_prompt" not in obj:
            raise DataError(f"{path}:{lineno}: missing field 'eval_prompt'")
        out.add(obj["eval_prompt"])
    return out


def _parse_bool(value: str, path: Path, lineno: int, column: str) -> float:
    v = value.strip().lower()
    if v in ("true", "1", "1.0"):
        return 1.0
    if v in ("false", "0", "0.0"):
        return 0.0
    raise DataError(f"{path}:{lineno}: column {column!r} must be True/False, got {value!r}")


def _read_outcome_csv(
    path: Path, models: Sequence[str]
) -> tuple[list[str], dict[str, list[float]], list[dict[str, str]]]:
    prompts: list[str] = []
    outcomes: dict[str, list[float]] = {m: [] for m in models}
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in ("prompt", *models):
            if col not in header:
                raise DataError(f"{path}: missing column {col!r} (has: {', '.join(header)})")
        for row in reader:
            lineno = reader.line_num
            prompt = row["prompt"]
            if prompt is None:
                raise DataError(f"{path}:{lineno}: row has no prompt")
            prompts.append(prompt)
            for m in models:
                outcomes[m].append(_parse_bool(row[m] or "", path, lineno, m))
            rows.append(row)
    return prompts, outcomes, rows


def mmlu_train_rows(data_dir: str | os.PathLike[str] | None = None) -> dict[str, set[int]]:
    """The golden-label training split: ``{domain: {row indices}}``."""
    root = resolve_data_dir(data_dir)
    path = root / "routellm-evals/mmlu/golden_train_split.jsonl"
    if not path.exists():
        raise DataError(
            f"MMLU training split not found at {str(path)!r}: it is this project's split, not "
            "an upstream file, so `routellm data build` cannot make it; copy "
            "routellm-evals/mmlu/golden_train_split.jsonl from the project's data folder "
            "(docs/data.md), or evaluate with --mmlu-split all")
    out: dict[str, set[int]] = {}
    for lineno, obj in read_jsonl(path):
        try:
            out.setdefault(str(obj["domain"]), set()).add(int(obj["row"]))
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}:{lineno}: expected fields 'domain' and integer 'row'") from None
    return out


def _mmlu_domains(root: Path) -> list[Path]:
    resp = _require(root / "routellm-evals/mmlu/responses", "MMLU responses folder")
    files = sorted(resp.glob("mmlu_*.csv"))
    if not files:
        raise DataError(f"no mmlu_*.csv files in {str(resp)!r}")
    return files


def load_mmlu(
    data_dir: str | os.PathLike[str] | None = None,
    split: Literal["heldout", "all", "train"] = "heldout",
) -> BenchmarkSet:
    """Load MMLU (57 domains) with GPT-4 and Mixtral correctness.

    Args:
        data_dir: the data directory (see :func:`resolve_data_dir`).
        split: ``"heldout"`` (default): rows outside the golden training split, minus rows whose
            prompt equals a training prompt; ``"all"``: every row; ``"train"``: the training
            split rows. Contaminated prompts are always dropped.
    """
    if split not in ("heldout", "all", "train"):
        raise unknown_name("MMLU split", split, ("heldout", "all", "train"))
    root = resolve_data_dir(data_dir)
    contaminated = _contaminated(
        _require(root / "routellm-evals/mmlu/contaminated_prompts.jsonl", "MMLU contamination list")
    )
    train_rows = mmlu_train_rows(root) if split != "all" else {}
    models = (WEAK_MODEL, STRONG_MODEL)
    per_domain = []
    for f in _mmlu_domains(root):
        domain = f.stem[len("mmlu_"):]
        prompts, outcomes, _ = _read_outcome_csv(f, models)
        per_domain.append((domain, prompts, outcomes))
    train_prompts = {
        p
        for domain, prompts, _ in per_domain
        for i, p in enumerate(prompts)
        if i in train_rows.get(domain, ())
    }
    keep_p: list[str] = []
    keep_o: dict[str, list[float]] = {m: [] for m in models}
    domains: list[str] = []
    for domain, prompts, outcomes in per_domain:
        rows = train_rows.get(domain, set())
        for i, p in enumerate(prompts):
            if p in contaminated:
                continue
            if split == "heldout" and (i in rows or p in train_prompts):
                continue
            if split == "train" and i not in rows:
                continue
            keep_p.append(p)
            domains.append(domain)
            for m in models:
                keep_o[m].append(outcomes[m][i])
    return BenchmarkSet(
        name="mmlu",
        prompts=keep_p,
        outcomes={m: np.asarray(v) for m, v in keep_o.items()},
        metric="accuracy",
        extra={"domain": domains},
    )


def load_gsm8k(data_dir: str | os.PathLike[str] | None = None) -> BenchmarkSet:
    """Load GSM8K with GPT-4 and Mixtral correctness and their recorded answers."""
    root = resolve_data_dir(data_dir)
    base = root / "routellm-evals/gsm8k"
    contaminated = _contaminated(_require(base / "contaminated_prompts.jsonl", "GSM8K contamination list"))
    models = (WEAK_MODEL, STRONG_MODEL)
    prompts, outcomes, rows = _read_outcome_csv(_require(base / "gsm8k_responses.csv", "GSM8K responses"), models)
    keep = [i for i, p in enumerate(prompts) if p not in contaminated]
    return BenchmarkSet(
        name="gsm8k",
        prompts=[prompts[i] for i in keep],
        outcomes={m: np.asarray(outcomes[m])[keep] for m in models},
        metric="accuracy",
        extra={
            f"{m}_response": [rows[i].get(f"{m}_response", "") for i in keep] for m in models
        },
    )


def load_mt_bench(data_dir: str | os.PathLike[str] | None = None) -> BenchmarkSet:
    """Load MT-Bench: 80 two-turn questions, GPT-4 grades (1-10) for both models.

    The router scores turn 1; the outcome is the mean grade over both turns.
    """
    root = resolve_data_dir(data_dir)
    base = root / "routellm-evals/mt_bench"
    contaminated = _contaminated(_require(base / "contaminated_prompts.jsonl", "MT-Bench contamination list"))
    qpath = _require(base / "question.jsonl", "MT-Bench questions")
    questions: dict[int, list[str]] = {}
    for lineno, obj in read_jsonl(qpath):
        try:
            questions[int(obj["question_id"])] = list(obj["turns"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{qpath}:{lineno}: expected 'question_id' and 'turns'") from None
    jpath = _require(base / "judgements.jsonl", "MT-Bench judgements")
    grades: dict[tuple[int, str], list[float]] = {}
    for lineno, obj in read_jsonl(jpath):
        try:
            key = (int(obj["question_id"]), str(obj["model"]))
            score = float(obj["score"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{jpath}:{lineno}: expected 'question_id', 'model' and numeric 'score'") from None
        grades.setdefault(key, []).append(score)
    models = (WEAK_MODEL, STRONG_MODEL)
    prompts: list[str] = []
    qids: list[int] = []
    turns: list[list[str]] = []
    out: dict[str, list[float]] = {m: [] for m in models}
    for qid in sorted(questions):
        t = questions[qid]
        if any(x in contaminated for x in t):
            continue
        if any((qid, m) not in grades for m in models):
            continue
        prompts.append(t[0])
        qids.append(qid)
        turns.append(t)
        for m in models:
            out[m].append(float(np.mean(grades[(qid, m)])))
    return BenchmarkSet(
        name="mt-bench",
        prompts=prompts,
        outcomes={m: np.asarray(v) for m, v in out.items()},
        metric="grade",
        extra={"question_id": qids, "turns": turns},
    )


def arena_bench_questions(data_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """arena-bench-v1 prompts: ``{question_id: first user turn}``, in file order."""
    qpath = _require(resolve_data_dir(data_dir) / "arena-bench-v1" / "question.jsonl",
                     "arena-bench-v1 questions")
    out: dict[str, str] = {}
    for lineno, obj in read_jsonl(qpath):
        try:
            out[str(obj["question_id"])] = str(obj["turns"][0])
        except (KeyError, IndexError, TypeError):
            raise DataError(f"{qpath}:{lineno}: expected 'question_id' and 'turns'") from None
    return out


def arena_bench_grades(
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[tuple[str, str], float | None]:
    """arena-bench-v1 GPT-4 judge grades: ``{(question_id, model): grade}``; ``None`` where the
    judge output could not be parsed."""
    spath = _require(resolve_data_dir(data_dir) / "arena-bench-v1" / "judge_scores.jsonl",
                     "arena-bench-v1 judge scores")
    out: dict[tuple[str, str], float | None] = {}
    for lineno, obj in read_jsonl(spath):
        try:
            key = (str(obj["question_id"]), str(obj["model"]))
            score = obj["score"]
            out[key] = None if score is None else float(score)
        except KeyError as exc:
            raise DataError(f"{spath}:{lineno}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError):
            raise DataError(f"{spath}:{lineno}: score must be a number or null") from None
    return out


def arena_bench_answers(
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, list[tuple[str, str]]]:
    """The recorded arena-bench-v1 answers: ``{model: [(question_id, answer), ...]}`` in the
    order of the answer files and of their lines.

    The model is an answer file's ``model_id`` (the names of ``judge_scores.jsonl``, e.g.
    ``mistralai/Mixtral-8x7B-Instruct-v0.1``); the answer is the first turn of the first choice.

    Raises:
        DataError: no answer file, a line without ``question_id``, ``model_id`` and
            ``choices[0].turns[0]``, or a question id that ``question.jsonl`` lacks (the
            message names the file and line).
    """
    root = resolve_data_dir(data_dir)
    questions = arena_bench_questions(root)
    answer_dir = root / "arena-bench-v1" / "model_answer"
    files = sorted(answer_dir.glob("*.jsonl"))
    if not files:
        raise DataError(f"no answer files in {str(answer_dir)!r}")
    out: dict[str, list[tuple[str, str]]] = {}
    for f in files:
        rows: list[tuple[str, str]] = []
        model = None
        for lineno, obj in read_jsonl(f):
            try:
                qid = str(obj["question_id"])
                model = str(obj["model_id"])
                answer = obj["choices"][0]["turns"][0]
            except (KeyError, IndexError, TypeError):
                raise DataError(
                    f"{f}:{lineno}: expected 'question_id', 'model_id' and choices[0].turns[0]"
                ) from None
            if qid not in questions:
                raise DataError(f"{f}:{lineno}: question_id {qid!r} is not in question.jsonl")
            rows.append((qid, str(answer)))
        if model is not None:
            out[model] = rows
    return out


def load_benchmark(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    mmlu_split: Literal["heldout", "all"] = "heldout",
) -> BenchmarkSet:
    """Load one of :data:`BENCHMARKS` by name."""
    if name == "mmlu":
        return load_mmlu(data_dir, split=mmlu_split)
    if name == "gsm8k":
        return load_gsm8k(data_dir)
    if name in ("mt-bench", "mt_bench", "mtbench"):
        return load_mt_bench(data_dir)
    if name == "difficulty":
        # every language: the headline figures stay those of the English rows (see
        # evaluation.evaluate), and each translation gets its own AUC beside them
        return load_difficulty(lang="all")
    raise unknown_name("benchmark", name, BENCHMARKS)


# --------------------------------------------------------------------------------------------
# The difficulty check (shipped with the package, not a benchmark row in sight)
# --------------------------------------------------------------------------------------------
#: the languages of the shipped difficulty check: the English original, then its translations
#: (``difficulty/translations/<lang>.jsonl``), in the order tables list them
DIFFICULTY_LANGUAGES = ("en", "zh", "ja", "ar", "ru", "es")


def difficulty_set_path() -> Path:
    """The hand-written difficulty set shipped in the package (``difficulty/prompts.jsonl``)."""
    return Path(__file__).resolve().parents[1] / "difficulty" / "prompts.jsonl"


def difficulty_languages(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The languages a difficulty set has: ``"en"`` (the set itself), then one per
    ``translations/<lang>.jsonl`` file beside it (the shipped ones in
    :data:`DIFFICULTY_LANGUAGES` order, others alphabetically)."""
    p = Path(path) if path is not None else difficulty_set_path()
    folder = p.parent / "translations"
    found = sorted(f.stem for f in folder.glob("*.jsonl")) if folder.is_dir() else []
    known = [lang for lang in DIFFICULTY_LANGUAGES[1:] if lang in found]
    return ["en", *known, *(lang for lang in found if lang not in known)]


def _read_difficulty_rows(p: Path) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for lineno, obj in read_jsonl(p):
        for key in ("label", "prompt", "category", "id"):
            if key not in obj:
                raise DataError(f"{p}:{lineno}: missing field {key!r}")
        label, prompt = str(obj["label"]), obj["prompt"]
        if label not in ("easy", "hard"):
            raise DataError(f"{p}:{lineno}: label must be 'easy' or 'hard', got {label!r}")
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataError(f"{p}:{lineno}: prompt must be a non-empty string")
        rows.append((lineno, obj))
    if not rows:
        raise DataError(f"{p} holds no prompts")
    return rows


def _check_translation(t: Path, lang: str, rows: list[tuple[int, dict[str, Any]]],
                       original: dict[str, dict[str, Any]], source: Path) -> None:
    """A translation keeps the original's id, label and category, says its language, and
    translates each prompt at most once (the file and line name any breach)."""
    seen: set[str] = set()
    for lineno, obj in rows:
        pid = str(obj["id"])
        if obj.get("lang") != lang:
            raise DataError(f"{t}:{lineno}: 'lang' must be {lang!r} (the file's name), "
                            f"got {obj.get('lang')!r}")
        if pid not in original:
            raise DataError(f"{t}:{lineno}: id {pid!r} is not in {source}")
        if pid in seen:
            raise DataError(f"{t}:{lineno}: id {pid!r} is translated twice")
        seen.add(pid)
        for key in ("label", "category"):
            if str(obj[key]) != str(original[pid][key]):
                raise DataError(f"{t}:{lineno}: {key} {obj[key]!r} differs from the original's "
                                f"{original[pid][key]!r} (id {pid!r}); a translation keeps both")


def load_difficulty(path: str | os.PathLike[str] | None = None, *,
                    lang: str = "en") -> BenchmarkSet:
    """The difficulty check: hand-written prompts labelled ``easy`` or ``hard`` by one rule.

    "hard": a frontier model would answer clearly better than a small open model; "easy": both
    would answer equally well (``difficulty/README.md`` has the rule and how the set was made).
    As a benchmark set the strong model is right on every prompt and the weak model on the easy
    ones only, so APGR rewards sending hard prompts to the strong model; ``extra["label"]``,
    ``extra["category"]``, ``extra["id"]`` and ``extra["lang"]`` carry the labels for AUC and
    per-group shares.

    Args:
        path: a JSONL file with ``id``, ``category``, ``label`` and ``prompt`` (default: the
            shipped set, in English). Its translations are ``translations/<lang>.jsonl``
            beside it, with the same ``id``, ``label`` and ``category`` plus ``lang``.
        lang: ``"en"`` (the set itself), one translation (``"zh"``, ``"ja"``, ``"ar"``,
            ``"ru"``, ``"es"`` ship; :func:`difficulty_languages` lists them), or ``"all"``:
            the English set followed by every translation.

    Example:
        >>> check = load_difficulty(lang="all")
        >>> sorted(set(check.extra["lang"])) == sorted(difficulty_languages())
        True
    """
    p = Path(path) if path is not None else difficulty_set_path()
    _require(p, "difficulty set")
    english = _read_difficulty_rows(p)
    langs = difficulty_languages(p)
    if lang == "all":
        wanted = langs
    elif lang in langs:
        wanted = [lang]
    else:
        raise unknown_name("difficulty-check language", lang, [*langs, "all"])
    original = {str(obj["id"]): obj for _, obj in english}
    prompts: list[str] = []
    extra: dict[str, list[Any]] = {"label": [], "category": [], "id": [], "lang": []}
    for code in wanted:
        if code == "en":
            rows = english
        else:
            t = p.parent / "translations" / f"{code}.jsonl"
            rows = _read_difficulty_rows(t)
            _check_translation(t, code, rows, original, p)
        for _, obj in rows:
            prompts.append(obj["prompt"])
            extra["label"].append(str(obj["label"]))
            extra["category"].append(str(obj["category"]))
            extra["id"].append(str(obj["id"]))
            extra["lang"].append(code)
    if len(set(extra["label"])) < 2:
        raise DataError(f"{p}: needs both easy and hard prompts to measure a ranking")
    hard = np.asarray([lab == "hard" for lab in extra["label"]], dtype=np.float64)
    return BenchmarkSet(
        name="difficulty",
        prompts=prompts,
        outcomes={STRONG_MODEL: np.ones(len(prompts)), WEAK_MODEL: 1.0 - hard},
        metric="accuracy",
        extra=extra,
    )


def evaluation_prompts(data_dir: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    """Evaluation prompts that training must not contain: MT-Bench (both turns), GSM8K,
    held-out MMLU."""
    mt = load_mt_bench(data_dir)
    return {
        "mt-bench": [t for turns in mt.extra["turns"] for t in turns],
        "gsm8k": list(load_gsm8k(data_dir).prompts),
        "mmlu": list(load_mmlu(data_dir, split="heldout").prompts),
    }
