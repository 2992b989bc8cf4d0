"""Why the default ranks GSM8K below random: how its score moves with prompt length.

Uses GSM8K *prompts* only (the loader reads the file, the correctness columns are never
used), MMLU-Pro (training data) and the difficulty check. Prints, for a router:

* inside GSM8K, the Pearson correlation of the routing score, and of the IRT member's
  predicted quality of each model of the pair, with the word count (``log_words``);
* on MMLU-Pro, the correlation of the word count with the mean correctness of its 31 models
  (is a longer question harder?), for the prompt as routed and for the question alone;
* on the difficulty check, the AUC (hard above easy) overall and on the pairs that length
  alone gets wrong: a hard prompt shorter than the median against an easy one at or above it.

Run: ``python benchmarks/gsm8k_diagnosis.py`` (the shipped default, seconds) or
``python benchmarks/gsm8k_diagnosis.py --linear all`` (the shipped recipe retrained with every
surface feature outside the IRT member's hidden layer, about a minute once the decontamination
embeddings are cached).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from routellm_core.data.benchmarks import load_difficulty, load_gsm8k
from routellm_core.data.files import read_jsonl, resolve_data_dir
from routellm_core.data.sources import mmlu_pro_prompt
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.evaluation.metrics import auc
from routellm_core.routers import load_router
from routellm_core.routers.base import Router
from routellm_core.routers.ensemble import EnsembleRouter
from routellm_core.routers.irt import IRTRouter
from routellm_core.scoring.text_features import FEATURE_NAMES, text_features

WORDS = FEATURE_NAMES.index("log_words")
CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.json"


def _router(linear: str) -> Router:
    if linear == "none":
        return load_router("default")
    from routellm_core.training.runs import train_from_config

    cfg = json.loads(CONFIG.read_text())
    cfg["calibration"] = None
    irt = cfg["params"]["members"][0]["params"]
    irt["linear_features"] = True if linear == "all" else linear.split(",")
    return train_from_config(cfg)


def _irt_member(router: Router) -> IRTRouter | None:
    if isinstance(router, IRTRouter):
        return router
    if isinstance(router, EnsembleRouter):
        return next((m for m in router.members_ if isinstance(m, IRTRouter)), None)
    return None


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--linear", default="none",
                    help="'none' (the shipped default), 'all', or comma-separated feature names "
                         f"to put outside the IRT member's hidden layer ({', '.join(FEATURE_NAMES)})")
    args = ap.parse_args()
    router = _router(args.linear)

    gsm = load_gsm8k().prompts
    words = text_features(gsm)[:, WORDS]
    print(f"GSM8K ({len(gsm)} prompts, labels not used): r(score, word count) = "
          f"{_r(router.predict_win_rate(gsm), words):+.2f}")
    irt = _irt_member(router)
    if irt is not None:
        q = irt.predict_quality(gsm, [STRONG_MODEL, WEAK_MODEL])
        print(f"  irt member: mean predicted quality strong {q[:, 0].mean():.3f}, weak "
              f"{q[:, 1].mean():.3f}; r(word count, strong) = {_r(words, q[:, 0]):+.2f}, "
              f"r(word count, weak) = {_r(words, q[:, 1]):+.2f}")

    rows = [o for _, o in read_jsonl(resolve_data_dir(None) / "mmlu-pro" / "correctness.jsonl")]
    pro = [mmlu_pro_prompt(o["question"], o["options"]) for o in rows]
    mean_correct = np.asarray([np.mean([v for v in o["correct"].values() if v is not None])
                               for o in rows])
    questions = [o["question"] for o in rows]
    print(f"MMLU-Pro ({len(pro)} questions): r(word count, mean correctness of its models) = "
          f"{_r(text_features(pro)[:, WORDS], mean_correct):+.2f} for the routed prompt "
          f"(question and options), {_r(text_features(questions)[:, WORDS], mean_correct):+.2f} "
          "for the question alone")

    check = load_difficulty()
    hard = np.asarray([lab == "hard" for lab in check.extra["label"]])
    scores = router.predict_win_rate(check.prompts)
    w = text_features(check.prompts)[:, WORDS]
    short_hard_long_easy = (hard & (w < np.median(w))) | (~hard & (w >= np.median(w)))
    print(f"difficulty check: AUC {auc(scores, hard):.3f}; on short-hard vs long-easy pairs "
          f"{auc(scores[short_hard_long_easy], hard[short_hard_long_easy]):.3f} "
          f"(word count alone: {auc(w, hard):.3f})")


if __name__ == "__main__":
    main()
