"""Evaluation of the cost ladder: quality against average cost per call.

``routellm ladder`` (:func:`run_ladder_eval`) trains one ``irt`` router per fold, each with
the fold's arena-bench-v1 prompts (and their arena-human battles) and the fold's MMLU-Pro
questions left out of training, so every evaluated prompt is scored by a router that never saw
it (5-fold cross-validation on both sets; the other training sources stay in, less any prompt
equal to an MT-Bench, GSM8K or held-out MMLU prompt: the similarity-based decontamination of
``routellm train`` needs MiniLM embeddings of 25,000 prompts and concerns benchmarks this
evaluation does not use). On each set a
ladder of models with list prices (:data:`LADDERS`) is routed with the tolerance knob swept
from 0 to 1, and compared with each single model, the random mix of single models at equal
cost (the upper hull of the single models' points, RouterBench's "zero router") and the
oracle (the true outcomes, best quality per cost).

Costs are list prices per million tokens: prompt tokens (:func:`~routellm_core.costs.count_tokens`)
times the input price plus answer tokens times the output price. arena-bench-v1 has every
model's answer, so its answers are counted; MMLU-Pro has none, so an answer of
``DEFAULT_OUTPUT_TOKENS`` (256) tokens is assumed. The router prices a call
before making it, with the assumed answer length on both sets.

Each fold's router carries the per-model quality scale of the default ``irt`` config
(``quality_folds``: each model's estimate is its probability of an acceptable answer), so the
tolerance is a bar on one scale. The default knob's operating point is reported on each set.

**The difficulty check** (:func:`difficulty_shares`): one more ``irt`` router, trained on every
source with the default config (its alias table too, so gpt-4o's MMLU-Pro grades count as
GPT-4's), routes the three-model ladder of ``docs/ladder.md`` (:data:`DOCS_LADDER`) on the
shipped difficulty check (validation data, never trained on), and the share of easy and hard
prompts sent to the dearest model is reported: with the calibrated estimates at the default
knob, and, for comparison, with the raw estimates at the default knob and at the rule this
release replaced (the cheapest model within 0.05 of the best estimate).

Figures: the normalised area under the quality-cost curve (cost from the cheapest to the best
single model, quality from the cheapest model's to the best model's, as PGR; the random mix
along that line scores 0.5) and the cost at which the router reaches the best single model's
quality, as a share of that model's cost.

Example:
    >>> curve_area(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.0, 1.0, 0.0, 1.0)
    0.5
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..costs import Price, count_tokens
from ..data.benchmarks import arena_bench_answers, arena_bench_questions
from ..data.files import resolve_data_dir
from ..errors import DataError
from ..records import TrainingData
from ..routing.ladder import DEFAULT_OUTPUT_TOKENS, DEFAULT_TOLERANCE, Ladder, choose

__all__ = ["LADDERS", "DOCS_LADDER", "PRICE_SOURCE", "hull", "curve_area", "run_ladder_eval",
           "difficulty_shares", "format_report", "plot_ladder"]

#: List prices, USD per million (input, output) tokens, as published by the vendors:
#: OpenAI (gpt-4-1106-preview, gpt-3.5-turbo-1106: November 2023; gpt-4o-2024-05-13: May 2024),
#: Google (gemini-1.5-pro-002, up to 128k tokens: October 2024), Together AI serverless
#: inference (Mixtral-8x7B-Instruct, Mistral-7B-Instruct: December 2023; Llama 3.1 Instruct
#: Turbo 70B and 8B: July 2024).
PRICE_SOURCE = ("vendor list prices: OpenAI (Nov 2023; gpt-4o May 2024), Google (Oct 2024), "
                "Together AI serverless (Dec 2023; Llama 3.1 Jul 2024)")

#: The ladder evaluated on each set: model -> list price.
LADDERS: dict[str, dict[str, Price]] = {
    "arena-bench-v1": {
        "gpt-4-1106-preview": Price(10.0, 30.0),
        "gpt-3.5-turbo-1106": Price(1.0, 2.0),
        "mistralai/Mixtral-8x7B-Instruct-v0.1": Price(0.6, 0.6),
        "mistralai/Mistral-7B-Instruct-v0.1": Price(0.2, 0.2),
    },
    "mmlu-pro": {
        "gpt-4o-2024-05-13(early-set)": Price(5.0, 15.0),
        "gemini-1.5-pro-002": Price(1.25, 5.0),
        "Meta-Llama-3_1-70B-Instruct": Price(0.88, 0.88),
        "Meta-Llama-3_1-8B-Instruct": Price(0.18, 0.18),
    },
}


#: The three-model ladder of ``docs/ladder.md``: name -> (list price, the model a router trained
#: with the default config knows it as). The default alias table counts gpt-4o's MMLU-Pro
#: grades as GPT-4's, so gpt-4o maps to ``gpt-4-1106-preview``.
DOCS_LADDER: dict[str, tuple[Price, str]] = {
    "gpt-4o": (Price(5.0, 15.0), "gpt-4-1106-preview"),
    "llama-70b": (Price(0.88, 0.88), "Meta-Llama-3_1-70B-Instruct"),
    "llama-8b": (Price(0.0, 0.0), "Meta-Llama-3_1-8B-Instruct"),
}

#: the rule replaced in this release: the cheapest model within this of the best estimate
_OLD_TOLERANCE = 0.05
#: the tolerances reported on the difficulty check
_SWEEP = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def _within_of_best(q: np.ndarray, costs: np.ndarray, tolerance: float) -> np.ndarray:
    """The replaced rule: the cheapest model whose estimate is within ``tolerance`` of the
    best estimate (kept here to report what it did)."""
    ok = q >= q.max(axis=1, keepdims=True) - tolerance - 1e-12
    return np.argmin(np.where(ok, costs - 1e-9 * q, np.inf), axis=1)


def difficulty_shares(router: Any, prompts: Sequence[str], labels: Sequence[str]
                      ) -> dict[str, Any]:
    """Where the docs' three-model ladder sends the difficulty check's easy and hard prompts.

    Args:
        router: a router that knows the models of :data:`DOCS_LADDER`.
        prompts, labels: the check's prompts and their ``"easy"``/``"hard"`` labels.

    Returns:
        ``models`` (cheapest first), the counts of easy and hard prompts, and per variant
        (``estimates`` ``"calibrated"`` or ``"raw"``, ``rule``) the number of easy and hard
        prompts sent to each model and the share sent to the dearest. The calibrated rows
        are left out for a router without a quality scale, the raw ones for a router that
        cannot give raw estimates.
    """
    lad = Ladder(router, list(DOCS_LADDER), {m: p for m, (p, _) in DOCS_LADDER.items()},
                 aliases={m: k for m, (_, k) in DOCS_LADDER.items()})
    texts = list(prompts)
    lab = np.asarray(list(labels))
    costs = lad.call_costs(texts)
    names = [lad.aliases[m] for m in lad.models]
    est: dict[str, np.ndarray] = {}
    if getattr(router, "quality_scale_", None) is not None:
        est["calibrated"] = lad.estimates(texts)
    try:
        est["raw"] = np.asarray(router.predict_quality(texts, names, raw=True), dtype=np.float64)
    except TypeError:  # a router with one kind of estimate
        est.setdefault("raw", lad.estimates(texts))
    top = len(lad.models) - 1
    rows = []
    for kind, q in est.items():
        rules = [(f"tolerance {DEFAULT_TOLERANCE:g} (default)",
                  choose(q, costs, tolerance=DEFAULT_TOLERANCE))]
        if kind == "raw":
            rules.append((f"within {_OLD_TOLERANCE:g} of the best (replaced)",
                          _within_of_best(q, costs, _OLD_TOLERANCE)))
        for rule, idx in rules:
            row: dict[str, Any] = {"estimates": kind, "rule": rule}
            for group in ("easy", "hard"):
                sel = idx[lab == group]
                row[group] = np.bincount(sel, minlength=len(lad.models)).tolist()
                row[f"{group}_top_share"] = float((sel == top).mean()) if sel.size else None
            rows.append(row)
    # the knob's values around the default, on the estimates the ladder uses
    used = est.get("calibrated", est["raw"])
    sweep = []
    for t in _SWEEP:
        idx = choose(used, costs, tolerance=t)
        sweep.append({"tolerance": t,
                      "easy_top_share": float((idx[lab == "easy"] == top).mean()),
                      "hard_top_share": float((idx[lab == "hard"] == top).mean())})
    return {"models": lad.models, "aliases": dict(lad.aliases),
            "n_easy": int((lab == "easy").sum()), "n_hard": int((lab == "hard").sum()),
            "variants": rows,
            "sweep_estimates": "calibrated" if "calibrated" in est else "raw", "sweep": sweep}


def hull(cost: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper-left convex hull of (cost, quality) points: what mixing operating points at
    random achieves; non-decreasing in quality."""
    order = np.lexsort((-quality, cost))
    pts: list[tuple[float, float]] = []
    best = -np.inf
    for i in order:
        c, q = float(cost[i]), float(quality[i])
        if q <= best:
            continue
        best = q
        while len(pts) >= 2:
            (c1, q1), (c2, q2) = pts[-2], pts[-1]
            if (q2 - q1) * (c - c1) <= (q - q1) * (c2 - c1):  # pts[-1] under the chord
                pts.pop()
            else:
                break
        pts.append((c, q))
    arr = np.asarray(pts)
    return arr[:, 0], arr[:, 1]


