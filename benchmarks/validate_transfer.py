"""Transfer validation: how a router ranks prompts from a kind of traffic it never trained on.

The evaluation sets (MT-Bench, GSM8K, held-out MMLU) are new kinds of traffic for every
router: no prompt like them is in training. Five-fold scoring inside the training sources
(``select_default.py``) measures something easier, ranking more prompts of a kind already
seen. This script measures transfer on training data only, by leaving a whole part out:

* **arena-bench-v1** (300 chat prompts; their Arena human votes are left out too): APGR of
  GPT-4 over each weaker model graded at least one grade point below it on average, mean over
  those models (the score is the router's GPT-4-vs-Mixtral score throughout);
* **the MMLU training split** (1,470 rows, GPT-4 vs Mixtral correctness): APGR;
* **vicuna-bench** (78 everyday chat prompts): APGR of gpt-3.5-turbo over each of the three
  Vicuna models (GPT-4-judged grades), mean of the three: the strong-chat-model-vs-open-model
  pairs of that set;
* **five MMLU-Pro categories** (maths, physics, chemistry, business, biology), each left out
  in turn: APGR of GPT-4o vs Mixtral inside the category, mean of the five;
* a full fit scores the difficulty check (AUC, hard above easy).

"transfer mean" is the mean of the four APGR figures. MT-Bench, GSM8K and held-out MMLU are
never read here.

Run: ``python benchmarks/validate_transfer.py [--only NAME ...]`` (nine trainings per
candidate: about 3 minutes for an IRT or MF router, 6 for an ensemble, on 2 cores once the
decontamination embeddings are cached).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections import defaultdict
from typing import Any

import numpy as np
from select_default import candidate_table, validation_tables  # benchmarks/ is on sys.path

from routellm_core.data.benchmarks import BenchmarkSet, load_difficulty
from routellm_core.data.files import read_jsonl, resolve_data_dir
from routellm_core.data.sources import mmlu_pro_prompt
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.evaluation.evaluate import evaluate
from routellm_core.evaluation.metrics import auc
from routellm_core.training.config import default_config
from routellm_core.training.runs import train_from_config

CATEGORIES = ("math", "physics", "chemistry", "business", "biology")


def _apgr(scores: np.ndarray, strong: np.ndarray, weak: np.ndarray, metric: str) -> float:
    ok = ~(np.isnan(strong) | np.isnan(weak) | np.isnan(scores))
    bench = BenchmarkSet("v", [str(i) for i in range(int(ok.sum()))],
                         {STRONG_MODEL: strong[ok], WEAK_MODEL: weak[ok]},
                         metric=metric)  # type: ignore[arg-type]
    return evaluate(scores[ok], bench).apgr


def _vicuna() -> tuple[list[str], list[tuple[np.ndarray, np.ndarray]]]:
    """The vicuna-bench prompts and, per Vicuna model, (gpt-3.5-turbo grades, Vicuna grades)."""
    rows = [o for _, o in read_jsonl(resolve_data_dir(None) / "vicuna-bench" / "reviews.jsonl")
            if str(o["judge"]).startswith("gpt-4")]
    prompts = sorted({r["prompt"] for r in rows})
    pos = {p: i for i, p in enumerate(prompts)}
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = defaultdict(
        lambda: (np.full(len(prompts), np.nan), np.full(len(prompts), np.nan)))
    for r in rows:
        if str(r["model_a"]).startswith("gpt-3.5-turbo"):
            s, w = pairs[r["model_b"]]
            s[pos[r["prompt"]]], w[pos[r["prompt"]]] = r["score_a"], r["score_b"]
    return prompts, list(pairs.values())


class Sets:
    """The held-out parts and their labels."""

    def __init__(self) -> None:
        tables = validation_tables()
        self.pro, self.mmlu, self.arena = (tables[n] for n in ("mmlu-pro", "mmlu-train",
                                                                 "arena-bench-v1"))
        cat_of = {mmlu_pro_prompt(o["question"], o["options"]): o["category"]
                  for _, o in read_jsonl(resolve_data_dir(None) / "mmlu-pro" / "correctness.jsonl")}
        self.category = np.asarray([cat_of.get(p) for p in self.pro.prompts])
        self.vicuna_prompts, self.vicuna_pairs = _vicuna()
        self.parts: dict[str, list[str]] = {
            "arena-bench-v1": list(self.arena.prompts),
            "mmlu-train": list(self.mmlu.prompts),
            "vicuna-bench": self.vicuna_prompts,
            **{f"mmlu-pro {c}": [p for p, k in zip(self.pro.prompts, self.category, strict=True)
                                 if k == c] for c in CATEGORIES},
        }

    def by_category(self, scores: dict[str, np.ndarray]) -> dict[str, float]:
        """APGR of GPT-4o vs Mixtral inside each MMLU-Pro category, scored when left out."""
        out = {}
        for c in CATEGORIES:
            m = self.category == c
            out[c] = _apgr(scores[f"mmlu-pro {c}"], self.pro.outcomes[STRONG_MODEL][m],
                           self.pro.outcomes[WEAK_MODEL][m], "accuracy")
        return out

    def report(self, scores: dict[str, np.ndarray]) -> dict[str, float]:
        s = self.arena.outcomes[STRONG_MODEL]
        weaker = [w for m, w in self.arena.outcomes.items()
                  if m != STRONG_MODEL and np.nanmean(s) - np.nanmean(w) >= 1 / 9]
        out = {
            "arena-bench-v1 (GPT-4 vs weaker, mean)": float(np.mean(
                [_apgr(scores["arena-bench-v1"], s, w, "grade") for w in weaker])),
            "MMLU training split": _apgr(scores["mmlu-train"], self.mmlu.outcomes[STRONG_MODEL],
                                         self.mmlu.outcomes[WEAK_MODEL], "accuracy"),
            "vicuna-bench (gpt-3.5 vs Vicuna, mean)": float(np.mean(
                [_apgr(scores["vicuna-bench"], a, b, "grade") for a, b in self.vicuna_pairs])),
        }
        out["MMLU-Pro categories (mean of 5)"] = float(np.mean(list(
            self.by_category(scores).values())))
        out["transfer mean"] = float(np.mean(list(out.values())))
        check = load_difficulty()
        out["difficulty AUC"] = auc(scores["difficulty"],
                                    [lab == "hard" for lab in check.extra["label"]])
        return out


def run(config: dict[str, Any], sets: Sets) -> dict[str, np.ndarray]:
    scores = {}
    for name, prompts in sets.parts.items():
        router = train_from_config(copy.deepcopy(config), holdout=prompts)
        scores[name] = router.predict_win_rate(prompts)
    scores["difficulty"] = train_from_config(copy.deepcopy(config)).predict_win_rate(
        load_difficulty().prompts)
    return scores


def _irt(**params: Any) -> dict[str, Any]:
    cfg = default_config("irt")
    cfg["params"].update(params)
    return cfg


def _mf_static() -> dict[str, Any]:
    """The previous default's recipe (MF, six MMLU-Pro models) on the static embedder."""
    cfg = default_config("mf")
    cfg["embedder"] = "static"
    cfg["sources"].update({"vicuna-bench": {"weight": 1.0}, "everyday-anchors": {"weight": 1.0}})
    return cfg


