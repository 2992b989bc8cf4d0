"""Pairs users route today: APGR, 5-fold cross-validation by prompt, on the newer sources.

For each pair below (spelled as in its source), the prompts of the sources scored are split
into five folds (seeded, per source). One router is trained per fold, on every source of the
config, with that fold's prompts left out of training, and with them every prompt of another
source that asks the same question (:func:`routellm_core.data.overlap.shared_questions`, for
the overlaps the data README lists); every pair is then scored on its fold's prompts by that
fold's router. So each fold is one fit, whatever the number of pairs, and the training set is
built once for all five (``routellm_core.training.runs.train_holdouts``).

Routers compared (APGR, mean ± std over the five folds):

* **shipped default, as is**: the packaged router scoring its own pair (GPT-4 vs Mixtral); it
  never saw these sources, so it needs no training and no holdout;
* **shipped default, pair-aware**: the same router bound to the user's pair
  (:func:`routellm_core.routers.pair.bind_pair`) where it knows both models (after the API
  alias map of :mod:`routellm_core.routing.pairs`), else its own pair;
* **retrained, default pair**: the config (``configs/all-sources.json``: the default recipe
  plus the six newer sources) trained per fold, scoring GPT-4 vs Mixtral;
* **retrained, pair-aware**: the same fold routers scoring the user's pair (the pair's names
  go through the config's alias table, as training saw them);
* **random**: seeded uniform scores (the mean of 20 draws per fold);
* **retrained IRT member, default pair**: the fold router's IRT member alone scoring GPT-4 vs
  Mixtral. The ensemble scores its own pair with the blend but any other pair with this member
  alone, so this column separates the pair's effect from the member's.

A second table runs the difficulty check (the everyday easy and hard prompts of
``core/difficulty``) with the shipped default and the first fold's router bound to each pair,
calibrated on the ``mix`` prompts as training calibrates.

Run: ``python benchmarks/quality_user_pairs.py [--config configs/all-sources.json]``
(five trainings of the config, cached in ``--cache``: a second run only scores).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from validate_transfer import _apgr  # benchmarks/ is on sys.path (reused, not copied)

from routellm_core.data.files import resolve_data_dir
from routellm_core.data.overlap import OVERLAPS, shared_questions
from routellm_core.data.pairs import pair_outcomes
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.routers import load_router
from routellm_core.routers.base import Router

#: (label, source, strong, weak), the models spelled as in the source
PAIRS: list[tuple[str, str, str, str]] = [
    ("gpt-4o vs gpt-4o-mini", "arena-hard-v0.1", "gpt-4o", "gpt-4o-mini"),
    ("gpt-4o vs gpt-4o-mini", "simpleqa", "gpt-4o", "gpt-4o-mini"),
    ("GPT-4 vs GPT-3.5", "qlora-oa", "gpt-4", "gpt-3.5"),
    ("GPT-4 vs GPT-3.5", "theoremqa", "GPT4_CoT", "ChatGPT_CoT"),
    ("gemini-2.0-flash vs claude-3-haiku", "routerarena", "gemini-2.0-flash-001",
     "claude-3-haiku-20240307"),
    ("gpt-4-0314 vs gpt-3.5-turbo-0125", "arena-hard-v0.1", "gpt-4-0314", "gpt-3.5-turbo-0125"),
]

#: how the user names each pair (the API names the wrappers would see)
API_NAMES: dict[tuple[str, str], tuple[str, str]] = {
    ("gpt-4o", "gpt-4o-mini"): ("gpt-4o", "gpt-4o-mini"),
    ("gpt-4", "gpt-3.5"): ("gpt-4", "gpt-3.5-turbo"),
    ("GPT4_CoT", "ChatGPT_CoT"): ("gpt-4", "gpt-3.5-turbo"),
    ("gemini-2.0-flash-001", "claude-3-haiku-20240307"): ("gemini-2.0-flash", "claude-3-haiku"),
    ("gpt-4-0314", "gpt-3.5-turbo-0125"): ("gpt-4-0314", "gpt-3.5-turbo-0125"),
}

N_FOLDS = 5
NEW_SOURCES = ("llmrouter", "theoremqa", "qlora-oa", "arena-hard-v0.1", "simpleqa", "routerarena")


def all_sources_config(path: str | None) -> dict:
    """The config to retrain: ``path``, else ``configs/all-sources.json`` when it exists, else
    ``configs/default.json`` with the six newer sources and the ``gpt4-mixtral-all`` table."""
    from routellm_core.training.config import load_config

    if path:
        return load_config(path)
    if Path("configs/all-sources.json").is_file():
        return load_config("configs/all-sources.json")
    cfg = copy.deepcopy(load_config("configs/default.json"))
    for s in NEW_SOURCES:
        cfg["sources"][s] = {"weight": 0.4 if s == "llmrouter" else 1.0}
    cfg["aliases"] = "gpt4-mixtral-all"
    return cfg


def apgr(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray) -> float:
    """APGR of ``scores`` on one pair's graded outcomes (validate_transfer's, as a grade)."""
    return float(_apgr(np.asarray(scores, dtype=np.float64), strong, weak, "grade"))


def folds_and_holdouts(data_dir: Path) -> tuple[dict[str, dict[str, int]], list[set[str]]]:
    """Each scored source's prompts with their fold, and each fold's training holdout (its
    prompts and their twins in other sources)."""
    prompts_of: dict[str, set[str]] = defaultdict(set)
    for _, source, s, w in PAIRS:
        prompts_of[source].update(pair_outcomes(source, s, w, data_dir)[0])
    fold_of: dict[str, dict[str, int]] = {}
    for i, source in enumerate(sorted(prompts_of)):
        ps = sorted(prompts_of[source])
        order = np.random.default_rng(1000 + i).permutation(len(ps))
        fold_of[source] = {ps[j]: int(k % N_FOLDS) for k, j in enumerate(order)}
    holdouts: list[set[str]] = [set() for _ in range(N_FOLDS)]
    for source, folds in fold_of.items():
        for p, f in folds.items():
            holdouts[f].add(p)
        others = [*OVERLAPS.get(source, ()), *(n for n, o in OVERLAPS.items() if source in o)]
        for other in others:
            for a, b in shared_questions(source, other, data_dir):
                if a in folds:
                    holdouts[folds[a]].add(b)
    return fold_of, holdouts


def fold_routers(config: dict, data_dir: Path, holdouts: list[set[str]], cache: Path, *,
                 train: bool = True) -> list[Router | None]:
    """One router per fold, trained without the fold's holdout (cached in ``cache``); with
    ``train=False`` only the cached ones (``None`` for the others). The folds still to train
    share one build of the training set (``train_holdouts``)."""
    from routellm_core.training.config import config_hash
    from routellm_core.training.runs import train_holdouts

    root = cache / f"{config_hash(config)}-folds{N_FOLDS}"
    paths = [root / f"fold{f}" for f in range(N_FOLDS)]
    todo = {f"fold{f}": held for f, held in enumerate(holdouts)
            if not (paths[f] / "config.json").is_file()}
    if todo and train:
        t0 = time.perf_counter()
        print(f"training {len(todo)} fold routers ({', '.join(todo)})...", file=sys.stderr,
              flush=True)
        for name, router in train_holdouts(config, todo, data_dir).items():
            router.save(root / name)
        print(f"  trained in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return [Router.load(p) if (p / "config.json").is_file() else None for p in paths]


def router_names(config: dict, strong: str, weak: str) -> tuple[str, str]:
    """The pair as training named it (the config's alias table)."""
    from routellm_core.training.config import resolve_aliases

    table = resolve_aliases(config.get("aliases"))
    return table.get(strong, strong), table.get(weak, weak)


def pair_aware(router: Router, strong: str, weak: str) -> tuple[Router, bool]:
    """The router bound to the pair when it knows both models (else itself); whether bound."""
    from routellm_core.routers.pair import bind_pair, knows_pair

    if knows_pair(router, strong, weak):
        return bind_pair(router, strong, weak, calibrate=False), True
    return router, False


def quality_member(router: Router) -> Router | None:
    """The ensemble's member that scores pairs other than its own (``None`` otherwise)."""
    members = getattr(router, "members_", None)
    return next((m for m in members if hasattr(m, "predict_quality")), None) if members else None


#: the pairs of the everyday check, as a user names them (API names)
EVERYDAY_PAIRS = [(STRONG_MODEL, WEAK_MODEL), ("gpt-4o", "gpt-4o-mini"), ("gpt-4", "gpt-3.5-turbo"),
                  ("gemini-2.0-flash", "claude-3-haiku"), ("llama-3.1-70b", "llama-3.1-8b")]


def everyday_check(routers: dict[str, Router], data_dir: Path) -> None:
    """The difficulty check (easy vs hard everyday prompts, English) for each router bound to
    each pair it knows, calibrated on the ``mix`` prompts as training calibrates: AUC and the
    share of easy and hard prompts sent strong at ``strong_fraction=0.3``."""
    import logging

    from routellm_core.data.sources import calibration_prompts
    from routellm_core.evaluation.metrics import auc
    from routellm_core.routers.pair import pair_calibration
    from routellm_core.routing.pairs import route_pair

    logging.getLogger("routellm_core.routing.pairs").setLevel(logging.ERROR)
    path = Path(__file__).resolve().parent.parent / "core" / "difficulty" / "prompts.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    prompts = [r["prompt"] for r in rows]
    hard = np.asarray([r["label"] == "hard" for r in rows])
    cal = calibration_prompts("mix", data_dir)
    print()
    print("| router | pair (as the user names it) | pair scored | difficulty AUC | "
          "easy sent strong @0.3 | hard sent strong @0.3 |")
    print("|---|---|---|---:|---:|---:|")
    for label, router in routers.items():
        router.pair_calibration_ = pair_calibration(router, cal, "mix")
        for s, w in EVERYDAY_PAIRS:
            bound = route_pair(router, pair=(s, w))
            scores = bound.predict_win_rate(prompts)
            t = bound.threshold_for(0.3)
            scored = getattr(bound, "pair_", None)
            print(f"| {label} | {s} vs {w} | "
                  + ("own pair" if scored is None else f"{scored[0]} vs {scored[1]}")
                  + f" | {auc(scores, hard):.3f} | {100 * (scores[~hard] >= t).mean():.0f} % | "
                  f"{100 * (scores[hard] >= t).mean():.0f} % |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=None,
                    help="training config (default: configs/all-sources.json)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--cache", default=None, help="where the fold routers are kept "
                    "(default: <routellm cache>/quality_user_pairs)")
    ap.add_argument("--no-train", action="store_true",
                    help="only the shipped default and random (no training)")
    ap.add_argument("--train-only", action="store_true", help="train the fold routers and stop")
    ap.add_argument("--cached-only", action="store_true",
                    help="score only the folds whose routers are already trained")
    args = ap.parse_args()
    from routellm_core.scoring.embeddings import default_cache_dir

    data_dir = resolve_data_dir(args.data_dir)
    config = all_sources_config(args.config)
    cache = Path(args.cache) if args.cache else default_cache_dir() / "quality_user_pairs"
    fold_of, holdouts = folds_and_holdouts(data_dir)
    if args.train_only:
        fold_routers(config, data_dir, holdouts, cache)
        return
    from routellm_core.routing.pairs import resolve_model

    shipped = load_router("default")
    routers = [] if args.no_train else fold_routers(config, data_dir, holdouts, cache,
                                                    train=not args.cached_only)

    columns = ["shipped default, as is", "shipped default, pair-aware",
               "retrained, default pair", "retrained, pair-aware", "random",
               "retrained IRT member, default pair"]
    rows: list[tuple[str, str, dict[str, list[float]], str]] = []
    rng = np.random.default_rng(0)
    for label, source, s, w in PAIRS:
        prompts, ys, yw, _ = pair_outcomes(source, s, w, data_dir)
        fold = np.asarray([fold_of[source][p] for p in prompts])
        api_s, api_w = API_NAMES[(s, w)]
        known = list(getattr(shipped, "models_", []))
        rs, rw = resolve_model(api_s, known), resolve_model(api_w, known)
        shipped_pair, shipped_bound = (pair_aware(shipped, rs, rw) if rs and rw
                                       else (shipped, False))
        per: dict[str, list[float]] = defaultdict(list)
        bound_note = []
        for f in range(N_FOLDS):
            idx = np.where(fold == f)[0]
            ps = [prompts[i] for i in idx]
            a, b = ys[idx], yw[idx]
            per[columns[0]].append(apgr(shipped.predict_win_rate(ps), a, b))
            per[columns[1]].append(apgr(shipped_pair.predict_win_rate(ps), a, b))
            # random: the mean of 20 seeded draws per fold (its expectation, less noisy)
            per[columns[4]].append(float(np.mean([apgr(rng.random(len(ps)), a, b)
                                                  for _ in range(20)])))
            r = routers[f] if routers else None
            if r is not None:
                per[columns[2]].append(apgr(r.predict_win_rate(ps), a, b))
                ts, tw = router_names(config, s, w)
                bound, ok = pair_aware(r, ts, tw)
                per[columns[3]].append(apgr(bound.predict_win_rate(ps), a, b))
                # the ensemble scores other pairs with its IRT member alone: this column
                # separates the pair's effect from the member's
                irt = quality_member(r)
                if irt is not None:
                    per[columns[5]].append(apgr(irt.score_pair(ps, STRONG_MODEL, WEAK_MODEL),
                                                a, b))
                if f == 0:
                    bound_note.append(f"retrained scores {ts} vs {tw}" if ok else
                                      "retrained does not know the pair: default pair")
        note = (f"shipped scores {rs} vs {rw}" if shipped_bound else
                "shipped does not know the pair: default pair")
        rows.append((label, f"{source} ({len(prompts)})", per, "; ".join([note, *bound_note])))

    shown = [c for c in columns if any(r[2].get(c) for r in rows)]
    print("| pair | source (prompts) | " + " | ".join(shown) + " |")
    print("|---|---|" + "---:|" * len(shown))
    means: dict[str, list[float]] = defaultdict(list)
    for label, source, per, _ in rows:
        cells = []
        for c in shown:
            v = np.asarray(per[c])
            means[c].append(float(v.mean()))
            cells.append(f"{v.mean():.3f} ± {v.std():.3f}")
        print(f"| {label} | {source} | " + " | ".join(cells) + " |")
    trained = sum(r is not None for r in routers)
    print("| mean over pairs | | " + " | ".join(f"{np.mean(means[c]):.3f}" for c in shown) + " |")
    print()
    for label, source, _, note in rows:
        print(f"- {label}, {source}: {note}")
    print(json.dumps({"folds": N_FOLDS, "retrained_folds": trained,
                      "held_out_per_fold": [len(h) for h in holdouts]}))
    checked = {"shipped default": shipped}
    if routers and routers[0] is not None:
        checked["retrained (fold 1)"] = routers[0]
    everyday_check(checked, data_dir)


if __name__ == "__main__":
    main()
