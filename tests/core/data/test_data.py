"""Battles, converters, data-dir resolution, and the real benchmark loaders."""

import json
from pathlib import Path

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles, battles_from_outcomes
from routellm_core.data.benchmarks import BenchmarkSet, load_benchmark
from routellm_core.data.files import resolve_data_dir
from routellm_core.errors import DataError, UnknownNameError


def _battles():
    return Battles([
        Battle("p1", "a", "b", "model_a", "s1"),
        Battle("p1", "a", "c", "tie", "s1"),
        Battle("p2", "b", "c", "model_b", "s2"),
        Battle("p3", "a", "c", "model_b", "s2"),
    ])


def test_battle_validation():
    with pytest.raises(DataError, match="winner must be one of"):
        Battle("p", "a", "b", "draw")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="two different models"):
        Battle("p", "a", "a", "tie")
    assert Battle.from_dict({"prompt": "p", "model_a": "a", "model_b": "b",
                             "winner": "tie (bothbad)"}).winner == "tie"


def test_filter_split_and_counts():
    bs = _battles()
    assert bs.models() == ["a", "b", "c"]
    assert len(bs.filter(models={"a", "c"})) == 2
    assert len(bs.filter(sources={"s2"})) == 2
    assert len(bs.filter(lambda b: b.winner == "tie")) == 1
    train, test = bs.split(test_fraction=0.34, seed=3)
    assert set(train.prompts()).isdisjoint(test.prompts())
    assert len(train) + len(test) == len(bs)
    assert bs.split(0.34, seed=3)[1].prompts() == test.prompts()  # reproducible
    counts = bs.counts()
    assert counts["source"]["s1"] == 2 and counts["outcome"]["model_b"] == 2
    assert counts["model"]["a"] == 3
    with pytest.raises(ValueError):
        bs.split(test_fraction=1.5)


def test_map_models_drops_self_battles():
    bs = _battles().map_models({"b": "a"})
    assert all(b.model_a != b.model_b for b in bs)
    assert len(bs) == 3


def test_jsonl_round_trip_and_bad_line(tmp_path: Path):
    bs = _battles().with_weight(2.0)
    p = bs.to_jsonl(tmp_path / "b.jsonl")
    back = Battles.from_jsonl(p)
    assert list(back) == list(bs)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(bs[0].to_dict()) + "\n{not json\n")
    with pytest.raises(DataError, match=r"bad\.jsonl:2"):
        Battles.from_jsonl(bad)
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"prompt": "x", "model_a": "a"}\n')
    with pytest.raises(DataError, match=r"missing\.jsonl:1: missing field 'model_b'"):
        Battles.from_jsonl(missing)


def test_battles_from_outcomes_golden_and_grades():
    golden = battles_from_outcomes(["q"], {"a": [1], "b": [0], "c": [1]}, source="g")
    winners = {(b.model_a, b.model_b): b.winner for b in golden}
    assert winners == {("a", "b"): "model_a", ("a", "c"): "tie", ("b", "c"): "model_b"}
    grades = battles_from_outcomes(["q1", "q2"], {"x": [7, None], "y": [9, 3]})
    assert [(b.prompt, b.winner) for b in grades] == [("q1", "model_b")]  # None skipped
    with pytest.raises(DataError, match="outcomes for 2 prompts"):
        battles_from_outcomes(["q1", "q2"], {"x": [1], "y": [0, 1]})


def test_benchmarkset_checks_models():
    with pytest.raises(UnknownNameError, match="valid models"):
        BenchmarkSet("t", ["a"], {"s": np.ones(1)}, strong="s", weak="w")


