"""The call path both wrappers share (routellm_core.routing.dispatch.RoutedCall): running a decided
call sync, async and streamed; the fallback; usage reported or estimated; the decision's
record and the recorder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from routellm_test_fake_routers import KeywordRouter

from routellm_core.costs import count_tokens
from routellm_core.routing.dispatch import LastTally, Reply, RoutedCall, SumTally, reported
from routellm_core.routing.engine import RouteDecision, RoutingEngine
from routellm_core.routing.recorder import TrafficRecorder

PROMPT = "Prove that there are infinitely many primes."


def make_engine(**kw: Any) -> RoutingEngine:
    return RoutingEngine(KeywordRouter(), threshold=0.5, strong_name="big", weak_name="small",
                         **kw)


def answer(route: str, tokens: tuple[int | None, int | None] = (None, None)) -> dict[str, Any]:
    """A framework-neutral fake answer: text and the provider's token figures."""
    return {"text": f"{route} says 42", "in": tokens[0], "out": tokens[1]}


def read(a: dict[str, Any]) -> Reply:
    return Reply(a["text"], a["in"], a["out"], a.get("tools", []))


def failing(*routes: str, then: Any = None) -> Any:
    """A call that raises on the given routes and answers on the others."""
    def fn(route: str) -> Any:
        fn.tried.append(route)  # type: ignore[attr-defined]
        if route in routes:
            raise RuntimeError(f"{route} model is down")
        return answer(route) if then is None else then(route)
    fn.tried = []  # type: ignore[attr-defined]
    return fn


# ---- whole answers --------------------------------------------------------------------------
def test_run_calls_the_decided_route_and_records_reported_usage() -> None:
    e = make_engine()
    call = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT)
    out = call.run(lambda r: answer(r, (12, 5)), read=read)
    assert out["text"] == "strong says 42" and call.decision.route == "strong"
    s = e.stats.snapshot()
    assert (s.calls, s.input_tokens["strong"], s.output_tokens["strong"]) == (
        {"strong": 1, "weak": 0}, 12, 5)
    assert not s.estimated
    assert call.record == call.decision.to_dict()  # no recorder: no run id


@pytest.mark.parametrize("tokens", [(None, None), (0, 0), (9, None), (None, 0)])
def test_usage_the_provider_did_not_report_is_estimated_per_figure(tokens: Any) -> None:
    e = make_engine()
    RoutedCall(e, e.decide("hello"), prompt=lambda: "hello there").run(
        lambda r: answer(r, tokens), read=read)
    s = e.stats.snapshot()
    tin = tokens[0] or count_tokens("hello there")
    tout = tokens[1] or count_tokens("weak says 42")
    assert (s.input_tokens["weak"], s.output_tokens["weak"]) == (tin, tout)
    assert s.estimated_input_tokens["weak"] == (0 if tokens[0] else tin)
    assert s.estimated_output_tokens["weak"] == (0 if tokens[1] else tout)
    assert reported(0) is None and reported(None) is None and reported(3) == 3


def test_fallback_runs_the_other_route_once_and_records_the_new_decision() -> None:
    seen: list[RouteDecision] = []
    announced: list[RouteDecision] = []
    e = make_engine(on_route=seen.append)
    fn = failing("strong")
    call = RoutedCall(e, e.decide(PROMPT), fallback=True, on_fallback=announced.append,
                      prompt=PROMPT)
    out = call.run(fn, read=read)
    assert out["text"] == "weak says 42" and fn.tried == ["strong", "weak"]
    assert (call.decision.route, call.decision.reason) == ("weak", "fallback")
    assert [d.reason for d in seen] == ["router", "fallback"] and announced == [call.decision]
    s = e.stats.snapshot()
    assert s.calls == {"strong": 0, "weak": 1} and s.fallbacks == 1
    assert s.reasons == {"fallback": 1} and s.input_tokens["weak"] > 0


def test_without_fallback_the_error_reaches_the_caller_and_nothing_is_counted() -> None:
    e = make_engine()
    with pytest.raises(RuntimeError, match="strong model is down"):
        RoutedCall(e, e.decide(PROMPT), prompt=PROMPT).run(failing("strong"), read=read)
    s = e.stats.snapshot()
    assert s.fallbacks == 0 and sum(s.input_tokens.values()) == 0


def test_fallback_is_tried_once() -> None:
    e = make_engine()
    fn = failing("strong", "weak")
    with pytest.raises(RuntimeError, match="weak model is down"):
        RoutedCall(e, e.decide(PROMPT), fallback=True).run(fn, read=read)
    assert fn.tried == ["strong", "weak"]


