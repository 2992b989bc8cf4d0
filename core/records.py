"""The records routers learn from: battles, outcome tables and training sets.

These are the core's data model, below both the routers (whose ``fit`` takes them) and the
data kit (whose readers and builders produce them), as an estimator takes arrays and never
imports a dataset loader.

A *battle* is one comparison of two models on one prompt (``model_a`` won, ``model_b`` won, or a
tie). An *outcome table* holds every model's outcome on every prompt of one source (golden
labels or judge grades); :class:`TrainingData` carries both to a router's ``fit``.

Example:
    >>> from routellm_core.records import Battle, Battles
    >>> b = Battles([Battle("2+2?", "gpt-4", "mixtral", "model_a")])
    >>> b.models()
    ['gpt-4', 'mixtral']
"""

from __future__ import annotations

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

from .errors import DataError, unknown_name

__all__ = [
    "Winner", "Battle", "Battles", "battles_from_outcomes", "OutcomeTable", "TrainingData",
    "read_jsonl",
]


Winner = Literal["model_a", "model_b", "tie"]


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


_WINNERS = ("model_a", "model_b", "tie")


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
