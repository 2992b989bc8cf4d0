"""``llamaindex_routellm.as_judge``: a LlamaIndex LLM judges recorded shadow pairs."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata, MockLLM

from llamaindex_routellm import RouteLLM, as_judge
from routellm_core.errors import ConfigError
from routellm_core.evaluation.judge import judge_log
from routellm_core.routing.recorder import TrafficRecorder


class ScriptedJudge(CustomLLM):
    """Prefers the answer that says 'strong', wherever it is shown; reports usage."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted-judge")

    def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
        first = prompt.split("[Answer A]")[1].split("[Answer B]")[0]
        text = "VERDICT: A" if "strong" in first else "VERDICT: B"
        return CompletionResponse(text=text, raw={"usage": {"prompt_tokens": 250,
                                                            "completion_tokens": 5}})

    def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
        raise NotImplementedError


class Fixed(CustomLLM):
    """Always gives the same answer."""

    answer: str = ""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=f"fixed-{self.answer}")

    def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
        return CompletionResponse(text=self.answer)

    def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
        raise NotImplementedError


def test_a_llamaindex_llm_judges_in_both_orders(tmp_path):
    path = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(path, shadow_rate=1.0, seed=0)
    llm = RouteLLM(strong=Fixed(answer="strong answer"), weak=Fixed(answer="weak answer"),
                   router="random", strong_fraction=0.5, recorder=rec)
    for i in range(3):
        llm.complete(f"question {i}")
    assert rec.flush(timeout=10)  # the shadow answers are written in the background
    judge = as_judge(ScriptedJudge())
    assert judge.name == "scripted-judge"
    report = judge_log(path, judge)
    assert report.judged == 3 and report.verdicts == {"strong": 3}
    assert (report.input_tokens, report.output_tokens) == (1500, 30)


def test_mock_llm_echo_is_not_a_verdict(tmp_path):
    path = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(path, shadow_rate=1.0, seed=0)
    llm = RouteLLM(strong=Fixed(answer="s"), weak=Fixed(answer="w"), router="random",
                   strong_fraction=0.5, recorder=rec)
    llm.complete("q")
    assert rec.flush(timeout=10)
    report = judge_log(path, as_judge(MockLLM()))  # MockLLM echoes the prompt back
    assert report.unparseable == 1 and report.judged == 0


def test_as_judge_refuses_what_is_not_an_llm():
    with pytest.raises(ConfigError, match="LlamaIndex LLM"):
        as_judge("gpt-4o")  # type: ignore[arg-type]
