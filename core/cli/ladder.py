"""``routellm ladder``: the cost-ladder evaluation (quality against average cost per call)."""

from __future__ import annotations

import argparse
import json
import sys

from ._args import DATA_DIR_HELP, add_command

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "ladder")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="fold assignment seed")
    p.add_argument("--no-difficulty", action="store_true",
                   help="skip the difficulty check (its router trains on every source, about "
                   "a minute)")
    p.add_argument("--difficulty-only", action="store_true",
                   help="only the difficulty check (no cross-validated curves, no plot)")
    p.add_argument("--router", default=None, metavar="DIR",
                   help="route the difficulty check with this router checkpoint instead of "
                   "training one (e.g. from `routellm train --router irt`)")
    p.add_argument("--plot", default=None, metavar="PNG", help="write the quality-cost plot here")
    p.add_argument("--out", default=None, metavar="JSON", help="write every figure as JSON here")
    p.add_argument("--markdown", action="store_true", help="print the report as markdown")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from ..errors import DataError
    from ..evaluation.ladder_eval import format_report, plot_ladder, run_ladder_eval, save_json
    from ..training.progress import Progress

    if args.router and args.no_difficulty:
        raise DataError("--router routes the difficulty check: drop --no-difficulty")
    if args.difficulty_only and (args.no_difficulty or args.plot):
        raise DataError("--difficulty-only cannot be combined with --no-difficulty or --plot "
                        "(the plot draws the curves it skips)")
    if args.folds < 2:
        raise DataError(f"--folds must be at least 2, got {args.folds}")
    progress = Progress(enabled=not args.json, stream=sys.stderr)
    result = run_ladder_eval(args.data_dir, folds=args.folds, seed=args.seed,
                             difficulty=not args.no_difficulty,
                             curves=not args.difficulty_only, difficulty_router=args.router,
                             progress=progress)
    if args.out:  # first: the figures are kept even if the report or the plot fails
        save_json(result, args.out)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_report(result, markdown=args.markdown))
    if args.plot:
        path = plot_ladder(result, args.plot)
        print(f"plot written to {path}", file=sys.stderr)
    return 0
