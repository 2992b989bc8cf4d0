"""Strong-fraction sweeps over replayed answers: the report of ``routellm demo`` parts 2 and 3.

A framework demo (``langchain_routellm.demo``, ``llamaindex_routellm.demo``) builds its routing
object (an LCEL chain, a chat engine) over replay models and sends the prompts through it; this
module does everything around that, with no framework in sight: it picks the router, scores the
prompts once with numpy (the core's view of the routing), runs the framework pass at each strong
fraction, scores and prices each pass, checks that the framework routed every prompt exactly as
``score >= threshold``, and prints the table against always-weak and always-strong.

The framework part is a callable ``run_pass(strong_fraction, tick) -> RoutedPass``; ``tick``
is a progress callback (or ``None``) to call once per finished call. Both demos' ``run`` start
with :func:`demo_inputs` (prices, replay log, prompts, router).

Example:
    >>> import numpy as np
    >>> from routellm_core.costs import PriceTable
    >>> from routellm_core.evaluation.replay import ReplayLog, ReplayRecord
    >>> from routellm_core.routers.random import RandomRouter
    >>> log = ReplayLog([
    ...     ReplayRecord("q1", "big", "right", 1.0), ReplayRecord("q1", "small", "wrong", 0.0),
    ...     ReplayRecord("q2", "big", "right", 1.0), ReplayRecord("q2", "small", "right", 1.0),
    ... ])
    >>> router = RandomRouter(strong_model="big", weak_model="small")
    >>> def run_pass(fraction, tick):  # stands in for a chain: everything goes to "big"
    ...     return RoutedPass(models=["big", "big"], routes=["strong", "strong"],
    ...                       threshold=0.0, cost=0.0)
    >>> report = sweep(run_pass, router=router, log=log, prompts=["q1", "q2"],
    ...                prices=PriceTable({"big": (0, 0), "small": (0, 0)}), fractions=[1.0],
    ...                strong="big", weak="small")
    >>> [(row["setting"], row["accuracy"]) for row in report.table]
    [('always weak (small)', 0.5), ('strong_fraction=1', 1.0), ('always strong (big)', 1.0)]
    >>> report.routes_equal_core
    True
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

from ..costs import DEFAULT_PRICES, PriceTable
from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..routers import default_router_path, load_router
from ..routers.base import Router
from .replay import ReplayLog

__all__ = [
    "FRACTIONS",
    "RoutedPass",
    "ReplaySweep",
    "sweep",
    "DemoInputs",
    "demo_inputs",
    "pick_router",
    "progress_bar",
    "fmt_money",
]

#: Strong-call fractions the demo runs at.
FRACTIONS = (0.2, 0.5, 0.8)

Tick = Callable[[], None]


@dataclass(frozen=True)
class RoutedPass:
    """What one pass of the prompts through a framework's routing object produced.

    Attributes:
        models: the model that answered each prompt, in prompt order (names as in the log).
        routes: ``"strong"`` or ``"weak"`` per prompt, as the framework decided.
        threshold: the threshold the framework's router used.
        cost: USD of the pass, from the usage the framework reported.
        seconds: wall time of the pass.
    """

    models: Sequence[str]
    routes: Sequence[str]
    threshold: float
    cost: float
    seconds: float = 0.0


@dataclass
class ReplaySweep:
    """The outcome of :func:`sweep`: the table rows and the routing check.

    Attributes:
        table: always-weak, one row per strong fraction, always-strong; each row has
            ``setting``, the metric (``accuracy`` or ``grade``), ``strong_calls``, ``cost`` and
            ``saving_vs_strong``; the routed rows also ``strong_fraction_requested``,
            ``threshold``, ``routes_equal_core`` and ``seconds``.
        routes_equal_core: the framework routed every prompt as ``score >= threshold`` at
            every fraction.
        metric: ``"accuracy"`` (mean correctness, printed as a percentage) or ``"grade"`` (mean
            judge grade over the prompts graded for both models).
        router: the router the sweep ran.
        prompts: the prompts, in order.
        graded: how many prompts have an outcome for both models.
        scoring_seconds: wall time of the batched numpy scoring pass.
        strong, weak: the two models' names.
    """

    table: list[dict[str, Any]]
    routes_equal_core: bool
    metric: Literal["accuracy", "grade"]
    router: Router
    prompts: list[str]
    graded: int
    scoring_seconds: float
    strong: str = STRONG_MODEL
    weak: str = WEAK_MODEL

    def print_table(self) -> None:
        """Print the table (preceded by a blank line)."""
        print()
        head = f"{'accuracy':>9}" if self.metric == "accuracy" else f"{'judge grade':>11}"
        print(f"{'setting':<40} {head} {'GPT-4 calls':>12} {'cost':>10} {'saved vs GPT-4':>15}")
        for row in self.table:
            q = row[self.metric]
            cell = f"{100 * q:>8.2f}%" if self.metric == "accuracy" else f"{q:>11.3f}"
            print(f"{row['setting']:<40} {cell} {100 * row['strong_calls']:>11.1f}% "
                  f"{fmt_money(row['cost']):>10} {100 * row['saving_vs_strong']:>14.1f}%")

    def agreement_line(self, where: str) -> str:
        """The routing check as a sentence, e.g. ``where="the chain"``."""
        return (f"routing inside {where} equals the core's numpy evaluation (score >= threshold) "
                f"on every prompt: {'yes' if self.routes_equal_core else 'NO'}")

    def summary(self, benchmark: str, router_note: str, prices: PriceTable) -> dict[str, Any]:
        """A JSON-able summary of the sweep (``graded_prompts`` only for the grade metric)."""
        out: dict[str, Any] = {"benchmark": benchmark, "prompts": len(self.prompts)}
        if self.metric == "grade":
            out["graded_prompts"] = self.graded
        out.update({
            "router": self.router.name,
            "router_note": router_note,
            "strong": self.strong,
            "weak": self.weak,
            "prices": {m: [prices.get(m).input, prices.get(m).output]
                       for m in (self.strong, self.weak)},
            "scoring_seconds": round(self.scoring_seconds, 2),
            "rows": self.table,
            "routes_equal_core": self.routes_equal_core,
        })
        return out


def _saving(cost: float, cost_strong: float) -> float:
    return 1 - cost / cost_strong if cost_strong else 0.0


def sweep(
    run_pass: Callable[[float, Tick | None], RoutedPass],
    *,
    router: Router,
    log: ReplayLog,
    prompts: Sequence[str],
    prices: PriceTable,
    fractions: Sequence[float] = FRACTIONS,
    metric: Literal["accuracy", "grade"] = "accuracy",
    strong: str = STRONG_MODEL,
    weak: str = WEAK_MODEL,
    progress: bool = False,
    desc: str = "replay",
) -> ReplaySweep:
    """Run ``run_pass`` at each strong fraction and score, price and check every pass.

    Args:
        run_pass: builds the framework's routing object at a strong fraction and sends every
            prompt through it, calling ``tick`` (when not ``None``) once per finished call.
        router: the router the framework routes with (scored here once, with numpy).
        log: the replay log holding both models' answers and outcomes.
        prompts: the prompts, in the order ``run_pass`` sends them.
        prices: USD per million tokens, for the always-weak and always-strong costs.
        fractions: the strong fractions to run at.
        metric: ``"accuracy"``: mean outcome over all prompts (always-weak and always-strong
            skip unknown outcomes); ``"grade"``: mean outcome over the prompts with an outcome
            for both models.
        strong, weak: the two models' names in the log.
        progress: show a progress bar on stderr over all passes.
        desc: the progress bar's label.
    """
    prompts = list(prompts)
    # One batched scoring pass warms the router's embedding cache (memory and disk), so the
    # per-call scoring inside the framework is a lookup; these scores are also the core's view.
    t0 = time.perf_counter()
    scores = router.predict_win_rate(prompts)
    score_s = time.perf_counter() - t0

    o_strong = log.outcomes(strong, prompts)
    o_weak = log.outcomes(weak, prompts)
    graded = ~(np.isnan(o_strong) | np.isnan(o_weak))
    cost_strong = log.model_cost(strong, prompts, prices)
    cost_weak = log.model_cost(weak, prompts, prices)

    def quality(outcomes: np.ndarray, *, baseline: bool = False) -> float:
        if metric == "grade":
            return float(outcomes[graded].mean())
        # a routed pass with an unknown outcome shows as NaN rather than a silently smaller mean
        return float(np.nanmean(outcomes) if baseline else np.mean(outcomes))

    rows: list[dict[str, Any]] = []
    agree_all = True
    bar, tick = progress_bar(len(prompts) * len(fractions), desc, progress)
    try:
        for f in fractions:
            p = run_pass(f, tick)
            outcomes = np.asarray(
                [log.outcome(m, q) for m, q in zip(p.models, prompts, strict=True)],
                dtype=np.float64,
            )
            routed_strong = np.asarray(p.routes) == "strong"
            agree = bool(np.array_equal(scores >= p.threshold, routed_strong))
            agree_all &= agree
            rows.append({
                "setting": f"strong_fraction={f:g}",
                "strong_fraction_requested": f,
                "threshold": p.threshold,
                metric: quality(outcomes),
                "strong_calls": float(np.mean(routed_strong)) if len(p.routes) else 0.0,
                "cost": p.cost,
                "saving_vs_strong": _saving(p.cost, cost_strong),
                "routes_equal_core": agree,
                "seconds": round(p.seconds, 2),
            })
    finally:
        if bar is not None:
            bar.close()

    table = [
        {"setting": f"always weak ({weak.split('/')[-1]})", metric: quality(o_weak, baseline=True),
         "strong_calls": 0.0, "cost": cost_weak, "saving_vs_strong": _saving(cost_weak, cost_strong)},
        *rows,
        {"setting": f"always strong ({strong})", metric: quality(o_strong, baseline=True),
         "strong_calls": 1.0, "cost": cost_strong, "saving_vs_strong": 0.0},
    ]
    return ReplaySweep(
        table=table,
        routes_equal_core=agree_all,
        metric=metric,
        router=router,
        prompts=prompts,
        graded=int(graded.sum()),
        scoring_seconds=score_s,
        strong=strong,
        weak=weak,
    )


class DemoInputs(NamedTuple):
    """What a framework part of the demo starts from (see :func:`demo_inputs`).

    Attributes:
        prices: the price table, holding both models' prices.
        log: the replay log.
        prompts: the strong model's prompts in the log, in order.
        router: the router to demo.
        note: the line that names the router (already printed).
    """

    prices: PriceTable
    log: ReplayLog
    prompts: list[str]
    router: Router
    note: str


def demo_inputs(
    *,
    prices: PriceTable | None,
    log: ReplayLog | None,
    default_log: Callable[[], ReplayLog],
    limit: int | None,
    router: str | Router | None,
) -> DemoInputs:
    """The common start of ``run`` in both framework demos, in this order: the prices
    (default ``routellm_core.costs.DEFAULT_PRICES``; a missing price of either model fails
    before any work), the log (``default_log()`` when ``log`` is ``None``), its strong model's
    prompts (the first ``limit`` when given), and the router (:func:`pick_router`), whose note
    is printed."""
    prices = prices if prices is not None else DEFAULT_PRICES
    for m in (STRONG_MODEL, WEAK_MODEL):
        prices.get(m)
    log = log if log is not None else default_log()
    prompts = log.prompts(STRONG_MODEL)
    if limit is not None:
        prompts = prompts[:limit]
    r, note = pick_router(router)
    print(note)
    return DemoInputs(prices, log, prompts, r, note)


def pick_router(router: str | Router | None = None) -> tuple[Router, str]:
    """The router to demo and a note: the shipped default when present, else ``random``."""
    if router is not None:
        r = load_router(router)
        return r, f"router: {r.name}"
    if (default_router_path() / "config.json").is_file():
        r = load_router("default")
        return r, f"router: default (shipped, {r.name})"
    r = load_router("random")
    return r, (
        "router: random (note: the shipped default router is not in this build, "
        f"{default_router_path()} has no config.json; routing below is random)"
    )


def progress_bar(total: int, desc: str, enabled: bool) -> tuple[Any, Tick | None]:
    """A tqdm bar on stderr and a thread-safe ``tick`` that advances it; ``(None, None)`` when
    not ``enabled``. Close the bar when done."""
    if not enabled:
        return None, None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="call", file=sys.stderr, leave=False)
    lock = threading.Lock()  # LCEL's batch finishes calls on several threads

    def tick() -> None:
        with lock:
            bar.update(1)

    return bar, tick


def fmt_money(x: float) -> str:
    """USD with cents from a dollar up, else four decimals.

    Example:
        >>> fmt_money(1234.5), fmt_money(0.14651)
        ('$1,234.50', '$0.1465')
    """
    return f"${x:,.2f}" if x >= 1 else f"${x:.4f}"
