"""Evaluate routers on benchmark sets with the paper's protocol, print tables, draw plots.

Example:
    >>> from routellm_core.data.benchmarks import BenchmarkSet
    >>> import numpy as np
    >>> bench = BenchmarkSet("toy", ["a", "b"], {"s": np.array([1.0, 1.0]), "w": np.array([0.0, 1.0])},
    ...                      strong="s", weak="w")
    >>> evaluate(np.array([0.9, 0.1]), bench, name="perfect").apgr
    0.75
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.benchmarks import BenchmarkSet
from ..errors import DataError
from ..routers.base import Router
from ..routing.engine import TRAFFIC_WARMUP
from ..scoring.calibration import simulate_traffic_share
from . import metrics

__all__ = [
    "RouterResult",
    "BenchmarkResult",
    "evaluate",
    "random_baseline",
    "auc_by_language",
    "primary_language_part",
    "evaluate_routers",
    "results_to_json",
    "format_table",
    "plot_results",
    "save_figure",
]

#: how many seeds the random baseline averages over
RANDOM_SEEDS = 10

#: the strong fraction at which tables report the realised share of strong calls
CHECK_FRACTION = 0.3
#: ``calibration_window`` for the ``traffic@`` column, and how many stream orders it averages
TRAFFIC_WINDOW = 500
TRAFFIC_ORDERS = 3


@dataclass
class RouterResult:
    """One router on one benchmark.

    Attributes:
        name: router label.
        apgr: area under the PGR curve (0.5 is random, 1.0 would be the strong model for free).
        cpt20, cpt50, cpt80: % of calls to the strong model needed to recover 20/50/80 % of
            the quality gap.
        fractions: the strong-call fractions of the curve (0..1).
        quality: benchmark score at each fraction, in the benchmark's units.
        pgr: PGR at each fraction.
        scores: the router's score per prompt (not serialised).
        share_at: realised share of prompts sent strong at the router's calibrated threshold
            for :data:`CHECK_FRACTION` (``None`` when the router has no calibration table).
        share_traffic: the same with a threshold that follows the traffic
            (``calibration_window`` = :data:`TRAFFIC_WINDOW`), the benchmark streamed one
            prompt at a time in :data:`TRAFFIC_ORDERS` seeded orders (mean).
        auc: for benchmarks with easy/hard labels (the difficulty check), the probability that
            a hard prompt scores above an easy one.
        share_hard, share_easy: the share of hard / easy prompts sent strong at that threshold.
        by_lang: for a benchmark in several languages (the difficulty check with its
            translations), per language its ``auc`` and, with a calibration table, its
            ``share_hard`` and ``share_easy``. Every other figure is that of the primary
            language (English) alone, so adding translations leaves them unchanged.
    """

    name: str
    apgr: float
    cpt20: float
    cpt50: float
    cpt80: float
    fractions: np.ndarray
    quality: np.ndarray
    pgr: np.ndarray
    scores: np.ndarray | None = field(default=None, repr=False)
    share_at: float | None = None
    share_traffic: float | None = None
    auc: float | None = None
    share_hard: float | None = None
    share_easy: float | None = None
    by_lang: dict[str, dict[str, float]] | None = None

    def summary(self) -> dict[str, float]:
        out = {"apgr": self.apgr, "cpt20": self.cpt20, "cpt50": self.cpt50, "cpt80": self.cpt80}
        for key in ("share_at", "share_traffic", "auc", "share_hard", "share_easy"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class BenchmarkResult:
    """Every router on one benchmark, with the references."""

    name: str
    n: int
    weak_score: float
    strong_score: float
    metric: str
    routers: dict[str, RouterResult]
    oracle: np.ndarray
    fractions: np.ndarray = field(default_factory=lambda: metrics.FRACTIONS.copy())


def primary_language_part(benchmark: BenchmarkSet) -> tuple[BenchmarkSet, np.ndarray | None]:
    """The part of a benchmark in its primary language, with its row indices.

    A benchmark whose ``extra["lang"]`` holds several languages (the difficulty check with its
    translations) keeps its headline figures on the English rows (the first language when none
    is English); any other benchmark is returned whole, with ``None`` for the indices.
    """
    langs = benchmark.extra.get("lang")
    if langs is None or len(set(langs)) < 2:
        return benchmark, None
    primary = "en" if "en" in langs else langs[0]
    idx = np.flatnonzero(np.asarray([code == primary for code in langs]))
    return benchmark.subset(idx), idx


def auc_by_language(scores: np.ndarray | Sequence[float], labels: Sequence[str],
                    langs: Sequence[str],
                    strong: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Per language: the AUC of ``scores`` for hard over easy prompts and, given which prompts
    went ``strong`` (booleans), the share of hard and of easy prompts sent strong.

    Example:
        >>> auc_by_language([0.9, 0.1, 0.2, 0.3], ["hard", "easy", "hard", "easy"],
        ...                 ["en", "en", "zh", "zh"])
        {'en': {'auc': 1.0}, 'zh': {'auc': 0.0}}
    """
    s = np.asarray(scores, dtype=np.float64)
    hard = np.asarray([lab == "hard" for lab in labels], dtype=bool)
    code = np.asarray(list(langs), dtype=object)
    if not s.shape[0] == hard.shape[0] == code.shape[0]:
        raise ValueError(f"{s.shape[0]} scores, {hard.shape[0]} labels and {code.shape[0]} "
                         f"languages: one of each per prompt")
    out: dict[str, dict[str, float]] = {}
    for lang in dict.fromkeys(langs):  # first-seen order: the file's language order
        m = code == lang
        row = {"auc": metrics.auc(s[m], hard[m])}
        if strong is not None:
            row["share_hard"] = float(strong[m & hard].mean())
            row["share_easy"] = float(strong[m & ~hard].mean())
        out[str(lang)] = row
    return out


