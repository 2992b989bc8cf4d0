"""RouteLLM with a TrafficRecorder: one valid record per call on every path."""

from __future__ import annotations

import json

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.recorder import TrafficRecorder

from .conftest import scripted


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def rows(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


async def test_every_call_kind_writes_one_record(make_llm, tmp_path):
    path = tmp_path / "traffic.jsonl"
    llm = make_llm(recorder=TrafficRecorder(path))
    r1 = llm.complete("hello")
    r2 = llm.chat([ChatMessage(role="user", content="prove the theorem")])
    r3 = await llm.acomplete("hi")
    r4 = await llm.achat([ChatMessage(role="user", content="hey")])
    s5 = "".join(c.delta or "" for c in llm.stream_complete("derive it"))
    gen = await llm.astream_chat([ChatMessage(role="user", content="again")])
    s6 = "".join([c.delta or "" async for c in gen])
    r7 = llm.chat_with_tools([FunctionTool.from_defaults(multiply)], user_msg="multiply 6 by 7")
    r = rows(path)
    assert len(r) == 7
    assert [(x["prompt"], x["route"]) for x in r] == [
        ("hello", "weak"), ("prove the theorem", "strong"), ("hi", "weak"), ("hey", "weak"),
        ("derive it", "strong"), ("again", "weak"), ("multiply 6 by 7", "weak")]
    assert r[0]["answer"] == r1.text and r[1]["answer"] == r2.message.content
    assert r[2]["answer"] == r3.text and r[3]["answer"] == r4.message.content
    assert r[4]["answer"] == s5 and r[5]["answer"] == s6
    assert r[6]["tool_calls"] == [{"name": "multiply", "args": {"a": 6, "b": 7}}]
    assert r1.additional_kwargs["routellm"]["run_id"] == r[0]["run_id"]
    assert r7.additional_kwargs["routellm"]["run_id"] == r[6]["run_id"]
    assert len({x["run_id"] for x in r}) == 7
    assert len(ReplayLog.load(path)) == 7


def test_unwritable_log_never_breaks_the_call(make_llm, unwritable_recorder):
    rec = unwritable_recorder
    llm = make_llm(recorder=rec)
    assert llm.complete("hello").text
    assert "".join(c.delta or "" for c in llm.stream_complete("hello"))
    assert rec.stats.write_errors == 2


async def test_shadow_calls_and_feedback(make_llm, tmp_path):
    strong = scripted("strong")
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = make_llm(strong=strong, recorder=rec,
                   prices={"strong": (10.0, 30.0), "weak": (1.0, 1.0)})
    resp = llm.complete("hello")
    await llm.achat([ChatMessage(role="user", content="hey")])
    r = rows(rec.path)
    assert [(x["route"], x.get("shadow", False)) for x in r] == [
        ("weak", False), ("strong", True)] * 2
    s = llm.engine.recorder_stats()
    assert s.shadow_calls == {"strong": 2, "weak": 0} and s.shadow_cost > 0
    assert llm.stats.snapshot().calls == {"strong": 0, "weak": 2}
    run_id = resp.additional_kwargs["routellm"]["run_id"]
    rec.feedback(run_id, correct=False)
    rec.feedback(run_id, correct=True, shadow=True)  # the shadow answer
    got = [(x.shadow, x.outcome) for x in load_traffic(rec.path).records if x.run_id == run_id]
    assert got == [(False, 0.0), (True, 1.0)]
