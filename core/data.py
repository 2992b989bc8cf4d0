"""Battles, benchmark sets, and loaders for the RouteLLM data in ``../shared/data``.

A *battle* is one comparison of two models on one prompt (``model_a`` won, ``model_b`` won, or a
tie). Routers learn from battles. A *benchmark set* holds prompts with a per-model outcome
(correctness 0/1, or a judge grade) and is what routers are evaluated on.

Example:
    >>> from routellm_core.data import Battle, Battles
    >>> b = Battles([Battle("2+2?", "gpt-4", "mixtral", "model_a")])
    >>> b.models()
    ['gpt-4', 'mixtral']
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from .defaults import STRONG_MODEL, WEAK_MODEL
from .errors import DataError, unknown_name

__all__ = [
    "BENCHMARKS",
    "Battle",
    "Battles",
    "BenchmarkSet",
    "resolve_data_dir",
    "load_benchmark",
    "load_mmlu",
    "load_gsm8k",
    "load_mt_bench",
    "mmlu_train_rows",
    "battles_from_outcomes",
    "read_jsonl",
    "read_prompt_file",
    "arena_bench_questions",
    "arena_bench_grades",
    "load_difficulty",
    "OutcomeTable",
    "TrainingData",
    "difficulty_set_path",
]

#: Names accepted by :func:`load_benchmark`.
BENCHMARKS = ("mt-bench", "mmlu", "gsm8k", "difficulty")

Winner = Literal["model_a", "model_b", "tie"]
_WINNERS = ("model_a", "model_b", "tie")

DATA_ENV = "ROUTELLM_DATA_DIR"


# --------------------------------------------------------------------------------------------
# Data location
# --------------------------------------------------------------------------------------------
def _default_candidates() -> list[Path]:
    here = Path(__file__).resolve()
    # ``core/`` sits at the repository root, so the checkout's parent holds ``shared/``.
    candidates = [here.parents[1].parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    out: list[Path] = []
    for c in candidates:
        if c not in out:
            out.append(c)
    return out


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find the data directory.

    Order: the explicit argument, else ``$ROUTELLM_DATA_DIR``, else ``../shared/data`` next to
    the checkout (or next to the working directory).

    Raises:
        DataError: when no candidate exists; the message lists every path tried.
    """
    tried: list[str] = []
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if p.is_dir():
            return p
        raise DataError(
            f"data directory {str(p)!r} (from the data_dir argument / --data-dir) does not exist"
        )
    env = os.environ.get(DATA_ENV)
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return p
        tried.append(f"${DATA_ENV}={p}")
    for c in _default_candidates():
        if c.is_dir():
            return c
        tried.append(str(c))
    raise DataError(
        "no data directory found; tried: "
        + "; ".join(tried)
        + f". Pass --data-dir / data_dir=, or set ${DATA_ENV} to the folder holding "
        "routellm-evals/, arena-bench-v1/, arena-human/ and mmlu-pro/."
    )


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(f"{what} not found at {str(path)!r}; is the data directory complete?")
    return path


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; malformed lines raise DataError."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