def _result_from_curve(name: str, quality: np.ndarray, bench: BenchmarkSet,
                       scores: np.ndarray | None, fractions: np.ndarray) -> RouterResult:
    weak, strong = bench.weak_outcomes.mean(), bench.strong_outcomes.mean()
    p = metrics.pgr(quality, weak, strong)
    return RouterResult(
        name=name,
        apgr=metrics.apgr(fractions, p),
        cpt20=100.0 * metrics.cpt(fractions, p, 0.2),
        cpt50=100.0 * metrics.cpt(fractions, p, 0.5),
        cpt80=100.0 * metrics.cpt(fractions, p, 0.8),
        fractions=fractions,
        quality=quality * bench.scale,
        pgr=p,
        scores=scores,
    )


def evaluate(
    router_or_scores: Router | np.ndarray | Sequence[float],
    benchmark: BenchmarkSet,
    name: str | None = None,
    fractions: np.ndarray = metrics.FRACTIONS,
    progress: Callable[[int], Any] | None = None,
) -> RouterResult:
    """Evaluate one router (or precomputed scores) on one benchmark.

    Args:
        router_or_scores: a fitted router, or one score per benchmark prompt.
        benchmark: the prompts and outcomes.
        name: label in tables (default: the router's name).
        fractions: operating points (default: 0 %, 10 %, ..., 100 %).
        progress: receives the number of prompts scored, chunk by chunk (a bar's ``update``).
    """
    if isinstance(router_or_scores, Router) and progress is not None:
        from ..training.progress import run_in_chunks

        scores = run_in_chunks(router_or_scores.predict_win_rate, benchmark.prompts, progress)
        label = name or router_or_scores.name
    elif isinstance(router_or_scores, Router):
        scores = router_or_scores.predict_win_rate(benchmark.prompts)
        label = name or router_or_scores.name
    else:
        scores = np.asarray(router_or_scores, dtype=np.float64)
        label = name or "scores"
    if scores.shape[0] != len(benchmark):
        raise DataError(f"{label}: {scores.shape[0]} scores for {len(benchmark)} prompts of "
                        f"{benchmark.name}")
    threshold = None
    if isinstance(router_or_scores, Router) and getattr(router_or_scores, "calibration_", None):
        threshold = router_or_scores.threshold_for(CHECK_FRACTION)
    by_lang = None
    part, idx = primary_language_part(benchmark)
    if idx is not None and "label" in benchmark.extra:
        by_lang = auc_by_language(scores, benchmark.extra["label"], benchmark.extra["lang"],
                                  None if threshold is None else scores >= threshold)
    if idx is not None:
        benchmark, scores = part, scores[idx]
    f = np.asarray(fractions, dtype=np.float64)
    q = metrics.quality_curve(scores, benchmark.strong_outcomes, benchmark.weak_outcomes, f)
    result = _result_from_curve(label, q, benchmark, scores, f)
    result.by_lang = by_lang
    labels = benchmark.extra.get("label")
    if labels is not None:
        hard = np.asarray([lab == "hard" for lab in labels], dtype=bool)
        result.auc = metrics.auc(scores, hard)
    if threshold is not None:
        strong = scores >= threshold
        result.share_at = float(strong.mean())
        result.share_traffic = float(np.mean([
            simulate_traffic_share(scores, CHECK_FRACTION, threshold, window=TRAFFIC_WINDOW,
                                   warmup=TRAFFIC_WARMUP, seed=k)[0]
            for k in range(TRAFFIC_ORDERS)]))
        if labels is not None:
            result.share_hard = float(strong[hard].mean())
            result.share_easy = float(strong[~hard].mean())
    return result


