"""RouteLLMChat with a TrafficRecorder: one valid record per call on every path."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

from conftest import KeywordRouter
from langchain_core.tools import tool
from lc_fakes import ScriptedChatModel

from langchain_routellm import RouteLLMChat
from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routing.recorder import TrafficRecorder


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


def by_run(r):
    """Rows grouped by run id, served answer first (shadow rows are written when they finish)."""
    out: dict[str, list] = {}
    for x in r:
        out.setdefault(x["run_id"], []).append(x)
    return [sorted(v, key=lambda x: x.get("shadow", False)) for v in out.values()]


def test_shadow_calls_record_the_other_answer(tmp_path):
    strong = ScriptedChatModel(model_name="big-model")
    weak = ScriptedChatModel(model_name="small-model")
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = RouteLLMChat(strong=strong, weak=weak, router=KeywordRouter(), threshold=0.5,
                       recorder=rec, prices={"strong": (10.0, 30.0), "weak": (1.0, 1.0)})
    llm.invoke("hello")
    list(llm.stream("hello"))

    async def main():
        await llm.ainvoke("hello")
        assert await rec.aflush(timeout=10)

    asyncio.run(main())
    runs = by_run(rows(rec.path))
    assert [[(x["model"], x.get("shadow", False)) for x in run] for run in runs] == [
        [("small-model", False), ("big-model", True)]] * 3
    s = llm.engine.recorder_stats()
    assert s.shadow_calls["strong"] == 3 and s.shadow_cost > 0
    assert rec.stats.shadow_cost == s.shadow_cost  # the recorder knows the wrapper's prices
    assert len(strong.calls) == 3
    # the user's statistics count the user's calls only
    assert llm.stats.snapshot().calls == {"strong": 0, "weak": 3}


class SlowChatModel(ScriptedChatModel):
    """A strong model that answers only once ``gate`` is set (a slow provider)."""

    gate: Any = None

    def _respond(self, messages, stop, **kwargs):
        assert self.gate.wait(5), "the slow model was never released"
        return super()._respond(messages, stop, **kwargs)

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        for _ in range(500):  # waits without blocking the loop, 5 s at most
            if self.gate.is_set():
                break
            await asyncio.sleep(0.01)
        return self._generate(messages, stop, **kwargs)


def test_shadow_calls_do_not_hold_up_the_caller(tmp_path):
    gate = threading.Event()
    strong = SlowChatModel(model_name="big-model", gate=gate)
    weak = ScriptedChatModel(model_name="small-model")
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = RouteLLMChat(strong=strong, weak=weak, router=KeywordRouter(), threshold=0.5,
                       recorder=rec)
    # every call goes weak; its shadow call goes to the slow strong model, which is held
    assert llm.invoke("hello").content
    assert "".join(c.text for c in llm.stream("hello"))

    async def main():
        assert (await llm.ainvoke("hello")).content
        async for _ in llm.astream("hello"):
            pass
        # every call answered while its shadow call is still waiting for the strong model
        assert rec.stats.shadow_pending == 4
        assert [x.get("shadow", False) for x in rows(rec.path)] == [False] * 4
        gate.set()
        assert await rec.aflush(timeout=10)

    asyncio.run(main())
    runs = by_run(rows(rec.path))
    assert len(runs) == 4 and all([x["route"] for x in run] == ["weak", "strong"] for run in runs)
    assert rec.stats.shadow_errors == 0 and rec.stats.shadow_pending == 0


def test_two_inner_models_of_one_class_are_recorded_apart(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = RouteLLMChat(strong=ScriptedChatModel(), weak=ScriptedChatModel(),
                       router=KeywordRouter(), threshold=0.5, recorder=rec)
    msg = llm.invoke("hello")
    assert rec.flush(timeout=10)
    assert {x["model"] for x in rows(rec.path)} == {"scripted (strong)", "scripted (weak)"}
    meta = msg.response_metadata["routellm"]
    assert meta["model"] == "scripted (weak)" and len(meta["router_id"]) == 12


def test_model_copy_keeps_a_warm_calibration_window():
    import copy
    import pickle

    from routellm_test_fake_routers import NumberRouter

    llm = RouteLLMChat(strong=ScriptedChatModel(model_name="big"),
                       weak=ScriptedChatModel(model_name="small"), router=NumberRouter(),
                       strong_fraction=0.3, calibration_window=100)
    for i in range(150):
        llm.engine.decide(f"{0.5 + (i % 50) / 200:.4f}")
    warm = llm.engine.threshold
    assert warm != llm.engine.router.threshold_for(0.3)
    for twin in (llm.model_copy(), copy.copy(llm), copy.deepcopy(llm),
                 pickle.loads(pickle.dumps(llm))):
        assert twin.engine.threshold == warm


def test_recorder_off_by_default_and_assignable(make_llm, tmp_path):
    llm = make_llm()
    assert llm.engine.recorder is None
    llm.invoke("hello")
    assert "run_id" not in llm.invoke("hello").response_metadata["routellm"]
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    llm.recorder = rec
    llm.invoke("hello")
    assert len(rows(rec.path)) == 1
