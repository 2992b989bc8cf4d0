"""How the shipped default was chosen: candidate configs scored on validation data only.

Every candidate is trained five times, each time with one fold of the training prompts left
out (from every source); the out-of-fold scores are evaluated with the paper's APGR on the
sources that hold both models' outcomes (MMLU-Pro GPT-4o vs Mixtral-Instruct, the MMLU
training split, arena-bench-v1 grades) and on one other MMLU-Pro pair. A sixth fit on all the
training data scores the difficulty check (AUC: a hard prompt above an easy one). MT-Bench,
GSM8K and held-out MMLU are never looked at here.

Noise to keep in mind (random scores, 50 seeds; ``--noise`` prints it): the APGR standard deviation is about 0.006 on
MMLU-Pro (5,222 questions), 0.034 on the MMLU training split (1,470 rows) and 0.022 on
arena-bench-v1 (300 prompts); the AUC's about 0.036 on the difficulty check (240 prompts).

Run: ``python benchmarks/select_default.py [--only NAME ...] [--markdown]`` (about 4 minutes
per candidate on 2 cores once the decontamination embeddings are cached).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from typing import Any

import numpy as np

from routellm_core.data.battles import OutcomeTable
from routellm_core.data.benchmarks import BenchmarkSet, load_difficulty
from routellm_core.data.sources import load_table
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import UnknownNameError
from routellm_core.evaluation.evaluate import evaluate
from routellm_core.evaluation.metrics import auc
from routellm_core.training.config import ALIAS_PRESETS, default_config
from routellm_core.training.runs import train_from_config


def _variant(**changes: Any) -> dict[str, Any]:
    cfg = default_config("irt")
    cfg["calibration"] = None
    for key, value in changes.items():
        if key == "params":
            cfg["params"].update(value)
        elif key == "weights":
            for src, w in value.items():
                if w == 0:
                    cfg["sources"].pop(src, None)
                else:
                    cfg["sources"][src] = {**cfg["sources"].get(src, {}), "weight": w}
        else:
            cfg[key] = value
    return cfg


#: the candidates, in the order they were tried (docs/results.md, "How the default was chosen")
def _mf_static() -> dict[str, Any]:
    """The previous default's recipe (MF, six MMLU-Pro models) on the static embedder, with
    the new sources added."""
    cfg = default_config("mf")
    cfg.update(embedder="static", calibration=None)
    cfg["sources"].update({"vicuna-bench": {"weight": 1.0}, "everyday-anchors": {"weight": 1.0}})
    return cfg


CANDIDATES: dict[str, dict[str, Any]] = {
    "mf (previous default's recipe), static": _mf_static(),
    "irt linear, no prior": _variant(params={"hidden": 0, "l2": 1e-2},
                                     weights={"everyday-anchors": 0}),
    "irt linear, prior x10": _variant(params={"hidden": 0, "l2": 1e-2},
                                      weights={"everyday-anchors": 10}),
    "irt hidden 64, prior x3": _variant(params={"hidden": 64}, weights={"everyday-anchors": 3}),
    "irt hidden 128, prior x5 (default)": _variant(),
    "irt hidden 128, prior x5, no text features": _variant(params={"text_features": False}),
}

PAIRS = [("mmlu-pro", STRONG_MODEL, WEAK_MODEL, "accuracy"),
         ("mmlu-pro", "Qwen1.5-72B-Chat", "Yi-6b-Chat", "accuracy"),
         ("mmlu-train", STRONG_MODEL, WEAK_MODEL, "accuracy"),
         ("arena-bench-v1", STRONG_MODEL, WEAK_MODEL, "grade")]


def _apgr(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray, metric: str) -> float:
    ok = ~(np.isnan(strong) | np.isnan(weak) | np.isnan(scores))
    if not ok.any():
        return float("nan")
    bench = BenchmarkSet("v", [str(i) for i in range(int(ok.sum()))],
                         {STRONG_MODEL: strong[ok], WEAK_MODEL: weak[ok]},
                         metric=metric)  # type: ignore[arg-type]
    return evaluate(scores[ok], bench).apgr


#: the validation sets with both routed models' outcomes, and how each is scored
VALIDATION_METRICS = {"mmlu-pro": "accuracy", "mmlu-train": "accuracy", "arena-bench-v1": "grade"}


def validation_tables() -> dict[str, OutcomeTable]:
    """MMLU-Pro, the MMLU training split and arena-bench-v1, with the GPT-4 / Mixtral spellings
    mapped onto the routed pair (also used by validate_alternatives.py and
    validate_transfer.py)."""
    tables = {}
    for name in VALIDATION_METRICS:
        t = load_table(name)
        assert t is not None
        tables[name] = t.map_models(ALIAS_PRESETS["gpt4-mixtral"])
    return tables


def validate(config: dict[str, Any], folds: int = 5) -> dict[str, float]:
    tables = validation_tables()
    prompts = sorted({p for t in tables.values() for p in t.prompts})
    fold_of = dict(zip(prompts, np.random.default_rng(0).integers(0, folds, len(prompts)),
                       strict=True))
    oof = {k: np.full(len(tables[k[0]]), np.nan) for k in PAIRS}
    for f in range(folds):
        held = [p for p in prompts if fold_of[p] == f]
        router = train_from_config(config, holdout=held)
        for key in PAIRS:
            t = tables[key[0]]
            idx = [i for i, p in enumerate(t.prompts) if fold_of[p] == f]
            try:
                oof[key][idx] = router.score_pair(  # type: ignore[attr-defined]
                    [t.prompts[i] for i in idx], key[1], key[2])
            except UnknownNameError:  # a pair the router was not trained on
                pass
    out = {}
    for key in PAIRS:
        t = tables[key[0]]
        out[f"{key[0]} {key[1][:14]}>{key[2][:14]}"] = _apgr(
            oof[key], t.outcomes[key[1]], t.outcomes[key[2]], key[3])
    full = train_from_config(config)
    check = load_difficulty()
    out["difficulty AUC"] = auc(full.predict_win_rate(check.prompts),
                                [lab == "hard" for lab in check.extra["label"]])
    return out


def noise(seeds: int = 50) -> None:
    """The spread of a random router's score on each validation set (50 seeds)."""
    for name, t in validation_tables().items():
        metric = VALIDATION_METRICS[name]
        s, w = t.outcomes[STRONG_MODEL], t.outcomes[WEAK_MODEL]
        vals = [_apgr(np.random.default_rng(i).random(len(t)), s, w, metric)
                for i in range(seeds)]
        print(f"random APGR on {name}: mean {np.mean(vals):.3f}, sd {np.std(vals):.3f}")
    hard = [lab == "hard" for lab in load_difficulty().extra["label"]]
    aucs = [auc(np.random.default_rng(i).random(len(hard)), hard) for i in range(4 * seeds)]
    print(f"random AUC on the difficulty check: sd {np.std(aucs):.3f}")


