"""The traffic recorder in the engine: records, unwritable files, shadow calls, feedback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from routellm_core.errors import ConfigError, DataError
from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routing.engine import RoutingEngine, Turn
from routellm_core.routing.recorder import TrafficRecorder, feedback_path


def engine(rec: TrafficRecorder, threshold: float = 1.0, **kw) -> RoutingEngine:
    return RoutingEngine("random", threshold=threshold, strong_name="big", weak_name="small",
                         recorder=rec, **kw)


def test_one_valid_replay_record_per_call(tmp_path):
    path = tmp_path / "logs" / "traffic.jsonl"
    rec = TrafficRecorder(path)
    e = engine(rec)
    d = e.decide("What is 2 + 2?")
    run_id = e.record_call(d, "4", input_tokens=7, output_tokens=1)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["prompt"] == "What is 2 + 2?" and row["model"] == "small"
    assert row["answer"] == "4" and row["run_id"] == run_id
    assert row["route"] == "weak" and row["reason"] == "router" and row["score"] is not None
    assert (row["strong_model"], row["weak_model"]) == ("big", "small")
    log = ReplayLog.load(path)  # the replay-log format
    assert log.answer("small", "What is 2 + 2?") == "4"
    assert log.tokens("small", "What is 2 + 2?") == (7, 1)
    assert rec.stats.records == 1


def test_forced_calls_record_the_routed_text(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)
    d = e.decide_turns([Turn("system", "be brief"), Turn("user", "the question")],
                       force="strong")
    assert d.text == "the question"
    e.record_call(d, "answer")
    assert load_traffic(rec.path).records[0].prompt == "the question"


def test_no_recorder_records_nothing(tmp_path):
    e = RoutingEngine("random", threshold=1.0)
    assert e.record_call(e.decide("hi"), "hello") is None
    assert e.decide("hi").text == "hi"  # the text the router scored


@pytest.mark.parametrize("failure", ["directory", "disk_full"])
def test_unwritable_log_warns_counts_and_never_raises(tmp_path, monkeypatch, caplog, failure):
    if failure == "directory":
        path = tmp_path / "is_a_dir.jsonl"
        path.mkdir()
    else:
        if not Path("/dev/full").exists():
            pytest.skip("needs /dev/full (Linux) to play a full disk")
        path = tmp_path / "t.jsonl"
        path.symlink_to("/dev/full")  # every write fails with ENOSPC
    rec = TrafficRecorder(path)
    e = engine(rec)
    with caplog.at_level(logging.WARNING, logger="routellm"):
        for _ in range(3):
            assert e.record_call(e.decide("hi"), "hello") is not None
    s = rec.stats
    assert (s.records, s.write_errors) == (0, 3)
    warnings = [r for r in caplog.records if "could not write" in r.getMessage()]
    assert len(warnings) == 1  # once per kind of error, then counted


def test_a_failing_answer_is_counted_not_raised(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)

    def boom() -> str:
        raise RuntimeError("no text")

    e.record_call(e.decide("hi"), boom)
    assert rec.stats.write_errors == 1


def test_shadow_calls_are_recorded_counted_and_priced(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    e = engine(rec, prices={"strong": (10.0, 30.0), "weak": (1.0, 1.0)})
    seen = []

    def shadow(route):
        seen.append(route)
        return "strong answer", 1_000_000, 1_000_000

    run_id = e.record_call(e.decide("hi"), "weak answer", shadow=shadow)
    assert rec.flush(timeout=10)
    assert seen == ["strong"]
    recs = load_traffic(rec.path).records
    assert [(r.model, r.shadow, r.run_id) for r in recs] == [
        ("small", False, run_id), ("big", True, run_id)]
    s = e.recorder_stats()
    assert s.shadow_calls == {"strong": 1, "weak": 0}
    assert s.shadow_cost == pytest.approx(40.0)  # 1M in at $10 + 1M out at $30
    # the recorder's own statistics know the engine's prices too
    assert rec.stats.shadow_cost == pytest.approx(40.0)
    # the user's own statistics are not touched by the shadow call
    assert e.stats.snapshot().calls == {"strong": 0, "weak": 1}


def test_shadow_is_off_by_default_and_never_for_forced_calls(tmp_path):
    calls = []
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)
    e.record_call(e.decide("hi"), "a", shadow=lambda r: calls.append(r) or ("x", 1, 1))
    rec2 = TrafficRecorder(tmp_path / "u.jsonl", shadow_rate=1.0)
    e2 = engine(rec2)
    e2.record_call(e2.decide("hi", force="weak"), "a",
                   shadow=lambda r: calls.append(r) or ("x", 1, 1))
    assert calls == []
    assert rec.stats.total_shadow_calls == rec2.stats.total_shadow_calls == 0


def test_shadow_rate_share_is_seeded(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=0.3, seed=1)
    drawn = sum(rec.should_shadow() for _ in range(1000))
    assert 250 < drawn < 350


def test_a_failing_shadow_call_is_counted(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0)
    e = engine(rec)

    def bad(route):
        raise RuntimeError("down")

    e.record_call(e.decide("hi"), "a", shadow=bad)
    assert rec.flush(timeout=10)
    assert rec.stats.shadow_errors == 1 and rec.stats.records == 1


def test_feedback_attaches_to_the_right_record(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    e = engine(rec)
    first = e.record_call(e.decide("first"), "a1", shadow=lambda r: ("b1", None, None))
    second = e.record_call(e.decide("second"), "a2", shadow=lambda r: ("b2", None, None))
    assert rec.flush(timeout=10)
    rec.feedback(second, grade=8)
    rec.feedback(second, grade=3, shadow=True)
    rec.feedback(first, thumbs=False)
    assert feedback_path(rec.path).is_file()
    by = {(r.prompt, r.model): (r.outcome, r.kind) for r in load_traffic(rec.path).records}
    assert by == {("first", "small"): (0.0, "thumbs"), ("first", "big"): (None, None),
                  ("second", "small"): (8.0, "grade"), ("second", "big"): (3.0, "grade")}


def test_feedback_errors(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    with pytest.raises(ConfigError, match="exactly one"):
        rec.feedback("x")
    with pytest.raises(ConfigError, match="exactly one"):
        rec.feedback("x", grade=1, thumbs=True)
    with pytest.raises(ConfigError, match="True or False"):
        rec.feedback("x", correct=1)  # type: ignore[arg-type]
    e = engine(rec)
    e.record_call(e.decide("hi"), "a", run_id="r1")
    with pytest.raises(ConfigError, match=r"run id 'no-such-run': .*t\.jsonl holds no record"):
        rec.feedback("no-such-run", correct=True)  # refused at once, nothing written
    assert not feedback_path(rec.path).exists()
    rec.feedback("r1", correct=True)
    # a new recorder on the same log (a restart, another process) finds the old run ids
    TrafficRecorder(rec.path).feedback("r1", correct=False)
    other = TrafficRecorder(rec.path)
    e.record_call(e.decide("hi"), "b", run_id="r2")  # written by the first recorder
    other.feedback("r2", thumbs=True)               # found by reading what was appended


def test_bad_recorder_settings():
    with pytest.raises(ConfigError, match="shadow_rate"):
        TrafficRecorder("t.jsonl", shadow_rate=2)
    with pytest.raises(ConfigError, match=".jsonl"):
        TrafficRecorder("t.csv")
    with pytest.raises(ConfigError, match="TrafficRecorder"):
        RoutingEngine("random", recorder="t.jsonl")


def test_bad_logs_name_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    good = json.dumps({"prompt": "q", "model": "m", "answer": "a"})
    p.write_text(good + "\n" + '{"prompt": "q2", "model": "m", "ans')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: not valid JSON"):
        load_traffic(p, strict=True)
    p.write_text(good + "\n" + json.dumps({"prompt": "q", "model": "m", "answer": "b",
                                            "outcome_kind": "grade"}) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:2: outcome_kind is 'grade' but the outcome is missing"):
        load_traffic(p, strict=True)


def test_copies_and_pickles_keep_the_recorder(tmp_path):
    import copy
    import pickle

    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)
    assert e.copy().recorder is rec and e.variant(threshold=0.0).recorder is rec
    assert copy.deepcopy(e).recorder is rec
    clone = pickle.loads(pickle.dumps(e))
    assert clone.recorder.path == rec.path


# ---- issue 21: shadow calls off the caller's path ---------------------------------------------
def test_shadow_calls_run_in_the_background_and_flush_writes_them(tmp_path):
    import threading

    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    e = engine(rec)
    release, started = threading.Event(), threading.Event()

    def slow_strong(route):
        started.set()
        release.wait(10)  # a slow strong model: it answers only when the test says so
        return "strong answer", 3, 4

    run_id = e.record_call(e.decide("hi"), "weak answer", shadow=slow_strong)
    # record_call returned while the shadow call is still running: the caller did not wait
    assert started.wait(10) and not release.is_set()
    assert [r.shadow for r in load_traffic(rec.path).records] == [False]
    assert rec.stats.shadow_pending == 1
    assert not rec.flush(timeout=0.05)  # still pending
    release.set()
    assert rec.close(timeout=10)
    recs = load_traffic(rec.path).records
    assert [(r.shadow, r.answer, r.run_id) for r in recs] == [
        (False, "weak answer", run_id), (True, "strong answer", run_id)]
    assert rec.stats.shadow_pending == 0


def test_a_full_shadow_queue_drops_and_counts(tmp_path, caplog):
    import threading

    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, shadow_queue=2,
                          shadow_workers=1)
    e = engine(rec)
    release = threading.Event()
    with caplog.at_level(logging.WARNING, logger="routellm"):
        for _ in range(5):
            e.record_call(e.decide("hi"), "a", shadow=lambda r: (release.wait(10), ("b", 1, 1))[1])
    s = rec.stats
    assert (s.shadow_pending, s.shadow_dropped) == (2, 3)
    assert sum("dropped" in r.getMessage() for r in caplog.records) == 1  # warned once
    release.set()
    assert rec.flush(timeout=10)
    assert rec.stats.total_shadow_calls == 2 and rec.stats.records == 7


def test_async_shadow_calls_are_tasks_and_aflush_waits_for_them(tmp_path):
    import asyncio

    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0)
    e = engine(rec)

    async def main():
        release = asyncio.Event()

        async def slow(route):
            await asyncio.wait_for(release.wait(), 5)  # a slow strong model, held by the test
            return "strong answer", None, None

        await e.arecord_call(e.decide("hi"), "weak answer", shadow=slow)
        assert rec.stats.shadow_pending == 1 and rec.stats.records == 1  # not waited for
        release.set()
        assert await rec.aflush(timeout=10)

    asyncio.run(main())
    assert rec.stats.records == 2 and rec.stats.shadow_pending == 0


def test_async_shadow_cancelled_with_its_loop_is_counted_as_dropped(tmp_path):
    import asyncio

    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0)
    e = engine(rec)

    async def never(route):
        await asyncio.sleep(5)
        return "x", None, None

    async def main():
        await e.arecord_call(e.decide("hi"), "a", shadow=never)

    asyncio.run(main())  # the loop ends with the task pending: cancelled
    s = rec.stats
    assert (s.shadow_dropped, s.shadow_pending, s.records) == (1, 0, 1)


def test_pending_shadow_calls_are_written_at_exit(tmp_path):
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "t.jsonl"
    script = textwrap.dedent(f"""
        import time
        from routellm_core.routing.engine import RoutingEngine
        from routellm_core.routing.recorder import TrafficRecorder
        rec = TrafficRecorder({str(path)!r}, shadow_rate=1.0)
        e = RoutingEngine("random", threshold=1.0, recorder=rec)
        def slow(route):
            time.sleep(0.5)
            return "late answer", 1, 1
        e.record_call(e.decide("hi"), "a", shadow=slow)
        # no flush, no close: the interpreter exits with the shadow call pending
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert [r.answer for r in load_traffic(path).records] == ["a", "late answer"]


