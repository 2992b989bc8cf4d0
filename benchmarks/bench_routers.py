"""Speed and memory of the learned routers (prints figures; not a test).

    nice -n 10 .venv/bin/python benchmarks/bench_routers.py [--skip-training]

Prints:
* the shipped default router: checkpoint load time, time to the first decision (includes
  loading the MiniLM weights), RSS after load;
* routing latency for one ~30-word prompt, embedding included (p50, p99), and throughput at
  batch 64 (distinct prompts, embedding cache off so every prompt is really embedded), with
  the BLAS/torch thread pools as they are and bounded to one thread (threadpoolctl);
* SW ranking per-query latency on the full default training set, embedding excluded;
* MF training time (fit only, embeddings cached) on the default config's training set.

Targets (default router): p50 < 20 ms, >= 150 prompts/s at batch 64, RSS < 600 MB.
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


def bench_default(n_single: int, n_batches: int) -> None:
    from routellm_core.embeddings import LocalEmbedder
    from routellm_core.routers import load_router

    print(f"default router: {len(PROMPT.split())}-word prompt; cpu count {os.cpu_count()}")
    rss0 = rss_mb()
    t0 = time.perf_counter()
    router = load_router("default", embedder=LocalEmbedder(cache=False))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    router.predict_win_rate([PROMPT])
    t_first = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in (ROOT / "core" / "default_router").iterdir())
    print(f"  checkpoint size {size / 1024:.0f} KiB; load {t_load * 1e3:.1f} ms; first decision "
          f"(loads MiniLM) {t_first * 1e3:.0f} ms; RSS {rss_mb():.0f} MB "
          f"(+{rss_mb() - rss0:.0f} MB over the bare interpreter with numpy)")

    def measure(label: str) -> None:
        lat = []
        for _ in range(n_single):
            t = time.perf_counter()
            router.predict_win_rate([PROMPT])
            lat.append((time.perf_counter() - t) * 1e3)
        rng = np.random.default_rng(0)
        words = PROMPT.replace(",", "").replace("?", "").split()
        t_batches = []
        for _ in range(n_batches):
            batch = [" ".join(rng.permutation(words)) for _ in range(64)]
            t = time.perf_counter()
            router.predict_win_rate(batch)
            t_batches.append(time.perf_counter() - t)
        thr = 64 / statistics.median(t_batches)
        print(f"  [{label}] one prompt: p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms "
              f"(n={n_single}); batch 64: {thr:.0f} prompts/s (median of {n_batches})")

    measure("thread pools as is")
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    with threadpool_limits(limits=1):
        torch.set_num_threads(1)
        measure("BLAS + torch bounded to 1 thread")
    torch.set_num_threads(threads)
    print(f"  RSS after benchmarking: {rss_mb():.0f} MB")


def bench_training(n_queries: int) -> None:
    from routellm_core.embeddings import LocalEmbedder
    from routellm_core.routers.sw_ranking import SWRankingRouter
    from routellm_core.training import build_router, build_training_set, default_config

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
