"""The strong-fraction sweep report: table rows, costs, savings and the routing check, on a
hand-made replay log with a scripted framework pass (no framework, no data directory)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from routellm_core.costs import DEFAULT_PRICES, PriceTable
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import UnknownNameError
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord
from routellm_core.evaluation.replay_report import (
    ReplaySweep,
    RoutedPass,
    demo_inputs,
    fmt_money,
    sweep,
)
from routellm_core.routers.base import Router

PROMPTS = ["p0", "p1", "p2", "p3"]
# the router's score per prompt; a pass at threshold t routes p to "big" when score >= t
SCORES = {"p0": 0.9, "p1": 0.6, "p2": 0.3, "p3": 0.1}
# big costs $1 per call, small $0.10 (one input token, one output token each; see PRICES)
PRICES = PriceTable({"big": (500_000.0, 500_000.0), "small": (50_000.0, 50_000.0)})


class FixedRouter(Router):
    name = "fixed"
    needs_fit = False

    def _fit(self, battles: object) -> None:
        pass

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return np.asarray([SCORES[p] for p in prompts], dtype=np.float64)


def _log(outcomes: dict[str, tuple[float | None, float | None]]) -> ReplayLog:
    recs = []
    for p in PROMPTS:
        o_big, o_small = outcomes[p]
        recs.append(ReplayRecord(p, "big", "B", o_big, input_tokens=1, output_tokens=1))
        recs.append(ReplayRecord(p, "small", "S", o_small, input_tokens=1, output_tokens=1))
    return ReplayLog(recs, name="toy")


def _pass_at(
    thresholds: dict[float, float], log: ReplayLog, *, flip: str | None = None
) -> Callable[[float, object], RoutedPass]:
    """A stand-in framework: routes by score >= threshold (or flips one prompt, to fail)."""

    def run_pass(fraction: float, tick: object) -> RoutedPass:
        t = thresholds[fraction]
        routes = ["strong" if SCORES[p] >= t else "weak" for p in PROMPTS]
        if flip is not None:
            i = PROMPTS.index(flip)
            routes[i] = "weak" if routes[i] == "strong" else "strong"
        models = ["big" if r == "strong" else "small" for r in routes]
        cost = sum(log.cost(m, p, PRICES) for m, p in zip(models, PROMPTS, strict=True))
        return RoutedPass(models=models, routes=routes, threshold=t, cost=cost, seconds=0.5)

    return run_pass


def _sweep(log: ReplayLog, metric: str = "accuracy", **kw: object) -> ReplaySweep:
    return sweep(
        _pass_at({0.25: 0.8, 0.75: 0.2}, log, **kw),  # type: ignore[arg-type]
        router=FixedRouter("big", "small"), log=log, prompts=PROMPTS, prices=PRICES,
        fractions=[0.25, 0.75], metric=metric, strong="big", weak="small",  # type: ignore[arg-type]
    )


def test_accuracy_table_rows_costs_and_savings() -> None:
    # big right on all; small right on p2, p3 only
    log = _log({"p0": (1, 0), "p1": (1, 0), "p2": (1, 1), "p3": (1, 1)})
    rep = _sweep(log)
    weak, low, high, strong = rep.table
    assert [r["setting"] for r in rep.table] == [
        "always weak (small)", "strong_fraction=0.25", "strong_fraction=0.75", "always strong (big)"
    ]
    assert weak["accuracy"] == 0.5 and strong["accuracy"] == 1.0
    # threshold 0.8: only p0 to big -> right on p0, p2, p3
    assert low["accuracy"] == 0.75 and low["strong_calls"] == 0.25 and low["threshold"] == 0.8
    # threshold 0.2: p0, p1, p2 to big -> all right
    assert high["accuracy"] == 1.0 and high["strong_calls"] == 0.75
    assert weak["cost"] == pytest.approx(0.4) and strong["cost"] == pytest.approx(4.0)
    assert low["cost"] == pytest.approx(1.0 + 3 * 0.1)
    assert low["saving_vs_strong"] == pytest.approx(1 - 1.3 / 4.0)
    assert weak["saving_vs_strong"] == pytest.approx(0.9) and strong["saving_vs_strong"] == 0.0
    assert rep.routes_equal_core and low["routes_equal_core"] and high["routes_equal_core"]
    assert low["seconds"] == 0.5


def test_a_framework_that_routes_otherwise_than_the_core_is_reported() -> None:
    log = _log({p: (1, 0) for p in PROMPTS})
    rep = _sweep(log, flip="p3")
    assert rep.routes_equal_core is False
    assert [r["routes_equal_core"] for r in rep.table[1:-1]] == [False, False]
    assert rep.agreement_line("the chain").endswith("on every prompt: NO")


def test_grade_metric_averages_over_prompts_graded_for_both_models() -> None:
    # p1 has no grade for small: grade means skip it, costs still count every prompt
    log = _log({"p0": (9, 5), "p1": (8, None), "p2": (7, 6), "p3": (10, 4)})
    rep = _sweep(log, metric="grade")
    weak, low, high, strong = rep.table
    assert rep.graded == 3
    assert strong["grade"] == pytest.approx((9 + 7 + 10) / 3)
    assert weak["grade"] == pytest.approx((5 + 6 + 4) / 3)
    assert low["grade"] == pytest.approx((9 + 6 + 4) / 3)  # p0 strong; p2, p3 weak
    assert high["grade"] == pytest.approx((9 + 7 + 4) / 3)  # p0, p2 strong; p3 weak
    assert strong["cost"] == pytest.approx(4.0)
    summary = rep.summary("toy", "router: fixed", PRICES)
    assert summary["graded_prompts"] == 3 and summary["prompts"] == 4
    assert summary["rows"] is rep.table and summary["router"] == "fixed"
    assert summary["prices"] == {"big": [500_000.0, 500_000.0], "small": [50_000.0, 50_000.0]}
    assert "graded_prompts" not in _sweep(log).summary("toy", "", PRICES)


def test_print_table_formats_each_metric(capsys: pytest.CaptureFixture[str]) -> None:
    log = _log({"p0": (1, 0), "p1": (1, 0), "p2": (1, 1), "p3": (1, 1)})
    _sweep(log).print_table()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "" and out[1].split()[:2] == ["setting", "accuracy"]
    assert out[3].split() == ["strong_fraction=0.25", "75.00%", "25.0%", "$1.30", "67.5%"]
    _sweep(log, metric="grade").print_table()
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:3] == ["setting", "judge", "grade"]
    assert out[2].split()[-4:] == ["0.500", "0.0%", "$0.4000", "90.0%"]


def test_fmt_money() -> None:
    assert fmt_money(6.3456) == "$6.35"
    assert fmt_money(12345.0) == "$12,345.00"
    assert fmt_money(0.14651) == "$0.1465"


def test_demo_inputs_checks_prices_first_then_loads_cuts_and_names_the_router(
    capsys: pytest.CaptureFixture[str],
) -> None:
    recs = [ReplayRecord(p, m, "A", 1.0) for p in PROMPTS for m in (STRONG_MODEL, WEAK_MODEL)]
    loaded: list[ReplayLog] = []

    def default_log() -> ReplayLog:
        loaded.append(ReplayLog(recs))
        return loaded[-1]

    with pytest.raises(UnknownNameError, match="priced model"):
        demo_inputs(prices=PriceTable({STRONG_MODEL: (1.0, 1.0)}), log=None,
                    default_log=default_log, limit=None, router="random")
    assert loaded == []  # a missing price fails before the log is read

    prices, log, prompts, router, note = demo_inputs(
        prices=None, log=None, default_log=default_log, limit=3, router="random")
    assert prices is DEFAULT_PRICES and log is loaded[0] and prompts == PROMPTS[:3]
    assert router.name == "random" and note == "router: random"
    assert capsys.readouterr().out == "router: random\n"

    given = ReplayLog(recs[2:])
    inputs = demo_inputs(prices=PRICES.with_overrides({STRONG_MODEL: (1.0, 1.0),
                                                       WEAK_MODEL: (1.0, 1.0)}),
                         log=given, default_log=default_log, limit=None, router="random")
    assert inputs.log is given and inputs.prompts == PROMPTS[1:] and len(loaded) == 1
