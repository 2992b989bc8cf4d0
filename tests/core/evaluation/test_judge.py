"""The LLM judge of recorded shadow pairs: scripted fake judges, reruns, spend caps, the CLI."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from routellm_core.cli.main import main
from routellm_core.errors import ConfigError
from routellm_core.evaluation.judge import (
    JUDGE_PROMPT,
    JudgeReply,
    PairRequest,
    judge_log,
    judge_prompt,
    parse_verdict,
)
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routing.engine import RoutingEngine
from routellm_core.routing.recorder import TrafficRecorder, feedback_path
from routellm_core.training.adapt import battles_from_traffic


def write_run(rec: TrafficRecorder, prompt: str, run_id: str, served: str,
              answers: dict[str, str], names: dict[str, str], *, shadow: bool = True) -> None:
    """The rows the engine writes for a routed call and its shadow call (written directly, so
    these tests do not depend on when the engine makes the shadow call)."""
    for route in (served, "weak" if served == "strong" else "strong")[:2 if shadow else 1]:
        row = {"prompt": prompt, "model": names[route], "answer": answers[route],
               "outcome": None, "input_tokens": None, "output_tokens": None, "run_id": run_id,
               "route": route, "reason": "router", "score": 0.5, "threshold": 0.5,
               "router": "random", "strong_model": names["strong"], "weak_model": names["weak"]}
        if route != served:
            row["shadow"] = True
        assert rec.write(row)


def record(path: Path, n: int = 6, *, shadow: bool = True) -> dict[str, str]:
    """A log of ``n`` runs, alternately served strong and weak, each with its shadow answer.
    The strong model answers ``good-i`` except on every third run, where the weak one does.
    Returns run id -> which side is good."""
    rec = TrafficRecorder(path)
    truth = {}
    for i in range(n):
        ans = {"strong": f"good-{i}" if i % 3 != 2 else f"bad-{i}",
               "weak": f"bad-{i}" if i % 3 != 2 else f"good-{i}"}
        run_id = f"run-{i}"
        write_run(rec, f"question {i}", run_id, "strong" if i % 2 == 0 else "weak", ans,
                  {"strong": "big", "weak": "small"}, shadow=shadow)
        truth[run_id] = "strong" if ans["strong"].startswith("good") else "weak"
    return truth


def test_the_engine_records_pairs_the_judge_reads(tmp_path):
    path = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(path, shadow_rate=1.0, seed=0)
    e = RoutingEngine("random", threshold=0.0, strong_name="big", weak_name="small", recorder=rec)
    e.record_call(e.decide("q"), "good", run_id="r1", shadow=lambda route: ("bad", None, None))
    for close in ("flush", "close"):  # the shadow call may run in the background
        if callable(getattr(rec, close, None)):
            getattr(rec, close)()
            break
    report = judge_log(path, fair, name="fair")
    assert report.verdicts == {"strong": 1}


def shown(prompt: str) -> tuple[str, str]:
    first = prompt.split("[Answer A]\n")[1].split("\n\n[Answer B]")[0]
    second = prompt.split("[Answer B]\n")[1].split("\n\nGive your reasons")[0]
    return first, second


def fair(prompt: str) -> str:
    """A judge that prefers the answer starting with 'good', wherever it is shown."""
    first, _ = shown(prompt)
    return "Reasons.\nVERDICT: A" if first.startswith("good") else "Reasons.\n**Verdict:** B"


def feedback_rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in feedback_path(path).read_text().splitlines()]


@pytest.mark.parametrize("text,want", [
    ("VERDICT: A", "A"), ("blah\nverdict: b", "B"), ("VERDICT: TIE", "tie"),
    ("**Verdict:** [A]", "A"), ("Final verdict is B.", "B"), ("tie", "tie"), (" B ", "B"),
    ("VERDICT: A\nVERDICT: A", "A"),
    ("A is better", None), ("", None), ("VERDICT: A then VERDICT: B", None),
    ("Verdict: Assistant A", None), (JUDGE_PROMPT, None),  # the instructions echoed back
])
def test_parse_verdict(text, want):
    assert parse_verdict(text) == want


def test_prompt_shows_both_answers_in_order():
    p = judge_prompt(PairRequest("the question", "one", "two", "model-x1", "model-y2"))
    assert shown(p) == ("one", "two") and "the question" in p
    assert "model-x1" not in p and "model-y2" not in p  # a text judge does not see the names


def test_agreeing_judge_writes_verdicts_that_battles_reads(tmp_path):
    path = tmp_path / "traffic.jsonl"
    truth = record(path)
    report = judge_log(path, fair, name="fair")
    assert (report.pairs, report.judged, report.failed, report.disagreements) == (6, 6, 0, 0)
    assert report.calls == 12  # both orders
    rows = feedback_rows(path)
    assert len(rows) == 12 and all(r["judge"] == "fair" and r["kind"] == "grade" for r in rows)
    for r in rows:
        assert r["verdict"] == truth[r["run_id"]]
        assert r["orders"] == [truth[r["run_id"]]] * 2
    log = load_traffic(path)
    battles, counts = battles_from_traffic(log)
    assert counts == {"both graded": 6}
    by_prompt = {b.prompt: b.winner for b in battles}
    for i in range(6):
        want = "model_a" if truth[f"run-{i}"] == "strong" else "model_b"
        assert by_prompt[f"question {i}"] == want
    assert report.verdicts == {"strong": 4, "weak": 2}


def test_position_biased_judge_gives_ties(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 4)
    report = judge_log(path, lambda prompt: "VERDICT: A", name="first-wins")
    assert report.judged == 4 and report.disagreements == 4 and report.verdicts == {"tie": 4}
    assert {r["outcome"] for r in feedback_rows(path)} == {0.5}
    assert all(r["orders"] in (["strong", "weak"], ["weak", "strong"]) for r in feedback_rows(path))


def test_unparseable_replies_are_counted_never_guessed(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 3)
    report = judge_log(path, lambda prompt: "The first one is clearly better.", name="vague")
    assert report.unparseable == 3 and report.failed == 3 and report.judged == 0
    assert report.calls == 3  # a pair whose first order fails is not asked again
    assert not feedback_path(path).exists()  # nothing written, nothing guessed
    assert "unparseable" in report.summary() and report.examples


def test_one_unparseable_order_leaves_the_pair_unjudged(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 2)
    calls = iter(["VERDICT: A", "hmm", "VERDICT: B", "VERDICT: A"])
    report = judge_log(path, lambda prompt: next(calls), name="half")
    assert (report.judged, report.failed, report.unparseable) == (1, 1, 1)
    assert {r["run_id"] for r in feedback_rows(path)} == {"run-1"}


def test_raising_judge_is_counted_the_run_goes_on_and_a_rerun_finishes(tmp_path):
    path = tmp_path / "traffic.jsonl"
    truth = record(path, 6)

    def flaky(prompt: str) -> str:
        if "good-3" in prompt or "bad-3" in prompt:
            raise TimeoutError("provider timed out")
        return fair(prompt)

    report = judge_log(path, flaky, name="j")
    assert report.errors == 1 and report.failed == 1 and report.judged == 5
    assert "TimeoutError" in report.examples[0]
    assert {r["run_id"] for r in feedback_rows(path)} == set(truth) - {"run-3"}
    again = judge_log(path, fair, name="j")  # the rerun asks only what is missing
    assert again.already_judged == 5 and again.judged == 1 and again.calls == 2
    assert len(feedback_rows(path)) == 12
    assert judge_log(path, fair, name="j").calls == 0
    other = judge_log(path, fair, name="another judge")  # a different judge judges them all
    assert other.judged == 6


def test_repeated_errors_stop_the_run(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 6)

    def broken(prompt: str) -> str:
        raise PermissionError("invalid API key")

    report = judge_log(path, broken, name="b", max_consecutive_errors=4)
    assert report.errors == 4 and "in a row" in (report.stopped or "")


def test_max_pairs_estimate_and_the_judges_own_tokens(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 6)
    seen = []

    def metered(prompt: str) -> JudgeReply:
        return JudgeReply(fair(prompt), input_tokens=100, output_tokens=10)

    report = judge_log(path, metered, name="m", max_pairs=2, price=(1.0, 2.0),
                       on_estimate=seen.append)
    assert report.judged == 2 and report.capped == 4
    est = seen[0]
    assert est.pairs == 2 and est.calls == 4 and est.output_tokens == 4 * 80
    assert est.cost == pytest.approx((est.input_tokens * 1.0 + est.output_tokens * 2.0) / 1e6)
    assert (report.input_tokens, report.output_tokens) == (400, 40)
    assert report.cost == pytest.approx((400 * 1.0 + 40 * 2.0) / 1e6)
    assert all(r.get("judge_tokens") in (None, [200, 20]) for r in feedback_rows(path))
    # the routed traffic's log is not touched by the judge
    assert all(not r.extra.get("judge") for r in load_traffic(path, feedback=False).records)


def test_dry_run_and_max_cost(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 4)
    report = judge_log(path, fair, name="d", dry_run=True, price=(1.0, 1.0))
    assert report.calls == 0 and report.estimate and report.estimate.pairs == 4
    assert not feedback_path(path).exists()
    with pytest.raises(ConfigError, match="over max_cost"):
        judge_log(path, fair, name="d", price=(1000.0, 1000.0), max_cost=0.01)
    with pytest.raises(ConfigError, match="needs the judge's price"):
        judge_log(path, fair, name="d", max_cost=1.0)


def test_runs_without_a_shadow_answer_are_not_pairs(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 3, shadow=False)
    report = judge_log(path, fair, name="x")
    assert report.pairs == 0 and report.no_pair == 3 and report.calls == 0


def test_a_framework_model_given_directly_names_the_adapter(tmp_path):
    path = tmp_path / "traffic.jsonl"
    record(path, 1)

    class LooksLikeLangChain:
        def invoke(self, prompt):  # pragma: no cover - never called
            return prompt

    with pytest.raises(ConfigError, match="langchain_routellm.as_judge"):
        judge_log(path, LooksLikeLangChain())
    with pytest.raises(ConfigError, match="callable"):
        judge_log(path, 42)


def test_cli_judges_with_a_factory_and_skips_on_rerun(tmp_path, monkeypatch, capsys):
    path = tmp_path / "traffic.jsonl"
    record(path, 4)
    mod = types.ModuleType("my_judges")
    mod.make = lambda: fair  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_judges", mod)
    args = ["judge", "--log", str(path), "--judge", "my_judges:make", "--price", "2.5,10"]
    assert main([*args, "--max-pairs", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("estimate: 3 pairs, 6 judge calls") and "$" in out
    assert "3 pairs judged" in out and "6 calls" in out
    assert {r["judge"] for r in feedback_rows(path)} == {"my_judges:make"}
    assert main(args) == 0
    assert "3 already judged" in capsys.readouterr().out
    assert len(feedback_rows(path)) == 8


@pytest.mark.parametrize("spec,msg", [
    ("nonsense", "replay:qlora-oa"), ("replay:mmlu", "arena-hard"),
    ("no_such_module_xyz:f", "cannot import"), ("json:no_such_attr", "no attribute"),
])
def test_cli_bad_judge_names_the_fix(tmp_path, capsys, spec, msg):
    path = tmp_path / "traffic.jsonl"
    record(path, 1)
    assert main(["judge", "--log", str(path), "--judge", spec]) == 2
    assert msg in capsys.readouterr().err


def test_cli_finds_a_judge_module_in_the_working_directory(tmp_path, monkeypatch, capsys):
    path = tmp_path / "traffic.jsonl"
    record(path, 2)
    (tmp_path / "judges_here.py").write_text(
        "def make():\n    return lambda prompt: 'VERDICT: TIE'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "judges_here", raising=False)
    assert main(["judge", "--log", str(path), "--judge", "judges_here:make"]) == 0
    assert "2 pairs judged" in capsys.readouterr().out
