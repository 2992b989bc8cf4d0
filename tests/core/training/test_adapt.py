"""Adapting a trained router (irt, knn) to a user's battles; logs to battles; the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routellm_core.cli.main import main
from routellm_core.data.battles import Battle, Battles, OutcomeTable, TrainingData
from routellm_core.errors import DataError
from routellm_core.evaluation.traffic import load_traffic
from routellm_core.routers.base import Router
from routellm_core.routers.irt import IRTRouter
from routellm_core.routers.knn import KNNRouter
from routellm_core.routing.recorder import TrafficRecorder
from routellm_core.scoring.embeddings import HashingEmbedder
from routellm_core.training.adapt import adapt_router, battles_from_traffic

EASY = [f"say hello to friend number {i}" for i in range(30)]
HARD = [f"prove the theorem about prime gaps case {i}" for i in range(30)]
PROBE = ["prove the theorem about prime gaps case 99", "say hello to friend number 99"]


@pytest.fixture(scope="module")
def irt():
    # the general data says: the weak model answers everything as well as the strong one
    prompts = EASY + HARD
    half = [float(i % 2) for i in range(60)]  # right on half the prompts, whatever the text
    table = OutcomeTable(prompts, {"big": half, "small": half[::-1], "mid": half},
                         source="general")
    r = IRTRouter("big", "small", HashingEmbedder(64), epochs=60)
    r.fit(TrainingData(tables=[table]))
    r.calibration_ = {"prompt_set": "x", "n": 1, "fractions": [0.5], "thresholds": [0.5]}
    return r


@pytest.fixture(scope="module")
def knn():
    bs = Battles([Battle(p, "big", "small", "tie") for p in EASY + HARD])
    return KNNRouter("big", "small", HashingEmbedder(64), k=5).fit(bs)


def user_battles() -> Battles:
    # the user's traffic: hard prompts need the strong model, easy ones do not
    return Battles([Battle(p, "big", "small", "model_a", "user") for p in HARD]
                   + [Battle(p, "big", "small", "tie", "user") for p in EASY])


@pytest.mark.parametrize("which", ["irt", "knn"])
def test_zero_battles_reproduce_the_initial_scores_exactly(which, irt, knn, tmp_path):
    r = irt if which == "irt" else knn
    same = adapt_router(r, Battles([]))
    prompts = PROBE + EASY[:3] + HARD[:3]
    assert np.array_equal(same.predict_win_rate(prompts), r.predict_win_rate(prompts))
    assert getattr(same, "calibration_", None) == getattr(r, "calibration_", None)
    # and through the command line, saved and loaded again
    init = r.save(tmp_path / "init")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["train", "--init", str(init), "--battles", str(empty),
                 "--out", str(tmp_path / "out")]) == 0
    back = Router.load(tmp_path / "out", embedder=HashingEmbedder(64))
    assert np.array_equal(back.predict_win_rate(prompts), r.predict_win_rate(prompts))


def test_irt_adaptation_learns_the_users_labels_and_keeps_the_input(irt):
    before = irt.predict_win_rate(PROBE)
    params = irt.projection_.copy()
    new = adapt_router(irt, user_battles(), steps=150)
    after = new.predict_win_rate(PROBE)
    assert after[0] - after[1] > before[0] - before[1] + 0.05  # hard now scores above easy
    assert np.array_equal(irt.projection_, params)  # the initial router is untouched
    assert new.calibration_["prompt_set"] == "user prompts" and new.calibration_["n"] == 60
    assert new.adaptation_["battles"] == 60


def test_irt_adaptation_featurises_the_users_prompts_once(irt, monkeypatch):
    from routellm_core.routers.pair import pair_calibration
    from routellm_core.scoring.calibration import calibration_table

    seen: list[int] = []
    features = IRTRouter._features

    def counting(self, prompts, **kw):
        seen.append(len(prompts))
        return features(self, prompts, **kw)

    monkeypatch.setattr(IRTRouter, "_features", counting)
    new = adapt_router(irt, user_battles(), steps=20)
    assert seen == [60]  # training; the calibration refit reuses those rows
    assert "_prompt_features" not in vars(new)  # the reuse ends with adapt_router
    prompts = user_battles().prompts()
    assert new.calibration_ == calibration_table(new, prompts, "user prompts")
    again = pair_calibration(new, prompts, "user prompts")
    assert again is not None
    assert np.array_equal(new.pair_calibration_["logits"], again["logits"])
    assert len(seen) == 3  # the checks above featurised afresh


def test_irt_anchor_and_train_part(irt):
    pulled = adapt_router(irt, user_battles(), steps=100, anchor=1e3)
    free = adapt_router(irt, user_battles(), steps=100, anchor=0.0)
    gap = lambda r: float(np.diff(r.predict_win_rate(PROBE[::-1]))[0])  # noqa: E731
    assert gap(free) > gap(pulled)
    models_only = adapt_router(irt, user_battles(), steps=20, train="models")
    assert np.array_equal(models_only.projection_, irt.projection_)
    assert not np.array_equal(models_only.model_vectors_, irt.model_vectors_)


def test_ensemble_adapts_its_irt_member_and_drops_the_frozen_ones():
    from routellm_core.routers.ensemble import EnsembleRouter

    prompts = EASY + HARD
    half = [float(i % 2) for i in range(60)]
    table = OutcomeTable(prompts, {"big": half, "small": half[::-1]}, source="general")
    ens = EnsembleRouter("big", "small", members=[
        {"router": "irt", "embedder": "hashing-64", "params": {"epochs": 60}},
        {"router": "mf", "embedder": "hashing-64", "params": {"epochs": 2}}],
        weights=[0.6, 0.4]).fit(TrainingData(tables=[table]))
    same = adapt_router(ens, Battles([]))
    assert np.array_equal(same.predict_win_rate(PROBE), ens.predict_win_rate(PROBE))
    new = adapt_router(ens, user_battles(), steps=150)
    before, after = ens.predict_win_rate(PROBE), new.predict_win_rate(PROBE)
    assert after[0] - after[1] > before[0] - before[1] + 0.02  # hard now scores above easy
    irt_old, mf_old = ens.members_
    irt_new, mf_new = new.members_
    assert not np.array_equal(irt_new.projection_, irt_old.projection_)
    assert np.array_equal(mf_new.predict_win_rate(PROBE), mf_old.predict_win_rate(PROBE))
    assert np.array_equal(ens.members_[0].projection_, irt_old.projection_)  # input untouched
    # 60 user prompts refit the table, so the frozen mf member leaves the blend ...
    assert new.weights == [0.6, 0.0] and new.adaptation_["members_dropped"] == ["mf"]
    assert ens.weights == [0.6, 0.4]
    # ... unless kept; and with too few prompts to refit the table the blend stays as trained
    kept = adapt_router(ens, user_battles(), steps=150, keep_frozen=True)
    assert kept.weights == [0.6, 0.4] and kept.adaptation_["members_dropped"] == []
    np.testing.assert_allclose(kept.members_[0].projection_, irt_new.projection_)
    few = adapt_router(ens, Battles(list(user_battles())[:5]), steps=10)
    assert few.weights == [0.6, 0.4] and not few.adaptation_["calibration_refitted"]
    only_mf = EnsembleRouter("big", "small", members=[
        {"router": "mf", "embedder": "hashing-64", "params": {"epochs": 2}}],
        weights=[1.0]).fit(TrainingData(tables=[table]))
    with pytest.raises(DataError, match="none of this ensemble"):
        adapt_router(only_mf, user_battles())


def test_knn_adds_weighted_neighbours(knn):
    new = adapt_router(knn, user_battles(), weight=5.0)
    assert len(new.labels_) == len(knn.labels_) + 60
    assert new.neighbour_weights()[-1] == 5.0 and knn.neighbour_weights()[0] == 1.0
    assert new.predict_win_rate([HARD[0]])[0] > knn.predict_win_rate([HARD[0]])[0]


def test_unsupported_router_and_bad_settings(irt):
    from routellm_core.routers.random import RandomRouter

    with pytest.raises(DataError, match="not supported"):
        adapt_router(RandomRouter(), user_battles())
    with pytest.raises(DataError, match="weight"):
        adapt_router(irt, user_battles(), weight=0)
    with pytest.raises(DataError, match="'gpt-x'"):
        adapt_router(irt, Battles([Battle("q", "gpt-x", "small", "tie")]))


# ---- logs to battles --------------------------------------------------------------------------
def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_battle_rules(tmp_path):
    def rec(run, route, outcome=None, kind=None, prompt=None, shadow=False):
        return {"prompt": prompt or run, "model": "S" if route == "strong" else "W",
                "answer": "a", "run_id": run, "route": route, "outcome": outcome,
                "outcome_kind": kind, "shadow": shadow, "strong_model": "S", "weak_model": "W"}

    p = write(tmp_path / "t.jsonl", [
        rec("both", "weak", 3, "grade"), rec("both", "strong", 8, "grade", shadow=True),
        rec("tie", "weak", 1, "correct"), rec("tie", "strong", 1, "correct", shadow=True),
        rec("weak-up", "weak", 1, "thumbs"),
        rec("weak-down", "weak", 0, "thumbs"),
        rec("strong-down", "strong", 0, "thumbs"),
        rec("strong-up", "strong", 1, "thumbs"),
        rec("lone-grade", "weak", 7, "grade"),
        rec("none", "weak"),
    ])
    bs, counts = battles_from_traffic(load_traffic(p), as_strong="big", as_weak="small")
    got = {b.prompt: b.winner for b in bs}
    assert got == {"both": "model_a", "tie": "tie", "weak-up": "tie", "weak-down": "model_a",
                   "strong-down": "tie"}
    assert all((b.model_a, b.model_b, b.source) == ("big", "small", "user") for b in bs)
    assert counts["skipped: good strong answer"] == 1 and counts["skipped: lone grade"] == 1
    assert counts["unlabelled"] == 1
    bs2, _ = battles_from_traffic(load_traffic(p))
    assert bs2[0].model_a == "S"  # the recorded names by default


def test_replay_log_without_routes_needs_the_model_names(tmp_path):
    rows = [{"prompt": "q", "model": "gpt", "answer": "a", "outcome": 1.0},
            {"prompt": "q", "model": "mix", "answer": "b", "outcome": 0.0},
            {"prompt": "r", "model": "other", "answer": "c", "outcome": 0.0}]
    p = write(tmp_path / "r.jsonl", rows)
    with pytest.raises(DataError, match=r"r\.jsonl:3: unknown model 'other'"):
        battles_from_traffic(load_traffic(p), strong="gpt", weak="mix")
    p = write(tmp_path / "r.jsonl", rows[:2])
    bs, _ = battles_from_traffic(load_traffic(p), strong="gpt", weak="mix")
    assert [(b.model_a, b.winner) for b in bs] == [("gpt", "model_a")]


def test_battles_cli_end_to_end(tmp_path, capsys):
    from routellm_core.routing.engine import RoutingEngine

    log = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(log, shadow_rate=1.0, seed=0)
    engine = RoutingEngine("random", threshold=1.0, recorder=rec)  # all weak
    for i, p in enumerate(HARD[:5] + EASY[:5]):
        run = engine.record_call(engine.decide(p), "weak answer",
                                 shadow=lambda r: ("strong answer", None, None))
        rec.feedback(run, correct=i >= 5)                   # weak right on easy only
        rec.feedback(run, correct=True, shadow=True)          # strong always right
    assert rec.flush(timeout=10)  # the shadow answers are recorded in the background
    evalf = tmp_path / "eval.txt"
    evalf.write_text(EASY[0] + "\n")
    out = tmp_path / "battles.jsonl"
    assert main(["battles", "--from-log", str(log), "--out", str(out), "--embedder",
                 "hashing-64", "--decontaminate-against", str(evalf)]) == 0
    text = capsys.readouterr().out
    assert "10 records" not in text and "20 records, 20 labelled -> 9 battles" in text
    bs = Battles.from_jsonl(out)
    assert {b.prompt: b.winner for b in bs} == {
        **{p: "model_a" for p in HARD[:5]}, **{p: "tie" for p in EASY[1:5]}}


@pytest.mark.parametrize("content, message", [
    ('{"prompt": "q", "model": "m", "answer": "a"}\n{"prompt": "q2", "mo', r"t\.jsonl:2: not valid JSON"),
    ('{"prompt": "q", "model": "m", "answer": "a", "outcome_kind": "grade"}\n',
     r"t\.jsonl:1: outcome_kind is 'grade' but the outcome is missing"),
    ('{"prompt": "q", "model": "m", "answer": "a", "outcome": 1}\n', r"t\.jsonl:1: unknown model 'm'"),
])
def test_bad_logs_fail_naming_file_and_line(tmp_path, capsys, content, message):
    p = tmp_path / "t.jsonl"
    p.write_text(content)
    assert main(["battles", "--from-log", str(p), "--out", str(tmp_path / "b.jsonl"),
                 "--decontaminate-against", "none", "--strong", "gpt", "--weak", "mix",
                 "--strict"]) == 2
    assert __import__("re").search(message, capsys.readouterr().err)


def test_battles_cli_skips_torn_lines_and_lost_feedback(tmp_path, capsys, caplog):
    from routellm_core.routing.engine import RoutingEngine

    log = tmp_path / "traffic.jsonl"
    rec = TrafficRecorder(log, shadow_rate=1.0, seed=0)
    engine = RoutingEngine("random", threshold=1.0, recorder=rec)
    runs = []
    for p in HARD[:3]:
        run = engine.record_call(engine.decide(p), "weak answer",
                                 shadow=lambda r: ("strong answer", None, None))
        rec.feedback(run, correct=False)
        runs.append(run)
    assert rec.flush(timeout=10)
    # a crash: the second run's record is cut mid-line, its feedback now names a lost record
    lines = log.read_text().splitlines(keepends=True)
    torn = next(i for i, x in enumerate(lines) if runs[1] in x and '"shadow"' not in x)
    lines[torn] = lines[torn][: len(lines[torn]) // 2] + "\n"  # the recorder's next write
    log.write_text("".join(lines))
    out = tmp_path / "battles.jsonl"
    args = ["battles", "--from-log", str(log), "--out", str(out), "--decontaminate-against",
            "none", "--no-progress"]
    with caplog.at_level("WARNING", logger="routellm"):
        assert main(args) == 0
    text = capsys.readouterr().out
    assert "skipped: 1 torn or invalid lines, 1 feedback rows whose record is not in the log" in text
    assert len(Battles.from_jsonl(out)) == 2  # the other two runs still count
    assert any("skipped 1 torn or invalid line" in r.getMessage() for r in caplog.records)
    assert main([*args, "--strict"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_train_init_needs_battles(tmp_path, capsys):
    assert main(["train", "--init", "default", "--out", str(tmp_path / "o")]) == 2
    assert "--init needs --battles" in capsys.readouterr().err


@pytest.mark.parametrize("linear", [False, True])
def test_irt_with_a_hidden_layer_adapts_and_reproduces_without_battles(linear):
    """The shipped default has a hidden layer: adaptation moves it too (and only with data);
    with linear_features the linear path is adapted as well."""
    prompts = EASY + HARD
    half = [float(i % 2) for i in range(60)]
    table = OutcomeTable(prompts, {"big": half, "small": half[::-1]}, source="general")
    r = IRTRouter("big", "small", HashingEmbedder(64), epochs=60, hidden=16,
                  linear_features=linear)
    r.fit(TrainingData(tables=[table]))
    r.calibration_ = {"prompt_set": "x", "n": 1, "fractions": [0.5], "thresholds": [0.5]}
    same = adapt_router(r, Battles([]))
    assert np.array_equal(same.predict_win_rate(PROBE), r.predict_win_rate(PROBE))
    before = r.predict_win_rate(PROBE)
    new = adapt_router(r, user_battles(), steps=150)
    after = new.predict_win_rate(PROBE)
    assert after[0] - after[1] > before[0] - before[1] + 0.05
    assert not np.array_equal(new.hidden_weight_, r.hidden_weight_)
    if linear:
        assert not np.array_equal(new.feature_projection_, r.feature_projection_)
