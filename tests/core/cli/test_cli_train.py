"""``routellm train``, ``calibrate`` and ``route``."""

from __future__ import annotations

import json

import pytest

from routellm_core.cli.main import main
from routellm_core.routers.base import Router


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny):
    root = tmp_path_factory.mktemp("cli")
    data = tiny.make_tiny_data(root / "data")
    cfg = root / "cfg.json"
    cfg.write_text(json.dumps({"router": "knn", "embedder": "hashing-128", "decontaminate": None,
                               "sources": ["arena-bench-v1", "mmlu-train"]}))
    out = root / "router"
    assert main(["train", "--config", str(cfg), "--data-dir", str(data), "--out", str(out),
                 "--report", str(root / "report.json")]) == 0
    return root, out


def test_train_writes_checkpoint_and_report(trained, capsys):
    root, out = trained
    r = Router.load(out)
    assert r.name == "knn" and r.calibration_["prompt_set"] == "arena-bench-v1"
    rep = json.loads((root / "report.json").read_text())
    assert set(rep["sources"]) == {"arena-bench-v1", "mmlu-train"}


def test_calibrate_txt_and_jsonl(trained, capsys):
    root, out = trained
    txt = root / "p.txt"
    txt.write_text("\n".join(f"solve integral poem {i} " + "moon " * (i % 7) for i in range(20)))
    assert main(["calibrate", "--router", str(out), "--prompts", str(txt),
                 "--strong-fraction", "0.3", "--save"]) == 0
    assert "threshold" in capsys.readouterr().out
    assert Router.load(out).calibration_["prompt_set"] == "p.txt"
    bad = root / "bad.jsonl"
    bad.write_text('{"text": "x"}\n')
    assert main(["calibrate", "--router", str(out), "--prompts", str(bad)]) == 2
    assert '"prompt"' in capsys.readouterr().err
    assert main(["calibrate", "--router", str(out), "--prompts", str(txt),
                 "--strong-fraction", "1.5"]) == 2
    assert "strictly between 0 and 1" in capsys.readouterr().err


def test_route_prints_decision(trained, capsys):
    _, out = trained
    assert main(["route", "solve the integral", "--router", str(out), "--threshold", "0.0",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["route"] == "strong" and d["router"] == "knn" and d["threshold"] == 0.0
    # load time (router, embedder, weights) and routing time are reported apart
    assert d["load_s"] >= 0 and d["latency_ms"] >= 0
    assert main(["route", "hello", "--router", "random", "--strong-fraction", "0.5"]) == 0
    text = capsys.readouterr().out
    assert "threshold" in text and "routing " in text and " ms, load " in text


def test_train_errors(tmp_path, capsys):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"router": "mf"}))
    assert main(["train", "--router", "knn", "--config", str(cfg), "--out", str(tmp_path)]) == 2
    assert "contradicts" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "none.json"), "--out", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err


# ---- issue 15, item 13: feedback during long work ---------------------------------------------
def test_train_reports_its_stages_and_a_bar_over_prompts(tmp_path, tiny, capsys, monkeypatch):
    import routellm_core.training.progress as progress

    monkeypatch.setattr(progress, "CHUNK", 16)  # the tiny data has ~100 prompts
    data = tiny.make_tiny_data(tmp_path / "data")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"router": "knn", "embedder": "hashing-128",
                               "sources": ["arena-bench-v1", "mmlu-train"]}))
    assert main(["train", "--config", str(cfg), "--data-dir", str(data),
                 "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    err = captured.err
    stages = ["training a knn router", "building the training set", "training knn on",
              "calibrating on"]
    assert all(s in err for s in stages), err
    assert [err.index(s) for s in stages] == sorted(err.index(s) for s in stages)
    assert "embedding (hashing-128)" in err and "prompt" in err  # the bar over prompts
    assert "trained knn" in captured.out and "embedding" not in captured.out
    assert main(["train", "--config", str(cfg), "--data-dir", str(data),
                 "--out", str(tmp_path / "r2"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_route_reports_load_and_routing_time_separately(capsys):
    assert main(["route", "What is 2 + 2?", "--router", "random", "--json"]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)
    assert d["load_s"] >= 0 and d["latency_ms"] >= 0 and d["latency_ms"] < 1000 * d["load_s"] + 1000
    assert "loading router 'random'" in captured.err
    assert main(["route", "What is 2 + 2?", "--router", "random"]) == 0
    out = capsys.readouterr().out
    assert "routing " in out and " ms, load " in out


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_route_rejects_an_empty_prompt(prompt, capsys):
    assert main(["route", prompt, "--router", "random"]) == 2
    err = capsys.readouterr().err
    assert "the prompt is empty" in err and "Traceback" not in err
