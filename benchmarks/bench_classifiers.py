"""Speed of the classifier routers on this machine: latency, throughput, training, size.

Prints, for each router: per-prompt p50/p99 latency (one prompt per call, real prompts of
mixed length), throughput at batch 64, the training time of a short fixed run, and the
checkpoint size. Targets for the MiniLM-based BERT router: p50 < 25 ms, >= 100 prompts/s.

The routers are trained on a small planted set just to have weights (speed does not depend on
what was learned), unless ``--bert-ckpt`` / ``--llm-ckpt`` name trained checkpoints.

Usage::

    nice -n 10 python benchmarks/bench_classifiers.py                       # BERT (MiniLM)
    nice -n 10 python benchmarks/bench_classifiers.py \\
        --llm-dir /tmp/routellm-clf/smollm2-135m                            # + SmolLM2-135M
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def real_prompts(n: int, seed: int = 0) -> list[str]:
    """Arena-bench and MMLU prompts, mixed (falls back to synthetic text without data)."""
    try:
        from routellm_core.data.benchmarks import load_mmlu, load_mt_bench

        pool = list(load_mt_bench().prompts) + list(load_mmlu().prompts[:2000])
    except Exception:  # no data directory: synthetic prompts of varied length
        rng = np.random.default_rng(seed)
        words = "explain the proof of a theorem about prime numbers and write a short poem".split()
        pool = [" ".join(rng.choice(words, size=int(rng.integers(5, 200)))) for _ in range(500)]
    rng = np.random.default_rng(seed)
    return [pool[i] for i in rng.choice(len(pool), size=n, replace=len(pool) < n)]


def planted_battles(n: int):  # noqa: ANN201
    from routellm_core.data.battles import Battle, Battles
    from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL

    prompts = real_prompts(n, seed=1)
    return Battles(
        Battle(p, STRONG_MODEL, WEAK_MODEL, "model_a" if i % 3 else "model_b")
        for i, p in enumerate(prompts)
    )


def fit_planted(router, n: int, out: Path) -> float:  # noqa: ANN001
    """Fit ``router`` on ``n`` planted battles and save it to ``out``; the seconds the fit took."""
    battles = planted_battles(n)
    t = time.perf_counter()
    router.fit(battles)
    dt = time.perf_counter() - t
    router.save(out)
    return dt


def measure(router, label: str, n_single: int, n_batch: int) -> None:  # noqa: ANN001
    singles = real_prompts(n_single, seed=2)
    router.predict_win_rate(singles[:3])  # warm-up
    lat = []
    for p in singles:
        t = time.perf_counter()
        router.predict_win_rate([p])
        lat.append((time.perf_counter() - t) * 1000)
    batch = real_prompts(n_batch, seed=3)
    t = time.perf_counter()
    router.predict_win_rate(batch)
    thr = len(batch) / (time.perf_counter() - t)
    # The same prompts cut to their first 30 words: the length the default-router targets in
    # the issues use, and comparable with benchmarks/bench_routers.py.
    short = [" ".join(p.split()[:30]) for p in batch]
    t = time.perf_counter()
    router.predict_win_rate(short)
    thr30 = len(short) / (time.perf_counter() - t)
    print(f"{label}: per-prompt latency p50 {np.percentile(lat, 50):.1f} ms, "
          f"p99 {np.percentile(lat, 99):.1f} ms (n={len(lat)}); "
          f"batch-64 throughput {thr:.0f} prompts/s (n={len(batch)}, MT-Bench/MMLU prompts), "
          f"{thr30:.0f} prompts/s on the same prompts cut to 30 words")


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bert-ckpt", type=Path, default=None)
    ap.add_argument("--llm-ckpt", type=Path, default=None)
    ap.add_argument("--llm-dir", type=Path, default=None, help="causal LM to fine-tune briefly")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--n-single", type=int, default=200)
    ap.add_argument("--n-batch", type=int, default=640)
    ap.add_argument("--max-length", type=int, default=256)
    args = ap.parse_args(argv)

    import torch

    from routellm_core.routers.base import Router
    from routellm_core.routers.bert import BertRouter
    from routellm_core.routers.causal_llm import CausalLLMRouter

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"cuda {torch.cuda.is_available()}")
    tmp = Path(tempfile.mkdtemp(prefix="routellm-bench-"))

    if args.bert_ckpt:
        bert = Router.load(args.bert_ckpt)
        print(f"bert: loaded {args.bert_ckpt} ({dir_mb(args.bert_ckpt):.1f} MB)")
    else:
        bert = BertRouter(epochs=1, batch_size=32, max_length=args.max_length, val_fraction=0.0,
                          progress=False)
        dt = fit_planted(bert, 256, tmp / "bert")
        print(f"bert (MiniLM-L6): training 256 examples x 1 epoch, batch 32: {dt:.1f} s "
              f"({256 / dt:.1f} examples/s); checkpoint {dir_mb(tmp / 'bert'):.1f} MB")
    measure(bert, "bert (MiniLM-L6)", args.n_single, args.n_batch)

    llm = None
    if args.llm_ckpt:
        llm = Router.load(args.llm_ckpt)
        print(f"causal_llm: loaded {args.llm_ckpt} ({dir_mb(args.llm_ckpt):.1f} MB)")
    elif args.llm_dir:
        llm = CausalLLMRouter(model_dir=str(args.llm_dir), epochs=1, batch_size=8,
                              max_length=args.max_length, val_fraction=0.0, progress=False)
        dt = fit_planted(llm, 64, tmp / "llm")
        print(f"causal_llm ({args.llm_dir.name}): training 64 examples x 1 epoch, batch 8: "
              f"{dt:.1f} s ({64 / dt:.2f} examples/s); checkpoint {dir_mb(tmp / 'llm'):.1f} MB")
    if llm is not None:
        measure(llm, "causal_llm", min(args.n_single, 60), min(args.n_batch, 192))
    return 0


if __name__ == "__main__":
    sys.exit(main())
