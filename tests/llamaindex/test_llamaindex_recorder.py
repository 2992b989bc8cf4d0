"""RouteLLM with a TrafficRecorder: one valid record per call on every path."""

from __future__ import annotations

import asyncio
import json
import threading

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool

from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routing.recorder import TrafficRecorder

from .conftest import scripted


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def rows(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def by_run(r):
    """Rows grouped by run id, served answer first (shadow rows are written when they finish)."""
    out: dict[str, list] = {}
    for x in r:
        out.setdefault(x["run_id"], []).append(x)
    return [sorted(v, key=lambda x: x.get("shadow", False)) for v in out.values()]


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
    assert "".join(c.delta or "" for c in llm.stream_complete("hello"))
    async for _ in await llm.astream_chat([ChatMessage(role="user", content="hey")]):
        pass
    assert await rec.aflush(timeout=10)
    runs = by_run(rows(rec.path))
    assert [[(x["route"], x.get("shadow", False)) for x in run] for run in runs] == [
        [("weak", False), ("strong", True)]] * 4  # streams too
    s = llm.engine.recorder_stats()
    assert s.shadow_calls == {"strong": 4, "weak": 0} and s.shadow_cost > 0
    assert rec.stats.shadow_cost == s.shadow_cost
    assert llm.stats.snapshot().calls == {"strong": 0, "weak": 4}
    run_id = resp.additional_kwargs["routellm"]["run_id"]
    rec.feedback(run_id, correct=False)
    rec.feedback(run_id, correct=True, shadow=True)  # the shadow answer
    got = [(x.shadow, x.outcome) for x in load_traffic(rec.path).records if x.run_id == run_id]
    assert got == [(False, 0.0), (True, 1.0)]


class SlowLLM(MockFunctionCallingLLM):
    """The mock's async methods run the sync ones on the loop; this one waits without
    blocking the loop until its gate opens (a slow provider)."""

    def complete(self, prompt: str, formatted: bool = False, **kwargs):  # type: ignore[override]
        assert self.__dict__["gate"].wait(5), "the slow model was never released"
        return super().complete(prompt, formatted=formatted, **kwargs)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):  # type: ignore[override]
        assert self.__dict__["gate"].wait(5), "the slow model was never released"
        return super().stream_complete(prompt, formatted=formatted, **kwargs)

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs):  # type: ignore[override]
        for _ in range(500):  # waits without blocking the loop, 5 s at most
            if self.__dict__["gate"].is_set():
                break
            await asyncio.sleep(0.01)
        return self.complete(prompt, formatted=formatted, **kwargs)


async def test_shadow_calls_do_not_hold_up_the_caller(make_llm, tmp_path):
    gate = threading.Event()
    seen: list[str] = []

    def slow(messages, **kwargs):
        seen.append("called")
        assert gate.wait(5), "the slow model was never released"
        return ChatMessage(role="assistant", content="[strong] slow answer")

    strong = SlowLLM(response_generator=slow, is_chat_model=True)
    strong.__dict__["gate"] = gate  # not a pydantic field
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    llm = make_llm(strong=strong, recorder=rec)  # every call goes weak; shadows go strong
    assert llm.complete("hello").text
    assert llm.chat([ChatMessage(role="user", content="hey")]).message.content
    assert "".join(c.delta or "" for c in llm.stream_complete("hello"))
    # the async path: the shadow call is a task, not yet started when the answer comes back
    assert (await llm.acomplete("hello")).text
    assert rec.stats.shadow_pending == 4
    assert [x.get("shadow", False) for x in rows(rec.path)] == [False] * 4
    gate.set()
    assert await rec.aflush(timeout=10)
    shadows = [x for x in rows(rec.path) if x.get("shadow")]
    assert len(shadows) == 4 and "[strong] slow answer" in {x["answer"] for x in shadows}
    assert rec.stats.shadow_errors == 0


def test_two_inner_models_of_one_class_are_recorded_apart(tmp_path):
    from llama_index.core.llms import MockLLM

    from llamaindex_routellm import RouteLLM

    rec = TrafficRecorder(tmp_path / "t.jsonl")
    llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", threshold=1.0,
                   recorder=rec)
    resp = llm.complete("hello")
    assert rows(rec.path)[0]["model"] == "MockLLM (weak)"
    assert len(resp.additional_kwargs["routellm"]["router_id"]) == 12
