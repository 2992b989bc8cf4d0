"""Do routers keep working for model pairs they were not asked to route? (the paper's claim)

Two validation set-ups, both on training sources only (no MT-Bench, GSM8K or held-out MMLU):

* **MMLU-Pro slice**: a seeded 20 % of the MMLU-Pro questions is left out of training; the
  router then scores those questions for several pairs of the 31 graded models.
* **arena-bench-v1, 5-fold**: each fold's prompts are left out of training (from every source,
  Arena human votes included); the out-of-fold scores are pooled and evaluated per pair on
  the GPT-4 grades.

For each pair the score is the router's own pair score (``score_pair``), APGR as in the paper.
A router trained from the default IRT config, and MF trained with the pairs' models added, are
compared with random (0.5 in expectation).

Run: ``python benchmarks/quality_pairs.py [--config configs/default.json] [--mf] [--markdown]``
(about 6 trainings per router; a few minutes for IRT on the static embedder).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from pathlib import Path

import numpy as np

from routellm_core.data.benchmarks import BenchmarkSet
from routellm_core.data.files import resolve_data_dir
from routellm_core.data.sources import load_table
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.evaluation.evaluate import evaluate
from routellm_core.training.config import ALIAS_PRESETS, MMLU_PRO_MODELS, load_config
from routellm_core.training.runs import train_from_config

PRO_PAIRS = [
    (STRONG_MODEL, WEAK_MODEL),  # GPT-4o vs Mixtral-8x7B-Instruct, aliased onto the RouteLLM pair
    ("gemini-1.5-pro-002", "Mistral-7B-Instruct-v0.2"),
    ("Meta-Llama-3_1-70B-Instruct", "Meta-Llama-3_1-8B-Instruct"),
    ("Qwen1.5-72B-Chat", "Yi-6b-Chat"),
    ("DeepSeek-Coder-V2", "gemma-7b"),
]
ARENA_PAIRS = [
    (STRONG_MODEL, WEAK_MODEL),
    ("claude-2.1", "mistralai/Mistral-7B-Instruct-v0.1"),
    ("gpt-3.5-turbo-1106", "Llama-2-70b-chat"),
    ("claude-instant-1", "vicuna-33b-v1.3"),
]


def _apgr(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray, metric: str) -> float:
    ok = ~(np.isnan(strong) | np.isnan(weak))
    bench = BenchmarkSet("pair", [str(i) for i in range(int(ok.sum()))],
                         {STRONG_MODEL: strong[ok], WEAK_MODEL: weak[ok]},
                         metric=metric)  # type: ignore[arg-type]
    return evaluate(scores[ok], bench).apgr


def _mf_config(base: dict) -> dict:
    cfg = copy.deepcopy(base)
    cfg["router"] = "mf"
    cfg["params"] = {"dim": 64, "epochs": 10, "lr": 3e-3, "weight_decay": 1e-2, "noise": 0.01,
                     "seed": 0}
    models = sorted({*MMLU_PRO_MODELS, *(m for p in PRO_PAIRS[1:] for m in p)})
    cfg["sources"] = {k: v for k, v in cfg["sources"].items()}
    cfg["sources"]["mmlu-pro"] = {"weight": 1.0, "models": models}
    return cfg


def run(config: dict, data_dir: Path, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    pro = load_table("mmlu-pro", data_dir)
    assert pro is not None
    pro = pro.map_models(ALIAS_PRESETS["gpt4-mixtral"])
    rng = random.Random(0)
    held = sorted(pro.prompts)
    rng.shuffle(held)
    held = held[: len(held) // 5]
    router = train_from_config(config, data_dir, holdout=held)
    rows = pro.subset(set(held).__contains__)
    for s, w in PRO_PAIRS:
        scores = router.score_pair(rows.prompts, s, w)  # type: ignore[attr-defined]
        out[f"MMLU-Pro {s[:18]} > {w[:18]}"] = _apgr(scores, rows.outcomes[s],
                                                     rows.outcomes[w], "accuracy")
    ab = load_table("arena-bench-v1", data_dir)
    assert ab is not None
    ab = ab.map_models(ALIAS_PRESETS["gpt4-mixtral"])
    folds = np.random.default_rng(0).integers(0, 5, len(ab))
    oof = {pair: np.full(len(ab), np.nan) for pair in ARENA_PAIRS}
    for f in range(5):
        idx = np.where(folds == f)[0]
        fold_prompts = [ab.prompts[i] for i in idx]
        r = train_from_config(config, data_dir, holdout=fold_prompts)
        for pair in ARENA_PAIRS:
            oof[pair][idx] = r.score_pair(fold_prompts, *pair)  # type: ignore[attr-defined]
    for s, w in ARENA_PAIRS:
        out[f"arena-bench-v1 {s[:18]} > {w[:18]}"] = _apgr(oof[(s, w)], ab.outcomes[s],
                                                           ab.outcomes[w], "grade")
    print(f"[{label}] " + json.dumps({k: round(v, 3) for k, v in out.items()}), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="configs/default.json")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--mf", action="store_true", help="also MF with the pairs' models added")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    data_dir = resolve_data_dir(args.data_dir)
    base = load_config(args.config)
    results = {f"default ({base['router']})": run(base, data_dir, "default")}
    if args.mf:
        results["mf (+ pair models)"] = run(_mf_config(base), data_dir, "mf")
    names = list(results)
    keys = list(next(iter(results.values())))
    if args.markdown:
        print("| pair | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for k in keys:
            print(f"| {k} | " + " | ".join(f"{results[n][k]:.3f}" for n in names) + " |")
    else:
        for k in keys:
            print(f"{k:<60}" + "".join(f"{results[n][k]:>10.3f}" for n in names))


if __name__ == "__main__":
    main()
