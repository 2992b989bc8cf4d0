"""Speed of the foundation: evaluation of the random router on all three benchmarks, and the
local embedder's load time, peak RSS and throughput at batch 1 and batch 64.

Run: .venv/bin/python benchmarks/bench_foundation.py [--data-dir D] [--threads N]
Prints figures; asserts nothing (targets: evaluation < 10 s).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np


def rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads for the embedder")
    args = ap.parse_args()

    from routellm_core.cli.eval import run_eval

    t = time.perf_counter()
    run_eval("random", "all", args.data_dir, "all", progress=False)
    print(f"random-router evaluation, all three benchmarks (loading included): "
          f"{time.perf_counter() - t:.2f} s (target < 10 s)")

    from routellm_core.data.benchmarks import load_benchmark
    from routellm_core.scoring.embeddings import LocalEmbedder

    prompts = load_benchmark("mmlu", args.data_dir).prompts[:640]
    rss0 = rss_mb()
    t = time.perf_counter()
    emb = LocalEmbedder(cache=False, num_threads=args.threads).load()
    emb.embed(["warm-up"])
    print(f"LocalEmbedder load (torch import + weights + first call): {time.perf_counter() - t:.2f} s, "
          f"peak RSS {rss_mb():.0f} MB (before load {rss0:.0f} MB)")

    lat = []
    for p in prompts[:100]:
        t = time.perf_counter()
        emb.embed([p])
        lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    print(f"batch 1 (MMLU prompts, mean {statistics.mean(len(p.split()) for p in prompts[:100]):.0f} words): "
          f"p50 {lat[50]:.1f} ms, p99 {lat[98]:.1f} ms, {1000 / statistics.mean(lat):.0f} prompts/s")
    t = time.perf_counter()
    for i in range(0, len(prompts), 64):
        emb.embed(prompts[i:i + 64])
    dt = time.perf_counter() - t
    print(f"batch 64: {len(prompts) / dt:.0f} prompts/s ({len(prompts)} prompts in {dt:.2f} s)")
    print(f"peak RSS after embedding: {rss_mb():.0f} MB")

    # Why LocalEmbedder's defaults are what they are: forward-pass size and threads.
    import torch

    default_bs, default_threads = emb.batch_size, torch.get_num_threads()
    for bs in (64, 32, 16, 8):
        emb.batch_size = bs
        t = time.perf_counter()
        emb.embed(prompts[:320])
        print(f"forward passes of {bs:>2}: {320 / (time.perf_counter() - t):.0f} prompts/s "
              f"(torch threads {default_threads})")
    emb.batch_size = default_bs
    for threads in (default_threads, 1):
        lat = []
        for p in prompts[100:160]:
            torch.set_num_threads(threads)
            t = time.perf_counter()
            # _forward skips LocalEmbedder's single-thread rule, so both settings are compared
            emb._forward([p], np.zeros(1, dtype=int), np.zeros((1, emb.dim), np.float32))
            lat.append((time.perf_counter() - t) * 1e3)
        lat.sort()
        print(f"batch 1 with {threads} torch thread(s): p50 {lat[30]:.1f} ms, p90 {lat[54]:.1f} ms")
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
