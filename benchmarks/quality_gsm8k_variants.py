"""A few more router variants aimed at GSM8K, where no learned router beats random.

Run: .venv/bin/python benchmarks/quality_gsm8k_variants.py
Prints APGR on MT-Bench, GSM8K and a seeded 3,000-row sample of held-out MMLU for each variant
(warm embedding cache: about 4 minutes, most of it the all-models MMLU-Pro variant).
"""

import time

from routellm_core.cli_eval import load_benchmarks
from routellm_core.evaluation import evaluate
from routellm_core.training import default_config, train_from_config

benches = load_benchmarks(["mt-bench", "gsm8k", "mmlu"], None, "heldout", mmlu_sample=3000)
def run(name, cfg):
    t = time.time()
    r = train_from_config(cfg)
    res = {b: round(evaluate(r, bench).apgr, 3) for b, bench in benches.items()}
    print(name, res, f"{time.time()-t:.0f}s", flush=True)
c = default_config("knn"); c["params"]["label_mode"] = "tiers"; run("knn tiers", c)
c = default_config("sw_ranking"); c["params"]["gamma"] = 2.0; run("sw gamma2", c)
c = default_config("mf"); c["params"]["dim"] = 16; run("mf dim16", c)
c = default_config("mf"); c["params"]["weight_decay"] = 0.1; run("mf wd0.1", c)
c = default_config("mf"); c["sources"]["mmlu-pro"]["models"] = None; c["sources"]["mmlu-pro"]["weight"] = 0.05; run("mf mmlupro all models w0.05", c)
