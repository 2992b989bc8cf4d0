"""Training sets: several sources, weighted, aliased and decontaminated, with a report.

* :func:`build_training_set`: the sources as battles (what most routers learn from).
* :func:`build_training_data`: the sources that grade several models per prompt stay dense
  outcome tables (what the IRT router learns from).
* :class:`TrainingReport`: counts per source (prompts, models, battles, wins and ties), model
  and outcome, and the prompts dropped.

Both builders load each source (:mod:`routellm_core.data.sources`), drop the prompts a newer
source shares with an older one in the same set
(:func:`~routellm_core.data.overlap.cross_source_duplicates`: TheoremQA's MMLU-Pro questions,
for example), apply the alias table and the source weights, and drop prompts too close to an
evaluation prompt.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.benchmarks import evaluation_prompts
from ..data.overlap import cross_source_duplicates
from ..data.sources import load_source, load_table
from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError
from ..records import Battles, OutcomeTable, TrainingData
from .config import normalise_sources, resolve_aliases
from .decontamination import contaminated_prompts, decontaminate

if TYPE_CHECKING:
    from ..scoring.embeddings import Embedder

__all__ = ["TrainingReport", "build_training_set", "build_training_data"]


@dataclass
class TrainingReport:
    """What went into a training set.

    Attributes:
        sources: per source: ``loaded`` and ``kept`` (battles, or table rows), ``prompts``
            (distinct prompts kept), ``weight``, ``models`` (models with an outcome, after
            aliases), ``battles`` (battles kept; for a table, the all-pairs battles its
            outcomes make), ``wins`` and ``ties`` (those battles with a winner, and tied).
        decontaminated: distinct prompts dropped per source for being near an evaluation prompt.
        models: battles per model (after aliases; for tables, outcomes per model).
        outcomes: battles per outcome.
        strong_vs_weak: outcomes of direct strong-vs-weak battles, from the strong side.
        deduplicated: distinct prompts dropped per source because an older source in the set
            asks the same question (``OVERLAPS`` in :mod:`routellm_core.data.overlap`).
    """

    sources: dict[str, dict[str, float]] = field(default_factory=dict)
    decontaminated: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    strong_vs_weak: dict[str, int] = field(default_factory=dict)
    deduplicated: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, in declaration order (the values themselves, not copies)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def format(self) -> str:
        lines = ["source            prompts  models    battles       wins     ties  weight  "
                 "decontaminated  deduplicated"]
        for s, d in self.sources.items():
            lines.append(
                f"{s:<16} {int(d.get('prompts', 0)):>8} {int(d.get('models', 0)):>7} "
                f"{int(d.get('battles', 0)):>10} {int(d.get('wins', 0)):>10} "
                f"{int(d.get('ties', 0)):>8} {d.get('weight', 1.0):>7g} "
                f"{self.decontaminated.get(s, 0):>15} {self.deduplicated.get(s, 0):>13}"
            )
        lines.append("outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items())))
        lines.append(
            "strong vs weak: " + ", ".join(f"{k}={v}" for k, v in self.strong_vs_weak.items())
        )
        top = sorted(self.models.items(), key=lambda kv: -kv[1])[:12]
        lines.append("models (top 12 by battles): " + ", ".join(f"{m}={n}" for m, n in top))
        return "\n".join(lines)


def _battle_stats(battles: Battles) -> dict[str, float]:
    """Models, battles, wins and ties of one source's battles."""
    ties = sum(b.winner == "tie" for b in battles)
    return {"models": len(battles.models()), "battles": len(battles),
            "wins": len(battles) - ties, "ties": ties}


def _table_stats(table: OutcomeTable) -> dict[str, float]:
    """Models with an outcome, and the all-pairs battles a table's outcomes make: per prompt,
    every two models that both have an outcome; equal outcomes tie."""
    cols = [v for v in table.outcomes.values() if (~np.isnan(v)).any()]
    battles = ties = 0
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            both = ~(np.isnan(a) | np.isnan(b))
            battles += int(both.sum())
            ties += int((a[both] == b[both]).sum())
    return {"models": len(cols), "battles": battles, "wins": battles - ties, "ties": ties}


