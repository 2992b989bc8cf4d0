"""The per-model quality scale: isotonic maps, the irt router's cross-fitted scale, checkpoints.

The planted case: a cheap model graded only on a compressed 0-1 scale (its acceptable answers
score 0.6, its bad ones 0.1, like a judge grade of 6.4 against 1.9) and a dear model graded on
correctness (1 or 0). Raw estimates put the cheap model far below the dear one even on prompts
both answer acceptably; the calibrated ones put both near 1 there, so the ladder's default knob
sends those prompts to the cheap model and the others to the dear one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from routellm_core.data.battles import OutcomeTable, TrainingData
from routellm_core.errors import CheckpointError, DataError
from routellm_core.routers import load_router
from routellm_core.routers.base import FORMAT_VERSION
from routellm_core.routers.irt import IRTRouter
from routellm_core.routers.quality_scale import POOLED, QualityScale, isotonic
from routellm_core.routing.ladder import DEFAULT_TOLERANCE, Ladder
from routellm_core.scoring.embeddings import HashingEmbedder

_EASY = ["hello, say hi to {}", "hello, thank {} kindly", "hello, greet {} warmly",
         "hello, wish {} good night"]
_HARD = ["prove the lemma about {}", "prove the integral for {} converges",
         "prove the theorem on {}", "prove the bound of {}"]
_NAMES = ["anna", "bruno", "chen", "dara", "emil", "fatima", "gus", "hana", "ivan", "jo",
          "kai", "lena", "milo", "nora", "omar", "pia"]


def _planted() -> tuple[TrainingData, list[str], list[str]]:
    easy = [t.format(n) for t in _EASY for n in _NAMES]
    hard = [t.format(n) for t in _HARD for n in _NAMES]
    prompts = easy + hard
    rng = np.random.default_rng(0)
    ok_dear = np.r_[np.ones(len(easy)), (rng.random(len(hard)) < 0.9).astype(float)]
    # the cheap model: acceptable on easy prompts (grade 0.6), not on hard ones (0.1)
    grade_cheap = np.r_[np.full(len(easy), 0.6), np.full(len(hard), 0.1)]
    tables = [OutcomeTable(prompts, {"dear": ok_dear}, source="correctness"),
              OutcomeTable(prompts, {"cheap": grade_cheap}, source="grades")]
    new_easy = [t.format("zoe") for t in _EASY]
    new_hard = [t.format("zoe") for t in _HARD]
    return TrainingData(tables=tables), new_easy, new_hard


def _fit(folds: int) -> IRTRouter:
    data, _, _ = _planted()
    return IRTRouter("dear", "cheap", HashingEmbedder(64), epochs=150, lr=0.05, l2=1e-4,
                     text_features=False, quality_folds=folds).fit(data)


@pytest.fixture(scope="module")
def scaled() -> IRTRouter:
    return _fit(3)


@pytest.fixture(scope="module")
def raw_only() -> IRTRouter:
    return _fit(0)


def _ladder(router: IRTRouter) -> Ladder:
    return Ladder(router, ["dear", "cheap"], {"dear": (10.0, 30.0), "cheap": (0.1, 0.1)})


def test_isotonic_pools_violators_by_hand():
    x, y = isotonic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 0.0, 1.0]),
                    np.array([1.0, 1.0, 3.0, 1.0]))
    # (1, 0); then 1 at x=2 and 0 at x=3 (weight 3) pool to 1/4 at x = (2 + 9) / 4; then (4, 1)
    assert x.tolist() == [1.0, 2.75, 4.0]
    assert y.tolist() == [0.0, 0.25, 1.0]
    assert np.all(np.diff(y) >= 0)


def test_isotonic_rejects_bad_input():
    with pytest.raises(DataError, match="one length"):
        isotonic(np.ones(3), np.ones(2))
    with pytest.raises(DataError, match="finite"):
        isotonic(np.array([np.nan]), np.array([1.0]))


def test_scale_falls_back_to_the_pooled_map_for_rare_models():
    rng = np.random.default_rng(1)
    x = rng.random(200)
    scale = QualityScale.fit({"many": (x, (x > 0.5).astype(float)),
                              "few": (np.array([0.9]), np.array([0.0]))}, min_count=50)
    assert scale.models == [POOLED, "many"]
    out = scale.apply(np.array([[0.9, 0.9, 0.9]]), ["many", "few", "unseen"])
    assert out[0, 0] == 1.0 and out[0, 1] == out[0, 2] == pytest.approx(1.0, abs=0.05)


def test_planted_raw_estimates_are_on_different_scales(raw_only):
    _, easy, _ = _planted()
    q = raw_only.predict_quality(easy, ["dear", "cheap"])
    # both models answer these acceptably, but the cheap one's grades top out at 0.6
    assert (q[:, 0] > 0.85).all() and (q[:, 1] < 0.75).all()
    # so the default knob pays for the dear model on prompts the cheap one answers well
    assert set(_ladder(raw_only).choose(easy)) == {"dear"}


def test_planted_calibrated_estimates_are_comparable_and_route_easy_prompts_cheap(scaled):
    _, easy, hard = _planted()
    q = scaled.predict_quality(easy + hard, ["dear", "cheap"])
    assert (q[:4] > 0.9).all(), q[:4]               # easy: both acceptable, on one scale
    assert (q[4:, 1] < 0.2).all() and (q[4:, 0] > 0.7).all(), q[4:]
    raw = scaled.predict_quality(easy, ["cheap"], raw=True)
    assert (raw < 0.75).all()                        # the raw scale is still the grade's
    lad = _ladder(scaled)
    assert lad.value == DEFAULT_TOLERANCE
    assert lad.choose(easy) == ["cheap"] * 4
    assert lad.choose(hard) == ["dear"] * 4


def test_two_model_score_stays_on_the_raw_estimates(scaled, raw_only):
    _, easy, hard = _planted()
    # the scale changes predict_quality only: the pair score uses raw sigmoid(q_m)
    p = scaled.predict_quality(easy + hard, ["dear", "cheap"], raw=True)
    np.testing.assert_allclose(scaled.predict_win_rate(easy + hard), (1 + p[:, 0] - p[:, 1]) / 2)


def test_checkpoint_round_trip_keeps_the_scale(scaled, tmp_path):
    path = scaled.save(tmp_path / "irt")
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["format_version"] == FORMAT_VERSION == 2
    assert cfg["params"]["quality_folds"] == 3
    assert sorted(cfg["state"]["quality_scale_models"]) == sorted(scaled.quality_scale_.models)
    assert {"quality_knots_x", "quality_knots_y", "quality_counts"} <= set(cfg["tensors"])
    back = load_router(path)
    _, easy, hard = _planted()
    np.testing.assert_array_equal(back.predict_quality(easy + hard),
                                  scaled.predict_quality(easy + hard))


def test_version_one_checkpoint_loads_with_raw_estimates(raw_only, tmp_path):
    path = raw_only.save(tmp_path / "old")
    cfg = json.loads((path / "config.json").read_text())
    # what a checkpoint written before the quality scale looked like
    cfg["format_version"] = 1
    for name in ("quality_folds", "acceptable"):
        del cfg["params"][name]
    (path / "config.json").write_text(json.dumps(cfg))
    old = load_router(path)
    assert old.quality_scale_ is None and old.quality_folds == 0
    _, easy, _ = _planted()
    np.testing.assert_array_equal(old.predict_quality(easy),
                                  raw_only.predict_quality(easy, raw=True))


def test_shipped_default_router_still_loads():
    r = load_router("default")
    q = r.predict_quality(["hi"], ["gpt-4-1106-preview"])
    assert q.shape == (1, 1) and 0 < q[0, 0] < 1


def test_corrupt_scale_names_the_checkpoint(scaled, tmp_path):
    path = scaled.save(tmp_path / "bad")
    cfg = json.loads((path / "config.json").read_text())
    cfg["state"]["quality_scale_models"] = ["only-one"]
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=str(path)):
        load_router(path)


def test_quality_folds_and_acceptable_are_checked():
    data, _, _ = _planted()
    with pytest.raises(DataError, match="quality_folds must be 0"):
        IRTRouter("dear", "cheap", HashingEmbedder(16), epochs=2, quality_folds=1).fit(data)
    with pytest.raises(DataError, match="acceptable must be in"):
        IRTRouter("dear", "cheap", HashingEmbedder(16), epochs=2, acceptable=0.0).fit(data)


class _DocsLadderRouter:
    """Planted estimates for the docs' ladder: raw ones on three scales (the top model's near
    1, the others capped lower), calibrated ones on one."""

    def __init__(self) -> None:
        from routellm_core.evaluation.ladder_eval import DOCS_LADDER

        self.top, self.mid, self.low = (DOCS_LADDER[m][1] for m in ("gpt-4o", "llama-70b",
                                                                    "llama-8b"))
        self.models_ = [self.top, self.mid, self.low]
        self.quality_scale_ = object()  # has a scale: calibrated rows are reported

    def predict_quality(self, prompts, models=None, *, raw=False):
        rows = []
        for p in prompts:
            hard = p.startswith("prove")
            if raw:
                level = {self.top: 0.99, self.mid: 0.6 if hard else 0.9, self.low: 0.4 if hard else 0.8}
            else:
                level = {self.top: 0.9 if hard else 0.99, self.mid: 0.5 if hard else 0.93,
                         self.low: 0.2 if hard else 0.9}
            rows.append([level[m] for m in models])
        return np.asarray(rows)


def test_difficulty_shares_count_what_reaches_the_dearest_model():
    from routellm_core.evaluation.ladder_eval import difficulty_shares

    prompts = ["hi there", "thanks!", "ok bye", "prove it", "prove that"]
    labels = ["easy", "easy", "easy", "hard", "hard"]
    out = difficulty_shares(_DocsLadderRouter(), prompts, labels)
    assert out["models"] == ["llama-8b", "llama-70b", "gpt-4o"]
    assert (out["n_easy"], out["n_hard"]) == (3, 2)
    rows = {(v["estimates"], v["rule"].split(" (")[0]): v for v in out["variants"]}
    after = rows[("calibrated", f"tolerance {DEFAULT_TOLERANCE:g}")]
    assert after["easy"] == [3, 0, 0] and after["hard"] == [0, 0, 2]
    assert after["easy_top_share"] == 0.0 and after["hard_top_share"] == 1.0
    # the raw estimates under the replaced rule: the top model's scale wins everywhere
    before = rows[("raw", "within 0.05 of the best")]
    assert before["easy_top_share"] == 1.0 and before["easy"] == [0, 0, 3]
    # the sweep around the default, on the calibrated estimates
    assert out["sweep_estimates"] == "calibrated"
    at = {p["tolerance"]: p for p in out["sweep"]}
    assert at[0.05]["easy_top_share"] == 1.0 and at[0.05]["hard_top_share"] == 1.0
    assert at[0.15]["easy_top_share"] == 0.0


def test_difficulty_report_prints_each_variant_and_the_sweep():
    from routellm_core.evaluation.ladder_eval import difficulty_shares, format_report

    out = difficulty_shares(_DocsLadderRouter(), ["hi", "prove it"], ["easy", "hard"])
    md = format_report({"sets": {}, "difficulty": {"trained": out, "shipped_default": out}},
                       markdown=True)
    assert (f"| irt, default config | calibrated | tolerance {DEFAULT_TOLERANCE:g} (default) | "
            "0 % | 100 % |") in md
    assert "| shipped default | raw | within 0.05 of the best (replaced) | 100 % | 100 % |" in md
    assert "| easy | 100 % | 0 % | 0 % |" in md
    text = format_report({"sets": {}, "difficulty": {"trained": out, "shipped_default": out}})
    assert "tolerance  0.15: easy   0 %, hard 100 %" in text
