"""``langchain_routellm.as_judge``: a LangChain chat model judges recorded shadow pairs."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from langchain_routellm import RouteLLMChat, as_judge
from routellm_core.errors import ConfigError
from routellm_core.evaluation.judge import judge_log
from routellm_core.routing.recorder import TrafficRecorder, feedback_path


def recorded(tmp_path, n: int = 2):
    path = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(path, shadow_rate=1.0, seed=0)
    llm = RouteLLMChat(strong=FakeListChatModel(responses=["strong answer"]),
                       weak=FakeListChatModel(responses=["weak answer"]),
                       router="random", strong_fraction=0.5, recorder=rec)
    for i in range(n):
        llm.invoke(f"question {i}")
    assert rec.flush(timeout=10)  # the shadow answers are written in the background
    return path


def test_a_chat_model_judges_in_both_orders_with_its_own_usage(tmp_path):
    path = recorded(tmp_path)
    # strong shown first -> "A", weak shown first -> "B": the strong answer wins both orders
    replies = iter([AIMessage(content=text, usage_metadata={"input_tokens": 300,
                                                            "output_tokens": 20,
                                                            "total_tokens": 320})
                    for text in ["Fine.\nVERDICT: A", "Fine.\nVERDICT: B"] * 2])
    judge = as_judge(GenericFakeChatModel(messages=replies), name="fake-gpt")
    report = judge_log(path, judge)
    assert report.judged == 2 and report.verdicts == {"strong": 2}
    assert (report.input_tokens, report.output_tokens) == (1200, 80)  # the provider's counts
    rows = [json.loads(x) for x in feedback_path(path).read_text().splitlines()]
    assert {r["judge"] for r in rows} == {"fake-gpt"}


def test_an_unparseable_chat_model_is_counted(tmp_path):
    path = recorded(tmp_path, 1)
    judge = as_judge(FakeListChatModel(responses=["I cannot decide."]))
    report = judge_log(path, judge)
    assert report.unparseable == 1 and report.judged == 0
    assert report.input_tokens > 0  # estimated when the model reports no usage


def test_as_judge_refuses_what_is_not_a_chat_model():
    with pytest.raises(ConfigError, match="LangChain chat model"):
        as_judge(lambda p: p)  # type: ignore[arg-type]