# ---- issue 21: a log that survives -------------------------------------------------------------
def test_torn_and_invalid_lines_are_skipped_with_a_counting_warning(tmp_path, caplog):
    p = tmp_path / "t.jsonl"
    good = json.dumps({"prompt": "q", "model": "m", "answer": "a", "run_id": "r1"})
    bad_value = json.dumps({"prompt": "q", "model": "m", "answer": "b", "route": "middle"})
    p.write_text(good + "\n" + bad_value + "\n" + "[1, 2]\n" + '{"prompt": "q2", "mo')
    with caplog.at_level(logging.WARNING, logger="routellm"):
        log = load_traffic(p)
    assert [r.answer for r in log.records] == ["a"]
    assert len(log.skipped) == 3 and "t.jsonl:4: not valid JSON" in log.skipped[2]
    msgs = [r.getMessage() for r in caplog.records]
    assert any("skipped 3 torn or invalid lines" in m for m in msgs)
    with pytest.raises(DataError, match=r"t\.jsonl:2: route must be"):
        load_traffic(p, strict=True)


def test_feedback_whose_record_was_lost_is_skipped_and_reported(tmp_path, caplog):
    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)
    e.record_call(e.decide("one"), "a", run_id="r1")
    e.record_call(e.decide("two"), "b", run_id="r2")
    rec.feedback("r1", correct=True)
    rec.feedback("r2", correct=False)
    rec.feedback("r2", correct=True, shadow=True)  # no shadow answer was ever recorded
    lines = rec.path.read_text().splitlines()
    rec.path.write_text(lines[0] + "\n")  # r2's record is lost
    for strict in (False, True):  # never fatal
        with caplog.at_level(logging.WARNING, logger="routellm"):
            log = load_traffic(rec.path, strict=strict)
        assert [(r.run_id, r.outcome) for r in log.records] == [("r1", 1.0)]
        assert len(log.feedback_skipped) == 2
        assert "t.feedback.jsonl:2: run id 'r2' is not in" in log.feedback_skipped[0]
    assert any("skipped 2 feedback rows" in r.getMessage() for r in caplog.records)


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps({"prompt": "q", "model": "m", "answer": "a"}) + "\n"
                 + '{"prompt": "cut by a cra')
    rec = TrafficRecorder(p)
    e = engine(rec)
    e.record_call(e.decide("after the restart"), "b", run_id="r9")
    log = load_traffic(p)
    assert [r.answer for r in log.records] == ["a", "b"] and len(log.skipped) == 1


