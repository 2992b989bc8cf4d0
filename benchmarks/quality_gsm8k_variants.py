"""A few more router variants aimed at GSM8K, where no learned router beats random.

Run: .venv/bin/python benchmarks/quality_gsm8k_variants.py
Prints APGR on MT-Bench, GSM8K and a seeded 3,000-row sample of held-out MMLU for each variant
(warm embedding cache: about 4 minutes, most of it the all-models MMLU-Pro variant).
"""

from __future__ import annotations

import time
from typing import Any

from routellm_core.cli.eval import load_benchmarks
from routellm_core.evaluation.evaluate import evaluate
from routellm_core.training.config import default_config
from routellm_core.training.runs import train_from_config


def variants() -> list[tuple[str, dict[str, Any]]]:
    out = []
    c = default_config("knn")
    c["params"]["label_mode"] = "tiers"
    out.append(("knn, tier labels", c))
    c = default_config("sw_ranking")
    c["params"]["gamma"] = 2.0
    out.append(("sw_ranking, gamma 2", c))
    c = default_config("mf")
    c["params"]["dim"] = 16
    out.append(("mf, dim 16", c))
    c = default_config("mf")
    c["params"]["weight_decay"] = 0.1
    out.append(("mf, weight decay 0.1", c))
    c = default_config("mf")
    c["sources"]["mmlu-pro"] = {"weight": 0.05}  # all 31 models
    out.append(("mf, all MMLU-Pro models at weight 0.05", c))
    return out


def main() -> None:
    benches = load_benchmarks(["mt-bench", "gsm8k", "mmlu"], None, "heldout", mmlu_sample=3000)
    for name, cfg in variants():
        t = time.perf_counter()
        router = train_from_config(cfg)
        apgr = {b: round(evaluate(router, bench).apgr, 3) for b, bench in benches.items()}
        print(f"{name}: APGR {apgr} ({time.perf_counter() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
