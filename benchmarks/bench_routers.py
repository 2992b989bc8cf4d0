"""Speed and memory of the learned routers (prints figures; not a test).

    nice -n 10 .venv/bin/python benchmarks/bench_routers.py [--skip-training]

Prints:
* the shipped default router: cold start in a fresh interpreter (import, load + warmup, first
  decision), its RSS and whether torch/transformers were imported; checkpoint size;
* routing latency for one ~30-word prompt, embedding included (p50, p99; a new text on every
  call), and throughput at batch 64 (distinct prompts), with the BLAS thread pool as it is and bounded to one thread
  (threadpoolctl); the load average beside the figures;
* SW ranking per-query latency on the full default training set, embedding excluded;
* MF training time (fit only, embeddings cached) on the default config's training set.

Targets (default router, static embedder): p50 <= 2 ms with p99 <= 3x p50, >= 1,000 prompts/s
at batch 64, RSS after load <= 250 MB, first decision <= 1 s after import.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROMPT = ("Can you explain in simple terms how a transformer neural network processes a "
          "sentence, why attention helps with long documents, and what the main limits of "
          "this approach are today?")


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


COLD_START = """
import sys, time
t0 = time.perf_counter()
from routellm_core import RoutingEngine
t1 = time.perf_counter()
engine = RoutingEngine("default", strong_fraction=0.3)
engine.warmup()
t2 = time.perf_counter()
engine.decide(sys.argv[1])
t3 = time.perf_counter()
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
rss = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.4f} {rss:.0f} {','.join(heavy) or '-'}")
"""


def bench_default(n_single: int, n_batches: int) -> None:
    import subprocess

    from routellm_core.routers import load_router

    print(f"default router: {len(PROMPT.split())}-word prompt; cpu count {os.cpu_count()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = subprocess.run([sys.executable, "-c", COLD_START, PROMPT], capture_output=True,
                         text=True, check=True).stdout.split()
    print(f"  cold start in a fresh interpreter: import {float(out[0]) * 1e3:.0f} ms, load + "
          f"warmup {float(out[1]) * 1e3:.0f} ms, first decision {float(out[2]) * 1e3:.2f} ms "
          f"(first decision {(float(out[1]) + float(out[2])) * 1e3:.0f} ms after import); "
          f"RSS {out[3]} MB; torch/transformers imported: {out[4]}")
    t0 = time.perf_counter()
    router = load_router("default")
    t_load = time.perf_counter() - t0
    router.predict_win_rate([PROMPT])
    size = sum(f.stat().st_size for f in (ROOT / "core" / "default_router").rglob("*")
               if f.is_file())
    print(f"  checkpoint {size / 1024:.0f} KiB; load in this process {t_load * 1e3:.1f} ms; "
          f"RSS {rss_mb():.0f} MB")

    def measure(label: str) -> None:
        rng = np.random.default_rng(0)
        words = PROMPT.replace(",", "").replace("?", "").split()
        # a new text on every call: the static embedder remembers its last call, and timing
        # one prompt over and over would time that memory instead of the tokeniser
        singles = [PROMPT] + [" ".join(rng.permutation(words)) for _ in range(n_single - 1)]
        lat = []
        for text in singles:
            t = time.perf_counter()
            router.predict_win_rate([text])
            lat.append((time.perf_counter() - t) * 1e3)
        t_batches = []
        for _ in range(n_batches):
            batch = [" ".join(rng.permutation(words)) for _ in range(64)]
            t = time.perf_counter()
            router.predict_win_rate(batch)
            t_batches.append(time.perf_counter() - t)
        thr = 64 / statistics.median(t_batches)
        print(f"  [{label}] one prompt: p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms "
              f"(n={n_single}); batch 64: {thr:.0f} prompts/s (median of {n_batches})")

    measure("thread pools as is")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        measure("BLAS bounded to 1 thread")
    print(f"  RSS after benchmarking: {rss_mb():.0f} MB; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bench_training(n_queries: int) -> None:
    from routellm_core.routers.sw_ranking import SWRankingRouter
    from routellm_core.scoring.embeddings import LocalEmbedder
    from routellm_core.training.config import default_config
    from routellm_core.training.runs import build_router
    from routellm_core.training.sets import build_training_set

    emb = LocalEmbedder()
    cfg = default_config("sw_ranking")
    battles, _ = build_training_set(cfg["sources"], aliases=cfg["aliases"], embedder=emb,
                                    decontaminate_threshold=cfg["decontaminate"])
    sw = build_router(cfg, emb)
    assert isinstance(sw, SWRankingRouter)
    t0 = time.perf_counter()
    sw.fit(battles)
    t_fit = time.perf_counter() - t0
    q = emb.embed(battles.prompts()[:n_queries])
    lat = []
    for i in range(len(q)):
        t = time.perf_counter()
        sw.predict_from_embeddings(q[i : i + 1])
        lat.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter()
    sw.predict_from_embeddings(q)
    batch_ms = (time.perf_counter() - t) * 1e3 / len(q)
    print(f"SW ranking on the default training set ({len(battles)} battles, "
          f"{sw.prompt_embeddings_.shape[0]} prompts, {sw.n_tiers_} tiers, "
          f"{sw.cell_weights_.shape[1]} cells): fit {t_fit:.1f} s; per query (embedding "
          f"excluded) p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms; "
          f"batched {batch_ms:.2f} ms/query")

    mcfg = default_config("mf")
    battles, _ = build_training_set(mcfg["sources"], aliases=mcfg["aliases"], embedder=emb,
                                    decontaminate_threshold=mcfg["decontaminate"])
    mf = build_router(mcfg, emb)
    emb.embed(battles.prompts())  # warm: time the fit, not the embedding
    t0 = time.perf_counter()
    mf.fit(battles)
    print(f"MF training ({len(battles)} battles, {mcfg['params']}): "
          f"{time.perf_counter() - t0:.1f} s (fit only, embeddings cached, 1 torch thread)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--single", type=int, default=200, help="single-prompt repetitions")
    ap.add_argument("--batches", type=int, default=10, help="batches of 64")
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args(argv)
    bench_default(args.single, args.batches)
    if not args.skip_training:
        bench_training(200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
