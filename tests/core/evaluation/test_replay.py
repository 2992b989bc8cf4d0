"""Replay logs: format, lookups that never invent answers, file round trips, real-data builders."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from routellm_core.costs import PriceTable
from routellm_core.data.benchmarks import load_gsm8k
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord, arena_bench_log, gsm8k_log


@pytest.fixture
def log() -> ReplayLog:
    return ReplayLog(
        [
            ReplayRecord("What is 2+2?", "big", "4", 1.0),
            ReplayRecord("What is 2+2?", "small", "5", 0.0, input_tokens=7, output_tokens=3),
            ReplayRecord("Name a prime.", "big", "7", 1.0),
            ReplayRecord("Name a prime.", "small", "9, which is prime", None),
        ],
        name="toy",
    )


# ---- records ------------------------------------------------------------------------------------
def test_record_validates_types() -> None:
    with pytest.raises(DataError, match="answer must be a string"):
        ReplayRecord("p", "m", None)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="model must be a non-empty"):
        ReplayRecord("p", "", "a")
    with pytest.raises(DataError, match="outcome must be a number"):
        ReplayRecord("p", "m", "a", outcome="good")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="output_tokens must be a non-negative integer"):
        ReplayRecord("p", "m", "a", output_tokens=-1)


def test_nan_outcome_means_unknown() -> None:
    assert ReplayRecord("p", "m", "a", outcome=float("nan")).outcome is None


def test_recorded_tokens_win_over_estimates(log: ReplayLog) -> None:
    assert log.tokens("small", "What is 2+2?") == (7, 3)
    # estimated: "What", "is", "2", "+", "2", "?" -> 6 pieces; "4" -> 1
    assert log.tokens("big", "What is 2+2?") == (6, 1)


# ---- lookups ------------------------------------------------------------------------------------
def test_lookup_returns_the_recorded_answer(log: ReplayLog) -> None:
    assert log.answer("small", "What is 2+2?") == "5"
    assert log.answer("big", "Name a prime.") == "7"
    assert log.outcome("small", "Name a prime.") is None
    assert log.models() == ["big", "small"]
    assert log.prompts() == ["What is 2+2?", "Name a prime."]
    assert len(log) == 4


def test_unknown_prompt_is_an_error_not_an_answer(log: ReplayLog) -> None:
    with pytest.raises(DataError, match=r"prompt 'What is 3\+3\?' is not in the replay log 'toy'"):
        log.answer("big", "What is 3+3?")
    # a prompt is matched exactly: no fuzzy match on whitespace or case
    with pytest.raises(DataError, match="only answers recorded prompts"):
        log.answer("big", "what is 2+2?")


def test_unknown_model_lists_the_known_ones(log: ReplayLog) -> None:
    with pytest.raises(UnknownNameError, match="'medium'.*big, small"):
        log.answer("medium", "What is 2+2?")


def test_conflicting_duplicates_are_rejected_identical_ones_merge() -> None:
    r = ReplayRecord("p", "m", "a", 1.0)
    log = ReplayLog([r, r])
    assert len(log) == 1
    with pytest.raises(DataError, match="two different records for model 'm'"):
        log.add(ReplayRecord("p", "m", "b", 1.0))


def test_outcomes_array_uses_nan_for_unknown(log: ReplayLog) -> None:
    out = log.outcomes("small", log.prompts())
    assert out[0] == 0.0 and math.isnan(out[1])


def test_subset_and_to_benchmark(log: ReplayLog) -> None:
    sub = log.subset(["Name a prime."])
    assert sub.prompts() == ["Name a prime."] and len(sub) == 2
    with pytest.raises(DataError, match="not in the replay log"):
        log.subset(["nope"])
    # the prime prompt has no outcome for "small": only the other one is benchmarkable
    bench = log.to_benchmark("big", "small")
    assert bench.prompts == ["What is 2+2?"]
    assert bench.strong_outcomes.tolist() == [1.0] and bench.weak_outcomes.tolist() == [0.0]
    with pytest.raises(DataError, match="no prompt in the replay log has outcomes"):
        log.subset(["Name a prime."]).to_benchmark("big", "small")


# ---- files --------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_save_load_round_trip(log: ReplayLog, tmp_path: Path, suffix: str) -> None:
    path = log.save(tmp_path / f"log{suffix}")
    back = ReplayLog.load(path)
    assert sorted(back, key=lambda r: (r.model, r.prompt)) == sorted(
        log, key=lambda r: (r.model, r.prompt)
    )
    assert back.name == "log"


def test_csv_accepts_true_false_outcomes_and_multiline_answers(tmp_path: Path) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(
        'prompt,model,answer,outcome\n"q1",a,"line one\nline two",True\n"q1",b,x,False\nq2,a,y,\n',
        encoding="utf-8",
    )
    log = ReplayLog.load(p)
    assert log.answer("a", "q1") == "line one\nline two"
    assert log.outcome("a", "q1") == 1.0 and log.outcome("b", "q1") == 0.0
    assert log.outcome("a", "q2") is None


def test_malformed_files_name_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(
        json.dumps({"prompt": "q", "model": "m", "answer": "a"}) + "\n"
        + json.dumps({"prompt": "q2", "model": "m"}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"bad.jsonl:2: missing field 'answer'"):
        ReplayLog.load(p)
    c = tmp_path / "bad.csv"
    c.write_text("prompt,answer\nq,a\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column 'model'"):
        ReplayLog.load(c)
    t = tmp_path / "tok.csv"
    t.write_text("prompt,model,answer,input_tokens\nq,m,a,1.5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"tok.csv:2: input_tokens must be a non-negative integer"):
        ReplayLog.load(t)
    with pytest.raises(DataError, match="use a .jsonl or .csv"):
        ReplayLog.load(tmp_path / "log.txt")
    with pytest.raises(DataError, match="does not exist"):
        ReplayLog.load(tmp_path / "missing.jsonl")


# ---- real data ----------------------------------------------------------------------------------
def test_gsm8k_log_matches_the_benchmark_loader(data_dir: Path) -> None:
    log = gsm8k_log(data_dir)
    bench = load_gsm8k(data_dir)
    assert log.models() == sorted([STRONG_MODEL, WEAK_MODEL])
    assert log.prompts() == bench.prompts and len(bench.prompts) == 1307
    for m in (STRONG_MODEL, WEAK_MODEL):
        np.testing.assert_array_equal(log.outcomes(m, bench.prompts), bench.outcomes[m])
    # the published accuracies after dropping contaminated prompts
    assert round(100 * log.outcomes(STRONG_MODEL, bench.prompts).mean(), 2) == 85.77
    assert round(100 * log.outcomes(WEAK_MODEL, bench.prompts).mean(), 2) == 63.73
    first = bench.prompts[0]
    assert log.answer(STRONG_MODEL, first) == bench.extra[f"{STRONG_MODEL}_response"][0]
    assert "18" in log.answer(WEAK_MODEL, first)  # Janet's ducks: $18


def test_arena_bench_log_answers_and_grades(data_dir: Path) -> None:
    log = arena_bench_log(data_dir)
    assert len(log.prompts()) == 300 and len(log.models()) == 16
    qs = [json.loads(line) for line in (data_dir / "arena-bench-v1/question.jsonl").open()]
    ans = {
        (o := json.loads(line))["question_id"]: o["choices"][0]["turns"][0]
        for line in (data_dir / "arena-bench-v1/model_answer/gpt-4-1106-preview.jsonl").open()
    }
    q = qs[5]
    assert log.answer(STRONG_MODEL, q["turns"][0]) == ans[q["question_id"]]
    grades = {
        (o := json.loads(line))["question_id"]: o["score"]
        for line in (data_dir / "arena-bench-v1/judge_scores.jsonl").open()
        if json.loads(line)["model"] == WEAK_MODEL
    }
    assert log.outcome(WEAK_MODEL, q["turns"][0]) == grades[q["question_id"]]
    # ungraded models keep their answers with unknown outcomes
    assert np.isnan(log.outcomes("vicuna-7b-v1.5", log.prompts())).all()
    # GPT-4-1106 beats Mixtral on 197 prompts, ties 69, loses 27 (data README)
    s = log.outcomes(STRONG_MODEL, log.prompts())
    w = log.outcomes(WEAK_MODEL, log.prompts())
    ok = ~(np.isnan(s) | np.isnan(w))
    assert (int((s > w)[ok].sum()), int((s == w)[ok].sum()), int((s < w)[ok].sum())) == (197, 69, 27)


def test_arena_bench_log_model_filter(data_dir: Path) -> None:
    log = arena_bench_log(data_dir, models=[STRONG_MODEL, WEAK_MODEL])
    assert log.models() == sorted([STRONG_MODEL, WEAK_MODEL]) and len(log) == 600
    with pytest.raises(UnknownNameError, match="Mixtral-8x7B-Instruct-v0.1"):
        arena_bench_log(data_dir, models=["Mixtral-8x7B-Instruct-v0.1"])  # needs the mistralai/ prefix


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        gsm8k_log(tmp_path / "nowhere")
    with pytest.raises(DataError, match="arena-bench-v1 questions not found"):
        arena_bench_log(tmp_path)


def test_cost_of_a_replay_uses_recorded_tokens(log: ReplayLog) -> None:
    prices = PriceTable({"big": (10.0, 30.0), "small": (1.0, 2.0)})
    # small on "What is 2+2?": recorded 7 in / 3 out
    assert log.cost("small", "What is 2+2?", prices) == pytest.approx((7 * 1 + 3 * 2) / 1e6)


LOGS = Path(__file__).resolve().parent / "logs"


def test_logs_written_before_the_records_were_typed_still_load() -> None:
    """``logs/`` holds a replay log (JSONL and CSV) and a recorded traffic log with feedback,
    written by this package before ReplayRecord became a pydantic model; they read back as
    they did then (``logs/expected.json``)."""
    from routellm_core.evaluation.traffic import load_traffic

    expected = json.loads((LOGS / "expected.json").read_text(encoding="utf-8"))
    for name in ("replay_log.jsonl", "replay_log.csv"):
        assert [r.to_dict() for r in ReplayLog.load(LOGS / name)] == expected[name], name
    traffic = load_traffic(LOGS / "traffic.jsonl")
    assert [[r.run_id, r.route, r.shadow, r.kind, r.line, r.record.to_dict()]
            for r in traffic.records] == expected["traffic"]
    assert [r.to_dict() for r in traffic.to_replay_log()] == expected["traffic_replay"]


def test_a_record_is_a_typed_model_with_no_extra_fields() -> None:
    with pytest.raises(DataError, match="unknown field 'score'; valid fields: prompt, model, "
                                        "answer, outcome, input_tokens, output_tokens"):
        ReplayRecord("q", "m", "a", score=1.0)  # type: ignore[call-arg]
    with pytest.raises(DataError, match="input_tokens must be a non-negative integer"):
        ReplayRecord("q", "m", "a", input_tokens=True)
    rec = ReplayRecord("q", "m", "a", outcome=1, input_tokens=3)
    assert rec.outcome == 1.0 and isinstance(rec.outcome, float)
    assert ReplayRecord.model_validate(rec.to_dict()) == rec
    with pytest.raises(ValueError):  # frozen: a log's records cannot change under it
        rec.answer = "b"  # type: ignore[misc]
    # rows carry other columns (the recorder's decision fields): a log keeps reading them
    log = ReplayLog.load(LOGS / "traffic.jsonl")
    assert len(log) == 6 and log.models() == ["big", "small"]
