"""ReplayChatModel in real LangChain code paths, and routing through an LCEL chain versus the
core evaluation of the same router on the same prompts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import routellm_test_replay_checks as checks
from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_routellm.replay import ReplayChatModel
from routellm_core.costs import count_tokens
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.replay import ReplayLog


@pytest.fixture
def log() -> ReplayLog:
    return checks.toy_log((1.0, 0.0, 1.0, 0.0))


def test_invoke_returns_the_recorded_answer_with_usage_and_name(log: ReplayLog) -> None:
    big = ReplayChatModel(log=log, model="big")
    msg = big.invoke("What is 2+2?")
    assert isinstance(msg, AIMessage)
    assert msg.content == checks.LONG.strip()
    assert msg.response_metadata["model_name"] == "big"
    assert msg.response_metadata["replay_outcome"] == 1.0
    assert msg.usage_metadata == {
        "input_tokens": count_tokens("What is 2+2?"),
        "output_tokens": count_tokens(checks.LONG.strip()),
        "total_tokens": count_tokens("What is 2+2?") + count_tokens(checks.LONG.strip()),
    }
    small = ReplayChatModel(log=log, model="small")
    assert small.invoke("What is 2+2?").usage_metadata["input_tokens"] == 11  # recorded wins


def test_the_last_human_message_is_the_key_and_every_message_is_billed(log: ReplayLog) -> None:
    big = ReplayChatModel(log=log, model="big")
    msgs = [
        SystemMessage("You are terse."),
        HumanMessage("What is 2+2?"),
        AIMessage("4"),
        HumanMessage("Name a prime."),
    ]
    out = big.invoke(msgs)
    assert out.content == "7"
    billed = sum(count_tokens(m.text) for m in msgs)
    assert out.usage_metadata["input_tokens"] == billed


def test_unknown_prompt_is_an_error_never_an_answer(log: ReplayLog) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | ReplayChatModel(
        log=log, model="big"
    ) | StrOutputParser()
    with pytest.raises(DataError, match=r"'What is 3\+3\?' is not in the replay log 'toy'"):
        chain.invoke({"q": "What is 3+3?"})
    with pytest.raises(DataError, match="messages hold none"):
        ReplayChatModel(log=log, model="big").invoke([SystemMessage("hi")])


def test_unknown_model_or_missing_log_fails_at_construction(log: ReplayLog) -> None:
    with pytest.raises(UnknownNameError, match="'medium'.*big, small"):
        ReplayChatModel(log=log, model="medium")
    with pytest.raises(DataError, match="log must be a routellm_core.evaluation.replay.ReplayLog"):
        ReplayChatModel(log={"What is 2+2?": "4"}, model="big")  # type: ignore[arg-type]


def test_streaming_concatenates_to_the_answer_and_counts_usage_once(log: ReplayLog) -> None:
    big = ReplayChatModel(log=log, model="big", stream_chunk_words=3)
    chunks = list(big.stream("What is 2+2?"))
    assert len(chunks) > 3
    assert "".join(c.content for c in chunks) == checks.LONG.strip()
    assert sum(c.usage_metadata is not None for c in chunks) == 1
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert merged.response_metadata["model_name"] == "big"
    assert merged.usage_metadata["output_tokens"] == count_tokens(checks.LONG.strip())


async def test_async_invoke_and_stream(log: ReplayLog) -> None:
    big = ReplayChatModel(log=log, model="big")
    assert (await big.ainvoke("Name a prime.")).content == "7"
    text = "".join([c.content async for c in big.astream("What is 2+2?")])
    assert text == checks.LONG.strip()


def test_usage_callback_counts_each_model_once(log: ReplayLog) -> None:
    big, small = ReplayChatModel(log=log, model="big"), ReplayChatModel(log=log, model="small")
    with get_usage_metadata_callback() as cb:
        big.invoke("Name a prime.")
        small.invoke("What is 2+2?")
        list(small.stream("Name a prime."))
    assert cb.usage_metadata["big"]["output_tokens"] == 1
    assert cb.usage_metadata["small"]["input_tokens"] == 11 + count_tokens("Name a prime.")
    assert cb.usage_metadata["small"]["output_tokens"] == 2 + 1


def test_lcel_batch_keeps_order(log: ReplayLog) -> None:
    chain = (
        ChatPromptTemplate.from_messages([("system", "Answer."), ("human", "{q}")])
        | ReplayChatModel(log=log, model="small")
        | StrOutputParser()
    )
    assert chain.batch([{"q": "Name a prime."}, {"q": "What is 2+2?"}]) == ["9", "5"]


def test_a_saved_log_replays_the_same(log: ReplayLog, tmp_path: Path) -> None:
    loaded = ReplayLog.load(log.save(tmp_path / "traffic.csv"))
    assert ReplayChatModel(log=loaded, model="big").invoke("What is 2+2?").content == checks.LONG.strip()


# ---- routing through the real chain equals the core evaluation ------------------------------------


@pytest.fixture(scope="module")
def gsm8k_subset(data_dir: Path) -> tuple[ReplayLog, list[str]]:
    from routellm_core.evaluation.replay import gsm8k_log

    log = gsm8k_log(data_dir)
    prompts = log.prompts()[::7]  # 187 prompts spread over the set
    return log, prompts


@pytest.mark.parametrize(("threshold", "strong_fraction"), [(0.6, None), (None, 0.3)])
def test_lcel_chain_routes_exactly_as_the_core_evaluation(
    gsm8k_subset: tuple[ReplayLog, list[str]], threshold: float | None, strong_fraction: float | None
) -> None:
    from langchain_routellm import RouteLLMChat
    from langchain_routellm.demo import replay_chain
    from routellm_core.costs import DEFAULT_PRICES
    from routellm_core.evaluation import metrics

    log, prompts = gsm8k_subset
    llm = RouteLLMChat(
        strong=ReplayChatModel(log=log, model=STRONG_MODEL),
        weak=ReplayChatModel(log=log, model=WEAK_MODEL),
        router="random",
        threshold=threshold,
        strong_fraction=strong_fraction,
    )
    run = replay_chain(llm, prompts, max_concurrency=4)

    # the core's view: the same router's scores and the same threshold, in numpy
    scores, t = checks.assert_routes_match_core(run, log, prompts, threshold, strong_fraction)

    strong_o, weak_o = log.outcomes(STRONG_MODEL, prompts), log.outcomes(WEAK_MODEL, prompts)
    chain_acc = np.mean([log.outcome(m, p) for m, p in zip(run.models, prompts, strict=True)])
    assert chain_acc == pytest.approx(metrics.quality_at_threshold(scores, strong_o, weak_o, t))
    assert run.strong_fraction == pytest.approx(metrics.strong_fraction_at_threshold(scores, t))
    assert llm.stats.snapshot().strong_fraction == pytest.approx(run.strong_fraction)

    # the cost from the usage the chain reported equals the replay log's accounting
    calls = list(zip(run.models, prompts, strict=True))
    assert run.cost(DEFAULT_PRICES) == pytest.approx(log.run_cost(calls, DEFAULT_PRICES).cost)


def test_demo_part_runs_on_a_subset_and_reports_consistent_figures(
    gsm8k_subset: tuple[ReplayLog, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from langchain_routellm.demo import run

    log, prompts = gsm8k_subset
    rows = checks.demo_summary(run, log, prompts, capsys, "strong_fraction=0.5")["rows"]
    assert [r["setting"].split(" ")[0] for r in rows] == [
        "always", "strong_fraction=0.2", "strong_fraction=0.5", "strong_fraction=0.8", "always"
    ]
    # more GPT-4 calls cost more; everything lies between always-weak and always-strong
    weak_row, routed, strong_row = checks.demo_rows(rows)
    assert strong_row["accuracy"] == pytest.approx(np.mean(log.outcomes(STRONG_MODEL, prompts)))
