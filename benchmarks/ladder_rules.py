"""How the cost ladder's rule and default tolerance were chosen (docs/results.md, "Cost ladder").

Three ways to read one tolerance ``t`` on per-model quality estimates ``q``, each picking the
cheapest model that passes:

* ``within``: ``q_m >= max(q) - t`` (the rule before the quality scale);
* ``absolute``: ``q_m >= min(max(q), 1 - t)`` (a fixed bar, else the best estimate);
* ``proportional``: ``q_m >= (1 - t) * max(q)`` (the rule the ladder now uses);

each on the raw and on the calibrated estimates of the ``irt`` router (``quality_folds``).

1. Quality-cost curves: ``--folds`` routers (default config, no model aliases) each trained
   without one fold of the arena-bench-v1 prompts and MMLU-Pro questions, as ``routellm
   ladder`` does (fewer folds: a quicker, rougher comparison); the normalised area under each
   rule's tolerance sweep (0-1) and the operating point at a few tolerances.
2. The difficulty check (validation data, never trained on): one router trained on every
   source with the default config (its alias table, so gpt-4o is GPT-4), the three-model
   ladder of docs/ladder.md; the share of easy and hard prompts sent to gpt-4o per tolerance.

Run: ``nice python benchmarks/ladder_rules.py`` (about 10 minutes on 2 cores: ``--folds`` + 1
routers, each trained ``quality_folds`` + 1 times).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from routellm_core.data.benchmarks import evaluation_prompts, load_difficulty
from routellm_core.data.sources import load_table
from routellm_core.evaluation import ladder_eval as le
from routellm_core.routers.irt import IRTRouter
from routellm_core.routing.ladder import Ladder
from routellm_core.scoring.static_embedding import StaticEmbedder
from routellm_core.training.config import default_config
from routellm_core.training.runs import build_router
from routellm_core.training.sets import build_training_data

Rule = Callable[[np.ndarray, float], np.ndarray]
RULES: dict[str, Rule] = {
    "within": lambda q, t: q >= q.max(1, keepdims=True) - t - 1e-12,
    "absolute": lambda q, t: q >= np.minimum(q.max(1, keepdims=True), 1 - t) - 1e-12,
    "proportional": lambda q, t: q >= (1 - t) * q.max(1, keepdims=True) - 1e-12,
}
GRID = np.unique(np.concatenate([np.linspace(0, 1, 101), np.linspace(0, 0.1, 51)]))
POINTS = (0.05, 0.1, 0.15, 0.2, 0.25)


def pick(q: np.ndarray, costs: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """The cheapest passing model (the better estimate among equal costs)."""
    return np.argmin(np.where(ok, costs - 1e-9 * q, np.inf), axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    emb = StaticEmbedder()
    banned = {p for ps in evaluation_prompts(args.data_dir).values() for p in ps}

    cfg = default_config("irt")
    cfg["aliases"] = "none"
    data, _ = build_training_data(cfg["sources"], data_dir=args.data_dir, aliases="none",
                                  embedder=emb, decontaminate_threshold=None)
    data = le._subset(data, banned)
    sets = {n: le._eval_set(n, args.data_dir, load_table(n, args.data_dir))
            for n in ("arena-bench-v1", "mmlu-pro")}
    fold_of = {n: le._folds(s["prompts"], args.folds, 0) for n, s in sets.items()}
    est = {(kind, n): np.full(s["truth"].shape, np.nan) for n, s in sets.items()
           for kind in ("raw", "calibrated")}
    for k in range(args.folds):
        held = set().union(*(fold_of[n][k] for n in sets))
        router = build_router(cfg, emb).fit(le._subset(data, held))
        assert isinstance(router, IRTRouter)
        for n, s in sets.items():
            idx = [i for i, p in enumerate(s["prompts"]) if p in fold_of[n][k]]
            texts = [s["prompts"][i] for i in idx]
            est[("calibrated", n)][idx] = router.predict_quality(texts, s["models"])
            est[("raw", n)][idx] = router.predict_quality(texts, s["models"], raw=True)

    print(f"1. quality-cost curves ({args.folds}-fold cross-validation): normalised area of the "
          "tolerance sweep; at t: cost as a share of the best model's, quality")
    for n, s in sets.items():
        truth, cost, expected = s["truth"], s["cost"], s["expected_cost"]
        rows = np.arange(len(truth))
        sq, sc = truth.mean(0), cost.mean(0)
        b, c = int(np.argmax(sq)), int(np.argmin(sc))
        mix = le.curve_area(sc, sq, sc[c], sc[b], sq[c], sq[b])
        print(f"  {n}: random mix {mix:.3f}")
        for kind in ("raw", "calibrated"):
            q = est[(kind, n)]
            for rule, f in RULES.items():
                pts = [pick(q, expected, f(q, float(t))) for t in GRID]
                rc = np.array([cost[rows, i].mean() for i in pts])
                rq = np.array([truth[rows, i].mean() for i in pts])
                area = le.curve_area(rc, rq, sc[c], sc[b], sq[c], sq[b])
                at = []
                for t in (0.1, 0.15):
                    i = pick(q, expected, f(q, t))
                    at.append(f"t={t:g}: {100 * cost[rows, i].mean() / sc[b]:3.0f} %, "
                              f"{truth[rows, i].mean():.2f}")
                print(f"    {kind:10s} {rule:12s} area {area:.3f}   " + "   ".join(at))

    full = dict(cfg, aliases=default_config("irt")["aliases"])
    data, _ = build_training_data(full["sources"], data_dir=args.data_dir,
                                  aliases=full["aliases"], embedder=emb,
                                  decontaminate_threshold=None)
    router = build_router(full, emb).fit(le._subset(data, banned))
    assert isinstance(router, IRTRouter)
    bench = load_difficulty()
    lab = np.asarray(bench.extra["label"])
    lad = Ladder(router, list(le.DOCS_LADDER), {m: p for m, (p, _) in le.DOCS_LADDER.items()},
                 aliases={m: k for m, (_, k) in le.DOCS_LADDER.items()})
    names = [lad.aliases[m] for m in lad.models]
    costs = lad.call_costs(bench.prompts)
    top = len(lad.models) - 1
    print("2. difficulty check, the docs' ladder: % of easy / hard prompts sent to gpt-4o")
    print("    " + " " * 24 + "".join(f"t={t:<10g}" for t in POINTS))
    for kind in ("raw", "calibrated"):
        q = router.predict_quality(bench.prompts, names, raw=kind == "raw")
        for rule, f in RULES.items():
            cells = []
            for t in POINTS:
                i = pick(q, costs, f(q, t))
                cells.append(f"{100 * (i[lab == 'easy'] == top).mean():3.0f}/"
                             f"{100 * (i[lab == 'hard'] == top).mean():3.0f}    ")
            print(f"    {kind:10s} {rule:12s}  " + "".join(cells))


if __name__ == "__main__":
    main()
