"""What the LangChain and LlamaIndex replay tests check the same way: a toy replay log, a
replayed run routed as the core's numpy evaluation would, and the demo's rows in cost order.

Loaded once by ``tests/conftest.py`` as the module ``routellm_test_replay_checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord
from routellm_core.routers.random import RandomRouter

LONG = "Two plus two is four because adding two to two gives four; " * 3


def toy_log(outcomes: Sequence[float | None]) -> ReplayLog:
    """Two prompts answered by ``big`` and ``small``; ``outcomes`` in the order big, small for
    "What is 2+2?", then big, small for "Name a prime." (small's first answer reports usage)."""
    a, b, c, d = outcomes
    return ReplayLog(
        [
            ReplayRecord("What is 2+2?", "big", LONG.strip(), a),
            ReplayRecord("What is 2+2?", "small", "5", b, input_tokens=11, output_tokens=2),
            ReplayRecord("Name a prime.", "big", "7", c),
            ReplayRecord("Name a prime.", "small", "9", d),
        ],
        name="toy",
    )


def assert_routes_match_core(run: Any, log: ReplayLog, prompts: list[str],
                             threshold: float | None,
                             strong_fraction: float | None) -> tuple[np.ndarray, float]:
    """The replayed run (of the ``random`` router) routed every prompt as the core's numpy
    evaluation of the same router and threshold does, and answered with the chosen model's
    recorded answer. Returns the scores and the threshold."""
    scores = RandomRouter().predict_win_rate(prompts)
    t = threshold if threshold is not None else RandomRouter().threshold_for(strong_fraction)
    assert run.threshold == t
    core_strong = scores >= t
    assert 0 < core_strong.sum() < len(prompts)  # both routes are exercised
    np.testing.assert_array_equal(np.asarray(run.routes) == "strong", core_strong)
    np.testing.assert_allclose(np.asarray(run.scores, dtype=float), scores)
    assert run.models == [STRONG_MODEL if s else WEAK_MODEL for s in core_strong]
    assert run.answers == [log.answer(m, p) for m, p in zip(run.models, prompts, strict=True)]
    return scores, t


def demo_summary(run: Any, log: ReplayLog, prompts: list[str], capsys: Any,
                 shown: str) -> dict[str, Any]:
    """A framework demo part (``run``) on ``prompts`` with the ``random`` router: it prints
    ``shown`` and says (and checks) that its routes equal the core's numpy evaluation."""
    summary: dict[str, Any] = run(log=log.subset(prompts), router="random", progress=False)
    out = capsys.readouterr().out
    assert shown in out and "equals the core's numpy evaluation" in out
    assert summary["routes_equal_core"] is True
    return summary


def demo_rows(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                  dict[str, Any]]:
    """The demo's rows as (always weak, the routed settings, always strong), checking that
    more strong calls cost more and that every routed cost lies between the two."""
    weak_row, *routed, strong_row = rows
    costs = [r["cost"] for r in routed]
    assert costs == sorted(costs)
    assert weak_row["cost"] < costs[0] and costs[-1] < strong_row["cost"]
    return weak_row, routed, strong_row
