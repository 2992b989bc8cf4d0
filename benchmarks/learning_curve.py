"""Learning curve: APGR of the adapted router against the number of in-domain labels.

    nice .venv/bin/python benchmarks/learning_curve.py [--init DIR] [--folds 5]
        [--labels 0,50,100,200,500,1000] [--mmlu-sample 3000] [--json out/learning_curve.json]
        [--plot docs/img/learning_curve.png]

Simulates a user who labels some of their own traffic (``docs/adapt.md``): on GSM8K and on
held-out MMLU (a seeded sample of distinct prompts), the prompts are split into k folds; for
each fold, ``n`` labelled prompts are drawn (seeded) from the *other* folds, the recorded
GPT-4 / Mixtral correctness of those rows becomes strong-vs-weak battles (correct beats wrong,
equal ties: the "both graded" rule of ``routellm battles``), and

* the initial router is adapted on them (:func:`routellm_core.training.adapt.adapt_router`);
* an irt router is trained on them alone, from zero (same hyperparameters, static embedder);

both are evaluated (APGR) on the held-out fold, which no labelled prompt comes from. The
table shows the mean and standard deviation over folds, next to random.

The initial router is ``train_from_config(default_config("irt") with embedder "static")``
(its training set is decontaminated against GSM8K and held-out MMLU), trained once and saved
to ``--init`` (reused when the folder exists).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


class _Memo:
    """An embedder that remembers its vectors (the static embedder is deterministic)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Memo:
        return self

    def embed(self, prompts: list[str]) -> np.ndarray:
        todo = [p for p in dict.fromkeys(prompts) if p not in self.cache]
        if todo:
            for p, v in zip(todo, np.asarray(self.inner.embed(todo)), strict=True):
                self.cache[p] = v
        return np.vstack([self.cache[p] for p in prompts])


def initial_router(path: Path) -> Any:
    from routellm_core.routers import load_router
    from routellm_core.routers.base import Router
    from routellm_core.training.config import default_config
    from routellm_core.training.runs import train_from_config

    if str(path) == "default":
        return load_router("default")  # the shipped router (irt + mf on the static table)
    if (path / "config.json").is_file():
        return Router.load(path)
    cfg = default_config("irt")
    cfg["embedder"] = "static"
    t0 = time.perf_counter()
    router = train_from_config(cfg)
    router.save(path)
    print(f"trained the initial irt router in {time.perf_counter() - t0:.0f} s; saved to {path}",
          file=sys.stderr)
    return router


def memoised_router(path: Path) -> tuple[Any, Any]:
    """The initial router (``initial_router``) with its embedders memoised (every fold embeds
    the same prompts), and its irt member: "in-domain only" trains an irt router like it."""
    from routellm_core.routers.irt import IRTRouter

    init = initial_router(path)
    members = getattr(init, "members_", [init])  # the default is an ensemble
    for member in members:
        if hasattr(member, "get_embedder"):
            member.embedder = _Memo(member.get_embedder())
    irt = next(m for m in members if isinstance(m, IRTRouter))
    return init, irt


def benchmarks(mmlu_sample: int, seed: int) -> dict[str, Any]:
    from routellm_core.data.benchmarks import load_gsm8k, load_mmlu

    out = {"gsm8k": load_gsm8k()}
    mmlu = load_mmlu(split="heldout")
    first: dict[str, int] = {}
    for i, p in enumerate(mmlu.prompts):
        first.setdefault(p, i)  # one row per distinct prompt: never one prompt in two folds
    idx = sorted(first.values())
    rng = random.Random(seed)
    if mmlu_sample and mmlu_sample < len(idx):
        idx = sorted(rng.sample(idx, mmlu_sample))
    out["mmlu"] = mmlu.subset(idx)
    return out


def battles_for(bench: Any, idx: np.ndarray) -> Any:
    from routellm_core.data.battles import Battle, Battles
    from routellm_core.training.adapt import USER_SOURCE

    s, w = bench.strong_outcomes[idx], bench.weak_outcomes[idx]
    out = []
    for i, a, b in zip(idx, s, w, strict=True):
        winner = "model_a" if a > b else "model_b" if b > a else "tie"
        out.append(Battle(bench.prompts[i], bench.strong, bench.weak, winner, USER_SOURCE))
    return Battles(out)


def add_curve_arguments(ap: argparse.ArgumentParser, labels: str) -> None:
    """The fold protocol's flags (``fold_curve``'s arguments), shared with
    judge_learning_curve.py: folds, label counts, and the adaptation's steps, anchor, weight."""
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--labels", default=labels)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--anchor", type=float, default=1e-2)
    ap.add_argument("--weight", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--init", default="default", type=Path,
                    help="'default' (the shipped router), a checkpoint folder, or a folder to "
                         "train default_config('irt') into")
    add_curve_arguments(ap, labels="0,50,100,200,500,1000")
    ap.add_argument("--mmlu-sample", type=int, default=3000)
    ap.add_argument("--keep-frozen", action="store_true",
                    help="ensembles: keep the members that cannot adapt in the blend")
    ap.add_argument("--json", default=None, type=Path)
    ap.add_argument("--plot", default=None, type=Path)
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    init, irt = memoised_router(args.init)
    labels = [int(x) for x in args.labels.split(",")]
    results: dict[str, Any] = {}
    for name, bench in benchmarks(args.mmlu_sample, args.seed).items():
        results[name] = fold_curve(init, irt, bench, labels, folds=args.folds, seed=args.seed,
                                   steps=args.steps, anchor=args.anchor, weight=args.weight,
                                   keep_frozen=args.keep_frozen, name=name, t_start=t_start)
    results["_settings"] = {"folds": args.folds, "labels": labels, "mmlu_sample": args.mmlu_sample,
                            "steps": args.steps, "anchor": args.anchor, "weight": args.weight,
                            "seed": args.seed, "seconds": round(time.perf_counter() - t_start)}
    print_table(results, labels)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    if args.plot:
        plot(results, labels, args.plot)
    return 0


