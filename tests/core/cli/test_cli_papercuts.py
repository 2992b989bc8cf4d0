"""Issue 23's command-line papercuts: ``calibrate --router default``, errors that name the
flags, and help texts that say what they should."""

from __future__ import annotations

import json

import pytest

from routellm_core.cli.main import main
from routellm_core.routers import default_router_path, load_router
from routellm_core.routers.base import Router

PROMPTS = ["What is 2+2?", "Prove that there are infinitely many primes.", "hello there",
           "Write a poem about the sea", "Derive the Euler-Lagrange equations from Hamilton's "
           "principle.", "Translate 'good morning' into French", "Explain quantum entanglement",
           "List three fruits"]


@pytest.fixture
def prompt_file(tmp_path):
    p = tmp_path / "mine.txt"
    p.write_text("\n".join(PROMPTS))
    return p


def test_calibrate_accepts_default_and_writes_a_calibrated_copy(tmp_path, prompt_file, capsys):
    shipped = (default_router_path() / "config.json").read_bytes()
    out = tmp_path / "calibrated"
    assert main(["calibrate", "--router", "default", "--prompts", str(prompt_file),
                 "--out", str(out), "--strong-fraction", "0.25", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2 of 8 prompts" in printed and f"--router {out}" in printed
    copy = Router.load(out)
    assert copy.calibration_["prompt_set"] == "mine.txt"
    assert load_router("default").calibration_["prompt_set"] != "mine.txt"
    assert (default_router_path() / "config.json").read_bytes() == shipped
    # the copy routes: a quarter of these prompts score at or above its 25 % threshold
    scores = copy.predict_win_rate(PROMPTS)
    assert int((scores >= copy.threshold_for(0.25)).sum()) == 2
    assert main(["route", PROMPTS[1], "--router", str(out), "--strong-fraction", "0.25",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["router"] == copy.name


def test_calibrate_default_without_out_prints_the_threshold(prompt_file, capsys):
    assert main(["calibrate", "--router", "default", "--prompts", str(prompt_file),
                 "--no-progress"]) == 0
    assert "threshold" in capsys.readouterr().out


def test_saving_into_the_shipped_default_is_refused_naming_out(prompt_file, capsys):
    shipped = (default_router_path() / "config.json").read_bytes()
    assert main(["calibrate", "--router", "default", "--prompts", str(prompt_file),
                 "--save"]) == 2
    err = capsys.readouterr().err
    assert "--out DIR" in err and "Traceback" not in err
    assert (default_router_path() / "config.json").read_bytes() == shipped


@pytest.mark.parametrize(("argv", "flag"), [
    (["route", "hi", "--threshold", "1.5"], "--threshold"),
    (["route", "hi", "--threshold", "nan"], "--threshold"),
    (["route", "hi", "--strong-fraction", "1.0"], "--strong-fraction"),
    (["route", "hi", "--strong-fraction", "0"], "--strong-fraction"),
    (["route", "hi", "--strong-fraction", "lots"], "--strong-fraction"),
])
def test_route_errors_name_the_flags_not_python_arguments(argv, flag, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}:" in err
    assert "model=" not in err and "strong_fraction=" not in err and "threshold=" not in err
    assert "loading router" not in err  # refused before anything is loaded


def test_calibrate_fraction_error_names_the_flag(prompt_file, capsys):
    assert main(["calibrate", "--router", "default", "--prompts", str(prompt_file),
                 "--strong-fraction", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "argument --strong-fraction:" in err and "strictly between 0 and 1" in err
    assert "model=" not in err and "strong_fraction=" not in err


def test_an_uncalibrated_router_asks_for_the_flags(tmp_path, prompt_file, capsys):
    router = load_router("default")
    router.calibration_ = None
    router.save(tmp_path / "bare")
    assert main(["route", "hi", "--router", str(tmp_path / "bare"),
                 "--strong-fraction", "0.3"]) == 2
    err = capsys.readouterr().err
    assert "--threshold" in err and "routellm calibrate" in err and "threshold=" not in err


def help_text(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def test_calibrate_help_prints_percent_signs_once(capsys):
    text = help_text(capsys, "calibrate")
    assert "5%..95%" in text.replace("\n", " ") and "%%" not in text
    assert "'default'" in text and "--out DIR" in text


def test_strong_fraction_has_help_text_everywhere(capsys):
    for command in ("calibrate", "route"):
        text = " ".join(help_text(capsys, command).split())
        assert "--strong-fraction F share of prompts for the strong model" in text, command


def test_demo_help_describes_the_demo_and_lists_its_parts(capsys):
    text = " ".join(help_text(capsys, "demo").split())
    assert "offline on real recorded data" in text
    assert "of: eval, langchain, llamaindex" in text


def test_route_scores_a_long_prompt_as_its_final_question(capsys):
    question = "Prove that there are infinitely many primes."
    long = "Hi! How are you today? The weather is lovely here. " * 400 + "\n\n" + question
    decisions = []
    for text in (question, long):
        assert main(["route", text, "--strong-fraction", "0.3", "--json"]) == 0
        decisions.append(json.loads(capsys.readouterr().out))
    assert decisions[0]["route"] == decisions[1]["route"] == "strong"
    assert decisions[1]["score"] >= decisions[0]["score"]
