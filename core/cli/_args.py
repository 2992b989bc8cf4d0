"""Argument types and checks the subcommands share, so that a bad value is reported by the
flag the user typed (``--strong-fraction``, ``--threshold``), before anything is loaded.

The library's own checks (``calibration.check_fraction``, ``settings.check_threshold``) name
the Python arguments (``strong_fraction=``); these are the command line's.
"""

from __future__ import annotations

import argparse
import math
from typing import NamedTuple

from ..errors import DataError, RouteLLMError

__all__ = ["CommandText", "COMMANDS", "add_command", "strong_fraction", "score_threshold",
           "STRONG_FRACTION_HELP", "DATA_DIR_HELP", "check_calibrated"]


class CommandText(NamedTuple):
    """A sub-command's line in ``routellm --help`` and the paragraph of ``routellm NAME
    --help``."""

    help: str
    description: str


#: every sub-command's help line and description, in one place (``routellm --help`` lists
#: them in the order the command modules register)
COMMANDS: dict[str, CommandText] = {
    "battles": CommandText(
        help="turn a labelled traffic log into battles for `routellm train --init`",
        description="Read a recorded traffic log (TrafficRecorder, with its feedback file) or "
        "a replay log with both models' graded answers, and write battles (the rule is in "
        "docs/adapt.md). Prompts close to an evaluation prompt are dropped, as in training.",
    ),
    "data": CommandText(
        help="get the public data (fetch, build), check it (verify), say where it is read from",
        description="The evaluation and training data: download it from its upstream sources "
        "into the user cache (fetch), write the extracts the project reads (build), compare a "
        "folder with the pinned SHA-256 of every extract file (verify), and say which folder is "
        "read and why (where). Without data: `routellm data fetch && routellm data build`.",
    ),
    "demo": CommandText(
        help="the main job: evaluation table, GSM8K through a LangChain chain, Arena prompts "
        "through a LlamaIndex chat engine (offline, real recorded answers)",
        description="Run the main job offline on real recorded data, no API key: the parts "
        "named by --parts, in order. eval: the routers' quality on MT-Bench, held-out MMLU and "
        "GSM8K (APGR, CPT) and the curves as a PNG in --out; langchain: GSM8K through a "
        "LangChain LCEL chain with RouteLLMChat over replayed GPT-4 / Mixtral answers; "
        "llamaindex: Arena prompts through a LlamaIndex chat engine with RouteLLM over replayed "
        "answers. Needs the data directory (--data-dir).",
    ),
    "eval": CommandText(
        help="evaluate routers (APGR, CPT) on the RouteLLM benchmarks",
        description="Evaluate routers with the RouteLLM protocol. Names: random, default (the "
        "shipped router), a trainable router name (trained on first use and cached), or a "
        "checkpoint directory.",
    ),
    "judge": CommandText(
        help="let an LLM judge compare the two answers of each shadow pair in a traffic log",
        description="Show each recorded shadow pair (the served answer and the other model's) "
        "to a judge in both orders, keep a verdict only when both orders agree (else a tie), "
        "and append the verdicts to the log's feedback file as grades with the judge's name, "
        "for `routellm battles --from-log`. Pairs this judge already judged are skipped. "
        "The judge's calls, tokens and cost are reported apart from the routed traffic.",
    ),
    "ladder": CommandText(
        help="evaluate routing among several priced models (cross-validated irt router)",
        description="Train one irt router per fold (arena-bench-v1 prompts and MMLU-Pro "
        "questions of the fold left out), route a ladder of priced models with the tolerance "
        "knob swept from 0 to 1, and compare with single models, the random mix and the oracle; "
        "then route the docs' three-model ladder on the difficulty check.",
    ),
    "train": CommandText(
        help="train a router on the preference data and save a checkpoint",
        description="Train sw_ranking, mf, knn, irt, bert or causal_llm from the training sources, or (with --init) adapt a trained router to your battles (see "
        "docs/training.md), compute its calibration table, and save it to --out.",
    ),
    "calibrate": CommandText(
        help="threshold that sends a given fraction of your prompts to the strong model",
        description="Score a prompt file with the router and print the threshold for "
        "--strong-fraction. With --save, store a calibration table (5%..95%) computed on these "
        "prompts in the checkpoint; with --out DIR, write a calibrated copy of the router to DIR "
        "instead (needed for --router default: the shipped router is part of the package and "
        "is never changed).",
    ),
}


def add_command(sub: argparse._SubParsersAction, name: str,  # type: ignore[type-arg]
                ) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` with its help line and description from :data:`COMMANDS`."""
    text = COMMANDS[name]
    parser: argparse.ArgumentParser = sub.add_parser(name, help=text.help,
                                                     description=text.description)
    return parser


#: what ``--strong-fraction`` is, for the help of every subcommand that takes it
STRONG_FRACTION_HELP = "share of prompts for the strong model, strictly between 0 and 1"

#: ``--data-dir`` of the commands that read the shared data (the lookup order of
#: ``data.files.resolve_data_dir``)
DATA_DIR_HELP = ("data directory (default: $ROUTELLM_DATA_DIR, ../shared/data beside the "
                 "checkout, the user cache; `routellm data where`)")


def _number(value: str, what: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    return x


def strong_fraction(value: str) -> float:
    """``--strong-fraction``: a number strictly between 0 and 1."""
    f = _number(value, "a number strictly between 0 and 1 (e.g. 0.3)")
    if math.isnan(f) or not 0.0 < f < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be strictly between 0 and 1 (the share of prompts for the strong model), "
            f"got {value}")
    return f


def score_threshold(value: str) -> float:
    """``--threshold``: a raw score threshold, a number in [0, 1]."""
    t = _number(value, "a number between 0 and 1 (e.g. 0.62)")
    if math.isnan(t) or not 0.0 <= t <= 1.0:
        raise argparse.ArgumentTypeError(
            f"must be between 0 and 1 (router scores are win rates in [0, 1]), got {value}; "
            "or choose a share of prompts with --strong-fraction")
    return t


def check_calibrated(router: object, spec: str, fraction: float) -> None:
    """A ``--strong-fraction`` needs the router's calibration table: refuse it, naming the
    flags, when the router has none."""
    try:
        router.threshold_for(fraction)  # type: ignore[attr-defined]
    except RouteLLMError:
        if getattr(router, "calibration_", None):
            raise  # a table that is there but unusable: the library's own message
        raise DataError(
            f"router {spec!r} has no calibration table, so --strong-fraction cannot be turned "
            f"into a threshold: run `routellm calibrate --router {spec} --prompts FILE --save` "
            "first, or pass --threshold"
        ) from None
