"""``routellm train``, ``routellm calibrate`` and ``routellm route``.

Example:
    routellm train --config configs/default.json --out my_router
    routellm calibrate --router my_router --prompts prompts.jsonl --strong-fraction 0.3 --save
    routellm calibrate --router default --prompts prompts.jsonl --out my_calibrated_router
    routellm route "Prove that there are infinitely many primes" --router my_router --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..data.files import read_prompt_file
from ..errors import DataError
from ..routing.long_text import EMPTY_PROMPT
from ._args import (
    DATA_DIR_HELP,
    STRONG_FRACTION_HELP,
    add_command,
    check_calibrated,
    score_threshold,
    strong_fraction,
)

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ..training.config import TRAINABLE_ROUTERS

    p = add_command(sub, "train")
    p.add_argument("--router", choices=TRAINABLE_ROUTERS, default=None,
                   help="router type (default: the config's, else mf)")
    p.add_argument("--config", default=None, metavar="FILE", help="JSON training config")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--out", required=True, metavar="DIR", help="checkpoint directory to write")
    p.add_argument("--report", default=None, metavar="JSON",
                   help="also write the training-set report (counts per source/model/outcome)")
    p.add_argument("--no-progress", action="store_true",
                   help="no stage lines or progress bars on standard error")
    from .adapt import add_adapt_arguments

    add_adapt_arguments(p)
    p.set_defaults(func=_train)

    c = add_command(sub, "calibrate")
    c.add_argument("--router", required=True, metavar="ROUTER",
                   help="checkpoint directory, or 'default' (the shipped router)")
    c.add_argument("--prompts", required=True, metavar="FILE",
                   help='.jsonl with a "prompt" field per line, or .txt with one prompt per line')
    c.add_argument("--strong-fraction", type=strong_fraction, default=0.3, metavar="F",
                   help=STRONG_FRACTION_HELP + " (default 0.3): print the "
                   "threshold that sends this share of the prompts strong")
    c.add_argument("--save", action="store_true",
                   help="store the calibration table computed on these prompts in the checkpoint")
    c.add_argument("--out", default=None, metavar="DIR",
                   help="write a copy of the router with the calibration table computed on these "
                   "prompts to DIR (the router given is left as it is); route with --router DIR")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    c.set_defaults(func=_calibrate)

    r = sub.add_parser(
        "route", help="route one prompt and print the decision",
        description="Load the router, then route one prompt. The loading time (the embedding "
        "model on a cold start) and the routing time are reported separately.",
    )
    r.add_argument("prompt", help="the prompt text")
    r.add_argument("--router", default="default",
                   help="checkpoint directory, 'default' (shipped) or 'random'")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--strong-fraction", type=strong_fraction, default=None, metavar="F",
                   help=STRONG_FRACTION_HELP + ", turned into a threshold by the router's "
                   "calibration table (default 0.5)")
    g.add_argument("--threshold", type=score_threshold, default=None, metavar="T",
                   help="raw score threshold in [0, 1]: a score at or above it routes strong")
    r.add_argument("--json", action="store_true", help="print the decision as JSON")
    r.set_defaults(func=_route)


def _train(args: argparse.Namespace) -> int:
    from ..training.config import default_config, load_config, make_embedder
    from ..training.progress import Progress
    from ..training.runs import train_from_config

    if getattr(args, "init", None):
        from .adapt import run_adapt

        return run_adapt(args)
    if getattr(args, "battles", None):
        raise DataError("--battles adapts a trained router: add --init default (or a "
                        "checkpoint directory)")
    if args.config:
        cfg = load_config(args.config)
        if args.router and args.router != cfg["router"]:
            raise DataError(f"--router {args.router} contradicts the config's router "
                            f"{cfg['router']!r}; drop one of them")
    else:
        cfg = default_config(args.router or "mf")
    progress = Progress(enabled=not args.no_progress)
    progress.stage(f"training a {cfg['router']} router (embedder: {cfg['embedder']})")
    embedder = progress.attach(make_embedder(cfg["embedder"]))
    router = train_from_config(cfg, args.data_dir, embedder=embedder, verbose=True,
                               progress=progress)
    out = router.save(args.out)
    if args.report:
        Path(args.report).write_text(json.dumps(router.training_report_, indent=2))
    print(f"trained {router.name} in {router.fit_seconds_:.1f} s; saved to {out}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from ..routers import load_router
    from ..scoring.calibration import calibration_table, check_fraction, threshold_for_fraction
    from ..training.progress import Progress, run_in_chunks

    f = check_fraction(args.strong_fraction)
    target = args.out if args.out is not None else (args.router if args.save else None)
    if target is not None and args.out is None and not Path(args.router).is_dir():
        # a name ('default', 'random'): the shipped router is part of the package, never changed
        raise DataError(f"--save writes into the checkpoint directory, and {args.router!r} is "
                        "a router name: add --out DIR to write a calibrated copy there, then "
                        "route with --router DIR")
    prompts = read_prompt_file(args.prompts)
    progress = Progress(enabled=not args.no_progress)
    progress.stage(f"loading the router {args.router!r}")
    router = load_router(args.router)
    bar = progress.bar(len(prompts), "scoring")
    try:
        scores = run_in_chunks(router.predict_win_rate, prompts, bar.update)
    finally:
        bar.close()
    t = threshold_for_fraction(scores, f)
    n = int((scores >= t).sum())
    print(f"threshold {t:.6f}: {n} of {len(prompts)} prompts ({n / len(prompts):.1%}) "
          "go to the strong model")
    if target is not None:
        router.calibration_ = calibration_table(router, prompts, Path(args.prompts).name,
                                                scores=scores)
        from ..routers.pair import pair_calibration  # other pairs' tables, from the same prompts

        router.pair_calibration_ = pair_calibration(router, prompts, Path(args.prompts).name)
        router.save(target)
        print(f"saved the calibration table on {len(prompts)} prompts to {target}")
        if args.out is not None:
            print(f"route with it: routellm route \"...\" --router {target} --strong-fraction {f:g}")
    return 0


def _route(args: argparse.Namespace) -> int:
    if not args.prompt.strip():
        raise DataError(EMPTY_PROMPT)  # the wrappers' message
    print(f"loading router {args.router!r} ...", file=sys.stderr, flush=True)
    from ..routers import load_router
    from ..routing.engine import RoutingEngine

    t0 = time.perf_counter()  # load: the router, its embedder and their weights
    router = load_router(args.router)
    if args.threshold is None:
        check_calibrated(router, args.router,
                         0.5 if args.strong_fraction is None else args.strong_fraction)
    engine = RoutingEngine(router, strong_fraction=args.strong_fraction,
                           threshold=args.threshold)
    engine.warmup()
    load_s = time.perf_counter() - t0
    d = engine.decide(args.prompt)  # routing: this prompt only
    if d.reason == "router_error":
        raise DataError("the router failed on this prompt (see the warning above)")
    if args.json:
        print(json.dumps({**d.to_dict(), "latency_ms": round(d.latency_ms, 3),
                          "load_s": round(load_s, 3)}))
    else:
        print(f"{d.route} (score {d.score:.4f} {'>=' if d.route == 'strong' else '<'} threshold "
              f"{d.threshold:.4f}; router {d.router}; routing {d.latency_ms:.1f} ms, "
              f"load {load_s:.2f} s)")
    sys.stdout.flush()
    return 0