def _write_many(path: str, tag: str, n: int) -> None:
    rec = TrafficRecorder(path)
    e = RoutingEngine("random", threshold=1.0, recorder=rec)
    for i in range(n):
        e.record_call(e.decide(f"{tag} {i} " + "x" * 5000), "y" * 3000, run_id=f"{tag}-{i}")


def test_writes_from_threads_and_processes_never_interleave(tmp_path):
    import multiprocessing
    import threading

    path = str(tmp_path / "t.jsonl")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(path, f"p{k}", 40)) for k in range(2)]
    threads = [threading.Thread(target=_write_many, args=(path, f"t{k}", 40)) for k in range(3)]
    for w in (*procs, *threads):
        w.start()
    for w in (*procs, *threads):
        w.join(120)
    log = load_traffic(path, strict=True)  # every line whole
    assert len(log.records) == 200 and len({r.run_id for r in log.records}) == 200


# ---- issue 21: records that say who routed -----------------------------------------------------
def test_records_name_the_router_and_its_checkpoint(tmp_path):
    from routellm_core.routers.random import RandomRouter

    rec = TrafficRecorder(tmp_path / "t.jsonl")
    plain = RandomRouter()
    recalibrated = RandomRouter()
    recalibrated.calibration_ = {"fractions": [0.5], "thresholds": [0.7]}  # an "adapted" copy
    for router in (plain, recalibrated, RandomRouter()):
        e = RoutingEngine(router, threshold=1.0, recorder=rec)
        e.record_call(e.decide("hi"), "a")
    rows = [json.loads(x) for x in rec.path.read_text().splitlines()]
    assert [r["router"] for r in rows] == ["random"] * 3
    ids = [r["router_id"] for r in rows]
    assert ids[0] == ids[2] != ids[1] and all(len(i) == 12 for i in ids)