def _at(hc: np.ndarray, hq: np.ndarray, c: float) -> float:
    """Quality of a hull at cost ``c`` (flat beyond its last point, NaN before its first)."""
    if c < hc[0] - 1e-15:
        return float("nan")
    return float(np.interp(c, hc, hq))


def curve_area(cost: np.ndarray, quality: np.ndarray, c_low: float, c_high: float,
               q_low: float, q_high: float, n: int = 1001) -> float:
    """Normalised area under the hull of (cost, quality): cost scaled to [0, 1] between
    ``c_low`` and ``c_high``, quality to [0, 1] between ``q_low`` and ``q_high``."""
    hc, hq = hull(np.asarray(cost, float), np.asarray(quality, float))
    xs = np.linspace(c_low, c_high, n)
    ys = np.array([_at(hc, hq, x) for x in xs])
    ys = np.where(np.isnan(ys), q_low, ys)
    ys = (ys - q_low) / (q_high - q_low)
    return float(np.trapezoid(ys, dx=1.0 / (n - 1)))


def _cost_to_reach(cost: np.ndarray, quality: np.ndarray, target: float) -> float | None:
    hc, hq = hull(np.asarray(cost, float), np.asarray(quality, float))
    if hq[-1] < target - 1e-12:
        return None
    return float(np.interp(target, hq, hc)) if len(hq) > 1 else float(hc[0])


