"""The IRT router and its data: planted signal, every model's quality, checkpoints, bad input."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles, OutcomeTable, TrainingData
from routellm_core.errors import CheckpointError, DataError, UnknownNameError
from routellm_core.routers import load_router
from routellm_core.routers.base import CONFIG_FILE, Router
from routellm_core.routers.irt import IRTRouter
from routellm_core.routers.mf import MatrixFactorizationRouter
from routellm_core.scoring.embeddings import HashingEmbedder
from routellm_core.scoring.text_features import FEATURE_NAMES

MATH = "integral derivative equation solve algebra matrix proof theorem calculus prime".split()
CHAT = "hello thanks weather lunch friend movie weekend coffee music holiday".split()


def _prompt(rng: random.Random, vocab: list[str]) -> str:
    return " ".join(rng.choice(vocab) for _ in range(8))


def planted(n: int = 80, seed: int = 0) -> TrainingData:
    """Every model answers chat prompts; on maths only 'strong' and 'mid' do, 'weak' and 'low'
    fail. A few pairwise votes agree."""
    rng = random.Random(seed)
    prompts = [_prompt(rng, MATH if i % 2 == 0 else CHAT) for i in range(n)]
    hard = np.asarray([i % 2 == 0 for i in range(n)], dtype=float)
    table = OutcomeTable(prompts, {"strong": np.ones(n), "mid": np.ones(n), "weak": 1 - hard,
                                   "low": 1 - hard}, source="toy")
    votes = Battles([Battle(p, "strong", "weak", "model_a" if h else "tie", "votes")
                     for p, h in zip(prompts[:20], hard[:20], strict=True)])
    return TrainingData(votes, [table])


def heldout(seed: int = 99) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    return [_prompt(rng, MATH) for _ in range(15)], [_prompt(rng, CHAT) for _ in range(15)]


def make(**kw: object) -> IRTRouter:
    params: dict = {"dim": 4, "epochs": 150, "lr": 0.05, "l2": 1e-4}
    params.update(kw)
    return IRTRouter("strong", "weak", HashingEmbedder(dim=128), **params)


@pytest.mark.parametrize("hidden", [0, 16])
def test_irt_learns_the_planted_signal(hidden: int) -> None:
    r = make(hidden=hidden).fit(planted())
    hard, easy = heldout()
    s_hard, s_easy = r.predict_win_rate(hard), r.predict_win_rate(easy)
    assert s_hard.min() > s_easy.max()
    # the score is (1 + gain) / 2: a maths prompt gains, a chat prompt does not
    assert s_hard.mean() > 0.7 and abs(s_easy.mean() - 0.5) < 0.1


def test_irt_weak_failure_score_still_routes_prompts_beyond_both_models() -> None:
    """Planted: chat is easy for all; maths is solved by 'strong' only; 'riddle' prompts by no
    model. The gain score calls riddles "no gain" (both fail) and ranks them with chat; the
    weak-failure score ranks them with maths, above chat."""
    rng = random.Random(3)
    riddle = "riddle paradox enigma koan conundrum puzzle mystery cipher sphinx labyrinth".split()
    kinds = [MATH, CHAT, riddle] * 30
    prompts = [_prompt(rng, v) for v in kinds]
    solved = {"strong": [v is not riddle for v in kinds], "weak": [v is CHAT for v in kinds]}
    data = TrainingData(tables=[OutcomeTable(prompts, {m: np.asarray(v, float)
                                                       for m, v in solved.items()})])
    gain, fail = make().fit(data), make(score="weak-failure").fit(data)
    maths, chat, riddles = ([_prompt(rng, v) for _ in range(10)] for v in (MATH, CHAT, riddle))
    assert gain.predict_win_rate(maths).min() > gain.predict_win_rate(riddles).max()
    assert abs(gain.predict_win_rate(riddles).mean() - 0.5) < 0.1
    assert fail.predict_win_rate(riddles).min() > fail.predict_win_rate(chat).max()
    assert fail.predict_win_rate(maths).min() > fail.predict_win_rate(chat).max()
    np.testing.assert_allclose(fail.predict_win_rate(maths),
                               1 - fail.predict_quality(maths, ["weak"])[:, 0])


def _numbers(rng: random.Random, vocab: list[str], hard: bool) -> str:
    words = [rng.choice(vocab) for _ in range(8)]
    if hard:  # a multi-step problem: many quantities
        words += [str(rng.randint(10, 999)) for _ in range(6)]
    return " ".join(words)


def test_irt_linear_features_carry_a_surface_signal_to_an_unseen_topic(tmp_path) -> None:
    """Difficulty planted in the surface (many numbers) on maths prompts only; with the
    features outside the hidden layer it carries over to chat prompts never seen in training."""
    rng = random.Random(3)
    hard = [i % 2 == 0 for i in range(120)]
    prompts = [_numbers(rng, MATH, h) for h in hard]
    y = 1 - np.asarray(hard, dtype=float)
    data = TrainingData(tables=[OutcomeTable(prompts, {"strong": np.ones(120), "weak": y,
                                                       "low": y}, source="toy")])
    r = make(hidden=16, linear_features=True).fit(data)
    many = [_numbers(rng, CHAT, True) for _ in range(15)]
    few = [_numbers(rng, CHAT, False) for _ in range(15)]
    assert r.predict_win_rate(many).min() > r.predict_win_rate(few).max()
    assert r.feature_projection_.shape == (4, len(FEATURE_NAMES))
    r.save(tmp_path / "irt")
    back = load_router(tmp_path / "irt", embedder=HashingEmbedder(dim=128))
    assert isinstance(back, IRTRouter) and back.linear_features
    np.testing.assert_array_equal(back.predict_win_rate(many + few),
                                  r.predict_win_rate(many + few))


def test_irt_predicts_every_known_models_quality_and_other_pairs() -> None:
    r = make().fit(planted())
    hard, easy = heldout()
    q = r.predict_quality(hard + easy, ["mid", "low"])
    assert q.shape == (30, 2)
    assert (q[:15, 0] > q[:15, 1] + 0.3).all()      # on maths, mid beats low
    assert np.allclose(q[15:, 0], q[15:, 1], atol=0.2)  # on chat, both fine
    assert (r.score_pair(hard, "mid", "low") > r.score_pair(easy, "mid", "low")).all()
    assert r.predict_quality(["x"]).shape == (1, len(r.models_))


def test_irt_checkpoint_round_trip_is_exact(tmp_path) -> None:
    r = make(hidden=8).fit(planted())
    prompts = [*heldout()[0], "something else entirely"]
    r.save(tmp_path / "irt")
    cfg = json.loads((tmp_path / "irt" / CONFIG_FILE).read_text())
    assert cfg["router"] == "irt" and cfg["params"]["hidden"] == 8
    back = Router.load(tmp_path / "irt", embedder=HashingEmbedder(dim=128))
    assert isinstance(back, IRTRouter)
    np.testing.assert_array_equal(back.predict_win_rate(prompts), r.predict_win_rate(prompts))
    np.testing.assert_array_equal(back.predict_quality(prompts), r.predict_quality(prompts))
    # the same seed and data give the same tensors
    again = make(hidden=8).fit(planted())
    np.testing.assert_array_equal(again.projection_, r.projection_)


def test_irt_checkpoint_with_other_text_features_is_refused(tmp_path) -> None:
    make().fit(planted()).save(tmp_path / "irt")
    cfg_path = tmp_path / "irt" / CONFIG_FILE
    cfg = json.loads(cfg_path.read_text())
    cfg["state"]["features"] = ["something", "else"]
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="text features"):
        load_router(tmp_path / "irt", embedder=HashingEmbedder(dim=128))
    # a checkpoint that claims linear features without their tensor
    make(hidden=8).fit(planted()).save(tmp_path / "irt")
    cfg = json.loads(cfg_path.read_text())
    cfg["params"]["linear_features"] = True
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="no feature_projection tensor"):
        load_router(tmp_path / "irt", embedder=HashingEmbedder(dim=128))


def test_irt_bad_input_is_a_clear_error() -> None:
    data = planted()
    with pytest.raises(UnknownNameError, match="valid"):
        IRTRouter("gpt-5", "weak", HashingEmbedder(dim=32), epochs=2).fit(data)
    with pytest.raises(DataError, match="empty"):
        make().fit(TrainingData())
    with pytest.raises(DataError, match="dim and epochs"):
        make(dim=0).fit(data)
    with pytest.raises(DataError, match="lr"):
        make(lr=float("nan")).fit(data)
    with pytest.raises(DataError, match="hidden"):
        make(hidden=-1).fit(data)
    with pytest.raises(DataError, match="linear_features needs a hidden layer"):
        make(hidden=0, linear_features=True).fit(data)
    with pytest.raises(DataError, match="linear_features needs a hidden layer"):
        make(hidden=8, text_features=False, linear_features=True).fit(data)
    with pytest.raises(UnknownNameError, match="log_numbers"):
        make(hidden=8, linear_features=["length"]).fit(data)
    with pytest.raises(UnknownNameError, match="gain, weak-failure"):
        make(score="loss").fit(data)
    r = make().fit(data)
    with pytest.raises(UnknownNameError, match="strong"):
        r.predict_quality(["x"], ["nobody"])
    with pytest.raises(DataError, match="list of prompts"):
        r.predict_win_rate("a single string")  # type: ignore[arg-type]
    # a table whose every outcome is missing teaches nothing
    empty = OutcomeTable(["a", "b"], {"strong": [np.nan, np.nan], "weak": [np.nan, np.nan]})
    with pytest.raises(DataError, match="no outcome"):
        make().fit(TrainingData(tables=[empty]))


def test_outcome_table_validates_and_maps_models() -> None:
    with pytest.raises(DataError, match="outside"):
        OutcomeTable(["a"], {"m": [7.0]}, source="grades")
    with pytest.raises(DataError, match="2 outcomes for 1"):
        OutcomeTable(["a"], {"m": [1.0, 0.0]})
    with pytest.raises(DataError, match="distinct"):
        OutcomeTable(["a", "a"], {"m": [1.0, 0.0]})
    t = OutcomeTable(["a", "b"], {"gpt-4": [1.0, np.nan], "gpt-4-0314": [0.0, 1.0],
                                  "gpt-4o": [0.0, 0.0], "mix": [0.5, 0.5]})
    # a canonical name present in the table keeps its own outcomes
    kept = t.map_models({"gpt-4-0314": "gpt-4", "gpt-4o": "strong", "mix": "strong"})
    assert kept.models() == ["gpt-4", "strong"]
    np.testing.assert_array_equal(kept.outcomes["gpt-4"], [1.0, np.nan])
    np.testing.assert_array_equal(kept.outcomes["strong"], [0.25, 0.25])
    battles = t.to_battles(models=["gpt-4-0314", "gpt-4o"])
    assert [b.winner for b in battles] == ["tie", "model_a"]


def test_battle_routers_see_tables_as_all_pairs_battles() -> None:
    data = planted(n=30)
    assert len(data.to_battles()) == len(data.battles) + 30 * 6
    r = MatrixFactorizationRouter("strong", "weak", HashingEmbedder(dim=64), dim=4, epochs=3)
    r.fit(data)  # MF reads battles: the tables arrive expanded
    assert r.models_ == ["low", "mid", "strong", "weak"]


def _ensemble(**kw: object):
    from routellm_core.routers.ensemble import EnsembleRouter

    members = [{"router": "irt", "embedder": "hashing-128",
                "params": {"dim": 4, "epochs": 150, "lr": 0.05, "l2": 1e-4}},
               {"router": "mf", "embedder": "hashing-128", "params": {"dim": 8, "epochs": 30,
                                                                      "lr": 1e-2},
                "battle_models": ["strong", "weak"]}]
    params: dict = {"members": members, "weights": [0.7, 0.3]}
    params.update(kw)
    return EnsembleRouter("strong", "weak", **params)


def test_ensemble_learns_the_planted_signal_and_round_trips(tmp_path) -> None:
    r = _ensemble().fit(planted())
    hard, easy = heldout()
    assert r.predict_win_rate(hard).min() > r.predict_win_rate(easy).max()
    # the MF member saw the tables as battles among the listed models only
    assert r.members_[1].models_ == ["strong", "weak"]
    # per-model estimates come from the IRT member
    assert r.predict_quality(hard, ["mid", "low"]).shape == (15, 2)
    r.save(tmp_path / "ens")
    assert (tmp_path / "ens" / "members" / "0" / CONFIG_FILE).is_file()
    back = load_router(tmp_path / "ens")
    np.testing.assert_array_equal(back.predict_win_rate(hard + easy), r.predict_win_rate(hard + easy))


def test_ensemble_bad_input_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(DataError, match="at least one member"):
        _ensemble(members=[], weights=[]).fit(planted())
    with pytest.raises(DataError, match="one weight per member"):
        _ensemble(weights=[1.0]).fit(planted())
    with pytest.raises(DataError, match="not all zero"):
        _ensemble(weights=[0.0, 0.0]).fit(planted())
    with pytest.raises(DataError, match="unknown"):
        _ensemble(members=[{"router": "irt", "colour": "red"}], weights=[1.0]).fit(planted())
    with pytest.raises(UnknownNameError, match="valid routers"):
        _ensemble(members=[{"router": "nope"}], weights=[1.0]).fit(planted())
    r = _ensemble().fit(planted())
    r.save(tmp_path / "ens")
    import shutil

    shutil.rmtree(tmp_path / "ens" / "members" / "1")
    with pytest.raises(CheckpointError, match="incomplete"):
        load_router(tmp_path / "ens")


def test_irt_with_script_aware_features_saves_them_and_reloads_exactly(tmp_path) -> None:
    from routellm_core.scoring.embeddings import ConcatEmbedder
    from routellm_core.scoring.text_features import SCRIPT_AWARE_FEATURE_NAMES

    emb = ConcatEmbedder([HashingEmbedder(dim=64), HashingEmbedder(dim=32)])
    r = IRTRouter("strong", "weak", emb, dim=4, epochs=50, lr=0.05, l2=1e-4,
                  text_features="script-aware").fit(planted())
    r.save(tmp_path / "irt")
    cfg = json.loads((tmp_path / "irt" / CONFIG_FILE).read_text())
    assert cfg["state"]["features"] == list(SCRIPT_AWARE_FEATURE_NAMES)
    # the concatenated embedder is rebuilt from the checkpoint's model id, offline
    assert cfg["embedder"]["model_id"] == "concat:hashing-64+hashing-32"
    back = load_router(tmp_path / "irt")
    assert isinstance(back.get_embedder(), ConcatEmbedder)
    prompts = ["证明素数有无穷多个。", *heldout()[0]]
    np.testing.assert_array_equal(back.predict_win_rate(prompts), r.predict_win_rate(prompts))
    # a v1 checkpoint read as script-aware (or the reverse) is refused
    cfg["params"]["text_features"] = True
    (tmp_path / "irt" / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="text features"):
        load_router(tmp_path / "irt")
    with pytest.raises(UnknownNameError, match="script-aware"):
        IRTRouter("strong", "weak", HashingEmbedder(dim=8), epochs=1,
                  text_features="v2").fit(planted())
