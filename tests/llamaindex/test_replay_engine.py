"""ReplayLLM in real LlamaIndex code paths, and routing through a chat engine versus the core
evaluation of the same router on the same prompts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import routellm_test_replay_checks as checks
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.llms import ChatMessage

from llamaindex_routellm.replay import ReplayLLM
from routellm_core.costs import count_tokens
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.replay import ReplayLog


@pytest.fixture
def log() -> ReplayLog:
    return checks.toy_log((9.0, 2.0, 10.0, None))


def test_chat_returns_the_recorded_answer_with_usage(log: ReplayLog) -> None:
    big = ReplayLLM(log=log, model="big")
    r = big.chat([ChatMessage(role="user", content="What is 2+2?")])
    assert r.message.content == checks.LONG.strip()
    assert r.raw["model"] == "big" and r.raw["replay_outcome"] == 9.0
    assert r.raw["usage"]["prompt_tokens"] == count_tokens("What is 2+2?")
    assert r.raw["usage"]["completion_tokens"] == count_tokens(checks.LONG.strip())
    assert big.complete("Name a prime.").text == "7"
    assert big.metadata.model_name == "big" and big.metadata.is_chat_model


def test_unknown_prompt_model_or_log_are_errors(log: ReplayLog) -> None:
    big = ReplayLLM(log=log, model="big")
    with pytest.raises(DataError, match=r"'What is 3\+3\?' is not in the replay log 'toy'"):
        big.chat([ChatMessage(role="user", content="What is 3+3?")])
    with pytest.raises(DataError, match="messages hold none"):
        big.chat([ChatMessage(role="system", content="hi")])
    with pytest.raises(UnknownNameError, match="'medium'.*big, small"):
        ReplayLLM(log=log, model="medium")
    with pytest.raises(DataError, match="log must be a routellm_core.evaluation.replay.ReplayLog"):
        ReplayLLM(log=[], model="big")  # type: ignore[arg-type]


def test_chat_engine_routes_on_the_last_user_turn_and_counts_tokens_once(log: ReplayLog) -> None:
    counter = TokenCountingHandler(tokenizer=lambda s: s.split())
    small = ReplayLLM(log=log, model="small", callback_manager=CallbackManager([counter]))
    engine = SimpleChatEngine.from_defaults(llm=small, system_prompt="Be brief.")
    assert engine.chat("What is 2+2?").response == "5"
    # second turn: history and system prompt are sent, the new user turn is the key
    assert engine.chat("Name a prime.").response == "9"
    assert len(counter.llm_token_counts) == 2
    assert counter.llm_token_counts[0].prompt_token_count == 11  # the recorded count
    second = counter.llm_token_counts[1]
    billed = sum(count_tokens(t) for t in ("Be brief.", "What is 2+2?", "5", "Name a prime."))
    assert second.prompt_token_count == billed
    assert second.completion_token_count == 1


def test_streaming_sync_and_async(log: ReplayLog) -> None:
    big = ReplayLLM(log=log, model="big", stream_chunk_words=3)
    msgs = [ChatMessage(role="user", content="What is 2+2?")]
    chunks = list(big.stream_chat(msgs))
    assert len(chunks) > 3
    assert "".join(c.delta for c in chunks) == checks.LONG.strip() == chunks[-1].message.content
    assert sum("usage" in c.raw for c in chunks) == 1
    assert "".join(c.delta for c in big.stream_complete("What is 2+2?")) == checks.LONG.strip()


async def test_async_chat_and_engine(log: ReplayLog) -> None:
    big = ReplayLLM(log=log, model="big")
    r = await big.achat([ChatMessage(role="user", content="Name a prime.")])
    assert r.message.content == "7"
    gen = await big.astream_chat([ChatMessage(role="user", content="What is 2+2?")])
    text = "".join([c.delta async for c in gen])
    assert text == checks.LONG.strip()
    engine = SimpleChatEngine.from_defaults(llm=big)
    assert (await engine.achat("Name a prime.")).response == "7"


# ---- routing through the real engine equals the core evaluation -----------------------------------


@pytest.fixture(scope="module")
def arena_subset(data_dir: Path) -> tuple[ReplayLog, list[str]]:
    from routellm_core.evaluation.replay import arena_bench_log

    log = arena_bench_log(data_dir, models=[STRONG_MODEL, WEAK_MODEL])
    return log, log.prompts()[::3]  # 100 prompts spread over the set


@pytest.mark.parametrize(("threshold", "strong_fraction"), [(0.45, None), (None, 0.7)])
def test_chat_engine_routes_exactly_as_the_core_evaluation(
    arena_subset: tuple[ReplayLog, list[str]], threshold: float | None, strong_fraction: float | None
) -> None:
    from llamaindex_routellm import RouteLLM
    from llamaindex_routellm.demo import replay_chat_engine
    from routellm_core.costs import DEFAULT_PRICES
    from routellm_core.evaluation import metrics

    log, prompts = arena_subset
    prices = {"strong": DEFAULT_PRICES.get(STRONG_MODEL), "weak": DEFAULT_PRICES.get(WEAK_MODEL)}
    llm = RouteLLM(
        strong=ReplayLLM(log=log, model=STRONG_MODEL),
        weak=ReplayLLM(log=log, model=WEAK_MODEL),
        router="random",
        threshold=threshold,
        strong_fraction=strong_fraction,
        prices=prices,
    )
    run = replay_chat_engine(llm, prompts)

    scores, t = checks.assert_routes_match_core(run, log, prompts, threshold, strong_fraction)

    # mean judge grade through the engine equals the core's quality at this threshold
    s_o, w_o = log.outcomes(STRONG_MODEL, prompts), log.outcomes(WEAK_MODEL, prompts)
    ok = ~(np.isnan(s_o) | np.isnan(w_o))
    engine_grade = np.mean([log.outcome(m, p) for m, p, k in zip(run.models, prompts, ok, strict=True) if k])
    core_grade = metrics.quality_at_threshold(scores[ok], s_o[ok], w_o[ok], t)
    assert engine_grade == pytest.approx(core_grade)
    assert run.strong_fraction == pytest.approx(metrics.strong_fraction_at_threshold(scores, t))

    # the cost from the usage the replayed models reported equals the replay log's accounting
    calls = list(zip(run.models, prompts, strict=True))
    assert run.cost == pytest.approx(log.run_cost(calls, DEFAULT_PRICES).cost)


def test_demo_part_runs_on_a_subset_and_reports_consistent_figures(
    arena_subset: tuple[ReplayLog, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from llamaindex_routellm.demo import run

    log, prompts = arena_subset
    summary = checks.demo_summary(run, log, prompts, capsys, "strong_fraction=0.8")
    # more GPT-4 calls cost more; everything lies between always-weak and always-strong
    weak_row, routed, strong_row = checks.demo_rows(summary["rows"])
    assert weak_row["grade"] < strong_row["grade"]