def fold_curve(init: Any, irt: Any, bench: Any, labels: list[int], *, folds: int, seed: int,
               steps: int, anchor: float, weight: float, keep_frozen: bool = False,
               battles: Callable[[Any, np.ndarray], Any] = battles_for, name: str = "",
               t_start: float | None = None) -> dict[str, Any]:
    """The k-fold curve on one benchmark: for each held-out fold, ``n`` labelled prompts
    drawn from the other folds become battles (``battles(bench, indices)``), the initial
    router is adapted on them and an irt router is trained on them alone; APGR (and CPT(50 %))
    on the held-out fold, mean and standard deviation over folds."""
    from routellm_core.evaluation.evaluate import evaluate, random_baseline
    from routellm_core.routers.irt import IRTRouter
    from routellm_core.training.adapt import adapt_router

    t_start = time.perf_counter() if t_start is None else t_start
    init.predict_win_rate(bench.prompts)  # embed once
    order = np.random.default_rng(seed).permutation(len(bench))
    parts = np.array_split(order, folds)
    rows: dict[str, dict[int, list[float]]] = {"adapted": {}, "in-domain only": {}}
    cpt50: dict[int, list[float]] = {}
    rand: list[float] = []
    for f, test in enumerate(parts):
        pool = np.concatenate([parts[g] for g in range(folds) if g != f])
        assert not set(bench.prompts[i] for i in pool) & set(bench.prompts[i] for i in test)
        tb = bench.subset(test)
        rand.append(random_baseline(tb).apgr)
        draw = np.random.default_rng(seed + 1 + f).permutation(pool)
        for n in labels:
            if n > len(pool):
                continue
            bs = battles(bench, draw[:n])
            adapted = adapt_router(init, bs, steps=steps, anchor=anchor, weight=weight,
                                   keep_frozen=keep_frozen)
            res = evaluate(adapted, tb)
            rows["adapted"].setdefault(n, []).append(res.apgr)
            cpt50.setdefault(n, []).append(res.cpt50)
            if n:
                alone = IRTRouter(bench.strong, bench.weak, irt.embedder, dim=irt.dim,
                                  epochs=irt.epochs, lr=irt.lr, l2=irt.l2,
                                  model_l2=irt.model_l2, seed=seed).fit(bs)
                rows["in-domain only"].setdefault(n, []).append(evaluate(alone, tb).apgr)
        print(f"{name}: fold {f + 1}/{folds} done ({time.perf_counter() - t_start:.0f} s)",
              file=sys.stderr)
    return {
        "n": len(bench), "fold_size": int(np.mean([len(x) for x in parts])),
        "random": [float(np.mean(rand)), float(np.std(rand))],
        **{k: {str(n): [float(np.mean(v)), float(np.std(v))] for n, v in r.items()}
           for k, r in rows.items()},
        "cpt50 adapted": {str(n): [float(np.mean(v)), float(np.std(v))] for n, v in cpt50.items()},
    }


def print_table(results: dict[str, Any], labels: list[int]) -> None:
    head = "| benchmark | router | " + " | ".join(str(n) for n in labels) + " |"
    print(head)
    print("|" + "---|" * (len(labels) + 2))
    for name, r in results.items():
        if name.startswith("_"):
            continue
        m, s = r["random"]
        print(f"| {name} (n={r['n']}) | random | " + " | ".join(f"{m:.3f} ± {s:.3f}" for _ in labels)
              + " |")
        for k in ("adapted", "in-domain only"):
            cells = [f"{r[k][str(n)][0]:.3f} ± {r[k][str(n)][1]:.3f}" if str(n) in r[k] else "-"
                     for n in labels]
            print(f"| {name} | {k} | " + " | ".join(cells) + " |")
    print(f"({results['_settings']['folds']} folds; mean ± sd over folds; "
          f"{results['_settings']['seconds']} s)")


def plot(results: dict[str, Any], labels: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in results if not n.startswith("_")]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6))
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        r = results[name]
        for k, style in (("adapted", "o-"), ("in-domain only", "s--")):
            ns = [n for n in labels if str(n) in r[k]]
            m = np.array([r[k][str(n)][0] for n in ns])
            s = np.array([r[k][str(n)][1] for n in ns])
            x = [max(n, 10) for n in ns]
            ax.errorbar(x, m, yerr=s, fmt=style, capsize=3, label=k)
        ax.axhline(r["random"][0], color="grey", lw=1, label="random")
        ax.set_xscale("log")
        ax.set_xticks([max(n, 10) for n in labels], [str(n) for n in labels])
        ax.set_xlabel("in-domain labelled prompts")
        ax.set_ylabel("APGR (held-out fold)")
        ax.set_title(f"{name} (n = {r['n']})")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
