"""Overhead of RouteLLM per call, against calling the inner LlamaIndex LLM directly.

1. With a zero-cost router (a constant score), the difference is the wrapper itself:
   message translation, the engine's decision and statistics, the RouteDecision event, the
   route tag and usage accounting. Target: under 1 ms at the median.
2. With the shipped default router (when core/default_router/config.json exists), the
   difference is the whole added latency, scoring included.

The inner model is llama-index-core's MockFunctionCallingLLM, so model time is near zero and
only the overhead is measured.

Run:
    python benchmarks/bench_llamaindex_overhead.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import numpy as np
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.mock import MockFunctionCallingLLM

from llamaindex_routellm import RouteLLM
from routellm_core.routers import default_router_path
from routellm_core.routers.base import Router

PROMPTS = [
    "What is the capital of France?",
    "Prove that there are infinitely many primes.",
    "Write a haiku about autumn leaves.",
    "Explain the difference between TCP and UDP in two sentences.",
]


class ConstantRouter(Router):
    """Scores every prompt 0.5: the router costs nothing, only the wrapper is measured."""

    name = "bench_constant"
    needs_fit = False

    def _fit(self, battles):  # pragma: no cover
        pass

    def _predict(self, prompts):
        return np.full(len(prompts), 0.5)

    def threshold_for(self, strong_fraction):
        return 0.5


def inner() -> MockFunctionCallingLLM:
    return MockFunctionCallingLLM(
        response_generator=lambda messages, **kw: ChatMessage(role="assistant", content="ok"),
        is_chat_model=True,
    )


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    for i in range(min(200, n)):  # warm up
        fn(i)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


async def atimed(fn: Callable[[int], object], n: int) -> list[float]:
    for i in range(min(200, n)):
        await fn(i)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await fn(i)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


def report(label: str, direct: list[float], routed: list[float]) -> None:
    d50, r50 = statistics.median(direct), statistics.median(routed)
    print(
        f"{label:<28} direct p50 {d50:7.3f} ms | routed p50 {r50:7.3f} ms p95 {pct(routed, 95):7.3f}"
        f" ms | added p50 {r50 - d50:7.3f} ms"
    )


def msgs(i: int) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=PROMPTS[i % len(PROMPTS)])]


def run(llm: RouteLLM, base: MockFunctionCallingLLM, n: int, title: str) -> None:
    print(f"\n{title}")
    report("chat", timed(lambda i: base.chat(msgs(i)), n), timed(lambda i: llm.chat(msgs(i)), n))
    report(
        "complete",
        timed(lambda i: base.complete(PROMPTS[i % 4]), n),
        timed(lambda i: llm.complete(PROMPTS[i % 4]), n),
    )
    report(
        "stream_chat (consumed)",
        timed(lambda i: list(base.stream_chat(msgs(i))), n),
        timed(lambda i: list(llm.stream_chat(msgs(i))), n),
    )

    async def arun() -> None:
        d = await atimed(lambda i: base.achat(msgs(i)), n)
        r = await atimed(lambda i: llm.achat(msgs(i)), n)
        report("achat (scoring in a thread)", d, r)

    asyncio.run(arun())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()

    base = inner()
    llm = RouteLLM(strong=inner(), weak=inner(), router=ConstantRouter(), threshold=0.5)
    run(llm, base, args.calls, "zero-cost router (wrapper overhead only; target < 1 ms p50):")

    if (default_router_path() / "config.json").is_file():
        d = RouteLLM(strong=inner(), weak=inner(), router="default", strong_fraction=0.5)
        d.complete("warm up the router")  # load weights before timing
        n = max(50, args.calls // 10)
        run(d, base, n, f"default router ({d.engine.router.name}), total added latency:")
    else:
        print("\ndefault router: not present (core/default_router/config.json missing); skipped")


if __name__ == "__main__":
    main()