def length_only() -> None:
    """Prompt length alone as the score: how much the surface shortcut gets on each set."""
    from routellm_core.data.benchmarks import load_gsm8k

    for name, t in validation_tables().items():
        metric = VALIDATION_METRICS[name]
        score = np.asarray([len(p) for p in t.prompts], dtype=np.float64)
        print(f"length as the score, {name}: APGR "
              f"{_apgr(score, t.outcomes[STRONG_MODEL], t.outcomes[WEAK_MODEL], metric):.3f}")
    check = load_difficulty()
    print(f"length as the score, difficulty check: AUC "
          f"{auc([len(p) for p in check.prompts], [x == 'hard' for x in check.extra['label']]):.3f}")
    g = load_gsm8k()
    print(f"length as the score, GSM8K (reported, not used for any choice): APGR "
          f"{evaluate(np.asarray([len(p) for p in g.prompts], float), g).apgr:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="candidate names to run")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--noise", action="store_true", help="only print a random router's spread")
    ap.add_argument("--length", action="store_true", help="only print length-as-score figures")
    args = ap.parse_args()
    if args.noise:
        noise()
        return
    if args.length:
        length_only()
        return
    names = args.only or list(CANDIDATES)
    rows = {}
    for name in names:
        t0 = time.perf_counter()
        rows[name] = validate(copy.deepcopy(CANDIDATES[name]))
        print(f"[{time.perf_counter() - t0:.0f} s] {name}: "
              + json.dumps({k: round(v, 3) for k, v in rows[name].items()}), flush=True)
    if args.markdown:
        print(candidate_table(rows))


def candidate_table(rows: dict[str, dict[str, float]]) -> str:
    """A markdown table: one row per candidate, one column per validation figure."""
    cols = list(next(iter(rows.values())))
    lines = ["| candidate | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [f"| {n} | " + " | ".join(f"{r[c]:.3f}" for c in cols) + " |"
              for n, r in rows.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