def random_baseline(benchmark: BenchmarkSet, seeds: Iterable[int] = range(RANDOM_SEEDS),
                    name: str = "random") -> RouterResult:
    """The random router, its curve averaged over several seeds (on the primary language's
    part of a benchmark in several languages, with AUC 0.5 for each language)."""
    langs = benchmark.extra.get("lang")
    benchmark, idx = primary_language_part(benchmark)
    rng_curves = []
    f = metrics.FRACTIONS
    for seed in seeds:
        scores = np.random.default_rng(seed).random(len(benchmark))
        rng_curves.append(metrics.quality_curve(scores, benchmark.strong_outcomes,
                                                benchmark.weak_outcomes, f))
    result = _result_from_curve(name, np.mean(rng_curves, axis=0), benchmark, None, f)
    # in expectation a random router sends every group strong at the requested rate
    result.share_at = result.share_traffic = CHECK_FRACTION
    if "label" in benchmark.extra:
        result.auc = 0.5
        result.share_hard = result.share_easy = CHECK_FRACTION
        if idx is not None and langs is not None:
            result.by_lang = {str(lang): {"auc": 0.5, "share_hard": CHECK_FRACTION,
                                          "share_easy": CHECK_FRACTION}
                              for lang in dict.fromkeys(langs)}
    return result


def evaluate_routers(
    routers: Mapping[str, Router | np.ndarray | None],
    benchmarks: Mapping[str, BenchmarkSet],
    *,
    progress: bool = False,
) -> dict[str, BenchmarkResult]:
    """Evaluate several routers on several benchmarks.

    A router given as ``None`` under the name ``"random"`` (or a RandomRouter) is replaced by
    the seed-averaged :func:`random_baseline`.
    """
    from ..routers.random import RandomRouter

    out: dict[str, BenchmarkResult] = {}
    total = len(routers) * sum(len(b) for b in benchmarks.values())
    bar = None
    if progress:
        from ..training.progress import Progress

        bar = Progress().bar(total, "evaluating", unit="prompt")
    for bname, bench in benchmarks.items():
        res: dict[str, RouterResult] = {}
        for rname, router in routers.items():
            if bar is not None:
                bar.set_postfix_str(f"{rname} on {bname}")
            if router is None or isinstance(router, RandomRouter):
                res[rname] = random_baseline(bench, name=rname)
                if bar is not None:
                    bar.update(len(bench))
            else:
                res[rname] = evaluate(router, bench, name=rname,
                                      progress=bar.update if bar is not None else None)
        head, _ = primary_language_part(bench)
        out[bname] = BenchmarkResult(
            name=bname,
            n=len(head),
            weak_score=head.weak_score,
            strong_score=head.strong_score,
            metric=head.metric,
            routers=res,
            oracle=metrics.oracle_curve(head.strong_outcomes, head.weak_outcomes) * head.scale,
        )
    if bar is not None:
        bar.close()
    return out


def results_to_json(results: Mapping[str, BenchmarkResult]) -> dict[str, Any]:
    """The stable JSON document of ``routellm eval --json`` (keys are only ever added)."""
    return {
        "benchmarks": {
            name: {
                "n": r.n,
                "weak_score": round(r.weak_score, 4),
                "strong_score": round(r.strong_score, 4),
                "routers": {k: _router_json(rr) for k, rr in r.routers.items()},
            }
            for name, r in results.items()
        }
    }


def _router_json(rr: RouterResult) -> dict[str, Any]:
    out: dict[str, Any] = {m: round(v, 4) for m, v in rr.summary().items()}
    if rr.by_lang is not None:
        out["by_lang"] = {lang: {m: round(v, 4) for m, v in row.items()}
                          for lang, row in rr.by_lang.items()}
    return out


def _language_lines(r: BenchmarkResult, markdown: bool) -> list[str]:
    """Per-language AUC (and share of hard prompts sent strong) of each router, when the
    benchmark has translations."""
    langs: list[str] = []
    for rr in r.routers.values():
        for lang in rr.by_lang or {}:
            if lang not in langs:
                langs.append(lang)
    if not langs:
        return []
    rows: list[tuple[str, list[str]]] = []
    for k, rr in r.routers.items():
        by = rr.by_lang or {}
        rows.append((f"{k} AUC", [_num(by[lang]["auc"]) if lang in by else "-" for lang in langs]))
        if any("share_hard" in by.get(lang, {}) for lang in langs):
            rows.append((f"{k} hard strong", [_pct(by.get(lang, {}).get("share_hard"))
                                              for lang in langs]))
            rows.append((f"{k} easy strong", [_pct(by.get(lang, {}).get("share_easy"))
                                              for lang in langs]))
    title = (f"{r.name} by language (AUC; hard/easy strong: share of each group sent strong at "
             f"strong_fraction={CHECK_FRACTION:g}; the rows above are English)")
    if markdown:
        return ([f"*{title}*", "", "| router | " + " | ".join(langs) + " |",
                 "|---|" + "---:|" * len(langs)]
                + [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows] + [""])
    return ([f"  {title}", f"  {'':<30}" + "".join(f"{lang:>8}" for lang in langs)]
            + [f"  {name:<30}" + "".join(f"{c:>8}" for c in cells) for name, cells in rows])


