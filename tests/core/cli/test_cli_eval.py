"""`routellm eval` end to end on the real data, and its error handling."""

import json
import subprocess
import sys

import pytest

from routellm_core.cli.main import main


def test_eval_random_json_reproduces_readme_figures(capsys, data_dir):
    data = str(data_dir)
    rc = main(["eval", "--router", "random", "--benchmark", "all", "--mmlu-split", "all",
               "--data-dir", data, "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    b = doc["benchmarks"]
    assert b["mmlu"]["n"] == 14037 and b["gsm8k"]["n"] == 1307 and b["mt-bench"]["n"] == 72
    assert b["mmlu"]["weak_score"] == pytest.approx(68.09, abs=0.005)
    assert b["gsm8k"]["strong_score"] == pytest.approx(85.77, abs=0.005)
    assert b["mt-bench"]["weak_score"] == pytest.approx(8.281, abs=0.0005)
    assert b["difficulty"]["n"] == 240 and b["difficulty"]["routers"]["random"]["auc"] == 0.5
    for name, bench in b.items():
        r = bench["routers"]["random"]
        assert {"apgr", "cpt20", "cpt50", "cpt80"} <= set(r)
        assert r["share_at"] == r["share_traffic"] == 0.3
        assert abs(r["apgr"] - 0.5) <= 0.03, name
        assert abs(r["cpt50"] - 50) <= 5, name


def test_eval_table_and_plot(tmp_path, capsys, data_dir):
    data = str(data_dir)
    png = tmp_path / "curves.png"
    rc = main(["eval", "--router", "random", "--benchmark", "gsm8k", "--data-dir", data,
               "--plot", str(png), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0 and "gsm8k: n = 1,307" in out and "random" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["eval", "--benchmark", "hellaswag"], "valid benchmarks: all, difficulty, gsm8k, mmlu, mt-bench"),
        (["eval", "--router", "gpt5"], "unknown router 'gpt5'"),
        (["eval", "--data-dir", "/nonexistent/dir"], "does not exist"),
    ],
)
def test_eval_bad_input_is_one_clear_line(argv, needle, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err
    assert "Traceback" not in err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "routellm_core.cli", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "eval" in out


def test_mmlu_sample_is_seeded_subset(capsys, data_dir):
    data = str(data_dir)
    rc = main(["eval", "--router", "random", "--benchmark", "mmlu", "--mmlu-sample", "500",
               "--data-dir", data, "--json"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["benchmarks"]["mmlu"]["n"] == 500
    from routellm_core.cli.eval import load_benchmarks

    a = load_benchmarks(["mmlu"], data, mmlu_sample=50)["mmlu"]
    b = load_benchmarks(["mmlu"], data, mmlu_sample=50)["mmlu"]
    assert a.prompts == b.prompts
    assert main(["eval", "--benchmark", "mmlu", "--mmlu-sample", "-1", "--data-dir", data]) == 2


def test_demo_eval_part_prints_table_and_plot(tmp_path, capsys, data_dir):
    data = str(data_dir)
    rc = main(["demo", "--parts", "eval", "--routers", "random", "--mmlu-sample", "300",
               "--data-dir", data, "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "mmlu: n = 300" in out and "gsm8k: n = 1,307" in out and "mt-bench: n = 72" in out
    assert (tmp_path / "demo_curves.png").is_file() and str(tmp_path) in out
    assert main(["demo", "--parts", "eval,nope", "--data-dir", data]) == 2
    assert main(["demo", "--price", "gpt-4=ten", "--data-dir", data]) == 2