def _kept_unless_in(drop: set[str]) -> Callable[[str], bool]:
    return lambda prompt: prompt not in drop


def _duplicates(spec: Mapping[str, Any], data_dir: str | os.PathLike[str] | None
                ) -> dict[str, set[str]]:
    return cross_source_duplicates(list(spec), data_dir)


def build_training_set(
    sources: Sequence[str] | Mapping[str, Any] = ("arena-human", "arena-bench-v1", "mmlu-train"),
    *,
    data_dir: str | os.PathLike[str] | None = None,
    aliases: str | Mapping[str, str] | None = "gpt4-mixtral",
    embedder: Embedder | None = None,
    decontaminate_threshold: float | None = 0.95,
    strong_model: str = STRONG_MODEL,
    weak_model: str = WEAK_MODEL,
) -> tuple[Battles, TrainingReport]:
    """Combine training sources into one battle set.

    Args:
        sources: names, or ``{name: {"weight": w, "models": [...]}}``. A source's weight
            multiplies every battle's weight; ``models`` limits an all-pairs source to those
            models (names as spelled in that source, before aliases).
        data_dir: the data directory.
        aliases: alias preset name, ``{name: canonical}``, or ``None`` (names stay distinct).
            Applied after loading; battles that become self-battles are dropped.
        embedder: for decontamination (required when ``decontaminate_threshold`` is set).
        decontaminate_threshold: drop prompts this similar (cosine) to an evaluation prompt;
            ``None`` skips decontamination.
        strong_model, weak_model: the pair for the strong-vs-weak counts in the report.

    Returns:
        ``(battles, report)``.
    """
    spec = normalise_sources(sources)
    table = resolve_aliases(aliases)
    report = TrainingReport()
    dups = _duplicates(spec, data_dir)
    parts: list[Battles] = []
    for name, s in spec.items():
        loaded = load_source(name, data_dir, models=s.models,
                             exclude_domains=s.exclude_domains)
        if name in dups:
            drop = dups[name]
            report.deduplicated[name] = len({b.prompt for b in loaded if b.prompt in drop})
            loaded = Battles([b for b in loaded if b.prompt not in drop])
        mapped = loaded.map_models(table) if table else loaded
        if s.weight != 1.0:
            mapped = mapped.with_weight(s.weight)
        report.sources[name] = {"loaded": len(loaded), "kept": len(mapped), "weight": s.weight}
        parts.append(mapped)
    battles = Battles([b for p in parts for b in p])
    if decontaminate_threshold is not None:
        if embedder is None:
            raise DataError("decontamination needs an embedder (or decontaminate_threshold=None)")
        ev = [p for ps in evaluation_prompts(data_dir).values() for p in ps]
        battles, dropped = decontaminate(battles, ev, embedder, threshold=decontaminate_threshold)
        report.decontaminated = {n: dropped.get(n, 0) for n in spec}
    for name in spec:
        sub = Battles([b for b in battles if b.source == name])
        report.sources[name]["kept"] = len(sub)
        report.sources[name]["prompts"] = len(sub.prompts())
        report.sources[name].update(_battle_stats(sub))
    report.deduplicated = {n: report.deduplicated.get(n, 0) for n in spec}
    c = battles.counts()
    report.models = dict(c["model"])
    report.outcomes = dict(c["outcome"])
    svw: Counter[str] = Counter()
    for b in battles:
        if {b.model_a, b.model_b} == {strong_model, weak_model}:
            if b.winner == "tie":
                svw["tie"] += 1
            else:
                won = b.model_a if b.winner == "model_a" else b.model_b
                svw["strong_wins" if won == strong_model else "weak_wins"] += 1
    report.strong_vs_weak = {k: svw.get(k, 0) for k in ("strong_wins", "tie", "weak_wins")}
    return battles, report


