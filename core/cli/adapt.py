"""``routellm battles --from-log`` and the adaptation options of ``routellm train``.

Example:
    routellm battles --from-log traffic.jsonl --out my_battles.jsonl
    routellm train --init default --battles my_battles.jsonl --out my_router
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import DataError
from ._args import add_command

__all__ = ["register", "add_adapt_arguments", "run_adapt"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "battles")
    p.add_argument("--from-log", required=True, metavar="LOG", help="the traffic log (.jsonl)")
    p.add_argument("--out", required=True, metavar="JSONL", help="battles file to write")
    p.add_argument("--strong", default=None, metavar="NAME",
                   help="the strong model's name in a log without 'route' fields")
    p.add_argument("--weak", default=None, metavar="NAME",
                   help="the weak model's name in a log without 'route' fields")
    p.add_argument("--as-strong", default=None, metavar="NAME",
                   help="model name for the strong side in the battles (default: the name the "
                   "log records; use the router's strong model, e.g. gpt-4-1106-preview, to "
                   "adapt the shipped router)")
    p.add_argument("--as-weak", default=None, metavar="NAME",
                   help="model name for the weak side in the battles (see --as-strong)")
    p.add_argument("--decontaminate-against", default="benchmarks", metavar="WHAT",
                   help="'benchmarks' (MT-Bench, GSM8K, held-out MMLU: the training rule), "
                   "'none', or a prompt file (.jsonl/.txt) you will evaluate on")
    p.add_argument("--threshold", type=float, default=None,
                   help="cosine similarity at which a prompt counts as the same (default: "
                   f"{STATIC_THRESHOLD} with the static embedder, 0.95 with the others)")
    p.add_argument("--embedder", default="static",
                   help="embedder for decontamination: static (the default: shipped, numpy "
                   "only), local (MiniLM under torch: the training rule), hashing-<dim>")
    p.add_argument("--data-dir", default=None, help="data directory (for 'benchmarks')")
    p.add_argument("--strict", action="store_true",
                   help="fail on a torn or invalid line of the log or the feedback file "
                   "(default: skip it with a warning that counts them)")
    p.add_argument("--no-progress", action="store_true",
                   help="no stage lines or progress bars on standard error")
    p.set_defaults(func=_battles)


#: decontamination threshold with the static embedder: its mean-of-token vectors sit closer
#: together than MiniLM's, so 0.95 would drop many distinct prompts of one style (measured by
#: benchmarks/probe_decontamination.py; docs/adapt.md)
STATIC_THRESHOLD = 0.99


def _battles(args: argparse.Namespace) -> int:
    from ..evaluation.traffic import load_traffic
    from ..training.adapt import battles_from_traffic
    from ..training.progress import Progress

    progress = Progress(enabled=not args.no_progress)
    progress.stage(f"reading {args.from_log}")
    log = load_traffic(args.from_log, strict=args.strict)
    progress.stage(f"{len(log.records)} records ({len(log.labelled())} labelled); building "
                   "battles")
    battles, counts = battles_from_traffic(log, strong=args.strong, weak=args.weak,
                                           as_strong=args.as_strong, as_weak=args.as_weak)
    against = args.decontaminate_against
    dropped = 0
    if against != "none" and len(battles):
        before = len(battles.prompts())
        battles = _decontaminate(battles, against, args, progress)
        dropped = before - len(battles.prompts())
    progress.stage(f"writing {len(battles)} battles to {args.out}")
    battles.to_jsonl(args.out)
    c = battles.counts()["outcome"]
    print(f"{len(log.records)} records, {len(log.labelled())} labelled -> {len(battles)} battles "
          f"(strong wins {c.get('model_a', 0)}, ties {c.get('tie', 0)}, weak wins "
          f"{c.get('model_b', 0)}); {dropped} prompts dropped by decontamination "
          f"({against}); written to {args.out}")
    print("runs: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if log.skipped or log.feedback_skipped:
        print(f"skipped: {len(log.skipped)} torn or invalid lines, "
              f"{len(log.feedback_skipped)} feedback rows whose record is not in the log "
              f"(first: {(log.skipped or log.feedback_skipped)[0]})")
    return 0


def _decontaminate(battles: Any, against: str, args: argparse.Namespace, progress: Any) -> Any:
    """The battles without the prompts close to an evaluation prompt."""
    from ..data.benchmarks import evaluation_prompts
    from ..data.files import read_prompt_file
    from ..training.config import make_embedder
    from ..training.decontamination import decontaminate

    if against == "benchmarks":
        progress.stage("reading the benchmark prompts (MT-Bench, GSM8K, held-out MMLU)")
        ev = [p for ps in evaluation_prompts(args.data_dir).values() for p in ps]
    else:
        ev = read_prompt_file(against)
    embedder = make_embedder(args.embedder)
    threshold = args.threshold
    if threshold is None:
        threshold = STATIC_THRESHOLD if args.embedder == "static" else 0.95
    n = len(battles.prompts())
    progress.stage(f"decontaminating {n} prompts against {len(ev)} ({args.embedder} "
                   f"embedder, cosine >= {threshold:g})")
    kept, _ = decontaminate(battles, ev, progress.attach(embedder), threshold=threshold)
    return kept


def add_adapt_arguments(p: argparse.ArgumentParser) -> None:
    """The ``routellm train`` options for adapting a trained router."""
    g = p.add_argument_group("adapting a trained router (docs/adapt.md)")
    g.add_argument("--init", default=None, metavar="ROUTER",
                   help="start from this router ('default' or a checkpoint directory) instead "
                   "of training from zero; needs --battles")
    g.add_argument("--battles", default=None, metavar="JSONL",
                   help="your battles (routellm battles --from-log)")
    g.add_argument("--weight", type=float, default=1.0, help="weight of your battles (1.0)")
    g.add_argument("--steps", type=int, default=200, help="Adam steps for irt (200)")
    g.add_argument("--anchor", type=float, default=1e-2,
                   help="L2 pull toward the initial parameters for irt (0.01)")
    g.add_argument("--train-part", choices=("all", "models", "projection"), default="all",
                   help="which irt parameters move (all)")
    g.add_argument("--keep-frozen", action="store_true",
                   help="ensembles: keep the members that cannot adapt (mf) in the blend "
                   "(default: their weight becomes 0 once the table is refitted)")
    g.add_argument("--calibrate-on", default=None, metavar="FILE",
                   help="prompts (.jsonl/.txt) to refit the calibration table on (default: "
                   "the battles' prompts)")


def run_adapt(args: argparse.Namespace) -> int:
    """``routellm train --init ...``."""
    from ..data.files import read_prompt_file
    from ..records import Battles
    from ..routers import load_router
    from ..training.adapt import adapt_router
    from ..training.progress import Progress

    if not args.battles:
        raise DataError("--init needs --battles FILE (make one with routellm battles "
                        "--from-log LOG --out FILE)")
    if args.config or args.router:
        raise DataError("--init adapts a trained router: drop --config/--router (they train "
                        "from zero)")
    progress = Progress(enabled=not getattr(args, "no_progress", False))
    progress.stage(f"loading router {args.init!r}")
    router = load_router(args.init)
    progress.stage(f"reading battles from {args.battles}")
    battles = Battles.from_jsonl(args.battles, source="user")
    cal = read_prompt_file(args.calibrate_on) if args.calibrate_on else None
    progress.stage(f"adapting the {router.name} router on {len(battles)} battles (and "
                   "refitting its calibration table on your prompts)")
    new = adapt_router(router, battles, weight=args.weight, steps=args.steps,
                       anchor=args.anchor, train=args.train_part, calibration_prompts=cal,
                       keep_frozen=args.keep_frozen)
    progress.stage(f"saving to {args.out}")
    out = new.save(args.out)
    summary: dict[str, Any] = getattr(new, "adaptation_", {})
    if args.report:
        Path(args.report).write_text(json.dumps(summary, indent=2))
    print(f"adapted {new.name} router {args.init!r} on {summary['battles']} battles "
          f"({summary['prompts']} prompts, weight {summary['weight']:g}); calibration "
          f"{'refitted on your prompts' if summary['calibration_refitted'] else 'kept'}; "
          f"saved to {out}")
    return 0