async def test_arun_with_an_async_on_fallback() -> None:
    e = make_engine()
    announced: list[str] = []

    async def announce(d: RouteDecision) -> None:
        announced.append(d.reason)

    async def fn(route: str) -> dict[str, Any]:
        await asyncio.sleep(0)
        if route == "strong":
            raise RuntimeError("down")
        return answer(route, (3, 4))

    call = RoutedCall(e, e.decide(PROMPT), fallback=True, on_fallback=announce, prompt=PROMPT)
    out = await call.arun(fn, read=read)
    assert out["text"] == "weak says 42" and announced == ["fallback"]
    s = e.stats.snapshot()
    assert (s.input_tokens["weak"], s.output_tokens["weak"], s.estimated) == (3, 4, False)


def test_attempt_falls_back_and_accounts_nothing() -> None:
    e = make_engine()
    call = RoutedCall(e, e.decide(PROMPT), fallback=True)
    assert call.attempt(failing("strong")) == answer("weak")
    s = e.stats.snapshot()
    assert s.fallbacks == 1 and sum(s.input_tokens.values()) == 0


# ---- streams --------------------------------------------------------------------------------
def pieces(route: str, n: int = 3, usage_on_last: tuple[int, int] | None = None,
           fail_at: int | None = None) -> Iterator[dict[str, Any]]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError(f"{route} stream broke at {i}")
        last = i == n - 1
        yield {"text": f"{route}{i} ", "in": usage_on_last[0] if last and usage_on_last else None,
               "out": usage_on_last[1] if last and usage_on_last else None}


def tag(chunk: dict[str, Any], record: dict[str, Any], first: bool) -> None:
    chunk["record"] = record if first else None


def test_stream_tags_the_first_chunk_sums_the_chunks_and_accounts_at_the_end() -> None:
    e = make_engine()
    call = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT)
    it = call.stream(lambda r: pieces(r, usage_on_last=(20, 6)), tally=SumTally(read), tag=tag)
    chunks = list(it)
    assert [c["text"] for c in chunks] == ["strong0 ", "strong1 ", "strong2 "]
    assert chunks[0]["record"]["route"] == "strong" and chunks[1]["record"] is None
    s = e.stats.snapshot()
    assert (s.input_tokens["strong"], s.output_tokens["strong"], s.estimated) == (20, 6, False)


def test_stream_without_usage_is_estimated_from_the_joined_text() -> None:
    e = make_engine()
    list(RoutedCall(e, e.decide("hi"), prompt="hi").stream(pieces, tally=SumTally(read)))
    s = e.stats.snapshot()
    assert s.output_tokens["weak"] == count_tokens("weak0 weak1 weak2 ")
    assert s.estimated_input_tokens["weak"] == count_tokens("hi")


@pytest.mark.parametrize("where", ["open", "first chunk"])
def test_stream_falls_back_before_the_first_chunk(where: str) -> None:
    e = make_engine()

    def start(route: str) -> Iterator[dict[str, Any]]:
        if route == "strong":
            if where == "open":
                raise RuntimeError("refused")
            return pieces(route, fail_at=0)
        return pieces(route)

    call = RoutedCall(e, e.decide(PROMPT), fallback=True, prompt=PROMPT)
    chunks = list(call.stream(start, tally=SumTally(read), tag=tag))
    assert chunks[0]["text"] == "weak0 " and chunks[0]["record"]["reason"] == "fallback"
    assert e.stats.snapshot().calls == {"strong": 0, "weak": 1}


def test_no_fallback_after_the_first_chunk_and_usage_as_far_as_it_went() -> None:
    e = make_engine()
    call = RoutedCall(e, e.decide(PROMPT), fallback=True, prompt=PROMPT)
    got = []
    with pytest.raises(RuntimeError, match="broke at 1"):
        for c in call.stream(lambda r: pieces(r, fail_at=1), tally=SumTally(read)):
            got.append(c["text"])
    assert got == ["strong0 "]
    s = e.stats.snapshot()
    assert s.fallbacks == 0 and s.output_tokens["strong"] == count_tokens("strong0 ")


def test_a_stream_opened_after_a_fallback_does_not_fall_back_again() -> None:
    """The LlamaIndex form: the stream is opened eagerly (attempt), then iterated."""
    e = make_engine()
    call = RoutedCall(e, e.decide(PROMPT), fallback=True)
    opened = call.attempt(lambda r: (_ for _ in ()).throw(RuntimeError("x")) if r == "strong"
                          else pieces(r, fail_at=0))
    with pytest.raises(RuntimeError, match="weak stream broke at 0"):
        list(call.stream(pieces, opened=opened, tally=SumTally(read)))
    assert e.stats.snapshot().fallbacks == 1


