"""Routing time of long prompts with the shipped default router (prints figures; not a test).

    nice -n 10 .venv/bin/python benchmarks/bench_long_prompts.py [--repeats 20]

For prompts of 1 KB, 100 KB and 10 MB (chit-chat, then a question as the last paragraph), it
prints the routing time of ``RoutingEngine.decide`` (what ``routellm route`` and both wrappers
call: the long-text rule of ``routellm_core.routing.long_text``, the router, the threshold), p50 and
max over ``--repeats`` calls, each on a different text (a number at the start and in the
question), so the static embedder's memory of its last call is never what is timed; and the
route and score next to the question's own. With ``--wrappers``, it also times one whole
``RouteLLMChat.invoke`` and ``RouteLLM.complete`` over fake inner models (usage estimated from
the text, which does grow with it).

Target (issue 23): a 10 MB prompt routed in well under 0.1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

SIZES = {"1 KB": 1_000, "100 KB": 100_000, "10 MB": 10_000_000}
CHAT = ("Hi there! How are you doing today? I had a lovely walk in the park and the weather "
        "was nice. My neighbour's cat came by again, and we talked about the holidays. ")
QUESTION = "Prove that there are infinitely many primes of the form 4k+{i}."


def prompt(size: int, i: int) -> str:
    question = QUESTION.format(i=i)
    body = (f"{i}. " + CHAT * (size // len(CHAT) + 1))[: max(0, size - len(question) - 2)]
    return body + "\n\n" + question


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20, help="timed calls per size")
    ap.add_argument("--wrappers", action="store_true",
                    help="also time one whole call through each wrapper (fake inner models)")
    args = ap.parse_args()

    from routellm_core.routing.engine import RoutingEngine

    engine = RoutingEngine("default", strong_fraction=0.3)
    engine.warmup()
    print(f"load average {os.getloadavg()[0]:.2f}; shipped default router, strong_fraction=0.3 "
          f"(threshold {engine.threshold:.4f}); {args.repeats} calls per size")
    print(f"{'prompt':>8} {'chars':>11} {'p50 ms':>9} {'max ms':>9}  route (score; question alone)")
    for label, size in SIZES.items():
        texts = [prompt(size, i) for i in range(args.repeats)]
        times = []
        for text in texts:
            t0 = time.perf_counter()
            d = engine.decide(text)
            times.append((time.perf_counter() - t0) * 1e3)
        alone = engine.decide(QUESTION.format(i=args.repeats - 1))
        print(f"{label:>8} {len(texts[-1]):>11,} {statistics.median(times):>9.3f} "
              f"{max(times):>9.3f}  {d.route} ({d.score:.3f}; {alone.route} {alone.score:.3f})")
    if args.wrappers:
        wrapper_calls(args.repeats)


def wrapper_calls(repeats: int) -> None:
    from langchain_core.language_models import FakeListChatModel
    from llama_index.core.llms import MockLLM

    from langchain_routellm import RouteLLMChat
    from llamaindex_routellm import RouteLLM

    lc = RouteLLMChat(strong=FakeListChatModel(responses=["ok"]),
                      weak=FakeListChatModel(responses=["ok"]), strong_fraction=0.3)
    li = RouteLLM(strong=MockLLM(max_tokens=2), weak=MockLLM(max_tokens=2), strong_fraction=0.3)
    lc.engine.warmup()
    print("\nwhole wrapper calls over fake inner models (routing + the inner call + usage "
          "estimated from the text), one call per size:")
    for label, size in SIZES.items():
        text = prompt(size, repeats + 1)
        t0 = time.perf_counter()
        r = lc.invoke(text)
        t_lc = time.perf_counter() - t0
        t0 = time.perf_counter()
        c = li.complete(text)
        t_li = time.perf_counter() - t0
        print(f"{label:>8}: RouteLLMChat.invoke {t_lc * 1e3:9.1f} ms "
              f"({r.response_metadata['routellm']['route']}), RouteLLM.complete "
              f"{t_li * 1e3:9.1f} ms ({c.additional_kwargs['routellm']['route']})")

if __name__ == "__main__":
    main()
