"""The training-set builder, configs, decontamination, train_from_config and get_or_train."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routellm_core.data.sources import load_source, mmlu_pro_prompt
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.routers.base import Router
from routellm_core.training.config import (
    ALIAS_PRESETS,
    config_hash,
    default_config,
    load_config,
    validate_config,
)
from routellm_core.training.runs import get_or_train, train_from_config, train_holdouts
from routellm_core.training.sets import build_training_set

S, W = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"




@pytest.fixture(scope="module")
def data(tmp_path_factory, tiny):
    return tiny.make_tiny_data(tmp_path_factory.mktemp("data"))


def hashing_cfg(router: str, **over) -> dict:
    cfg = default_config(router)
    cfg.update({"embedder": "hashing-128", **over})
    if router == "mf":
        cfg["params"].update({"epochs": 20, "dim": 8, "lr": 1e-2})
    return cfg


def test_sources_load(data):
    ah = load_source("arena-human", data)
    assert len(ah) == 30 and {b.winner for b in ah} == {"model_a", "model_b", "tie"}
    ab = load_source("arena-bench-v1", data)
    # 3 models -> 3 pairs per prompt, minus the 2 pairs needing claude-1's missing grade
    assert len(ab) == 30 * 3 - 2
    mp = load_source("mmlu-pro", data, models=["gpt-4o-2024-05-13(early-set)",
                                                "Mixtral-8x7B-Instruct-v0.1"])
    assert len(mp) == 30
    with pytest.raises(UnknownNameError, match="Yi-6B"):
        load_source("mmlu-pro", data, models=["gpt-5"])
    assert len(load_source("mmlu-train", data, exclude_domains=["tiny"])) == 0
    with pytest.raises(UnknownNameError, match="tiny"):
        load_source("mmlu-train", data, exclude_domains=["nope"]) and mp[0].prompt.endswith("C. 3\nAnswer:")
    assert len(load_source("mmlu-train", data)) == 20
    with pytest.raises(UnknownNameError, match="arena-human"):
        load_source("nope", data)


def test_mmlu_pro_prompt_format():
    assert mmlu_pro_prompt("Q?", ["x", "y"]) == "Q?\nA. x\nB. y\nAnswer:"


def test_report_and_train_result_dicts_keep_their_keys_and_order():
    from routellm_core.training._torch_loop import TrainResult
    from routellm_core.training.sets import TrainingReport

    report = TrainingReport(sources={"s": {"loaded": 2.0}}, outcomes={"tie": 1})
    d = report.to_dict()
    assert list(d) == ["sources", "decontaminated", "models", "outcomes", "strong_vs_weak",
                       "deduplicated"]
    assert d["sources"] is report.sources and d["outcomes"] == {"tie": 1}
    result = TrainResult(step_losses=[0.9, 0.5], epoch_train_losses=[0.7], val_losses=[0.6],
                         best_val_loss=0.6, best_epoch=0, stopped_early=False, steps=2,
                         seconds=1.5, n_train=8, n_val=2)
    expected = {  # the step losses stay out
        "epoch_train_losses": [0.7], "val_losses": [0.6], "best_val_loss": 0.6, "best_epoch": 0,
        "stopped_early": False, "steps": 2, "seconds": 1.5, "n_train": 8, "n_val": 2,
    }
    assert list(result.to_dict().items()) == list(expected.items())


def test_aliases_change_counts_and_report(data):
    src = {"arena-human": 1.0, "mmlu-pro": {"weight": 0.5, "models": [
        "gpt-4o-2024-05-13(early-set)", "Mixtral-8x7B-Instruct-v0.1", "Yi-6B"]}}
    off, rep_off = build_training_set(src, data_dir=data, aliases=None,
                                      decontaminate_threshold=None)
    on, rep_on = build_training_set(src, data_dir=data, aliases="gpt4-mixtral",
                                    decontaminate_threshold=None)
    assert S not in off.models() and S in on.models() and W in on.models()
    assert rep_off.strong_vs_weak == {"strong_wins": 0, "tie": 0, "weak_wins": 0}
    assert rep_on.strong_vs_weak["strong_wins"] == 15 and rep_on.strong_vs_weak["weak_wins"] == 15
    assert {b.weight for b in on if b.source == "mmlu-pro"} == {0.5}
    assert rep_on.sources["mmlu-pro"]["loaded"] == 90
    assert "arena-human" in rep_on.format()
    assert ALIAS_PRESETS["gpt4-mixtral"]["gpt-4"] == S


def test_decontamination_drops_eval_prompts(data):
    # plant an MT-Bench turn and a held-out MMLU prompt into the training data
    import routellm_core.training.sets as tr  # build_training_set looks load_source up here
    from routellm_core.scoring.embeddings import HashingEmbedder

    real = tr.load_source

    def patched(name, data_dir=None, *, models=None, exclude_domains=()):
        bs = real(name, data_dir, models=models, exclude_domains=exclude_domains)
        if name == "arena-human":
            from routellm_core.data.battles import Battle, Battles
            from routellm_core.data.benchmarks import load_mmlu, load_mt_bench

            extra = [load_mt_bench(data).extra["turns"][0][1], load_mmlu(data).prompts[0]]
            bs = bs + Battles([Battle(p, "gpt-4", "vicuna-13b", "tie", "arena-human")
                               for p in extra])
        return bs

    tr.load_source = patched
    try:
        bs, rep = build_training_set(["arena-human"], data_dir=data,
                                     embedder=HashingEmbedder(128), decontaminate_threshold=0.95)
    finally:
        tr.load_source = real
    assert rep.decontaminated["arena-human"] >= 2
    assert rep.sources["arena-human"]["kept"] <= 30


def test_config_validation(tmp_path):
    with pytest.raises(DataError, match="unknown config keys"):
        validate_config({"router": "mf", "learning_rate": 1})
    with pytest.raises(UnknownNameError, match="sw_ranking"):
        validate_config({"router": "bert2"})
    with pytest.raises(UnknownNameError, match="training source"):
        validate_config({"router": "mf", "sources": {"wiki": 1}})
    with pytest.raises(DataError, match="weight must be positive"):
        validate_config({"router": "mf", "sources": {"arena-human": 0}})
    p = tmp_path / "c.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_config(p)
    p.write_text(json.dumps({"router": "knn", "params": {"k": 3}}))
    cfg = load_config(p)
    assert cfg["params"]["k"] == 3 and cfg["aliases"] == "gpt4-mixtral"
    assert config_hash(cfg) != config_hash(default_config("knn"))


@pytest.mark.parametrize("router", ["sw_ranking", "mf", "knn"])
def test_train_from_config_learns_and_calibrates(data, router, tiny):
    r = train_from_config(hashing_cfg(router, decontaminate=None), data)
    assert r.calibration_["prompt_set"] == "arena-bench-v1" and r.calibration_["n"] == 30
    MATH, POEM = tiny.MATH, tiny.POEM
    s = r.predict_win_rate([" ".join(MATH[:6]), " ".join(POEM[:6])])
    assert s[0] > s[1]
    assert r.training_report_["sources"]["arena-bench-v1"]["kept"] > 0


def test_train_holdouts_matches_train_from_config_and_shares_the_full_fit(data):
    """Each hold-out's router is the one train_from_config(holdout=...) trains; hold-outs that
    touch no training prompt share the full fit."""
    cfg = hashing_cfg("mf", decontaminate=None, calibration=None)
    held = sorted(load_source("arena-bench-v1", data).prompts())[:10]
    probe = [" ".join(held), "hello there", held[0]]
    routers = train_holdouts(cfg, {"full": (), "part": held, "none": ["not a training prompt"]},
                             data)
    assert routers["none"] is routers["full"] and routers["part"] is not routers["full"]
    for name, holdout in (("full", ()), ("part", held)):
        alone = train_from_config(cfg, data, holdout=holdout)
        np.testing.assert_allclose(routers[name].predict_win_rate(probe),
                                   alone.predict_win_rate(probe), rtol=1e-6)
    assert not np.allclose(routers["part"].predict_win_rate(probe),
                           routers["full"].predict_win_rate(probe))


def test_get_or_train_caches(data, tmp_path, monkeypatch):
    cfg = hashing_cfg("knn", decontaminate=None)
    calls = []
    import routellm_core.training.runs as tr  # get_or_train looks train_from_config up here

    real = tr.train_from_config
    monkeypatch.setattr(tr, "train_from_config",
                        lambda c, d=None, **k: calls.append(1) or real(c, d, **k))
    a = get_or_train("knn", data, config=cfg, cache_dir=tmp_path)
    b = get_or_train("knn", data, config=cfg, cache_dir=tmp_path)
    assert len(calls) == 1
    assert isinstance(b, Router) and (tmp_path / "routers" / f"knn-{config_hash(cfg)}").is_dir()
    np.testing.assert_array_equal(a.predict_win_rate(["x y"]), b.predict_win_rate(["x y"]))
    with pytest.raises(DataError, match="not 'mf'"):
        get_or_train("mf", data, config=cfg, cache_dir=tmp_path)


def test_get_or_train_retrains_when_the_shipped_prior_changes(data, tmp_path, monkeypatch):
    import routellm_core.data.sources as src
    import routellm_core.training.runs as tr

    cfg = hashing_cfg("knn", decontaminate=None, sources={"arena-bench-v1": 1,
                                                          "everyday-anchors": 1})
    calls = []
    real = tr.train_from_config
    monkeypatch.setattr(tr, "train_from_config",
                        lambda c, d=None, **k: calls.append(1) or real(c, d, **k))
    get_or_train("knn", data, config=cfg, cache_dir=tmp_path)
    get_or_train("knn", data, config=cfg, cache_dir=tmp_path)
    assert len(calls) == 1
    prior = tmp_path / "prior.jsonl"
    lines = src.anchors_path().read_text().splitlines()
    prior.write_text("\n".join(lines[:-1]) + "\n")  # a release that drops one prompt
    monkeypatch.setattr(src, "anchors_path", lambda: prior)
    get_or_train("knn", data, config=cfg, cache_dir=tmp_path)
    assert len(calls) == 2
    assert len(list((tmp_path / "routers").glob("knn-*-prior*"))) == 2




def test_classifier_routers_train_from_config(data, tmp_path, bert_helpers):
    pytest.importorskip("torch")
    bert_dir = bert_helpers.build_bert_dir(tmp_path)
    cfg = hashing_cfg("bert", decontaminate=None)
    cfg["params"].update({"model_dir": str(bert_dir), "max_steps": 3, "batch_size": 8,
                          "max_length": 32, "device": "cpu", "progress": False})
    r = train_from_config(cfg, data)
    assert r.name == "bert" and r.calibration_["n"] == 30
    back = Router.load(r.save(tmp_path / "bert-ckpt"))
    prompts = ["solve the integral", "write a poem"]
    np.testing.assert_allclose(back.predict_win_rate(prompts), r.predict_win_rate(prompts), atol=1e-6)
    with pytest.raises(DataError, match="needs params.model_dir"):
        train_from_config(hashing_cfg("causal_llm", decontaminate=None), data)
