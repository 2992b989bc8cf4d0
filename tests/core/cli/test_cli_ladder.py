"""``routellm ladder``: flag checks, and the difficulty check with a given router (no data)."""

from __future__ import annotations

import numpy as np
import pytest

from routellm_core.cli.main import main
from routellm_core.data.battles import OutcomeTable, TrainingData
from routellm_core.evaluation.ladder_eval import DOCS_LADDER
from routellm_core.routers.irt import IRTRouter
from routellm_core.scoring.embeddings import HashingEmbedder


@pytest.mark.parametrize(("argv", "flag"), [
    (["ladder", "--difficulty-only", "--plot", "x.png"], "--plot"),
    (["ladder", "--difficulty-only", "--no-difficulty"], "--no-difficulty"),
    (["ladder", "--router", "somewhere", "--no-difficulty"], "--no-difficulty"),
    (["ladder", "--folds", "1"], "--folds"),
])
def test_conflicting_flags_are_refused_naming_them(argv, flag, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err


def test_difficulty_check_with_a_given_router(tmp_path, capsys):
    top, mid, low = (DOCS_LADDER[m][1] for m in ("gpt-4o", "llama-70b", "llama-8b"))
    prompts = [f"hello there number {i}" for i in range(20)] + \
        [f"prove the hard theorem {i}" for i in range(20)]
    easy = np.r_[np.ones(20), np.zeros(20)]
    table = OutcomeTable(prompts, {top: np.ones(40), mid: easy, low: easy}, source="toy")
    router = IRTRouter(top, low, HashingEmbedder(32), epochs=30, text_features=False,
                       quality_folds=2).fit(TrainingData(tables=[table]))
    path = router.save(tmp_path / "lad")
    assert main(["ladder", "--difficulty-only", "--router", str(path), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| router lad | calibrated | tolerance 0.1 (default) |" in out
    assert "| shipped default | raw | within 0.05 of the best (replaced) |" in out


def test_difficulty_check_with_the_shipped_router_shows_it_once(capsys):
    assert main(["ladder", "--difficulty-only", "--router", "default", "--markdown"]) == 0
    out = capsys.readouterr().out
    row = "| shipped default | raw | within 0.05 of the best (replaced) |"
    assert out.count(row) == 1
    assert "router default" not in out