# ---- data ------------------------------------------------------------------------------------
def _arena_answers(root: Path, models: Sequence[str]) -> dict[str, dict[str, str]]:
    """model -> question_id -> answer text."""
    answers = arena_bench_answers(root)
    out = {m: dict(answers.get(m, ())) for m in models}
    for m, a in out.items():
        if not a:
            raise DataError(f"no arena-bench-v1 answers for {m!r} under {root}")
    return out


def _eval_set(name: str, data_dir: Any, table: Any) -> dict[str, Any]:
    """Prompts, true outcomes (n, k) and realised call costs (n, k) for a ladder."""
    ladder = LADDERS[name]
    models = sorted(ladder, key=lambda m: ladder[m].cost(500, DEFAULT_OUTPUT_TOKENS))
    keep = np.ones(len(table), bool)
    for m in models:
        keep &= ~np.isnan(table.outcomes[m])
    prompts = [p for p, k in zip(table.prompts, keep, strict=True) if k]
    truth = np.stack([table.outcomes[m][keep] for m in models], axis=1)
    tin = np.asarray([count_tokens(p) for p in prompts], float)
    if name == "arena-bench-v1":
        root = resolve_data_dir(data_dir)
        qid = {p: q for q, p in arena_bench_questions(root).items()}
        answers = _arena_answers(root, models)
        tout = np.asarray([[count_tokens(answers[m].get(qid[p], "")) for m in models]
                           for p in prompts], float)
        truth = 1.0 + 9.0 * truth  # back to the 1-10 grade
    else:
        tout = np.full((len(prompts), len(models)), float(DEFAULT_OUTPUT_TOKENS))
        truth = 100.0 * truth  # accuracy in %
    pin = np.asarray([ladder[m].input for m in models])
    pout = np.asarray([ladder[m].output for m in models])
    real = (tin[:, None] * pin + tout * pout) / 1e6
    expected = (tin[:, None] * pin + DEFAULT_OUTPUT_TOKENS * pout) / 1e6
    return {"models": models, "prompts": prompts, "truth": truth, "cost": real,
            "expected_cost": expected}


