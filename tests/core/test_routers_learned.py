"""The learned routers: planted signal, checkpoints, SW aggregation, calibration, bad input."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles
from routellm_core.errors import CheckpointError, DataError, UnknownNameError
from routellm_core.routers import load_router
from routellm_core.routers.base import TENSOR_FILE, Router
from routellm_core.routers.knn import KNNRouter
from routellm_core.routers.mf import MatrixFactorizationRouter
from routellm_core.routers.sw_ranking import SWRankingRouter
from routellm_core.scoring.calibration import calibrate, calibration_table
from routellm_core.scoring.embeddings import HashingEmbedder
from routellm_core.scoring.ranking import fit_bt_cells

MATH = "integral derivative equation solve algebra matrix proof theorem calculus prime".split()
POEM = "poem sonnet ocean rhyme love story haiku song flower moon".split()


def _prompt(rng: random.Random, vocab: list[str]) -> str:
    return " ".join(rng.choice(vocab) for _ in range(8))


def planted(n: int = 120, seed: int = 0) -> Battles:
    """Strong wins math prompts, weak wins poems; 'mid' and 'low' make the tiers non-trivial."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        math = i % 2 == 0
        p = _prompt(rng, MATH if math else POEM)
        out.append(Battle(p, "strong", "weak", "model_a" if math else "model_b"))
        out.append(Battle(p, "weak", "strong", "model_b" if math else "model_a"))
        out.append(Battle(p, "mid", "low", "model_a"))
        out.append(Battle(p, "strong", "low", "model_a"))
        out.append(Battle(p, "weak", "mid", "tie"))
    return Battles(out)


def heldout(seed: int = 99) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    return [_prompt(rng, MATH) for _ in range(15)], [_prompt(rng, POEM) for _ in range(15)]


def make(kind: str) -> Router:
    emb = HashingEmbedder(dim=256)
    if kind == "sw":
        return SWRankingRouter("strong", "weak", emb)
    if kind == "mf":
        return MatrixFactorizationRouter("strong", "weak", emb, dim=16, epochs=40, lr=1e-2)
    return KNNRouter("strong", "weak", emb)


KINDS = ["sw", "mf", "knn"]


