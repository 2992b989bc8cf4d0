"""RouteLLMChat with a TrafficRecorder: one valid record per call on every path."""

from __future__ import annotations

import asyncio
import json
import uuid

from conftest import KeywordRouter
from langchain_core.tools import tool
from lc_fakes import ScriptedChatModel

from langchain_routellm import RouteLLMChat
from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.recorder import TrafficRecorder


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


def rows(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def check(row, prompt, model, route):
    assert row["prompt"] == prompt and row["model"] == model and row["route"] == route
    assert isinstance(row["answer"], str) and row["run_id"]


def test_invoke_stream_async_and_tools_each_write_one_record(make_llm, tmp_path):
    path = tmp_path / "traffic.jsonl"
    llm = make_llm(recorder=TrafficRecorder(path))
    msg = llm.invoke("hello there")
    chunks = list(llm.stream("prove the theorem"))
    amsg = asyncio.run(llm.ainvoke("hi again"))

    async def astream():
        return [c async for c in llm.astream("derive the integral")]

    achunks = asyncio.run(astream())
    tmsg = llm.bind_tools([get_weather], tool_choice="get_weather").invoke("weather in 'Rome'")
    r = rows(path)
    assert len(r) == 5
    check(r[0], "hello there", "small-model", "weak")
    check(r[1], "prove the theorem", "big-model", "strong")
    check(r[2], "hi again", "small-model", "weak")
    check(r[3], "derive the integral", "big-model", "strong")
    check(r[4], "weather in 'Rome'", "small-model", "weak")
    assert r[0]["answer"] == msg.text and r[2]["answer"] == amsg.text
    assert r[1]["answer"] == "".join(c.text for c in chunks)
    assert r[3]["answer"] == "".join(c.text for c in achunks)
    assert r[4]["tool_calls"] == [{"name": "get_weather", "args": {"city": "Rome"}}]
    assert tmsg.tool_calls
    # the record's run id is on the response, for feedback
    assert msg.response_metadata["routellm"]["run_id"] == r[0]["run_id"]
    assert chunks[0].response_metadata["routellm"]["run_id"] == r[1]["run_id"]
    assert r[0]["input_tokens"] is not None  # the scripted model reports usage
    assert len(ReplayLog.load(path)) == 5


def test_the_langchain_run_id_is_the_record_id(make_llm, tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    llm = make_llm(recorder=rec)
    rid = uuid.uuid4()
    llm.invoke("hello", config={"run_id": rid})
    rec.feedback(str(rid), thumbs=True)
    [r] = load_traffic(rec.path).records
    assert r.run_id == str(rid) and r.outcome == 1.0 and r.kind == "thumbs"


def test_unwritable_log_never_breaks_the_call(make_llm, unwritable_recorder):
    rec = unwritable_recorder
    llm = make_llm(recorder=rec)
    assert llm.invoke("hello").text
    assert "".join(c.text for c in llm.stream("hello"))
    assert asyncio.run(llm.ainvoke("hello")).text
    assert rec.stats.write_errors == 3
    assert llm.stats.snapshot().total_calls == 3


def test_shadow_calls_record_the_other_answer(tmp_path):
    strong = ScriptedChatModel(model_name="big-model")
    weak = ScriptedChatModel(model_name="small-model")
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = RouteLLMChat(strong=strong, weak=weak, router=KeywordRouter(), threshold=0.5,
                       recorder=rec, prices={"strong": (10.0, 30.0), "weak": (1.0, 1.0)})
    llm.invoke("hello")
    list(llm.stream("hello"))
    asyncio.run(llm.ainvoke("hello"))
    r = rows(rec.path)
    assert [(x["model"], x.get("shadow", False)) for x in r] == [
        ("small-model", False), ("big-model", True)] * 3
    assert r[0]["run_id"] == r[1]["run_id"]
    s = llm.engine.recorder_stats()
    assert s.shadow_calls["strong"] == 3 and s.shadow_cost > 0
    assert len(strong.calls) == 3
    # the user's statistics count the user's calls only
    assert llm.stats.snapshot().calls == {"strong": 0, "weak": 3}


def test_recorder_off_by_default_and_assignable(make_llm, tmp_path):
    llm = make_llm()
    assert llm.engine.recorder is None
    llm.invoke("hello")
    assert "run_id" not in llm.invoke("hello").response_metadata["routellm"]
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    llm.recorder = rec
    llm.invoke("hello")
    assert len(rows(rec.path)) == 1