def test_resolve_data_dir_errors(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="does not exist"):
        resolve_data_dir(tmp_path / "nope")
    # a set but wrong $ROUTELLM_DATA_DIR is an error, even where a default folder exists
    monkeypatch.setattr("routellm_core.data.files._default_candidates", lambda: [tmp_path])
    monkeypatch.setenv("ROUTELLM_DATA_DIR", str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"'.*gone' \(from \$ROUTELLM_DATA_DIR\) does not exist"):
        resolve_data_dir()
    # nothing found: every place tried, the user cache last, and the command that gets the data
    monkeypatch.delenv("ROUTELLM_DATA_DIR")
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("routellm_core.data.files._default_candidates", lambda: [tmp_path / "x"])
    with pytest.raises(DataError) as e:
        resolve_data_dir()
    msg = str(e.value)
    assert str(tmp_path / "x") in msg and str(tmp_path / "cache" / "data") in msg
    assert "routellm data fetch && routellm data build" in msg
    (tmp_path / "cache" / "data").mkdir(parents=True)
    assert resolve_data_dir() == tmp_path / "cache" / "data"
    monkeypatch.setenv("ROUTELLM_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    (tmp_path / "x").mkdir()
    assert resolve_data_dir(tmp_path / "x") == tmp_path / "x"  # --data-dir comes first


@pytest.mark.parametrize(("name", "what", "file"), [
    ("arena-human", "arena-human battles", "arena-human/battles.jsonl"),
    ("mmlu-pro", "mmlu-pro data", "mmlu-pro/correctness.jsonl"),
    ("vicuna-bench", "vicuna-bench reviews", "vicuna-bench/reviews.jsonl"),
])
def test_missing_source_file_names_what_and_where(tmp_path, name, what, file):
    from routellm_core.data.sources import load_source

    with pytest.raises(DataError) as e:
        load_source(name, tmp_path)
    assert str(e.value) == f"{what} not found at {str(tmp_path / file)!r}"


def test_unknown_benchmark():
    with pytest.raises(UnknownNameError, match="gsm8k"):
        load_benchmark("hellaswag")


def test_malformed_csv_row_names_file_and_line(tmp_path):
    root = tmp_path / "routellm-evals" / "gsm8k"
    root.mkdir(parents=True)
    (root / "contaminated_prompts.jsonl").write_text("")
    (root / "gsm8k_responses.csv").write_text(
        "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n"
        "q1,True,False\nq2,maybe,True\n"
    )
    with pytest.raises(DataError, match=r"gsm8k_responses\.csv:3: column"):
        load_benchmark("gsm8k", tmp_path)


# ---- real data (skipped when ../shared/data is absent) ----------------------------------------


@pytest.mark.parametrize(
    "name,n,weak,strong",
    [("mmlu", 14037, 68.09, 80.59), ("gsm8k", 1307, 63.73, 85.77), ("mt-bench", 72, 8.281, 9.212)],
)
def test_real_benchmarks_match_data_readme(name, n, weak, strong, data_dir):
    root = data_dir
    b = load_benchmark(name, root, mmlu_split="all")
    assert len(b) == n
    places = 2 if name != "mt-bench" else 3
    assert round(b.weak_score, places) == weak
    assert round(b.strong_score, places) == strong


def test_mmlu_heldout_excludes_training_prompts(data_dir):
    root = data_dir
    from routellm_core.data.benchmarks import load_mmlu

    held, train = load_mmlu(root), load_mmlu(root, split="train")
    assert len(train) > 1400
    assert set(held.prompts).isdisjoint(train.prompts)
    assert len(held) + len(train) <= 14037


def test_arena_bench_readers(tmp_path, tiny):
    from routellm_core.data.benchmarks import arena_bench_grades, arena_bench_questions

    root = tiny.make_tiny_data(tmp_path / "data")
    qs = arena_bench_questions(root)
    grades = arena_bench_grades(root)
    assert len(qs) == 30 and all(isinstance(p, str) and p for p in qs.values())
    assert {q for q, _ in grades} <= set(qs)
    assert None in grades.values()  # an unparsed judge output stays missing, not 0
    bad = root / "arena-bench-v1" / "judge_scores.jsonl"
    bad.write_text(bad.read_text() + '{"question_id": "x", "model": "m", "score": "ten"}\n')
    with pytest.raises(DataError, match=r"judge_scores\.jsonl:\d+: score must be a number"):
        arena_bench_grades(root)