@pytest.fixture(scope="module")
def fitted() -> dict[str, Router]:
    bs = planted()
    return {k: make(k).fit(bs) for k in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_learns_planted_signal(fitted, kind):
    math, poem = heldout()
    r = fitted[kind]
    sm, sp = r.predict_win_rate(math), r.predict_win_rate(poem)
    # every held-out math prompt outranks every poem prompt
    assert sm.min() > sp.max(), (sm, sp)


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(fitted, kind, tmp_path):
    math, poem = heldout()
    r = fitted[kind]
    r.calibration_ = calibration_table(r, math + poem, "synthetic")
    r.save(tmp_path / kind)
    back = Router.load(tmp_path / kind)
    assert type(back) is type(r)
    np.testing.assert_array_equal(back.predict_win_rate(math + poem),
                                  r.predict_win_rate(math + poem))
    assert back.threshold_for(0.3) == r.threshold_for(0.3)
    assert load_router(str(tmp_path / kind)).name == r.name


def test_sw_aggregation_equals_naive_per_battle_fit(fitted):
    r: SWRankingRouter = fitted["sw"]
    bs = planted()
    q = r.embed(["solve integral equation algebra poem"])
    # naive: one weighted term per battle, weight gamma^(1 + S/max S) of the battle's prompt
    prompts = bs.prompts()
    e = r.embed(prompts)
    sims = (e @ q[0]).astype(np.float64)
    s = sims / sims.max()
    wp = {p: r.gamma ** (1 + s[i]) for i, p in enumerate(prompts)}
    code = {"model_a": 1.0, "tie": 0.5, "model_b": 0.0}
    ia = np.array([r.tiers_[b.model_a] for b in bs])
    ib = np.array([r.tiers_[b.model_b] for b in bs])
    y = np.array([code[b.winner] for b in bs])
    w = np.array([wp[b.prompt] * b.weight for b in bs])
    keep = ia != ib
    naive = fit_bt_cells(ia[keep], ib[keep], y[keep], w[keep], r.n_tiers_, l2=r.l2)
    p_naive = 1 / (1 + np.exp(-(naive[r.strong_tier_] - naive[r.weak_tier_])))
    p_fast = r.predict_from_embeddings(q)[0]
    assert abs(p_fast - p_naive) < 1e-6
    assert r.cell_weights_.shape[1] <= r.n_tiers_ ** 2 * 3


def test_mf_any_pair_and_unknown_name(fitted):
    r: MatrixFactorizationRouter = fitted["mf"]
    math, _ = heldout()
    np.testing.assert_allclose(r.score_pair(math, "strong", "weak"), r.predict_win_rate(math))
    np.testing.assert_allclose(r.score_pair(math, "weak", "strong"),
                               1 - r.predict_win_rate(math), atol=1e-12)
    with pytest.raises(UnknownNameError, match="mid"):
        r.score_pair(math, "gpt-5", "weak")


def test_mf_is_deterministic_with_seed():
    bs = planted(40)
    a = make("mf").fit(bs).predict_win_rate(["integral poem"])
    b = make("mf").fit(bs).predict_win_rate(["integral poem"])
    assert a[0] == b[0]


@pytest.mark.parametrize("kind", KINDS)
def test_calibration_hits_fraction_within_one_prompt(fitted, kind):
    rng = random.Random(5)
    # prompts mixing both topics in varying proportions, so scores are (nearly) all distinct
    prompts = [" ".join(rng.choice(MATH if rng.random() < i / 40 else POEM) for _ in range(12))
               for i in range(40)]
    r = fitted[kind]
    if kind == "knn":  # a small k gives few distinct averages of 0/1 labels; ties cannot split
        r = KNNRouter("strong", "weak", HashingEmbedder(256), k=60).fit(planted())
    assert len(set(r.predict_win_rate(prompts).tolist())) >= 35
    for f in (0.1, 0.3, 0.5, 0.8):
        t = calibrate(r, prompts, f)
        n = int((r.predict_win_rate(prompts) >= t).sum())
        assert abs(n - f * len(prompts)) <= 1


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_pair_in_battles_is_clear(kind):
    r = make(kind)
    r.strong_model = "gpt-4-1106-preview"
    with pytest.raises(DataError, match=r"gpt-4-1106-preview.*models in the battles: low, mid"):
        r.fit(planted(10))


@pytest.mark.parametrize("kind", KINDS)
def test_empty_training_set(kind):
    with pytest.raises(DataError, match="empty training set"):
        make(kind).fit(Battles())


def test_knn_without_pair_battles():
    bs = Battles([Battle("x", "strong", "mid", "model_a"), Battle("y", "weak", "mid", "tie")])
    with pytest.raises(DataError, match="no battle compares"):
        make("knn").fit(bs)
    r = KNNRouter("strong", "weak", HashingEmbedder(64), label_mode="tiers", k=1).fit(bs)
    assert r.predict_win_rate(["x"]).shape == (1,)


def test_checkpoint_other_version_and_missing_tensors(fitted, tmp_path):
    p = fitted["mf"].save(tmp_path / "mf")
    cfg = json.loads((p / "config.json").read_text())
    (p / "config.json").write_text(json.dumps({**cfg, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format_version 99"):
        Router.load(p)
    (p / "config.json").write_text(json.dumps(cfg))
    (p / TENSOR_FILE).unlink()
    with pytest.raises(CheckpointError, match="missing"):
        Router.load(p)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.5])
def test_strong_fraction_outside_unit_interval(fitted, bad):
    r = fitted["knn"]
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        calibrate(r, ["a", "b"], bad)


def test_embedder_dimension_mismatch_on_load(fitted, tmp_path):
    p = fitted["knn"].save(tmp_path / "knn")
    with pytest.raises(CheckpointError, match="256-d"):
        Router.load(p, embedder=HashingEmbedder(dim=32))


def test_shipped_default_router_loads_offline_and_is_small():
    from routellm_core.routers import default_router_path
    from routellm_core.routers.ensemble import EnsembleRouter
    from routellm_core.routers.irt import IRTRouter
    from routellm_core.routers.mf import MatrixFactorizationRouter
    from routellm_core.scoring.static_embedding import STATIC_ID, StaticEmbedder

    path = default_router_path()
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert size < 25 * 2**20
    r = load_router("default")
    # IRT 0.6 + MF 0.4, both on the static embedder
    assert isinstance(r, EnsembleRouter) and r.weights == [0.6, 0.4]
    irt, mf = r.members_
    assert isinstance(irt, IRTRouter) and irt.score == "gain"
    assert isinstance(mf, MatrixFactorizationRouter)
    assert irt.get_embedder() is mf.get_embedder()  # one embedding per routed prompt
    for i, member in enumerate(r.members_):
        assert isinstance(member.get_embedder(), StaticEmbedder)
        cfg = json.loads((path / "members" / str(i) / "config.json").read_text())
        assert cfg["embedder"]["model_id"] == STATIC_ID
    cal = r.calibration_
    assert cal["prompt_set"] == "mix" and cal["n"] > 1000
    assert all(a >= b for a, b in zip(cal["thresholds"], cal["thresholds"][1:], strict=False))
    assert r.threshold_for(0.05) >= r.threshold_for(0.5) >= r.threshold_for(0.95)
    s = r.predict_win_rate(["What is 2+2?", "Prove Fermat's little theorem."])
    assert s.shape == (2,) and np.all((s > 0) & (s < 1))
    # it knows every MMLU-Pro and arena-bench-v1 model, for other pairs and the ladder
    assert {"gemini-1.5-pro-002", "Yi-6b-Chat", "claude-2.1"} <= set(irt.models_)
    assert r.predict_quality(["What is 2+2?"], ["gemini-1.5-pro-002"]).shape == (1, 1)


def test_the_readme_example_routes_strong_and_a_greeting_weak_with_the_default():
    """The README's example prompt at strong_fraction=0.3 goes to the strong model; plainly
    easy prompts go to the weak one."""
    from routellm_core.routing.engine import RoutingEngine

    engine = RoutingEngine("default", strong_fraction=0.3)
    assert engine.decide("Prove that there are infinitely many primes.").route == "strong"
    for easy in ("hi", "Thanks, that's all!", "What is the capital of France?"):
        assert engine.decide(easy).route == "weak", easy


def test_the_shipped_default_has_the_ladders_quality_scale_and_a_raw_view():
    """The shipped blend exposes its irt member's per-model quality scale (the ladder's one
    scale) and still gives the raw estimates on request; the two differ."""
    from routellm_core.routers import load_router

    r = load_router("default")
    assert r.quality_scale_ is not None
    prompts, models = ["hi", "Prove that there are infinitely many primes."], r.models_[:3]
    cal = r.predict_quality(prompts, models)
    raw = r.predict_quality(prompts, models, raw=True)
    assert cal.shape == raw.shape == (2, 3)
    assert not np.allclose(cal, raw)
