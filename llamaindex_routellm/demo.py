"""Part 3 of ``routellm demo``: Chatbot Arena prompts through a LlamaIndex chat engine that routes.

The 300 arena-bench-v1 prompts go one by one through ``SimpleChatEngine`` with a
:class:`~llamaindex_routellm.llms.RouteLLM` over
:class:`~llamaindex_routellm.replay.ReplayLLM` models replaying the recorded answers of GPT-4
(``gpt-4-1106-preview``) and Mixtral (``mistralai/Mixtral-8x7B-Instruct-v0.1``). For three
strong fractions it reports the mean GPT-4 judge grade (1-10) of the answers the engine
returned, the share of calls sent to GPT-4 and the cost, against each model alone, and checks
that the engine routed every prompt exactly as the core's numpy evaluation of the same router.

Run it with ``routellm demo --parts llamaindex`` (registered in the ``routellm.demo``
entry-point group), or from Python:

Example:
    >>> from llamaindex_routellm.demo import run
    >>> summary = run(progress=False)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.memory import ChatMemoryBuffer

from routellm_core.costs import PriceTable
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import RouteLLMError
from routellm_core.evaluation.replay import ReplayLog, arena_bench_log
from routellm_core.evaluation.replay_report import FRACTIONS, RoutedPass, demo_inputs, sweep
from routellm_core.evaluation.replay_report import pick_router as pick_router  # re-exported
from routellm_core.routers.base import Router
from routellm_core.routing.engine import RouteDecision

from .llms import RouteLLM
from .replay import ReplayLLM

__all__ = ["EngineRun", "replay_chat_engine", "pick_router", "run"]

@dataclass
class EngineRun:
    """What one pass of prompts through a routing chat engine produced, per prompt.

    Attributes:
        prompts: the prompts, in order.
        answers: the engine's response texts.
        models: the model that answered each prompt (from the route decision).
        routes: ``"strong"`` or ``"weak"`` per prompt.
        scores: the router's score per prompt, as decided.
        threshold: the threshold the router used.
        cost: USD of the run from the usage the models reported (``RouteLLM.stats``).
        seconds: wall time of the pass.
    """

    prompts: list[str]
    answers: list[str]
    models: list[str]
    routes: list[str]
    scores: list[float | None]
    threshold: float
    cost: float | None
    seconds: float = 0.0

    @property
    def strong_fraction(self) -> float:
        return float(np.mean([r == "strong" for r in self.routes])) if self.routes else 0.0


def replay_chat_engine(
    llm: RouteLLM, prompts: Sequence[str], *, progress: Any = None
) -> EngineRun:
    """Send each prompt as a fresh conversation through ``SimpleChatEngine`` over ``llm``.

    The routing decisions are collected with an ``on_route`` callback; prompts run one after
    the other, so the n-th decision belongs to the n-th prompt.

    Args:
        llm: the routing LLM (its inner models are usually replay models).
        prompts: the user messages.
        progress: an optional callable invoked once per finished prompt.
    """
    decisions: list[RouteDecision] = []
    llm.engine.on_route.append(decisions.append)
    # an in-process memory buffer: the default Memory writes every turn to SQLite, which
    # costs more than the replayed call itself
    engine = SimpleChatEngine.from_defaults(
        llm=llm, memory=ChatMemoryBuffer.from_defaults(llm=llm, token_limit=1_000_000)
    )
    answers: list[str] = []
    t0 = time.perf_counter()
    try:
        for p in prompts:
            engine.reset()  # every prompt is its own conversation
            answers.append(engine.chat(p).response)
            if progress is not None:
                progress()
    finally:
        llm.engine.on_route.remove(decisions.append)
    seconds = time.perf_counter() - t0
    if len(decisions) != len(prompts):
        raise RouteLLMError(
            f"the chat engine made {len(decisions)} routing decisions for {len(prompts)} "
            "prompts; expected exactly one per prompt"
        )
    return EngineRun(
        prompts=list(prompts),
        answers=answers,
        models=[d.model for d in decisions],
        routes=[d.route for d in decisions],
        scores=[d.score for d in decisions],
        threshold=llm.engine.threshold,
        cost=llm.stats.snapshot().cost,
        seconds=seconds,
    )


def _in_sample_note(router: Router) -> str:
    if not router.needs_fit:
        return f"the {router.name} router ignores the prompt: it is the baseline a learned router must beat."
    cal = getattr(router, "calibration_", None) or {}
    where = f" and its strong_fraction table was calibrated on {cal['prompt_set']}" if cal.get(
        "prompt_set") else ""
    return (
        "note: arena-bench-v1 is a default training source of the routers trained here"
        f"{where}, so these grades are in-sample; part 1 holds the held-out evaluation."
    )


def run(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    prices: PriceTable | None = None,
    progress: bool = True,
    router: str | Router | None = None,
    fractions: Sequence[float] = FRACTIONS,
    limit: int | None = None,
    log: ReplayLog | None = None,
) -> dict[str, Any]:
    """Run part 3 of the demo and print its table; return a JSON-able summary.

    Args:
        data_dir: the data directory (see :func:`routellm_core.data.files.resolve_data_dir`).
        prices: USD per million input/output tokens for both models (default
            ``routellm_core.costs.DEFAULT_PRICES``).
        progress: show a progress bar on stderr.
        router: a router name, checkpoint folder or instance (default: the shipped default
            router when present, else ``random`` with a printed note).
        fractions: the strong fractions to run at.
        limit: use only the first ``limit`` prompts (for quick checks).
        log: a replay log to use instead of arena-bench-v1's (with both models' answers).
    """
    prices, log, prompts, r, note = demo_inputs(
        prices=prices, log=log,
        default_log=lambda: arena_bench_log(data_dir, models=[STRONG_MODEL, WEAK_MODEL]),
        limit=limit, router=router)
    route_prices = {"strong": prices.get(STRONG_MODEL), "weak": prices.get(WEAK_MODEL)}
    print(f"engine: SimpleChatEngine(llm=RouteLLM(strong=ReplayLLM({STRONG_MODEL!r}), "
          f"weak=ReplayLLM({WEAK_MODEL!r}))); {len(prompts)} prompts, one conversation each")
    strong = ReplayLLM(log=log, model=STRONG_MODEL)
    weak = ReplayLLM(log=log, model=WEAK_MODEL)

    def run_pass(fraction: float, tick: Any) -> RoutedPass:
        llm = RouteLLM(strong=strong, weak=weak, router=r, strong_fraction=fraction,
                       prices=route_prices)
        er = replay_chat_engine(llm, prompts, progress=tick)
        return RoutedPass(models=er.models, routes=er.routes, threshold=er.threshold,
                          cost=er.cost if er.cost is not None else 0.0, seconds=er.seconds)

    report = sweep(run_pass, router=r, log=log, prompts=prompts, prices=prices,
                   fractions=fractions, metric="grade", progress=progress,
                   desc="Arena chat engine")
    report.print_table()
    print(f"\nmean GPT-4 judge grade (1-10) over the {report.graded} prompts graded for both "
          f"models; costs over all {len(prompts)} prompts")
    print(report.agreement_line("the chat engine"))
    print(_in_sample_note(r))
    return report.summary("arena-bench-v1", note, prices)
