"""Realised share of strong calls at ``strong_fraction``: the calibration table against a
threshold that follows the traffic (``calibration_window``).

Each benchmark is streamed through the router one prompt at a time in a seeded random order
(10 orders); with the table the threshold is fixed, with ``calibration_window`` it is the
``strong_fraction`` quantile of the last ``window`` scores once ``warmup`` scores have been
seen (:class:`routellm_core.scoring.calibration.TrafficThreshold`). Printed per benchmark: the share
of strong calls and the PGR of the decisions (quality recovered between always-weak and
always-strong), mean over the orders.

Run: ``python benchmarks/traffic_calibration.py [--router default] [--fraction 0.3]
[--window 500] [--warmup 20]`` (seconds with the default router).
"""

from __future__ import annotations

import argparse

import numpy as np

from routellm_core.data.benchmarks import BenchmarkSet, load_gsm8k, load_mmlu, load_mt_bench
from routellm_core.routers import load_router
from routellm_core.scoring.calibration import simulate_traffic_share


def _pgr(strong: np.ndarray, bench: BenchmarkSet) -> float:
    s, w = bench.strong_outcomes, bench.weak_outcomes
    quality = np.where(strong, s, w).mean()
    return float((quality - w.mean()) / (s.mean() - w.mean()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--router", default="default")
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    router = load_router(args.router)
    table = router.threshold_for(args.fraction)
    print(f"router {args.router}; strong_fraction={args.fraction}; table threshold {table:.4f}; "
          f"calibration_window={args.window}, warmup {args.warmup}; 10 random orders")
    print("| benchmark | n | table: strong share | table: PGR | traffic: strong share | "
          "traffic: PGR |")
    print("|---|---:|---:|---:|---:|---:|")
    for bench in (load_mt_bench(), load_mmlu(), load_gsm8k()):
        scores = router.predict_win_rate(bench.prompts)
        fixed = scores >= table
        runs = [simulate_traffic_share(scores, args.fraction, table, window=args.window,
                                       warmup=args.warmup, seed=k) for k in range(10)]
        share = np.mean([r[0] for r in runs])
        pgr = np.mean([_pgr(r[1], bench) for r in runs])
        print(f"| {bench.name} | {len(bench):,} | {fixed.mean():.1%} | {_pgr(fixed, bench):.3f} "
              f"| {share:.1%} | {pgr:.3f} |")


if __name__ == "__main__":
    main()
