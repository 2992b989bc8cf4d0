"""Part 2 of ``routellm demo``: GSM8K through a real LCEL chain that routes.

The chain is ``ChatPromptTemplate | RouteLLMChat | StrOutputParser``, with
:class:`~langchain_routellm.replay.ReplayChatModel` inner models replaying the recorded answers of
GPT-4 (``gpt-4-1106-preview``) and Mixtral (``mistralai/Mixtral-8x7B-Instruct-v0.1``) on the
1,307 GSM8K test prompts. For three strong fractions it reports accuracy, the share of calls
sent to GPT-4, and the cost of the run against sending every prompt to one model, and checks
that the chain routed every prompt exactly as the core's numpy evaluation of the same router
does.

Run it with ``routellm demo --parts langchain`` (registered in the ``routellm.demo``
entry-point group), or from Python:

Example:
    >>> from langchain_routellm.demo import run
    >>> summary = run(progress=False)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompts import ChatPromptTemplate

from routellm_core.costs import PriceTable
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import RouteLLMError
from routellm_core.evaluation.replay import ReplayLog, gsm8k_log
from routellm_core.evaluation.replay_report import FRACTIONS, RoutedPass, demo_inputs, sweep
from routellm_core.evaluation.replay_report import pick_router as pick_router  # re-exported
from routellm_core.routers.base import Router

from .chat_models import RouteLLMChat
from .replay import ReplayChatModel

__all__ = ["ChainRun", "CallRecorder", "replay_chain", "pick_router", "run"]

class CallRecorder(BaseCallbackHandler):
    """Collects, for one chain input, the model that answered, its route record and usage.

    Passed in that input's ``config["callbacks"]``; ``RouteLLMChat`` makes exactly one LLM run
    per call, so one ``on_llm_end`` arrives per input.
    """

    def __init__(self, tick: Any = None) -> None:
        self.model: str | None = None
        self.route: dict[str, Any] | None = None
        self.usage: dict[str, int] | None = None
        self.calls = 0
        self._tick = tick

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        gen = response.generations[0][0]
        if not isinstance(gen, ChatGeneration):  # a chat model always returns chat generations
            return
        msg = gen.message
        self.calls += 1
        self.model = msg.response_metadata.get("model_name")
        self.route = msg.response_metadata.get("routellm")
        usage = msg.usage_metadata if isinstance(msg, AIMessage) else None
        self.usage = {k: int(v) for k, v in (usage or {}).items() if isinstance(v, int)}
        if self._tick is not None:
            self._tick()


@dataclass
class ChainRun:
    """What one pass of prompts through a routing chain produced, per prompt.

    Attributes:
        prompts: the prompts, in input order.
        answers: the chain's output strings.
        models: the model that answered each prompt (from the response metadata).
        routes: ``"strong"`` or ``"weak"`` per prompt (the ``routellm`` route record).
        scores: the router's score per prompt, as recorded in the route record.
        input_tokens, output_tokens: the usage each call reported.
        threshold: the threshold the chain's router used.
        seconds: wall time of the pass.
    """

    prompts: list[str]
    answers: list[str]
    models: list[str]
    routes: list[str]
    scores: list[float | None]
    input_tokens: list[int]
    output_tokens: list[int]
    threshold: float
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def strong_fraction(self) -> float:
        return float(np.mean([r == "strong" for r in self.routes])) if self.routes else 0.0

    def cost(self, prices: PriceTable) -> float:
        """USD of the run from the usage each call reported."""
        return float(
            sum(
                prices.cost(m, i, o)
                for m, i, o in zip(self.models, self.input_tokens, self.output_tokens, strict=True)
            )
        )


def replay_chain(
    llm: RouteLLMChat,
    prompts: Sequence[str],
    *,
    max_concurrency: int | None = None,
    progress: Any = None,
) -> ChainRun:
    """Send ``prompts`` through ``ChatPromptTemplate | llm | StrOutputParser`` with ``batch``.

    Args:
        llm: the routing chat model (its inner models are usually replay models).
        prompts: the user prompts; each becomes the chain's one human message.
        max_concurrency: ``batch``'s concurrency limit.
        progress: an optional callable invoked once per finished call (a progress bar's update).
    """
    chain = ChatPromptTemplate.from_messages([("human", "{question}")]) | llm | StrOutputParser()
    recorders = [CallRecorder(progress) for _ in prompts]
    configs: list[Any] = [{"callbacks": [r]} for r in recorders]
    if max_concurrency is not None:
        for c in configs:
            c["max_concurrency"] = max_concurrency
    t0 = time.perf_counter()
    answers = chain.batch([{"question": p} for p in prompts], config=configs)
    seconds = time.perf_counter() - t0
    for p, r in zip(prompts, recorders, strict=True):
        if r.calls != 1 or r.model is None or r.route is None:
            raise RouteLLMError(
                f"the chain made {r.calls} model calls for prompt {p[:60]!r}; expected exactly one "
                "with a routellm route record"
            )
    return ChainRun(
        prompts=list(prompts),
        answers=list(answers),
        models=[r.model or "" for r in recorders],
        routes=[(r.route or {})["route"] for r in recorders],
        scores=[(r.route or {}).get("score") for r in recorders],
        input_tokens=[int((r.usage or {}).get("input_tokens", 0)) for r in recorders],
        output_tokens=[int((r.usage or {}).get("output_tokens", 0)) for r in recorders],
        threshold=llm.engine.threshold,
        seconds=seconds,
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
    """Run part 2 of the demo and print its table; return a JSON-able summary.

    Args:
        data_dir: the data directory (see :func:`routellm_core.data.files.resolve_data_dir`).
        prices: USD per million input/output tokens for both models (default
            ``routellm_core.costs.DEFAULT_PRICES``).
        progress: show a progress bar on stderr.
        router: a router name, checkpoint folder or instance (default: the shipped default
            router when present, else ``random`` with a printed note).
        fractions: the strong fractions to run at.
        limit: use only the first ``limit`` prompts (for quick checks).
        log: a replay log to use instead of GSM8K's (must hold both models' answers).
    """
    prices, log, prompts, r, note = demo_inputs(
        prices=prices, log=log, default_log=lambda: gsm8k_log(data_dir), limit=limit,
        router=router)
    print(f"chain: ChatPromptTemplate | RouteLLMChat(strong=ReplayChatModel({STRONG_MODEL!r}), "
          f"weak=ReplayChatModel({WEAK_MODEL!r})) | StrOutputParser; {len(prompts)} prompts")
    strong = ReplayChatModel(log=log, model=STRONG_MODEL)
    weak = ReplayChatModel(log=log, model=WEAK_MODEL)

    def run_pass(fraction: float, tick: Any) -> RoutedPass:
        llm = RouteLLMChat(strong=strong, weak=weak, router=r, strong_fraction=fraction)
        chain_run = replay_chain(llm, prompts, progress=tick)
        return RoutedPass(models=chain_run.models, routes=chain_run.routes,
                          threshold=chain_run.threshold, cost=chain_run.cost(prices),
                          seconds=chain_run.seconds)

    report = sweep(run_pass, router=r, log=log, prompts=prompts, prices=prices,
                   fractions=fractions, metric="accuracy", progress=progress, desc="GSM8K chain")
    report.print_table()
    print("\n" + report.agreement_line("the chain"))
    cal = getattr(r, "calibration_", None) or {}
    if cal.get("prompt_set"):
        print(f"strong_fraction picks the threshold from the router's calibration table "
              f"({cal['prompt_set']} prompts), so the share of GPT-4 calls on GSM8K can differ "
              "from it: recalibrate on your own traffic (docs/concepts.md).")
    print("costs: token counts estimated from the recorded text (routellm_core.costs.count_tokens) "
          "at the prices above.")
    return report.summary("gsm8k", note, prices)
