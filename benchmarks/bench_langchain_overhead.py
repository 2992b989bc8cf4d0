"""What RouteLLMChat adds to a LangChain chat-model call.

1. Wrapper overhead: ``RouteLLMChat.invoke`` / ``.stream`` with a zero-cost router (a constant
   score) against calling the inner model directly. The inner model answers instantly, so the
   difference is the wrapper's own cost: message conversion, the decision, delegation, the
   route record and statistics. Target: under 1 ms p50.
2. Async: how long ``ainvoke`` blocks the event loop (a heartbeat task measures the longest
   gap between its ticks) while scoring runs in a worker thread.
3. Total added latency with the shipped default router (p50/p99 per call, each prompt new so
   no embedding cache hit). If the default router is not built yet this is noted, and the
   cost of embedding one prompt with the local MiniLM model is printed as a stand-in (what an
   embedding router pays at least).

Run: ``nice -n 10 .venv/bin/python benchmarks/bench_langchain_overhead.py [--n 2000]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from langchain_routellm import RouteLLMChat
from routellm_core.routers.base import Router

PROMPTS = [
    "What is the capital of France?",
    "Prove that the square root of 2 is irrational.",
    "Write a haiku about autumn leaves.",
    "Explain the difference between TCP and UDP in two sentences.",
    "Solve for x: 3x + 7 = 22.",
    "Summarise the plot of Hamlet in one paragraph.",
    "Write a Python function that checks whether a string is a palindrome.",
    "Why is the sky blue?",
]


class InstantChat(BaseChatModel):
    """Answers at once, with usage, like a provider whose network time is zero."""

    model_name: str = "instant"

    @property
    def _llm_type(self) -> str:
        return "instant"

    def _generate(self, messages, stop=None, run_manager=None, **kw: Any) -> ChatResult:
        msg = AIMessage("ok", usage_metadata={"input_tokens": 5, "output_tokens": 1,
                                              "total_tokens": 6},
                        response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(self, messages, stop=None, run_manager=None, **kw: Any):
        yield ChatGenerationChunk(message=AIMessageChunk(content="o"))
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="k", usage_metadata={"input_tokens": 5, "output_tokens": 1,
                                         "total_tokens": 6},
            response_metadata={"model_name": self.model_name}, chunk_position="last"))


class ConstantRouter(Router):
    """Zero-cost router: every prompt scores 0.5."""

    name = "constant"
    needs_fit = False

    def _fit(self, battles) -> None:
        pass

    def _predict(self, prompts):
        return np.full(len(prompts), 0.5)

    def threshold_for(self, strong_fraction: float) -> float:
        return 0.5


class SlowRouter(ConstantRouter):
    """Scoring takes 20 ms of blocking work, like a small model on a CPU."""

    name = "slow"

    def _predict(self, prompts):
        time.sleep(0.02)
        return super()._predict(prompts)


def _times(fn: Callable[[int], Any], n: int, warmup: int = 50) -> np.ndarray:
    for i in range(warmup):
        fn(i)
    out = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out[i] = time.perf_counter() - t0
    return out * 1e3


def _pct(ms: np.ndarray) -> str:
    return f"p50 {np.percentile(ms, 50):7.3f} ms  p99 {np.percentile(ms, 99):7.3f} ms"


def overhead(n: int) -> None:
    inner = InstantChat(model_name="weak-instant")
    llm = RouteLLMChat(strong=InstantChat(model_name="strong-instant"), weak=inner,
                       router=ConstantRouter(), threshold=0.6)
    msgs = [[HumanMessage(p)] for p in PROMPTS]
    # with a handler attached the wrapper also dispatches its decision event
    traced = {"callbacks": [BaseCallbackHandler()]}
    print("1. wrapper overhead, zero-cost router (inner model answers instantly)")
    for label, direct, routed in [
        ("invoke", lambda i: inner.invoke(msgs[i % 8]), lambda i: llm.invoke(msgs[i % 8])),
        ("stream", lambda i: list(inner.stream(msgs[i % 8])),
         lambda i: list(llm.stream(msgs[i % 8]))),
        ("invoke+handler", lambda i: inner.invoke(msgs[i % 8], config=traced),
         lambda i: llm.invoke(msgs[i % 8], config=traced)),
    ]:
        # interleave the two measurements so machine load affects both alike
        d = np.concatenate([_times(direct, n // 4) for _ in range(2)])
        r = np.concatenate([_times(routed, n // 4) for _ in range(2)])
        added = np.percentile(r, 50) - np.percentile(d, 50)
        print(f"   {label:14s} direct : {_pct(d)}")
        print(f"   {label:14s} routed : {_pct(r)}")
        print(f"   {label:14s} added  : p50 {added:7.3f} ms  (target < 1 ms)")
    snap = llm.stats.snapshot()
    print(f"   statistics consistent: {snap.total_calls} calls recorded, "
          f"{snap.input_tokens['weak']} weak input tokens")


async def _stall(llm: RouteLLMChat, n: int) -> tuple[float, float, float]:
    gaps: list[float] = []
    done = False

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    hb = asyncio.create_task(heartbeat())
    t0 = time.perf_counter()
    for i in range(n):
        await llm.ainvoke(f"{PROMPTS[i % 8]} (#{i}-{time.time_ns()})")
    wall = (time.perf_counter() - t0) / n * 1e3
    done = True
    await hb
    return max(gaps) * 1e3, float(np.percentile(gaps, 99)) * 1e3, wall


def default_router(n: int) -> None:
    from routellm_core.routers import default_router_path

    print("3. total added latency with the shipped default router")
    if not (default_router_path() / "config.json").is_file():
        print(f"   the default router is not built yet ({default_router_path()} has no "
              "config.json); rerun this script once it ships.")
        try:
            from routellm_core.scoring.embeddings import LocalEmbedder

            emb = LocalEmbedder(cache=False)
            emb.embed(["warm up"])
            ms = _times(lambda i: emb.embed([f"{PROMPTS[i % 8]} #{i}"]), min(n, 50), warmup=5)
            print(f"   stand-in, MiniLM embedding of one new prompt (CPU): {_pct(ms)}")
        except Exception as exc:  # torch or the model package missing
            print(f"   (stand-in skipped: {type(exc).__name__}: {exc})")
        return
    inner = InstantChat()
    llm = RouteLLMChat(strong=InstantChat(model_name="s"), weak=inner, strong_fraction=0.5)
    llm.invoke("warm up")
    direct = _times(lambda i: inner.invoke(f"{PROMPTS[i % 8]} #{i}"), min(n, 300), warmup=5)
    routed = _times(lambda i: llm.invoke(f"{PROMPTS[i % 8]} (new #{i}-{time.time_ns()})"),
                    min(n, 300), warmup=5)
    print(f"   router: {llm.engine.router!r}")
    print(f"   direct : {_pct(direct)}")
    print(f"   routed : {_pct(routed)}")
    print(f"   added  : p50 {np.percentile(routed, 50) - np.percentile(direct, 50):.3f} ms  "
          f"p99 {np.percentile(routed, 99) - np.percentile(direct, 99):.3f} ms")
    stall, p99, wall = asyncio.run(_stall(llm, 50))
    print(f"   ainvoke: {wall:.3f} ms per call; event-loop stall max {stall:.3f} ms, "
          f"p99 {p99:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="timed calls per measurement")
    args = ap.parse_args()
    overhead(args.n)
    print("2. async: the event loop keeps running while the router scores (worker thread)")
    for router, calls in ((ConstantRouter(), 200), (SlowRouter(), 50)):
        llm = RouteLLMChat(strong=InstantChat(model_name="s"), weak=InstantChat(),
                           router=router, threshold=0.6)
        stall, p99, wall = asyncio.run(_stall(llm, calls))
        print(f"   {router.name:8s} router: ainvoke {wall:7.3f} ms per call; event-loop stall "
              f"max {stall:.3f} ms, p99 {p99:.3f} ms")
    default_router(args.n)
    print("(figures vary with machine load; rerun to compare)")


if __name__ == "__main__":
    main()
