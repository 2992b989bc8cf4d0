"""Replay judges: recorded verdicts played as a judge (tiny hand-made files, then the real data)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from routellm_core.cli.main import main
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.judge import PairRequest, judge_log, parse_verdict
from routellm_core.evaluation.replay_judge import (
    UNPARSEABLE_REPLY,
    ArenaHardJudge,
    QloraOAJudge,
    replay_judge,
)
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routing.recorder import TrafficRecorder, feedback_path
from routellm_core.training.adapt import battles_from_traffic

from .test_judge import write_run


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    write(d / "qlora-oa" / "prompts.jsonl", [
        {"message_id": "m1", "lang": "en", "turns": [{"role": "user", "content": "Hello  there?"}]},
        {"message_id": "m2", "lang": "en", "turns": [
            {"role": "user", "content": "earlier"}, {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "Second prompt"}]},
    ])
    write(d / "qlora-oa" / "reviews.jsonl", [
        # m1: gpt-4 better in both orders; the verdict names a system, not a position
        {"message_id": "m1", "system_a": "gpt-4", "system_b": "vicuna-13b", "order": "ab",
         "verdict": "a"},
        {"message_id": "m1", "system_a": "gpt-4", "system_b": "vicuna-13b", "order": "ba",
         "verdict": "a"},
        # m2: the judge picks whatever is shown first, then an unparsed review
        {"message_id": "m2", "system_a": "gpt-4", "system_b": "vicuna-13b", "order": "ab",
         "verdict": "a"},
        {"message_id": "m2", "system_a": "gpt-4", "system_b": "vicuna-13b", "order": "ba",
         "verdict": "b"},
        {"message_id": "m2", "system_a": "7b-guanaco", "system_b": "gpt-4", "order": "ab",
         "verdict": "unparsed"},
    ])
    write(d / "arena-hard-v0.1" / "question.jsonl", [
        {"question_id": "q1", "cluster": "c", "prompt": "Write a parser."},
        {"question_id": "q2", "cluster": "c", "prompt": "Prove it."},
        {"question_id": "q3", "cluster": "c", "prompt": "Only one game."},
    ])
    base = {"model_a": "gpt-4-0314", "model_b": "gpt-3.5-turbo-0125",
            "judge": "gpt-4-1106-preview", "fork": "f"}
    write(d / "arena-hard-v0.1" / "battles.jsonl", [
        {**base, "question_id": "q1", "winner": "model_a", "count": 4},  # A>>B and A>B
        {**base, "question_id": "q2", "winner": "model_a", "count": 1},  # the games disagree
        {**base, "question_id": "q2", "winner": "model_b", "count": 3},
        {**base, "question_id": "q3", "winner": "model_b", "count": 3},  # one game parsed
    ])
    return d


def ask(judge, prompt, first, second):
    return parse_verdict(judge.judge_pair(PairRequest(prompt, "", "", first, second)).text)


def test_qlora_oa_replays_each_order(tiny):
    j = QloraOAJudge(tiny)
    assert ask(j, "Hello there?", "gpt-4", "vicuna-13b") == "A"  # whitespace collapsed
    assert ask(j, "Hello there?", "vicuna-13b", "gpt-4") == "B"
    assert ask(j, "Second prompt", "gpt-4", "vicuna-13b") == "A"  # the last user turn
    assert ask(j, "Second prompt", "vicuna-13b", "gpt-4") == "A"
    assert j.combined("Hello there?", "gpt-4", "vicuna-13b") == "strong"
    assert j.combined("Second prompt", "gpt-4", "vicuna-13b") == "tie"
    reply = j.judge_pair(PairRequest("Second prompt", "", "", "7b-guanaco", "gpt-4")).text
    assert reply == UNPARSEABLE_REPLY and parse_verdict(reply) is None
    with pytest.raises(DataError, match="no recorded verdict"):
        j.judge_pair(PairRequest("Second prompt", "", "", "gpt-4", "7b-guanaco"))
    with pytest.raises(DataError, match="not in the data"):
        j.judge_pair(PairRequest("never asked", "", "", "gpt-4", "vicuna-13b"))
    with pytest.raises(UnknownNameError, match="vicuna-13b"):
        j.judge_pair(PairRequest("Hello there?", "", "", "gpt-4o", "vicuna-13b"))
    mapped = QloraOAJudge(tiny, models={"big": "gpt-4", "small": "vicuna-13b"})
    assert ask(mapped, "Hello there?", "small", "big") == "B"
    bench = j.benchmark("gpt-4", "vicuna-13b")
    assert bench.prompts == ["Hello  there?", "Second prompt"]  # the recorded text
    assert list(bench.strong_outcomes) == [1.0, 0.5] and list(bench.weak_outcomes) == [0.0, 0.5]


def test_arena_hard_decodes_repeated_verdicts_into_games(tiny):
    j = ArenaHardJudge(tiny)
    s, w = "gpt-4-0314", "gpt-3.5-turbo-0125"
    assert ask(j, "Write a parser.", s, w) == "A" and ask(j, "Write a parser.", w, s) == "B"
    assert j.combined("Write a parser.", s, w) == "strong"
    assert j.combined("Prove it.", s, w) == "tie"  # one game each way
    assert j.combined("Only one game.", s, w) is None  # the other game was not parseable
    assert j.benchmark(s, w).prompts == ["Write a parser.", "Prove it."]
    with pytest.raises(DataError, match="against gpt-4-0314"):
        j.judge_pair(PairRequest("Prove it.", "", "", w, w))
    with pytest.raises(UnknownNameError, match="gpt-4-1106-preview"):
        ArenaHardJudge(tiny, judge="claude")


def test_bad_lines_name_file_and_line(tiny):
    p = tiny / "qlora-oa" / "reviews.jsonl"
    p.write_text(p.read_text() + '{"message_id": "m1", "system_a": "x", "system_b": "y", '
                 '"order": "zz", "verdict": "a"}\n')
    with pytest.raises(DataError, match=r"reviews.jsonl:6: order must be one of ab, ba"):
        QloraOAJudge(tiny)
    q = tiny / "arena-hard-v0.1" / "battles.jsonl"
    q.write_text(q.read_text() + "{not json\n")
    with pytest.raises(DataError, match=r"battles.jsonl:5"):
        ArenaHardJudge(tiny)
    with pytest.raises(DataError, match="does not exist"):
        QloraOAJudge(tiny / "arena-hard-v0.1")
    with pytest.raises(UnknownNameError, match="qlora-oa"):
        replay_judge("mt-bench", tiny)


def record_pairs(path: Path, prompts: list[str], strong: str, weak: str) -> None:
    rec = TrafficRecorder(path)
    names = {"strong": strong, "weak": weak}
    for i, p in enumerate(prompts):
        write_run(rec, p, f"r{i}", "strong" if i % 2 else "weak",
                  {r: f"{m} on {p[:20]}" for r, m in names.items()}, names)


def test_judge_log_with_a_replay_judge_end_to_end(tiny, tmp_path, capsys):
    path = tmp_path / "traffic.jsonl"
    record_pairs(path, ["Hello there?", "Second prompt", "Prove it."], "gpt-4", "vicuna-13b")
    report = judge_log(path, QloraOAJudge(tiny))
    # the third prompt is not in qlora-oa: an error, counted; the run goes on
    assert (report.judged, report.errors, report.disagreements) == (2, 1, 1)
    assert report.verdicts == {"strong": 1, "tie": 1}
    battles, _ = battles_from_traffic(load_traffic(path))
    assert {b.prompt: b.winner for b in battles} == {"Hello there?": "model_a",
                                                     "Second prompt": "tie"}
    assert main(["judge", "--log", str(path), "--judge", "replay:qlora-oa",
                 "--data-dir", str(tiny)]) == 0
    assert "2 already judged" in capsys.readouterr().out


# ---- on the real data --------------------------------------------------------------------
def _qlora_truth(data_dir: Path, strong: str, weak: str) -> dict[str, str | None]:
    """The both-orders rule computed straight from reviews.jsonl, by message id."""
    first_of = {}
    for line in (data_dir / "qlora-oa" / "prompts.jsonl").open():
        r = json.loads(line)
        first_of.setdefault(" ".join(r["turns"][-1]["content"].split()), r["message_id"])
    by = defaultdict(dict)
    for line in (data_dir / "qlora-oa" / "reviews.jsonl").open():
        r = json.loads(line)
        if {r["system_a"], r["system_b"]} == {strong, weak}:
            winner = {"a": r["system_a"], "b": r["system_b"]}.get(r["verdict"], r["verdict"])
            by[r["message_id"]][r["order"]] = winner
    out: dict[str, str | None] = {}
    for key, mid in first_of.items():
        v = by.get(mid, {})
        if len(v) < 2 or "unparsed" in v.values():
            out[key] = None
        elif v["ab"] != v["ba"] or v["ab"] == "tie":
            out[key] = "tie"
        else:
            out[key] = "strong" if v["ab"] == strong else "weak"
    return out


def test_qlora_oa_replay_judge_matches_the_recorded_reviews(data_dir, tmp_path):
    strong, weak = "gpt-4", "vicuna-13b"
    judge = QloraOAJudge(data_dir)
    prompts = judge.log(strong, weak).prompts()[:60]
    path = tmp_path / "traffic.jsonl"
    record_pairs(path, prompts, strong, weak)
    report = judge_log(path, judge)
    truth = _qlora_truth(data_dir, strong, weak)
    want = {p: truth[" ".join(p.split())] for p in prompts}
    got = {}
    recs = {r.run_id: r.prompt for r in load_traffic(path).records}
    for line in feedback_path(path).read_text().splitlines():
        row = json.loads(line)
        got[recs[row["run_id"]]] = row["verdict"]
    assert got == {p: v for p, v in want.items() if v is not None}
    assert report.unparseable == sum(v is None for v in want.values())
    assert report.verdicts["strong"] > report.verdicts["weak"]  # GPT-4 wins mostly


def test_arena_hard_replay_judge_on_the_real_data(data_dir):
    judge = ArenaHardJudge(data_dir)
    bench = judge.benchmark("gpt-4-0314", "gpt-3.5-turbo-0125")
    rows = defaultdict(list)
    for line in (data_dir / "arena-hard-v0.1" / "battles.jsonl").open():
        r = json.loads(line)
        if r["model_b"] == "gpt-3.5-turbo-0125":
            rows[r["question_id"]].append(r)
    # a question whose rows all name one winner with two games' worth of rows is that
    # winner's; rows with two winners are a tie
    qtext = {json.loads(x)["question_id"]: json.loads(x)["prompt"]
             for x in (data_dir / "arena-hard-v0.1" / "question.jsonl").open()}
    outcome = dict(zip(bench.prompts, bench.strong_outcomes, strict=True))
    checked = 0
    for qid, rs in rows.items():
        winners = {r["winner"] for r in rs}
        if len(winners) == 2:
            assert outcome[qtext[qid]] == 0.5
            checked += 1
        elif rs[0]["count"] in (2, 4, 6) and winners != {"tie"}:  # two games, one winner
            assert outcome[qtext[qid]] == (1.0 if winners == {"model_a"} else 0.0)
            checked += 1
        elif rs[0]["count"] == 2:  # two tied games
            assert outcome[qtext[qid]] == 0.5
            checked += 1
    assert checked > 480
    assert len(bench) == 499 - sum(1 for rs in rows.values() if len(rs) == 1
                                   and rs[0]["count"] in (1, 3))
