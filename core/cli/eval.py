"""``routellm eval``: evaluate routers on MT-Bench, MMLU and GSM8K."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.benchmarks import BENCHMARKS, BenchmarkSet, load_benchmark
from ..errors import RouteLLMError, unknown_name
from ..routers import ROUTERS, load_router
from ..routers.base import Router
from ._args import DATA_DIR_HELP, add_command

if TYPE_CHECKING:
    from ..evaluation.evaluate import BenchmarkResult
    from ..training.progress import Progress

__all__ = ["register", "check_router_names", "resolve_routers", "load_benchmarks", "run_eval"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "eval")
    p.add_argument("--router", default="random,default",
                   help="comma-separated router names or checkpoint directories "
                        f"(names: random, default, {', '.join(n for n in ROUTERS if n != 'random')})")
    p.add_argument("--benchmark", default="all",
                   help=f"one of {', '.join(BENCHMARKS)}, a comma-separated list, or 'all'")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--mmlu-split", choices=("heldout", "all"), default="heldout",
                   help="MMLU rows: outside the golden training split (default) or all rows")
    p.add_argument("--mmlu-sample", type=int, default=0, metavar="N",
                   help="evaluate MMLU on a seeded random sample of N rows (0: all rows)")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    p.add_argument("--plot", default=None, metavar="PNG", help="write the quality curves to this PNG")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_main)


def parse_benchmarks(spec: str) -> list[str]:
    names = list(BENCHMARKS) if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise unknown_name("benchmark", spec, [*BENCHMARKS, "all"])
    for n in names:
        if n not in BENCHMARKS:
            raise unknown_name("benchmark", n, [*BENCHMARKS, "all"])
    return names


def load_benchmarks(names: list[str], data_dir: str | None, mmlu_split: str = "heldout",
                    mmlu_sample: int = 0) -> dict[str, BenchmarkSet]:
    """Load benchmarks by name; ``mmlu_sample`` > 0 keeps a seeded random sample of MMLU rows
    (in their original order), for quick runs on a cold embedding cache."""
    out = {n: load_benchmark(n, data_dir, mmlu_split=mmlu_split) for n in names}  # type: ignore[arg-type]
    if mmlu_sample < 0:
        raise RouteLLMError(f"--mmlu-sample must be >= 0, got {mmlu_sample}")
    if mmlu_sample and "mmlu" in out and mmlu_sample < len(out["mmlu"]):
        import numpy as np

        idx = np.sort(np.random.default_rng(0).choice(len(out["mmlu"]), mmlu_sample, replace=False))
        out["mmlu"] = out["mmlu"].subset(idx)
    return out


def check_router_names(spec: str) -> list[str]:
    """The router names of ``spec``, checked before anything is loaded (so a typo is reported
    before any data is read or any router trained)."""
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise unknown_name("router", spec, ["default", *ROUTERS])
    for item in items:
        if item not in ("random", "default") and item not in ROUTERS and not Path(item).is_dir():
            raise unknown_name("router", item, ["default", *ROUTERS, "<checkpoint directory>"])
    return items


def resolve_routers(spec: str, data_dir: str | None,
                    progress: Progress | None = None) -> dict[str, Router | None]:
    """Router names/directories -> routers. ``random`` maps to ``None`` (the seed-averaged
    baseline); trainable names are trained on first use and cached."""
    out: dict[str, Router | None] = {}
    for item in check_router_names(spec):
        if item == "random":
            out[item] = None
        elif item == "default" or Path(item).is_dir():
            if progress is not None:
                progress.stage(f"loading router {item}")
            out[item] = load_router(item)
        elif item in ROUTERS:
            try:
                from ..training.runs import get_or_train
            except ImportError:
                raise RouteLLMError(f"router {item!r} cannot be trained in this build") from None
            if progress is not None:
                progress.stage(f"router {item}: loading it from the cache, or training it "
                               "(first use only)")
            out[item] = get_or_train(item, data_dir=data_dir, progress=progress)
        else:
            raise unknown_name("router", item, ["default", *ROUTERS, "<checkpoint directory>"])
    if not out:
        raise unknown_name("router", spec, ["default", *ROUTERS])
    return out


def run_eval(router_spec: str, bench_spec: str = "all", data_dir: str | None = None,
             mmlu_split: str = "heldout", progress: bool = True,
             mmlu_sample: int = 0) -> dict[str, BenchmarkResult]:
    from ..evaluation.evaluate import evaluate_routers
    from ..training.progress import Progress

    feedback = Progress(enabled=progress)
    # every argument is checked before any data is read
    names = parse_benchmarks(bench_spec)
    check_router_names(router_spec)
    if mmlu_sample < 0:
        raise RouteLLMError(f"--mmlu-sample must be >= 0, got {mmlu_sample}")
    feedback.stage(f"loading benchmarks: {', '.join(names)}")
    benches = load_benchmarks(names, data_dir, mmlu_split, mmlu_sample)
    routers = resolve_routers(router_spec, data_dir, feedback)
    n = sum(len(b) for b in benches.values())
    feedback.stage(f"scoring {n:,} prompts with {len(routers)} router(s)")
    return evaluate_routers(routers, benches, progress=progress)


def _main(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import format_table, plot_results, results_to_json

    results = run_eval(args.router, args.benchmark, args.data_dir, args.mmlu_split,
                       progress=not args.no_progress and not args.json,
                       mmlu_sample=args.mmlu_sample)
    if args.json:
        json.dump(results_to_json(results), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(results))
    if args.plot:
        path = plot_results(results, args.plot)
        print(f"plot written to {path}", file=sys.stderr if args.json else sys.stdout)
    return 0