def _folds(prompts: Sequence[str], k: int, seed: int) -> list[set[str]]:
    order = np.random.default_rng(seed).permutation(len(prompts))
    return [{prompts[i] for i in order[j::k]} for j in range(k)]


def _subset(data: TrainingData, drop: set[str]) -> TrainingData:
    return TrainingData(data.battles.filter(lambda b: b.prompt not in drop),
                        [t.subset(lambda p: p not in drop) for t in data.tables])


# ---- the evaluation ----------------------------------------------------------------------------
def run_ladder_eval(data_dir: str | os.PathLike[str] | None = None, *, folds: int = 5,
                    seed: int = 0, params: Mapping[str, Any] | None = None,
                    difficulty: bool = True, curves: bool = True,
                    difficulty_router: str | os.PathLike[str] | None = None,
                    progress: Any = None) -> dict[str, Any]:
    """Cross-validated ladder evaluation on arena-bench-v1 and MMLU-Pro (see the module).

    Args:
        data_dir: the data directory.
        folds: cross-validation folds (each trains one ``irt`` router, about 40 s).
        seed: fold assignment seed.
        params: ``irt`` hyperparameters overriding the default config's.
        difficulty: also train the difficulty check's router and report
            :func:`difficulty_shares` for it and for the shipped default router.
        curves: the cross-validated quality-cost curves (``False``: the difficulty check
            only).
        difficulty_router: a router checkpoint to route the difficulty check with, instead of
            training one (for example one trained by ``routellm train --router irt``).
        progress: an object with ``stage(text)`` (the command line), or ``None``.

    Returns:
        A JSON-able dict: per set, the ladder, prices, single models, router sweep, oracle,
        random mix, normalised areas and the cost to reach the best single model.
    """
    from ..data.benchmarks import evaluation_prompts
    from ..data.sources import load_table
    from ..scoring.static_embedding import StaticEmbedder
    from ..training.config import default_config
    from ..training.runs import build_router
    from ..training.sets import build_training_data

    t0 = time.perf_counter()
    cfg = default_config("irt")
    cfg["embedder"] = "static"
    cfg["aliases"] = "none"  # every model keeps its own name: the ladders name them
    if params:
        cfg["params"].update(params)
    emb = StaticEmbedder()
    say = progress.stage if progress is not None else (lambda _t: None)
    out: dict[str, Any] = {"folds": folds, "seed": seed, "router": "irt",
                           "params": cfg["params"], "price_source": PRICE_SOURCE,
                           "output_tokens": DEFAULT_OUTPUT_TOKENS, "sets": {}}
    if not curves and difficulty_router is not None:
        # nothing to train: the difficulty check with the given router needs no data directory
        out["difficulty"] = _difficulty(cfg, emb, data_dir, set(), say, difficulty_router)
        out["seconds"] = round(time.perf_counter() - t0, 1)
        return out
    say("building the training set (every source; prompts equal to an MT-Bench, GSM8K or "
        "held-out MMLU prompt dropped)")
    data, _ = build_training_data(cfg["sources"], data_dir=data_dir, aliases=cfg["aliases"],
                                  embedder=emb, decontaminate_threshold=None)
    banned = {p for ps in evaluation_prompts(data_dir).values() for p in ps}
    data = _subset(data, banned)
    sets = {
        "arena-bench-v1": _eval_set("arena-bench-v1", data_dir,
                                    load_table("arena-bench-v1", data_dir)),
        "mmlu-pro": _eval_set("mmlu-pro", data_dir, load_table("mmlu-pro", data_dir)),
    } if curves else {}
    fold_of = {name: _folds(s["prompts"], folds, seed) for name, s in sets.items()}
    estimates = {name: np.full(s["truth"].shape, np.nan) for name, s in sets.items()}
    for k in range(folds if sets else 0):
        held = set().union(*(fold_of[n][k] for n in sets))
        say(f"fold {k + 1}/{folds}: training irt without {len(held):,} held-out prompts")
        router = build_router(cfg, emb)
        router.fit(_subset(data, held))
        for name, s in sets.items():
            idx = [i for i, p in enumerate(s["prompts"]) if p in fold_of[name][k]]
            est = router.predict_quality([s["prompts"][i] for i in idx], s["models"])  # type: ignore[attr-defined]
            estimates[name][idx] = est
    for name, s in sets.items():
        out["sets"][name] = _summarise(name, s, estimates[name])
    if difficulty:
        out["difficulty"] = _difficulty(cfg, emb, data_dir, banned, say, difficulty_router)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _difficulty(cfg: Mapping[str, Any], emb: Any, data_dir: Any, banned: set[str],
                say: Any, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """:func:`difficulty_shares` for a router trained on every source with the default
    config's alias table (or the checkpoint at ``path``), and for the shipped default router."""
    from ..data.benchmarks import load_difficulty
    from ..routers import load_router
    from ..training.config import default_config
    from ..training.runs import build_router
    from ..training.sets import build_training_data

    bench = load_difficulty()
    labels = bench.extra["label"]
    if path is not None:
        say(f"difficulty check: routing with {path}")
        given = difficulty_shares(load_router(path), bench.prompts, labels)
        if str(path) == "default":  # the given router is the shipped one: route once, show once
            return {"router": {"path": "default"}, "label": "shipped default",
                    "trained": given, "shipped_default": given}
        return {"router": {"path": str(path)}, "label": f"router {Path(path).name}",
                "trained": given,
                "shipped_default": difficulty_shares(load_router("default"), bench.prompts,
                                                     labels)}
    full = dict(cfg, aliases=default_config("irt")["aliases"])
    say(f"difficulty check: training irt on every source (aliases {full['aliases']!r})")
    data, _ = build_training_data(full["sources"], data_dir=data_dir, aliases=full["aliases"],
                                  embedder=emb, decontaminate_threshold=None)
    router = build_router(full, emb).fit(_subset(data, banned))
    return {"router": {"config": "default irt config", "aliases": full["aliases"],
                       "params": full["params"]},
            "label": "irt, default config",
            "trained": difficulty_shares(router, bench.prompts, labels),
            "shipped_default": difficulty_shares(load_router("default"), bench.prompts, labels)}


def _summarise(name: str, s: dict[str, Any], est: np.ndarray) -> dict[str, Any]:
    truth, cost, expected, models = s["truth"], s["cost"], s["expected_cost"], s["models"]
    n = truth.shape[0]
    rows = np.arange(n)
    single_q, single_c = truth.mean(axis=0), cost.mean(axis=0)
    best = int(np.argmax(single_q))
    cheap = int(np.argmin(single_c))
    c_lo, c_hi, q_lo, q_hi = single_c[cheap], single_c[best], single_q[cheap], single_q[best]
    hc, hq = hull(single_c, single_q)
    grids = {"tolerance": np.unique(np.concatenate([np.linspace(0, 1, 101),
                                                     np.linspace(0, 0.1, 51)])),
             "cost_weight": np.concatenate([[0.0], np.geomspace(1e-3, 100.0, 121)])}
    knobs: dict[str, Any] = {}
    default_point: dict[str, Any] = {}
    for knob, grid in grids.items():
        sweep = []
        for v in grid:
            idx = choose(est, expected, **{knob: float(v)})
            sweep.append({knob: float(v), "cost": float(cost[rows, idx].mean()),
                          "quality": float(truth[rows, idx].mean()),
                          "share": [float((idx == j).mean()) for j in range(len(models))]})
        rc = np.asarray([p["cost"] for p in sweep])
        rq = np.asarray([p["quality"] for p in sweep])
        rhc, rhq = hull(rc, rq)
        checks = []
        for frac in (0.1, 0.25, 0.5):
            c = c_lo + frac * (c_hi - c_lo)
            affordable = [j for j in range(len(models)) if single_c[j] <= c]
            checks.append({"cost": c, "share_of_best_cost": c / c_hi,
                           "router": _at(rhc, rhq, c), "random_mix": _at(hc, hq, c),
                           "best_single_at_cost": float(max(single_q[j] for j in affordable))})
        reach = _cost_to_reach(rc, rq, q_hi)
        if knob == "tolerance":
            idx = choose(est, expected, tolerance=DEFAULT_TOLERANCE)
            default_point = {"tolerance": DEFAULT_TOLERANCE,
                             "cost": float(cost[rows, idx].mean()),
                             "quality": float(truth[rows, idx].mean()),
                             "share": [float((idx == j).mean()) for j in range(len(models))]}
        knobs[knob] = {"sweep": sweep, "area": curve_area(rc, rq, c_lo, c_hi, q_lo, q_hi),
                       "cost_to_reach_best": reach,
                       "cost_to_reach_best_share": None if reach is None else reach / c_hi,
                       "max_quality": float(rq.max()), "equal_cost": checks}
    oracle = []
    for lam in np.concatenate([[0.0], np.geomspace(1e-2, 1e9, 300)]):
        idx = np.argmax(truth - (lam + 1e-9) * cost, axis=1)
        oracle.append((float(cost[rows, idx].mean()), float(truth[rows, idx].mean())))
    oc, oq = np.asarray(oracle).T
    return {
        "n": n,
        "metric": "mean grade (1-10)" if name == "arena-bench-v1" else "accuracy (%)",
        "models": models,
        "prices": {m: [LADDERS[name][m].input, LADDERS[name][m].output] for m in models},
        "single": {m: {"quality": float(single_q[j]), "cost": float(single_c[j])}
                   for j, m in enumerate(models)},
        "best_single": models[best],
        "cheapest": models[cheap],
        "knobs": knobs,
        "default_knob": default_point,
        "oracle": [{"cost": c, "quality": q} for c, q in zip(oc, oq, strict=True)],
        "area": {"random_mix": curve_area(single_c, single_q, c_lo, c_hi, q_lo, q_hi),
                 "oracle": curve_area(oc, oq, c_lo, c_hi, q_lo, q_hi)},
    }


def format_report(result: Mapping[str, Any], *, markdown: bool = False) -> str:
    """The figures as text (or a markdown table)."""
    lines: list[str] = []
    for name, r in result["sets"].items():
        unit = "grade" if name == "arena-bench-v1" else "acc %"
        if markdown:
            lines += [f"**{name}** (n = {r['n']:,}; {r['metric']}; cost in USD per 1,000 calls)",
                      "", "| model | $ in / out per M tokens | quality | cost / 1k calls |",
                      "|---|---|---|---|"]
            for m in r["models"]:
                s = r["single"][m]
                lines.append(f"| {m} | {r['prices'][m][0]:g} / {r['prices'][m][1]:g} | "
                             f"{s['quality']:.2f} | {1000 * s['cost']:.3f} |")
            lines.append("")
        else:
            lines.append(f"{name} (n={r['n']}, {r['metric']})")
            for m in r["models"]:
                s = r["single"][m]
                lines.append(f"  {m:40s} {unit} {s['quality']:6.2f}  ${1000 * s['cost']:.3f}/1k calls")
        a = r["area"]
        b = r["best_single"]
        dash = "- " if markdown else "  "
        lines.append(f"{dash}normalised area: random mix {a['random_mix']:.3f}, oracle "
                     f"{a['oracle']:.3f}; best single model {b} "
                     f"({r['single'][b]['quality']:.2f})")
        for knob, k in r["knobs"].items():
            share = k["cost_to_reach_best_share"]
            reach = "never" if share is None else f"{100 * share:.0f} % of its cost"
            lines.append(f"{dash}router, {knob} sweep: area {k['area']:.3f}; reaches the best "
                         f"model's quality at {reach} (best router quality "
                         f"{k['max_quality']:.2f})")
            for c in k["equal_cost"]:
                lines.append(f"{'  - ' if markdown else '    '}at {100 * c['share_of_best_cost']:.0f}"
                             f" % of the best model's cost: router {c['router']:.2f}, random mix "
                             f"{c['random_mix']:.2f}, best single model within that cost "
                             f"{c['best_single_at_cost']:.2f}")
        d = r.get("default_knob")
        if d:
            shares = ", ".join(f"{m.split('/')[-1]} {100 * x:.0f} %"
                               for m, x in zip(r["models"], d["share"], strict=True))
            lines.append(f"{dash}default knob (tolerance {d['tolerance']:g}): quality "
                         f"{d['quality']:.2f} at ${1000 * d['cost']:.3f}/1k calls "
                         f"({100 * d['cost'] / r['single'][b]['cost']:.0f} % of the best model's "
                         f"cost); calls: {shares}")
        lines.append("")
    if result.get("difficulty"):
        lines += _format_difficulty(result["difficulty"], markdown)
    return "\n".join(lines).rstrip() + "\n"


def _format_difficulty(diff: Mapping[str, Any], markdown: bool) -> list[str]:
    lines: list[str] = []
    any_row = diff["trained"]
    names = ", ".join(any_row["models"])
    title = (f"difficulty check, the docs' ladder ({names}; {any_row['n_easy']} easy and "
             f"{any_row['n_hard']} hard prompts): share sent to the dearest model")
    if markdown:
        lines += [f"**{title}**", "", "| router | estimates | rule | easy | hard | easy prompts "
                  "per model | hard prompts per model |", "|---|---|---|---:|---:|---|---|"]
    else:
        lines.append(title)
    mine = str(diff.get("label", "irt, default config"))
    rows = [("trained", mine)]
    if diff.get("router", {}).get("path") != "default":  # else the same rows twice
        rows.append(("shipped_default", "shipped default"))
    for key, label in rows:
        for v in diff[key]["variants"]:
            e, h = v["easy_top_share"], v["hard_top_share"]
            if markdown:
                lines.append(f"| {label} | {v['estimates']} | {v['rule']} | {100 * e:.0f} % | "
                             f"{100 * h:.0f} % | {' / '.join(map(str, v['easy']))} | "
                             f"{' / '.join(map(str, v['hard']))} |")
            else:
                lines.append(f"  {label:20s} {v['estimates']:10s} {v['rule']:34s} easy "
                             f"{100 * e:3.0f} %  hard {100 * h:3.0f} %  (easy {v['easy']}, "
                             f"hard {v['hard']})")
    trained = diff["trained"]
    if trained.get("sweep"):
        lines.append("")
        cells = [(f"{p['tolerance']:g}", f"{100 * p['easy_top_share']:.0f} %",
                  f"{100 * p['hard_top_share']:.0f} %") for p in trained["sweep"]]
        head = (f"{mine}, {trained['sweep_estimates']} estimates: share to the dearest model "
                "by tolerance")
        if markdown:
            lines += [f"{head}:", "", "| tolerance | " + " | ".join(c[0] for c in cells) + " |",
                      "|---|" + "---:|" * len(cells),
                      "| easy | " + " | ".join(c[1] for c in cells) + " |",
                      "| hard | " + " | ".join(c[2] for c in cells) + " |"]
        else:
            lines.append(head)
            lines += [f"  tolerance {t:>5s}: easy {e:>5s}, hard {h:>5s}" for t, e, h in cells]
    lines.append("")
    return lines


def plot_ladder(result: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Quality against average cost per call, one panel per set: the router's tolerance
    sweep, each single model, the random mix (hull of single models) and the oracle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = result["sets"]
    fig, axes = plt.subplots(1, len(sets), figsize=(5.6 * len(sets), 4.4), squeeze=False)
    for ax, (name, r) in zip(axes[0], sets.items(), strict=True):
        sc = np.asarray([r["single"][m]["cost"] for m in r["models"]]) * 1000
        sq = np.asarray([r["single"][m]["quality"] for m in r["models"]])
        hc, hq = hull(sc, sq)
        ax.plot(hc, hq, color="grey", ls=":", lw=1.2,
                label=f"random mix of single models (area {r['area']['random_mix']:.2f})")
        oc = np.asarray([p["cost"] for p in r["oracle"]]) * 1000
        oq = np.asarray([p["quality"] for p in r["oracle"]])
        ohc, ohq = hull(oc, oq)
        ax.plot(ohc, ohq, color="grey", ls="--", lw=1, label="oracle")
        for knob, k in r["knobs"].items():
            rc = np.asarray([p["cost"] for p in k["sweep"]]) * 1000
            rq = np.asarray([p["quality"] for p in k["sweep"]])
            order = np.argsort(rc)
            ax.plot(rc[order], rq[order], marker="o", ms=2, lw=1.1,
                    label=f"irt ladder, {knob} sweep (area {k['area']:.2f})")
        d = r.get("default_knob")
        if d:
            ax.scatter([1000 * d["cost"]], [d["quality"]], marker="*", s=110, color="black",
                       zorder=4, label=f"default knob (tolerance {d['tolerance']:g})")
        for m, c, q in zip(r["models"], sc, sq, strict=True):
            ax.scatter([c], [q], marker="s", s=30, zorder=3)
            ax.annotate(m.split("/")[-1][:24], (c, q), fontsize=7, xytext=(4, -10),
                        textcoords="offset points")
        ax.set_xscale("log")
        ax.set_title(f"{name} (n = {r['n']:,}, cross-validated)")
        ax.set_xlabel("average cost, USD per 1,000 calls (log)")
        ax.set_ylabel(r["metric"])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    from .evaluate import save_figure

    return save_figure(fig, path)


def save_json(result: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the result as JSON."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result, indent=1) + "\n")
    return p