def read_prompt_file(path: str | Path) -> list[str]:
    """Prompts from a ``.jsonl`` file (``"prompt"`` field) or a text file (one per line)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"prompt file {str(p)!r} does not exist")
    if p.suffix == ".jsonl":
        out = []
        for lineno, obj in read_jsonl(p):
            if not isinstance(obj.get("prompt"), str):
                raise DataError(f'{p}:{lineno}: expected a string field "prompt"')
            out.append(obj["prompt"])
    else:
        out = [line.rstrip("\n") for line in p.read_text(encoding="utf-8").splitlines()]
        out = [x for x in out if x.strip()]
    if not out:
        raise DataError(f"prompt file {str(p)!r} holds no prompts")
    return out


# --------------------------------------------------------------------------------------------
# Battles
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Battle:
    """One comparison of two models on one prompt.

    Attributes:
        prompt: the user prompt both models answered.
        model_a: name of the first model.
        model_b: name of the second model.
        winner: ``"model_a"``, ``"model_b"`` or ``"tie"``.
        source: where the battle came from (``"arena-human"``, ``"mmlu-pro"``, ...).
        weight: how much the battle counts in training (1.0 by default).
    """

    prompt: str
    model_a: str
    model_b: str
    winner: Winner
    source: str = ""
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.winner not in _WINNERS:
            raise DataError(
                f"battle winner must be one of {', '.join(_WINNERS)}, got {self.winner!r}"
            )
        if not isinstance(self.prompt, str):
            raise DataError(f"battle prompt must be a string, got {type(self.prompt).__name__}")
        if self.model_a == self.model_b:
            raise DataError(f"a battle needs two different models, got {self.model_a!r} twice")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Battle:
        winner = d.get("winner")
        if isinstance(winner, str) and winner.startswith("tie"):
            winner = "tie"  # Arena's "tie (bothbad)" is a tie for routing purposes
        return cls(
            prompt=d["prompt"],
            model_a=d["model_a"],
            model_b=d["model_b"],
            winner=winner,  # type: ignore[arg-type]
            source=d.get("source", ""),
            weight=float(d.get("weight", 1.0)),
        )


class Battles(Sequence[Battle]):
    """An ordered, immutable collection of :class:`Battle` records.

    Example:
        >>> bs = Battles([Battle("q", "a", "b", "tie")])
        >>> train, test = bs.split(test_fraction=0.5, seed=0)
    """

    def __init__(self, battles: Iterable[Battle] = ()) -> None:
        self._items: list[Battle] = list(battles)

    # Sequence protocol -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> Battle: ...
    @overload
    def __getitem__(self, i: slice) -> Battles: ...
    def __getitem__(self, i: int | slice) -> Battle | Battles:
        if isinstance(i, slice):
            return Battles(self._items[i])
        return self._items[i]

    def __iter__(self) -> Iterator[Battle]:
        return iter(self._items)

    def __add__(self, other: Iterable[Battle]) -> Battles:
        return Battles([*self._items, *other])

    def __repr__(self) -> str:
        return f"Battles(n={len(self)}, models={len(self.models())}, prompts={len(self.prompts())})"

    # Queries -----------------------------------------------------------------------------------
    def models(self) -> list[str]:
        """Sorted names of all models that appear in a battle."""
        return sorted({b.model_a for b in self} | {b.model_b for b in self})

    def prompts(self) -> list[str]:
        """Distinct prompts, in first-seen order."""
        return list(dict.fromkeys(b.prompt for b in self))

    def counts(self) -> dict[str, Counter[str]]:
        """Counts by source, by model and by outcome (for reports)."""
        by_source: Counter[str] = Counter(b.source or "?" for b in self)
        by_model: Counter[str] = Counter()
        by_outcome: Counter[str] = Counter(b.winner for b in self)
        for b in self:
            by_model[b.model_a] += 1
            by_model[b.model_b] += 1
        return {"source": by_source, "model": by_model, "outcome": by_outcome}

    # Transformations ---------------------------------------------------------------------------
    def filter(
        self,
        predicate: Callable[[Battle], bool] | None = None,
        *,
        models: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
    ) -> Battles:
        """Keep battles matching all given conditions.

        Args:
            predicate: any function of a battle.
            models: keep battles whose *both* models are in this set.
            sources: keep battles from these sources.
        """
        mset = set(models) if models is not None else None
        sset = set(sources) if sources is not None else None
        out = []
        for b in self:
            if mset is not None and (b.model_a not in mset or b.model_b not in mset):
                continue
            if sset is not None and b.source not in sset:
                continue
            if predicate is not None and not predicate(b):
                continue
            out.append(b)
        return Battles(out)

    def with_weight(self, weight: float) -> Battles:
        """A copy where every battle's weight is multiplied by ``weight``."""
        return Battles(
            Battle(b.prompt, b.model_a, b.model_b, b.winner, b.source, b.weight * weight)
            for b in self
        )

    def map_models(self, aliases: Mapping[str, str]) -> Battles:
        """Rename models through ``aliases`` (unlisted names stay); battles that become
        self-battles (both sides map to one model) are dropped."""
        out = []
        for b in self:
            a, m = aliases.get(b.model_a, b.model_a), aliases.get(b.model_b, b.model_b)
            if a != m:
                out.append(Battle(b.prompt, a, m, b.winner, b.source, b.weight))
        return Battles(out)

    def split(self, test_fraction: float = 0.1, seed: int = 0) -> tuple[Battles, Battles]:
        """Split by *prompt* (no prompt lands on both sides), reproducibly for a seed."""
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        prompts = self.prompts()
        rng = random.Random(seed)
        rng.shuffle(prompts)
        n_test = max(1, round(len(prompts) * test_fraction)) if prompts else 0
        test_set = set(prompts[:n_test])
        train = Battles(b for b in self if b.prompt not in test_set)
        test = Battles(b for b in self if b.prompt in test_set)
        return train, test

    # I/O ---------------------------------------------------------------------------------------
    def to_jsonl(self, path: str | os.PathLike[str]) -> Path:
        """Write one JSON object per battle."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("w", encoding="utf-8") as fh:
            for b in self:
                fh.write(json.dumps(b.to_dict(), ensure_ascii=False) + "\n")
        return p

    @classmethod
    def from_jsonl(cls, path: str | os.PathLike[str], source: str | None = None) -> Battles:
        """Read battles written by :meth:`to_jsonl` (or any JSONL with prompt, model_a,
        model_b, winner). A malformed line raises :class:`DataError` naming file and line."""
        p = Path(path)
        if not p.is_file():
            raise DataError(f"battle file {str(p)!r} does not exist")
        out = []
        for lineno, obj in read_jsonl(p):
            try:
                b = Battle.from_dict(obj)
            except KeyError as exc:
                raise DataError(f"{p}:{lineno}: missing field {exc.args[0]!r}") from None
            except DataError as exc:
                raise DataError(f"{p}:{lineno}: {exc}") from None
            if source is not None and not b.source:
                b = Battle(b.prompt, b.model_a, b.model_b, b.winner, source, b.weight)
            out.append(b)
        return cls(out)


def battles_from_outcomes(
    prompts: Sequence[str],
    outcomes: Mapping[str, Sequence[float | None] | np.ndarray],
    *,
    source: str = "",
    models: Iterable[str] | None = None,
) -> Battles:
    """Turn per-model outcomes into battles: every model pair on every prompt.

    Works for golden labels (1 correct / 0 wrong: a correct answer beats a wrong one) and judge
    grades (higher grade wins). Equal outcomes tie; a missing outcome (``None``/NaN) skips the
    pairs that need it.

    Example:
        >>> bs = battles_from_outcomes(["q"], {"a": [1.0], "b": [0.0]})
        >>> bs[0].winner
        'model_a'
    """
    names = sorted(models) if models is not None else sorted(outcomes)
    arrays = {}
    for m in names:
        if m not in outcomes:
            raise unknown_name("model", m, outcomes)
        arr = np.asarray(
            [np.nan if v is None else float(v) for v in outcomes[m]], dtype=np.float64
        )
        if len(arr) != len(prompts):
            raise DataError(
                f"model {m!r} has {len(arr)} outcomes for {len(prompts)} prompts; they must match"
            )
        arrays[m] = arr
    out: list[Battle] = []
    for i, prompt in enumerate(prompts):
        for a, b in combinations(names, 2):
            va, vb = arrays[a][i], arrays[b][i]
            if math.isnan(va) or math.isnan(vb):
                continue
            winner: Winner = "model_a" if va > vb else "model_b" if vb > va else "tie"
            out.append(Battle(prompt, a, b, winner, source))
    return Battles(out)


# --------------------------------------------------------------------------------------------
# Per-model outcomes (dense labels)
# --------------------------------------------------------------------------------------------
@dataclass
class OutcomeTable:
    """Each model's outcome on each prompt of one source, on a 0-1 scale.

    Golden labels are 1 (correct) or 0 (wrong); a judge grade g on a 1-10 scale is stored as
    ``(g - 1) / 9``. ``NaN`` marks a missing outcome. Where a source grades many models on the
    same prompt (MMLU-Pro: 31, arena-bench-v1: 14), a table keeps every bit of that signal; the
    all-pairs battles made from it (:meth:`to_battles`) keep only who beat whom.

    Attributes:
        prompts: distinct prompts.
        outcomes: model name -> float array of ``len(prompts)`` values in [0, 1] or NaN.
        source: the training source's name.
        weight: how much the table counts in training (multiplies per-prompt weights).
    """

    prompts: list[str]
    outcomes: dict[str, np.ndarray]
    source: str = ""
    weight: float = 1.0

    def __post_init__(self) -> None:
        if len(set(self.prompts)) != len(self.prompts):
            raise DataError(f"outcome table {self.source!r}: prompts must be distinct")
        clean: dict[str, np.ndarray] = {}
        for m, v in self.outcomes.items():
            arr = np.asarray(v, dtype=np.float64).reshape(-1)
            if arr.shape[0] != len(self.prompts):
                raise DataError(f"outcome table {self.source!r}: model {m!r} has {arr.shape[0]} "
                                f"outcomes for {len(self.prompts)} prompts")
            finite = arr[~np.isnan(arr)]
            if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
                raise DataError(f"outcome table {self.source!r}: model {m!r} has outcomes outside "
                                "[0, 1]; scale grades to 0-1 first ((g - 1) / 9 for 1-10 grades)")
            clean[m] = arr
        self.outcomes = clean
        if not self.weight > 0:
            raise DataError(f"outcome table {self.source!r}: weight must be positive, got {self.weight}")

    def __len__(self) -> int:
        return len(self.prompts)

    def models(self) -> list[str]:
        return sorted(self.outcomes)

    def subset(self, keep: Callable[[str], bool]) -> OutcomeTable:
        """The rows whose prompt satisfies ``keep``."""
        idx = [i for i, p in enumerate(self.prompts) if keep(p)]
        return OutcomeTable([self.prompts[i] for i in idx],
                            {m: v[idx] for m, v in self.outcomes.items()}, self.source, self.weight)

    def map_models(self, aliases: Mapping[str, str]) -> OutcomeTable:
        """Rename models through ``aliases``.

        A model that is in the table under its canonical name keeps its own outcomes: the
        names aliased onto it are dropped (arena-bench-v1 grades both gpt-4-0314 and
        gpt-4-1106-preview; the strong model's column stays the latter's). Several aliased
        names onto an absent canonical name are averaged where they have outcomes.
        """
        merged: dict[str, list[np.ndarray]] = {}
        for m, v in self.outcomes.items():
            target = aliases.get(m, m)
            if target != m and target in self.outcomes:
                continue
            merged.setdefault(target, []).append(v)
        out: dict[str, np.ndarray] = {}
        for m, vs in merged.items():
            if len(vs) == 1:
                out[m] = vs[0]
                continue
            stack = np.vstack(vs)
            n = (~np.isnan(stack)).sum(axis=0)
            out[m] = np.where(n > 0, np.nansum(stack, axis=0) / np.maximum(n, 1), np.nan)
        return OutcomeTable(list(self.prompts), out, self.source, self.weight)

    def to_battles(self, models: Iterable[str] | None = None) -> Battles:
        """Every model pair on every prompt as a battle (see :func:`battles_from_outcomes`)."""
        out = battles_from_outcomes(self.prompts, self.outcomes, source=self.source, models=models)
        return out.with_weight(self.weight) if self.weight != 1.0 else out


@dataclass
class TrainingData:
    """What a router learns from: pairwise battles and dense per-model outcome tables.

    Routers that learn from battles only see :meth:`to_battles` (tables expanded into all-pairs
    battles); the IRT router reads the tables directly.
    """

    battles: Battles = field(default_factory=Battles)
    tables: list[OutcomeTable] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.battles) + sum(len(t) for t in self.tables)

    def prompts(self) -> list[str]:
        """Distinct prompts over battles and tables, in first-seen order."""
        seen = dict.fromkeys(self.battles.prompts())
        for t in self.tables:
            seen.update(dict.fromkeys(t.prompts))
        return list(seen)

    def models(self) -> list[str]:
        names = set(self.battles.models())
        for t in self.tables:
            names.update(t.outcomes)
        return sorted(names)

    def to_battles(self) -> Battles:
        return Battles([*self.battles, *(b for t in self.tables for b in t.to_battles())])


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
    path = _require(root / "routellm-evals/mmlu/golden_train_split.jsonl", "MMLU training split")
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
        return load_difficulty()
    raise unknown_name("benchmark", name, BENCHMARKS)


# --------------------------------------------------------------------------------------------
# The difficulty check (shipped with the package, not a benchmark row in sight)
# --------------------------------------------------------------------------------------------
def difficulty_set_path() -> Path:
    """The hand-written difficulty set shipped in the package (``difficulty/prompts.jsonl``)."""
    return Path(__file__).resolve().parent / "difficulty" / "prompts.jsonl"


def load_difficulty(path: str | os.PathLike[str] | None = None) -> BenchmarkSet:
    """The difficulty check: hand-written prompts labelled ``easy`` or ``hard`` by one rule.

    "hard": a frontier model would answer clearly better than a small open model; "easy": both
    would answer equally well (``difficulty/README.md`` has the rule and how the set was made).
    As a benchmark set the strong model is right on every prompt and the weak model on the easy
    ones only, so APGR rewards sending hard prompts to the strong model; ``extra["label"]`` and
    ``extra["category"]`` carry the labels for AUC and per-group shares.

    Args:
        path: a JSONL file with ``id``, ``category``, ``label`` and ``prompt`` (default: the
            shipped set).
    """
    p = Path(path) if path is not None else difficulty_set_path()
    _require(p, "difficulty set")
    prompts: list[str] = []
    labels: list[str] = []
    cats: list[str] = []
    ids: list[str] = []
    for lineno, obj in read_jsonl(p):
        try:
            label, prompt = str(obj["label"]), obj["prompt"]
            cat, pid = str(obj["category"]), str(obj["id"])
        except KeyError as exc:
            raise DataError(f"{p}:{lineno}: missing field {exc.args[0]!r}") from None
        if label not in ("easy", "hard"):
            raise DataError(f"{p}:{lineno}: label must be 'easy' or 'hard', got {label!r}")
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataError(f"{p}:{lineno}: prompt must be a non-empty string")
        prompts.append(prompt)
        labels.append(label)
        cats.append(cat)
        ids.append(pid)
    if not prompts:
        raise DataError(f"{p} holds no prompts")
    if len(set(labels)) < 2:
        raise DataError(f"{p}: needs both easy and hard prompts to measure a ranking")
    hard = np.asarray([lab == "hard" for lab in labels], dtype=np.float64)
    return BenchmarkSet(
        name="difficulty",
        prompts=prompts,
        outcomes={STRONG_MODEL: np.ones(len(prompts)), WEAK_MODEL: 1.0 - hard},
        metric="accuracy",
        extra={"label": labels, "category": cats, "id": ids},
    )