def build_training_data(
    sources: Sequence[str] | Mapping[str, Any] = ("arena-human", "arena-bench-v1", "mmlu-train"),
    *,
    data_dir: str | os.PathLike[str] | None = None,
    aliases: str | Mapping[str, str] | None = "gpt4-mixtral",
    embedder: Embedder | None = None,
    decontaminate_threshold: float | None = 0.95,
    strong_model: str = STRONG_MODEL,
    weak_model: str = WEAK_MODEL,
) -> tuple[TrainingData, TrainingReport]:
    """Like :func:`build_training_set`, but sources that grade several models per prompt stay
    dense outcome tables (:func:`load_table`) instead of all-pairs battles; sources of pairwise
    votes stay battles. This is what the IRT router learns from.

    A source's ``weight`` is the table's weight: each prompt of the table counts ``weight``
    in total, shared by the models that answered it.
    """
    spec = normalise_sources(sources)
    table = resolve_aliases(aliases)
    report = TrainingReport()
    dups = _duplicates(spec, data_dir)
    tables: list[OutcomeTable] = []
    battle_parts: list[Battles] = []
    for name, s in spec.items():
        t = load_table(name, data_dir, models=s.models, exclude_domains=s.exclude_domains,
                       strong_model=strong_model, weak_model=weak_model)
        drop = dups.get(name, set())
        if t is None:
            loaded = load_source(name, data_dir, models=s.models)
            if drop:
                report.deduplicated[name] = len({b.prompt for b in loaded if b.prompt in drop})
                loaded = Battles([b for b in loaded if b.prompt not in drop])
            bs = loaded.map_models(table) if table else loaded
            if s.weight != 1.0:
                bs = bs.with_weight(s.weight)
            battle_parts.append(bs)
            report.sources[name] = {"loaded": len(loaded), "kept": len(bs), "weight": s.weight}
        else:
            if drop:
                report.deduplicated[name] = sum(p in drop for p in t.prompts)
                t = t.subset(_kept_unless_in(drop))
            t = t.map_models(table) if table else t
            t.weight = s.weight
            tables.append(t)
            report.sources[name] = {"loaded": len(t), "kept": len(t), "weight": s.weight}
    battles = Battles([b for p in battle_parts for b in p])
    if decontaminate_threshold is not None:
        if embedder is None:
            raise DataError("decontamination needs an embedder (or decontaminate_threshold=None)")
        ev = [p for ps in evaluation_prompts(data_dir).values() for p in ps]
        everything = [*battles.prompts(), *(p for t in tables for p in t.prompts)]
        dropped = contaminated_prompts(everything, ev, embedder, threshold=decontaminate_threshold)
        counts: Counter[str] = Counter()
        for t in tables:
            counts[t.source] += sum(p in dropped for p in t.prompts)
        for src in {b.source for b in battles}:
            counts[src] += len({b.prompt for b in battles if b.source == src and b.prompt in dropped})
        battles = battles.filter(lambda b: b.prompt not in dropped)
        tables = [t.subset(lambda p: p not in dropped) for t in tables]
        report.decontaminated = {n: counts.get(n, 0) for n in spec}
    for t in tables:
        report.sources[t.source]["kept"] = len(t)
        report.sources[t.source]["prompts"] = len(t)
        report.sources[t.source].update(_table_stats(t))
    for name in spec:
        if name not in {t.source for t in tables}:
            sub = Battles([b for b in battles if b.source == name])
            report.sources[name]["kept"] = len(sub)
            report.sources[name]["prompts"] = len(sub.prompts())
            report.sources[name].update(_battle_stats(sub))
    report.deduplicated = {n: report.deduplicated.get(n, 0) for n in spec}
    data = TrainingData(battles, tables)
    models: Counter[str] = Counter(battles.counts()["model"])
    for t in tables:
        for m, v in t.outcomes.items():
            models[m] += int((~np.isnan(v)).sum())
    report.models = dict(models)
    report.outcomes = dict(battles.counts()["outcome"])
    svw: Counter[str] = Counter()
    for t in tables:
        if strong_model in t.outcomes and weak_model in t.outcomes:
            d = t.outcomes[strong_model] - t.outcomes[weak_model]
            d = d[~np.isnan(d)]
            svw["strong_wins"] += int((d > 0).sum())
            svw["tie"] += int((d == 0).sum())
            svw["weak_wins"] += int((d < 0).sum())
    report.strong_vs_weak = {k: svw.get(k, 0) for k in ("strong_wins", "tie", "weak_wins")}
    return data, report