def _ensemble(score: str, irt_weight: float, linear: bool | list[str] = False) -> dict[str, Any]:
    cfg = default_config("ensemble")
    cfg["params"]["members"][0]["params"].update(score=score, linear_features=linear)
    cfg["params"]["weights"] = [irt_weight, round(1 - irt_weight, 6)]
    return cfg


#: surface features outside the IRT member's hidden layer (``IRTRouter(linear_features=...)``)
LINEAR = {
    "all": True,
    "log_words": ["log_words"],
    "log_numbers": ["log_numbers"],
    "numbers and symbols": ["log_numbers", "digit_share", "log_math_symbols"],
    "numbers, question marks, lines, code": ["log_numbers", "log_question_marks", "log_lines",
                                             "code"],
}


CANDIDATES: dict[str, Any] = {
    "irt, gain score": lambda: _irt(score="gain"),
    "irt, weak-failure score": lambda: _irt(score="weak-failure"),
    "mf (previous default's recipe), static": _mf_static,
    **{f"ensemble irt({score}) {w} + mf {round(1 - w, 2)}": (
        lambda score=score, w=w: _ensemble(score, w))
       for score in ("gain", "weak-failure") for w in (0.75, 0.6, 0.5)},
    **{f"ensemble irt(gain; linear {k}) 0.6 + mf 0.4": (lambda v=v: _ensemble("gain", 0.6, v))
       for k, v in LINEAR.items()},
    "irt, gain score; linear all": lambda: _irt(score="gain", linear_features=True),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="candidate names to run")
    args = ap.parse_args()
    sets = Sets()
    rows = {}
    for name in args.only or list(CANDIDATES):
        cfg = CANDIDATES[name]()
        cfg["calibration"] = None
        t0 = time.perf_counter()
        scores = run(cfg, sets)
        rows[name] = sets.report(scores)
        print(f"[{time.perf_counter() - t0:.0f} s] {name}: "
              + json.dumps({k: round(v, 3) for k, v in rows[name].items()}), flush=True)
        print("  MMLU-Pro by category: " + ", ".join(
            f"{c} {v:.3f}" for c, v in sets.by_category(scores).items()), flush=True)
    print(candidate_table(rows))


if __name__ == "__main__":
    main()
