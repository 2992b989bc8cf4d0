"""``routellm judge``: an LLM judge labels the shadow pairs of a recorded traffic log.

Example:
    routellm judge --log traffic.jsonl --judge replay:qlora-oa --max-pairs 200
    routellm judge --log traffic.jsonl --judge myjudges:gpt4o --price 2.5,10 --max-pairs 500
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
from typing import Any

from ..errors import ConfigError
from ._args import add_command

__all__ = ["register", "resolve_judge"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "judge")
    p.add_argument("--log", required=True, metavar="LOG", help="the traffic log (.jsonl)")
    p.add_argument("--judge", required=True, metavar="JUDGE",
                   help="replay:qlora-oa or replay:arena-hard (recorded verdicts, offline), "
                   "or module:attr naming a factory (called with no arguments) or a judge: a "
                   "callable prompt -> text, or a LangChain/LlamaIndex model wrapped with "
                   "langchain_routellm.as_judge / llamaindex_routellm.as_judge")
    p.add_argument("--name", default=None,
                   help="the judge's name in the feedback (default: the --judge text)")
    p.add_argument("--max-pairs", type=int, default=None,
                   help="judge at most this many new pairs (two judge calls each)")
    p.add_argument("--price", default=None, metavar="IN,OUT",
                   help="the judge's price in USD per 1M input and output tokens, for the "
                   "estimate printed before it starts and the cost")
    p.add_argument("--output-tokens", type=int, default=80,
                   help="reply length (tokens) the estimate assumes (80)")
    p.add_argument("--max-cost", type=float, default=None, metavar="USD",
                   help="refuse to start when the estimate is above, stop once reached "
                   "(needs --price)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the estimate and stop (no judge call)")
    p.add_argument("--map", action="append", default=[], metavar="LOG_NAME=RECORDED",
                   help="replay judges: a model name of your log -> its name in the data "
                   "(repeatable)")
    p.add_argument("--data-dir", default=None, help="data directory (replay judges)")
    p.set_defaults(func=_judge)


def _parse_price(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise ConfigError(f"--price takes IN,OUT in USD per 1M tokens (e.g. 2.5,10), got "
                          f"{text!r}") from None


def _parse_map(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"--map takes LOG_NAME=RECORDED_NAME, got {item!r}")
        out[key] = value
    return out


def resolve_judge(spec: str, *, data_dir: str | None = None,
                  models: dict[str, str] | None = None) -> Any:
    """The judge a ``--judge`` text names: ``replay:NAME`` or ``module:attr`` (a factory
    called with no arguments, or the judge itself; the working directory is searched for the
    module too).

    Raises:
        ConfigError: a text of another form, a module or attribute that cannot be found.
        UnknownNameError: an unknown replay judge (the message lists them).
    """
    kind, sep, rest = spec.partition(":")
    if not sep or not kind or not rest:
        raise ConfigError(f"--judge {spec!r}: use replay:qlora-oa, replay:arena-hard or "
                          "module:attr (a factory returning your judge)")
    if kind == "replay":
        from ..evaluation.replay_judge import replay_judge

        return replay_judge(rest, data_dir, models=models)
    if models:
        raise ConfigError("--map is for replay judges only")
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        # the console script does not put the working directory on the path; a judge module
        # written next to the log should import as it does with python -m
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(kind)
    except ImportError as exc:
        raise ConfigError(f"--judge {spec!r}: cannot import module {kind!r} ({exc}); is it on "
                          "PYTHONPATH?") from None
    try:
        obj = getattr(module, rest)
    except AttributeError:
        raise ConfigError(f"--judge {spec!r}: module {kind!r} has no attribute {rest!r}") from None
    if callable(obj) and not hasattr(obj, "judge_pair") and _takes_no_arguments(obj):
        obj = obj()
    return obj


def _takes_no_arguments(fn: Any) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in sig.parameters.values())


def _judge(args: argparse.Namespace) -> int:
    from ..evaluation.judge import JudgeEstimate, judge_log

    price = _parse_price(args.price)
    judge = resolve_judge(args.judge, data_dir=args.data_dir, models=_parse_map(args.map))
    name = args.name or args.judge

    def show(est: JudgeEstimate) -> None:
        print(f"estimate: {est}", flush=True)

    def progress(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            print(f"  judged {done}/{total} pairs", file=sys.stderr, flush=True)

    report = judge_log(args.log, judge, name=name, max_pairs=args.max_pairs, price=price,
                       output_tokens=args.output_tokens, max_cost=args.max_cost,
                       dry_run=args.dry_run, on_estimate=show, progress=progress)
    print(f"{report.pairs} shadow pairs in {args.log} ({report.no_pair} runs without one)")
    if args.dry_run:
        print("dry run: no judge call made")
        return 0
    print(report.summary())
    return 0