def format_table(results: Mapping[str, BenchmarkResult], *, markdown: bool = False) -> str:
    """A table per benchmark: n, weak/strong scores, then APGR and CPT(50/80 %) per router."""
    lines: list[str] = []
    for name, r in results.items():
        fmt = ".2f" if r.metric == "accuracy" else ".3f"
        unit = "%" if r.metric == "accuracy" else " (mean grade)"
        head = (f"{name}: n = {r.n:,}, weak {r.weak_score:{fmt}}{unit}, "
                f"strong {r.strong_score:{fmt}}{unit}")
        labelled = any(rr.auc is not None for rr in r.routers.values())
        at = f"strong@{CHECK_FRACTION:g}"
        tr = f"traffic@{CHECK_FRACTION:g}"
        if markdown:
            extra_head = " AUC | hard strong | easy strong |" if labelled else ""
            lines += [f"**{head}**", "",
                      f"| router | APGR | CPT(50 %) | CPT(80 %) | {at} | {tr} |{extra_head}",
                      "|---|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if labelled else "")]
            for k, rr in r.routers.items():
                row = (f"| {k} | {rr.apgr:.3f} | {rr.cpt50:.1f} % | {rr.cpt80:.1f} % | "
                       f"{_pct(rr.share_at)} | {_pct(rr.share_traffic)} |")
                if labelled:
                    row += f" {_num(rr.auc)} | {_pct(rr.share_hard)} | {_pct(rr.share_easy)} |"
                lines.append(row)
        else:
            extra_head = f"{'AUC':>8}{'hard':>8}{'easy':>8}" if labelled else ""
            lines += [head, f"  {'router':<22}{'APGR':>8}{'CPT(50%)':>11}{'CPT(80%)':>11}"
                            f"{at:>12}{tr:>12}{extra_head}"]
            for k, rr in r.routers.items():
                row = (f"  {k:<22}{rr.apgr:>8.3f}{rr.cpt50:>10.1f}%{rr.cpt80:>10.1f}%"
                       f"{_pct(rr.share_at):>12}{_pct(rr.share_traffic):>12}")
                if labelled:
                    row += f"{_num(rr.auc):>8}{_pct(rr.share_hard):>8}{_pct(rr.share_easy):>8}"
                lines.append(row)
        if labelled:
            lines.append(f"  (AUC: a hard prompt scores above an easy one; hard/easy: share of "
                         f"each group sent strong at the calibrated strong_fraction="
                         f"{CHECK_FRACTION:g})")
        lines.append(f"  ({at}: share sent strong with the calibration table; {tr}: with "
                     f"calibration_window={TRAFFIC_WINDOW}, the prompts streamed in "
                     f"{TRAFFIC_ORDERS} random orders)")
        if markdown:
            lines.append("")
        lines += _language_lines(r, markdown)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def plot_results(results: Mapping[str, BenchmarkResult], path: str | os.PathLike[str]) -> Path:
    """Quality vs % strong calls, one panel per benchmark, one line per router, with weak,
    strong and oracle references. Written as PNG; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(results)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items(), strict=True):
        x = 100 * r.fractions
        ax.axhline(r.weak_score, color="grey", ls=":", lw=1, label="weak only")
        ax.axhline(r.strong_score, color="black", ls=":", lw=1, label="strong only")
        ax.plot(x, r.oracle, color="grey", ls="--", lw=1, label="oracle")
        for k, rr in r.routers.items():
            ax.plot(100 * rr.fractions, rr.quality, marker="o", ms=3, label=f"{k} ({rr.apgr:.2f})")
        ax.set_title(f"{name} (n = {r.n:,})")
        ax.set_xlabel("% calls to the strong model")
        ax.set_ylabel("accuracy (%)" if r.metric == "accuracy" else "mean grade (1-10)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, path)


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Lay out a matplotlib figure, write it as PNG (folders created), close it; returns the
    path. Shared by every plot the evaluation kit draws."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p
