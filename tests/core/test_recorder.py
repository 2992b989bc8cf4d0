"""The traffic recorder in the engine: records, unwritable files, shadow calls, feedback."""

from __future__ import annotations

import errno
import json
import logging
from pathlib import Path

import pytest

from routellm_core.engine import RoutingEngine, Turn
from routellm_core.errors import ConfigError, DataError
from routellm_core.evaluation.replay import ReplayLog
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.recorder import TrafficRecorder, feedback_path


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
        path = tmp_path / "t.jsonl"

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(Path, "open", full)
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
    assert seen == ["strong"]
    recs = load_traffic(rec.path).records
    assert [(r.model, r.shadow, r.run_id) for r in recs] == [
        ("small", False, run_id), ("big", True, run_id)]
    s = e.recorder_stats()
    assert s.shadow_calls == {"strong": 1, "weak": 0}
    assert s.shadow_cost == pytest.approx(40.0)  # 1M in at $10 + 1M out at $30
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
    assert rec.stats.shadow_errors == 1 and rec.stats.records == 1


def test_feedback_attaches_to_the_right_record(tmp_path):
    rec = TrafficRecorder(tmp_path / "t.jsonl", shadow_rate=1.0, seed=0)
    e = engine(rec)
    first = e.record_call(e.decide("first"), "a1", shadow=lambda r: ("b1", None, None))
    second = e.record_call(e.decide("second"), "a2", shadow=lambda r: ("b2", None, None))
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
    rec.feedback("nope", correct=True)
    with pytest.raises(DataError, match=r"t\.feedback\.jsonl:1: run id 'nope' is not in"):
        load_traffic(rec.path)


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
        load_traffic(p)
    p.write_text(good + "\n" + json.dumps({"prompt": "q", "model": "m", "answer": "b",
                                            "outcome_kind": "grade"}) + "\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:2: outcome_kind is 'grade' but the outcome is missing"):
        load_traffic(p)


def test_copies_and_pickles_keep_the_recorder(tmp_path):
    import copy
    import pickle

    rec = TrafficRecorder(tmp_path / "t.jsonl")
    e = engine(rec)
    assert e.copy().recorder is rec and e.variant(threshold=0.0).recorder is rec
    assert copy.deepcopy(e).recorder is rec
    clone = pickle.loads(pickle.dumps(e))
    assert clone.recorder.path == rec.path
