"""One strong/weak model pair's outcomes on a source, prompt by prompt, for scoring a router.

:func:`pair_outcomes` gives the prompts of a source on which both models have an outcome, the
two models' outcome arrays (what APGR needs: the benchmark score of a routing is the mean
outcome of the model each prompt went to) and each prompt's group for per-part reporting.

Example:
    >>> prompts, strong, weak, groups = pair_outcomes(   # doctest: +SKIP
    ...     "theoremqa", "GPT4_CoT", "ChatGPT_CoT")
"""

from __future__ import annotations

import os
from collections import defaultdict

import numpy as np

from ..errors import DataError, unknown_name
from .extracts import ARENA_HARD_BASELINE, BATTLE_EXTRACTS, NEW_SOURCES, ExtractRows, read_extract
from .files import resolve_data_dir
from .sources import _table

__all__ = ["PAIR_SOURCES", "pair_outcomes"]


#: the sources :func:`pair_outcomes` reads
PAIR_SOURCES = NEW_SOURCES


_SHARE = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}


def pair_outcomes(
    source: str,
    strong: str,
    weak: str,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """The outcomes of ``strong`` and ``weak`` on every prompt of ``source`` where both have one.

    Model names are spelled as in the source (no alias table), and the rows are what training
    reads (:func:`~routellm_core.data.extracts.read_extract`: the same runs, the same rows left
    out), but nothing is dropped for overlapping another source: a validation that holds out
    part of this source must itself keep the other source's copies out of training
    (:func:`~routellm_core.data.overlap.shared_questions`).

    * Outcome tables (``llmrouter``, ``theoremqa``, ``simpleqa``, ``routerarena``): each model's
      0-1 outcome (a prompt on several rows: the mean).
    * ``qlora-oa``: the combined verdict of the pair's battle on each prompt (both answer orders
      agree: a win; otherwise a tie): strong wins ``(1, 0)``, a tie ``(0.5, 0.5)``, a loss
      ``(0, 1)``; a prompt asked in two conversations gets the mean.
    * ``arena-hard-v0.1``: when one of the two is the baseline ``gpt-4-0314``, its games
      against the other as above, averaged over the games of the prompt. Otherwise each model's
      share of games won against the baseline on the prompt (a tie is half), which needs both
      models judged by the same judge.

    Args:
        source: one of :data:`PAIR_SOURCES`.
        strong, weak: two models of the source, as spelled there.
        data_dir: the data directory.

    Returns:
        ``(prompts, strong_outcomes, weak_outcomes, groups)``: distinct prompts, two float
        arrays in [0, 1], and each prompt's group (the llmrouter task, the theoremqa field, the
        qlora-oa language, the arena-hard topic cluster, the simpleqa topic, the routerarena
        dataset).

    Raises:
        UnknownNameError: an unknown source, or a model the source does not have (the message
            lists those it has).
        DataError: the same model twice, or arena-hard models judged by different judges.
    """
    if source not in PAIR_SOURCES:
        raise unknown_name("pair source", source, PAIR_SOURCES)
    if strong == weak:
        raise DataError(f"strong and weak must be two different models, got {strong!r} twice")
    root = resolve_data_dir(data_dir)
    rows = read_extract(source, root)
    group_of: dict[str, str] = {}
    for info in rows.info:
        group_of.setdefault(info.prompt, info.group)
    if source not in BATTLE_EXTRACTS:
        # the rows already read, as load_table would table them (not a second read of the file)
        table = _table(rows.prompts, rows.outcomes, source, [strong, weak])
        s, w = table.outcomes[strong], table.outcomes[weak]
        keep = ~(np.isnan(s) | np.isnan(w))
        prompts = [p for p, k in zip(table.prompts, keep, strict=True) if k]
        return prompts, s[keep], w[keep], [group_of[p] for p in prompts]
    battles = rows.battles
    known = battles.models()
    for m in (strong, weak):
        if m not in known:
            raise unknown_name(f"{source} model", m, known)
    if source == "arena-hard-v0.1" and ARENA_HARD_BASELINE not in (strong, weak):
        return _against_baseline(source, rows, strong, weak, group_of)
    shares: dict[str, list[float]] = defaultdict(list)
    for b in battles:
        if {b.model_a, b.model_b} == {strong, weak}:
            share = _SHARE[b.winner]
            shares[b.prompt].append(share if b.model_a == strong else 1.0 - share)
    if not shares:
        raise DataError(f"{source} has no battle of {strong!r} against {weak!r}")
    prompts = list(shares)
    s = np.asarray([float(np.mean(shares[p])) for p in prompts])
    return prompts, s, 1.0 - s, [group_of[p] for p in prompts]


def _against_baseline(source: str, rows: ExtractRows, strong: str, weak: str,
                      group_of: dict[str, str]
                      ) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """Each model's share of games won against the baseline, per prompt, over the games of
    the judges that judged both models."""
    judged: dict[str, set[str]] = defaultdict(set)
    for b, j in zip(rows.battles, rows.judges, strict=True):
        judged[b.model_b].add(j)
    common = judged[strong] & judged[weak]
    if not common:
        raise DataError(
            f"{source}: {strong!r} was judged by {sorted(judged[strong])} and {weak!r} by "
            f"{sorted(judged[weak])}; compare models judged by the same judge (or either one "
            f"against the baseline {ARENA_HARD_BASELINE!r} directly)")
    won: dict[str, dict[str, list[float]]] = {strong: defaultdict(list), weak: defaultdict(list)}
    for b, j in zip(rows.battles, rows.judges, strict=True):
        if b.model_b in won and b.model_a == ARENA_HARD_BASELINE and j in common:
            won[b.model_b][b.prompt].append(1.0 - _SHARE[b.winner])
    prompts = [p for p in won[strong] if p in won[weak]]
    s = np.asarray([float(np.mean(won[strong][p])) for p in prompts])
    w = np.asarray([float(np.mean(won[weak][p])) for p in prompts])
    return prompts, s, w, [group_of[p] for p in prompts]