def test_a_closed_stream_is_accounted_and_an_empty_one_counts_its_prompt() -> None:
    e = make_engine()
    it = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT).stream(pieces, tally=SumTally(read))
    assert next(it)["text"] == "strong0 "
    it.close()  # type: ignore[attr-defined]
    assert e.stats.snapshot().output_tokens["strong"] == count_tokens("strong0 ")
    list(RoutedCall(e, e.decide("hi"), prompt="hi").stream(lambda r: iter(()),
                                                           tally=LastTally(read)))
    s = e.stats.snapshot()
    assert (s.input_tokens["weak"], s.output_tokens["weak"]) == (count_tokens("hi"), 0)


def test_last_tally_reads_the_last_cumulative_chunk() -> None:
    t: LastTally[dict[str, Any]] = LastTally(read)
    assert t.reply() == Reply("")
    for text in ("a", "ab", "abc"):
        t.add({"text": text, "in": 5, "out": len(text)})
    assert t.reply() == Reply("abc", 5, 3)


async def test_astream_with_a_coroutine_start_and_a_fallback() -> None:
    e = make_engine()
    announced: list[str] = []

    async def agen(route: str) -> AsyncIterator[dict[str, Any]]:
        for c in pieces(route, fail_at=0 if route == "strong" else None):
            yield c

    async def start(route: str) -> AsyncIterator[dict[str, Any]]:  # LlamaIndex's shape
        return agen(route)

    call = RoutedCall(e, e.decide(PROMPT), fallback=True, on_fallback=lambda d:
                      announced.append(d.reason), prompt=PROMPT)
    chunks = [c async for c in call.astream(start, tally=SumTally(read), tag=tag)]
    assert [c["text"] for c in chunks] == ["weak0 ", "weak1 ", "weak2 "]
    assert announced == ["fallback"] and chunks[0]["record"]["route"] == "weak"
    assert e.stats.snapshot().output_tokens["weak"] == count_tokens("weak0 weak1 weak2 ")


# ---- the decision's record and the recorder -------------------------------------------------
def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_recorded_calls_carry_the_run_id_tokens_tool_calls_and_a_shadow(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    e = make_engine(recorder=TrafficRecorder(path, shadow_rate=1.0))
    call = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT, run_id="run-1")

    def fn(route: str) -> dict[str, Any]:
        return {**answer(route, (10, 0)), "tools": [{"name": "search", "args": {"q": "x"}}]}

    call.run(fn, read=read, shadow=lambda r: answer(r, (11, 2)))
    assert e.recorder is not None and e.recorder.flush(timeout=10)  # shadows: background
    assert call.record["run_id"] == "run-1" and call.record["route"] == "strong"
    first, shadow = rows(path)
    assert (first["run_id"], first["model"], first["answer"]) == ("run-1", "big", "strong says 42")
    assert (first["input_tokens"], first["output_tokens"]) == (10, None)  # a zero: not reported
    assert first["tool_calls"] == [{"name": "search", "args": {"q": "x"}}]
    assert shadow["shadow"] and shadow["model"] == "small" and shadow["run_id"] == "run-1"
    assert (shadow["input_tokens"], shadow["output_tokens"]) == (11, 2)


def test_a_stream_gets_its_shadow_only_when_it_ran_to_its_end(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    e = make_engine(recorder=TrafficRecorder(path, shadow_rate=1.0))
    call = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT)
    assert call.run_id is not None  # a recorder: a new run id
    list(call.stream(pieces, tally=SumTally(read), shadow=lambda r: answer(r), read=read))
    assert e.recorder is not None and e.recorder.flush(timeout=10)  # shadows: background
    it = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT).stream(
        pieces, tally=SumTally(read), shadow=lambda r: answer(r), read=read)
    next(it)
    it.close()  # type: ignore[attr-defined]
    got = rows(path)
    assert [(r["answer"], bool(r.get("shadow"))) for r in got] == [
        ("strong0 strong1 strong2 ", False), ("weak says 42", True), ("strong0 ", False)]


async def test_an_async_stream_gets_its_shadow_after_the_end(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    e = make_engine(recorder=TrafficRecorder(path, shadow_rate=1.0))

    async def agen(route: str) -> AsyncIterator[dict[str, Any]]:
        for c in pieces(route):
            yield c

    async def shadow(route: str) -> dict[str, Any]:
        return answer(route, (1, 1))

    call = RoutedCall(e, e.decide(PROMPT), prompt=PROMPT)
    assert len([c async for c in call.astream(agen, tally=SumTally(read), shadow=shadow,
                                              read=read)]) == 3
    assert e.recorder is not None and await e.recorder.aflush(timeout=10)  # a task
    assert [bool(r.get("shadow")) for r in rows(path)] == [False, True]
