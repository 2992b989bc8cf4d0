"""Dense training data (outcome tables), the new sources, the calibration mix, the difficulty
check and its AUC."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routellm_core.data.benchmarks import load_benchmark, load_difficulty
from routellm_core.data.sources import anchors_path, calibration_prompts, load_source, load_table
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.evaluate import evaluate, format_table, random_baseline
from routellm_core.evaluation.metrics import auc
from routellm_core.routers.irt import IRTRouter
from routellm_core.scoring.embeddings import HashingEmbedder
from routellm_core.training.config import default_config, validate_config
from routellm_core.training.runs import train_from_config
from routellm_core.training.sets import build_training_data


def test_auc_on_a_hand_computed_case() -> None:
    # hard scores 0.9, 0.4; easy 0.4, 0.1: pairs (0.9>0.4, 0.9>0.1, 0.4=0.4 -> 1/2, 0.4>0.1)
    assert auc([0.9, 0.4, 0.4, 0.1], [True, True, False, False]) == pytest.approx(3.5 / 4)
    assert auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auc([1, 2, 3, 4], [True, True, False, False]) == 0.0
    assert auc([5, 5, 5, 5], [True, False, True, False]) == 0.5
    with pytest.raises(ValueError, match="positive and one negative"):
        auc([1, 2], [True, True])


def test_the_difficulty_check_loads_balanced_and_labelled() -> None:
    bench = load_difficulty()
    labels = bench.extra["label"]
    assert len(bench) >= 200 and labels.count("easy") == labels.count("hard")
    cats = set(bench.extra["category"])
    for c in ("chit-chat", "short-facts", "translation", "rewriting", "writing", "code",
              "maths", "science", "law", "medicine", "reasoning"):
        assert c in cats
    assert len(set(bench.prompts)) == len(bench.prompts)
    # the strong model is right everywhere, the weak one on easy prompts only
    hard = np.asarray([lab == "hard" for lab in labels])
    assert (bench.outcomes[STRONG_MODEL] == 1).all()
    assert (bench.outcomes[WEAK_MODEL] == (~hard)).all()
    # the benchmark is every language, the English set first
    assert load_benchmark("difficulty").prompts[: len(bench)] == bench.prompts


def test_difficulty_evaluation_reports_auc_and_group_shares(tmp_path) -> None:
    bench = load_difficulty()
    hard = np.asarray([lab == "hard" for lab in bench.extra["label"]])
    perfect = evaluate(hard.astype(float), bench, name="perfect")
    assert perfect.auc == 1.0 and perfect.apgr > 0.7
    coin = random_baseline(bench)
    assert coin.auc == 0.5 and coin.share_hard == coin.share_easy == 0.3
    # a router with a calibration table also gets the realised shares at strong_fraction=0.3
    r = IRTRouter("big", "small", HashingEmbedder(16), epochs=5)
    from routellm_core.data.battles import OutcomeTable, TrainingData

    r.fit(TrainingData(tables=[OutcomeTable(["a b", "c d"], {"big": [1, 1], "small": [1, 0]})]))
    from routellm_core.scoring.calibration import calibration_table

    r.calibration_ = calibration_table(r, bench.prompts, "difficulty")
    res = evaluate(r, bench)
    assert res.share_at == pytest.approx(0.3, abs=0.01)
    assert res.share_hard is not None and res.share_easy is not None
    assert abs((res.share_hard + res.share_easy) / 2 - res.share_at) < 1e-9
    table = format_table({"difficulty": type("R", (), {
        "name": "difficulty", "n": len(bench), "weak_score": 50.0, "strong_score": 100.0,
        "metric": "accuracy", "routers": {"irt": res, "random": coin}})()})
    assert "AUC" in table and "strong@0.3" in table and "traffic@0.3" in table
    # a table fitted on other prompts misses the request; the traffic threshold holds it
    r.calibration_ = calibration_table(r, ["a b"] * 5 + ["c d"] * 5, "other")
    shifted = evaluate(r, bench)
    assert abs(shifted.share_at - 0.3) > 0.1
    # (the first 20 prompts still use the table, and a 5-epoch router has tied scores)
    assert shifted.share_traffic == pytest.approx(0.3, abs=0.06)
    assert abs(shifted.share_traffic - 0.3) < abs(shifted.share_at - 0.3) - 0.05
    assert shifted.summary()["share_traffic"] == shifted.share_traffic


def test_bad_difficulty_files_name_file_and_line(tmp_path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps({"id": "a", "category": "x", "label": "medium", "prompt": "hi"}) + "\n")
    with pytest.raises(DataError, match=r"d.jsonl:1: label must be 'easy' or 'hard'"):
        load_difficulty(p)
    p.write_text(json.dumps({"id": "a", "category": "x", "label": "easy", "prompt": "hi"}) + "\n")
    with pytest.raises(DataError, match="both easy and hard"):
        load_difficulty(p)
    p.write_text(json.dumps({"id": "a", "label": "easy", "prompt": "hi"}) + "\n")
    with pytest.raises(DataError, match="missing field 'category'"):
        load_difficulty(p)


def test_the_everyday_prior_is_labelled_and_apart_from_the_difficulty_check() -> None:
    rows = [json.loads(line) for line in anchors_path().read_text().splitlines()]
    assert len(rows) >= 300 and {r["label"] for r in rows} == {"easy", "hard"}
    check = set(load_difficulty().prompts)
    assert not check & {r["prompt"] for r in rows}
    table = load_table("everyday-anchors")
    assert table is not None and table.models() == sorted([STRONG_MODEL, WEAK_MODEL])
    easy = np.asarray([r["label"] == "easy" for r in rows])
    assert (table.outcomes[WEAK_MODEL] == easy).all() and (table.outcomes[STRONG_MODEL] == 1).all()


def test_sources_as_tables_and_battles(tiny, tmp_path) -> None:
    root = tiny.make_tiny_data(tmp_path / "data")
    ab = load_table("arena-bench-v1", root)
    assert ab is not None and len(ab) == 30
    assert np.nanmax(ab.outcomes[STRONG_MODEL]) == pytest.approx((9 - 1) / 9)
    assert int(np.isnan(ab.outcomes["claude-1"]).sum()) == 1  # the unparsed grade
    assert load_table("arena-human", root) is None
    vb = load_source("vicuna-bench", root)
    assert len(vb) == 10 and {b.source for b in vb} == {"vicuna-bench"}  # GPT-4 judge only
    with pytest.raises(UnknownNameError, match="valid training sources"):
        load_table("nope", root)
    data, report = build_training_data(
        ["arena-human", "arena-bench-v1", "mmlu-pro", "mmlu-train", "vicuna-bench"],
        data_dir=root, decontaminate_threshold=0.95, embedder=HashingEmbedder(64))
    assert {t.source for t in data.tables} == {"arena-bench-v1", "mmlu-pro", "mmlu-train"}
    assert {b.source for b in data.battles} == {"arena-human", "vicuna-bench"}
    pro = next(t for t in data.tables if t.source == "mmlu-pro")
    assert STRONG_MODEL in pro.outcomes and WEAK_MODEL in pro.outcomes  # aliased
    assert report.sources["mmlu-pro"]["prompts"] == len(pro)
    assert report.strong_vs_weak["strong_wins"] > 0


def test_irt_trains_from_its_default_config_on_tiny_data(tiny, tmp_path) -> None:
    root = tiny.make_tiny_data(tmp_path / "data")
    cfg = default_config("irt")
    assert set(cfg["sources"]) >= {"vicuna-bench", "everyday-anchors"}
    cfg["params"].update(epochs=30, hidden=8)
    cfg["calibration"] = "mix"
    r = train_from_config(cfg, root, embedder=HashingEmbedder(64))
    assert isinstance(r, IRTRouter) and r.calibration_["prompt_set"] == "mix"
    assert r.calibration_["n"] == len(calibration_prompts("mix", root))
    mix = calibration_prompts("mix", root)
    assert len(mix) == len(set(mix)) and any(p in mix for p in load_difficulty().prompts) is False
    with pytest.raises(UnknownNameError, match="valid calibration prompt sets"):
        validate_config({**cfg, "calibration": "everything"})


def test_the_ensemble_trains_from_its_default_config(tiny, tmp_path) -> None:
    from routellm_core.routers import load_router
    from routellm_core.routers.ensemble import EnsembleRouter

    root = tiny.make_tiny_data(tmp_path / "data")
    cfg = default_config("ensemble")
    assert [m["router"] for m in cfg["params"]["members"]] == ["irt", "mf"]
    cfg["params"]["members"][0]["params"].update(epochs=20, hidden=4)
    cfg["params"]["members"][1]["params"].update(epochs=2)
    assert default_config("ensemble")["params"]["members"][0]["params"]["epochs"] == 300
    r = train_from_config(cfg, root, embedder=HashingEmbedder(64))  # decontamination only
    assert isinstance(r, EnsembleRouter) and r.calibration_["prompt_set"] == "mix"
    back = load_router(r.save(tmp_path / "ens"))
    prompts = load_difficulty().prompts[:5]
    np.testing.assert_array_equal(back.predict_win_rate(prompts), r.predict_win_rate(prompts))
