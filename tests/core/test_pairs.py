"""Routing for the user's pair: recognising model names, binding a router to a pair with that
pair's calibration, the fallback to the default pair, and checkpoints with and without the
stored pair calibration."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from routellm_test_fake_routers import KeywordRouter, PlantedPairRouter

from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import ConfigError, RouteLLMError, UnknownNameError
from routellm_core.routers import load_router
from routellm_core.routers.base import CONFIG_FILE, Router
from routellm_core.routers.pair import (
    LOGITS_TENSOR,
    PairRouter,
    bind_pair,
    pair_calibration,
    pair_calibration_table,
)
from routellm_core.routing.engine import RoutingEngine
from routellm_core.routing.pairs import normalise_name, resolve_model, route_pair
from routellm_core.scoring.calibration import calibration_table

MINI = "gpt-4o-mini"
MATHS, WRITING = "prove the theorem about primes", "write a poem about autumn"

#: names a router trained on all sources knows (spellings of the training data)
KNOWN = [STRONG_MODEL, WEAK_MODEL, MINI, "gpt-3.5-turbo", "claude-3-haiku-20240307",
         "gemini-2.0-flash-001", "Meta-Llama-3_1-70B-Instruct", "llama3_1_70b",
         "gemini-1.5-pro-002", "mistralai/Mistral-7B-Instruct-v0.1"]


# ---- recognising names ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("gpt-4o", STRONG_MODEL),
    ("openai/gpt-4o-2024-08-06", STRONG_MODEL),
    ("gpt-4-turbo", STRONG_MODEL),
    ("gpt-4-0314", STRONG_MODEL),
    ("gpt-4o-mini", MINI),
    ("gpt-4o-mini-2024-07-18", MINI),
    ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
    ("gpt-35-turbo", "gpt-3.5-turbo"),
    ("claude-3-haiku", "claude-3-haiku-20240307"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
    ("gemini-2.0-flash", "gemini-2.0-flash-001"),
    ("models/gemini-1.5-pro", "gemini-1.5-pro-002"),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", "Meta-Llama-3_1-70B-Instruct"),
    ("llama3.1:70b", "Meta-Llama-3_1-70B-Instruct"),
    ("open-mixtral-8x7b", WEAK_MODEL),
    ("GPT-4O-MINI", MINI),
    (WEAK_MODEL, WEAK_MODEL),
])
def test_common_api_names_resolve_to_the_routers_names(name: str, expected: str) -> None:
    assert resolve_model(name, KNOWN) == expected


def test_alias_candidates_follow_what_the_router_knows() -> None:
    # Llama 3.1 70B is spelled differently in other sources: the first one known wins
    assert resolve_model("llama-3.1-70b", ["llama3_1_70b", "x"]) == "llama3_1_70b"
    assert resolve_model("gpt-4o", ["gpt-4o", "y"]) == "gpt-4o"  # a router trained unaliased


def test_unknown_names_and_user_aliases() -> None:
    assert resolve_model("my-finetune", KNOWN) is None
    assert resolve_model("claude-3-opus", KNOWN) is None
    assert resolve_model("my-finetune", KNOWN, {"my-finetune": "gpt-4o-mini"}) == MINI
    # a user alias wins over the map
    assert resolve_model("gpt-4o", KNOWN, {"gpt-4o": "gemini-1.5-pro"}) == "gemini-1.5-pro-002"
    assert normalise_name("Qwen/Qwen2.5-72B-Instruct") == "qwen2.5-72b"


# ---- binding ------------------------------------------------------------------------------------
def test_bind_pair_scores_the_pair_with_its_own_calibration() -> None:
    r = PlantedPairRouter()
    bound = bind_pair(r, STRONG_MODEL, MINI)
    assert isinstance(bound, PairRouter) and bound.pair_ == (STRONG_MODEL, MINI)
    assert bound.name == r.name
    scores = bound.predict_win_rate([MATHS, WRITING])
    assert scores[1] > scores[0]  # writing is what gpt-4o-mini fails
    assert r.predict_win_rate([MATHS, WRITING])[0] > r.predict_win_rate([MATHS, WRITING])[1]
    # the table from the stored logits is the table of the pair's own scores
    direct = calibration_table(r, [], "planted",
                               scores=r.score_pair(r.CALIBRATION_PROMPTS, STRONG_MODEL, MINI))
    assert bound.calibration_ is not None
    np.testing.assert_allclose(bound.calibration_["thresholds"], direct["thresholds"], atol=1e-3)
    # its own pair is the router itself (the ensemble's blend stays the ensemble's)
    assert bind_pair(r, STRONG_MODEL, WEAK_MODEL) is r
    assert bind_pair(bound, STRONG_MODEL, WEAK_MODEL) is r


def test_bind_pair_errors_name_the_problem() -> None:
    r = PlantedPairRouter()
    with pytest.raises(UnknownNameError, match="gpt-4o-mini"):
        bind_pair(r, STRONG_MODEL, "claude-9")
    with pytest.raises(RouteLLMError, match="twice"):
        bind_pair(r, MINI, MINI)
    with pytest.raises(RouteLLMError, match="no per-model estimates"):
        bind_pair(KeywordRouter(), "a", "b")
    with pytest.raises(ConfigError, match="two different model names"):
        route_pair(r, pair="gpt-4o")


# ---- the engine ---------------------------------------------------------------------------------
def _engine(**kw: object) -> RoutingEngine:
    kw.setdefault("strong_fraction", 0.2)
    kw.setdefault("pair", "auto")
    return RoutingEngine(PlantedPairRouter(), **kw)  # type: ignore[arg-type]


def test_the_engine_routes_for_the_inner_models_pair() -> None:
    e = _engine(strong_name="gpt-4o", weak_name="gpt-4o-mini")
    assert e.decide(WRITING).route == "strong" and e.decide(MATHS).route == "weak"
    d = e.decide(WRITING).to_dict()
    assert d["pair"] == [STRONG_MODEL, MINI] and d["model"] == "gpt-4o"
    # the same router for GPT-4 vs Mixtral routes the other way
    e = _engine(strong_name="gpt-4o", weak_name="open-mixtral-8x7b")
    assert e.decide(WRITING).route == "weak" and e.decide(MATHS).route == "strong"
    assert e.decide(MATHS).to_dict()["pair"] == [STRONG_MODEL, WEAK_MODEL]


def test_explicit_pair_aliases_and_default() -> None:
    e = _engine(strong_name="big", weak_name="small", pair=("gpt-4o", "gpt-4o-mini"))
    assert e.decide(WRITING).route == "strong"
    e = _engine(strong_name="gpt-4o", weak_name="my-finetune", aliases={"my-finetune": MINI})
    assert e.decide(WRITING).route == "strong"
    for off in ("default", None):
        e = _engine(strong_name="gpt-4o", weak_name="gpt-4o-mini", pair=off)
        assert e.decide(WRITING).route == "weak"
        assert e.decide(WRITING).to_dict()["pair"] == [STRONG_MODEL, WEAK_MODEL]
    # the default is the router's own pair, whatever the inner models
    e = RoutingEngine(PlantedPairRouter(), strong_name="gpt-4o", weak_name="gpt-4o-mini",
                      strong_fraction=0.2)
    assert e.decide(WRITING).route == "weak"
    # configure rebinds; a bad pair changes nothing
    e.configure(pair="auto")
    assert e.decide(WRITING).route == "strong"
    with pytest.raises(ConfigError):
        e.configure(pair=("a", "a"))
    assert e.decide(WRITING).route == "strong"


def test_an_unknown_pair_falls_back_to_the_default_pair_logged_once(caplog) -> None:
    caplog.set_level(logging.WARNING, "routellm_core.routing.pairs")
    router = PlantedPairRouter()
    for _ in range(2):
        e = RoutingEngine(router, strong_name="gpt-4o", weak_name="claude-9-tiny",
                          strong_fraction=0.2, pair="auto")
    assert e.decide(MATHS).route == "strong"  # the default pair's routing
    assert e.decide(MATHS).to_dict()["pair"] == [STRONG_MODEL, WEAK_MODEL]
    msgs = [r.getMessage() for r in caplog.records if "claude-9-tiny" in r.getMessage()]
    assert len(msgs) == 1 and "aliases=" in msgs[0] and MINI in msgs[0]


def test_a_checkpoint_without_pair_calibration_falls_back_unless_the_threshold_is_raw(caplog
                                                                                      ) -> None:
    caplog.set_level(logging.WARNING, "routellm_core.routing.pairs")
    old = PlantedPairRouter(calibrate=False)
    old.calibration_ = PlantedPairRouter().calibration_  # a table for its own pair only
    e = RoutingEngine(old, strong_name="gpt-4o", weak_name="gpt-4o-mini", strong_fraction=0.2,
                      pair="auto")
    assert e.decide(MATHS).route == "strong"
    assert e.decide(MATHS).to_dict()["pair"] == [STRONG_MODEL, WEAK_MODEL]
    assert any("stores no calibration" in r.getMessage() for r in caplog.records)
    # a raw threshold needs no table: the pair is scored
    e = RoutingEngine(old, strong_name="gpt-4o", weak_name="gpt-4o-mini", threshold=0.7,
                      pair="auto")
    assert e.decide(WRITING).route == "strong"
    assert e.decide(WRITING).to_dict()["pair"] == [STRONG_MODEL, MINI]


def test_routers_without_per_model_estimates_keep_their_pair() -> None:
    e = RoutingEngine(KeywordRouter(), strong_name="gpt-4o", weak_name="gpt-4o-mini",
                      strong_fraction=0.3, pair="auto")
    assert e.router.name == "keyword" and e.decide("prove it").to_dict()["pair"] == ["s", "w"]


def test_the_shipped_default_routes_a_pair_it_can_calibrate_else_its_own() -> None:
    shipped = load_router("default")
    e = RoutingEngine("default", strong_name="gpt-4o", weak_name="gpt-3.5-turbo",
                      strong_fraction=0.3, pair="auto")
    pair = e.decide("Prove that there are infinitely many primes.").to_dict()["pair"]
    if getattr(shipped, "pair_calibration_", None):  # a default trained with pair calibration
        assert pair == [STRONG_MODEL, "gpt-3.5-turbo"]
    else:  # an older checkpoint: it cannot calibrate another pair
        assert pair == [STRONG_MODEL, WEAK_MODEL]


# ---- checkpoints ---------------------------------------------------------------------------------
def _irt(tmp_path):
    from routellm_core.data.battles import OutcomeTable, TrainingData
    from routellm_core.routers.irt import IRTRouter
    from routellm_core.scoring.embeddings import HashingEmbedder

    words = ["prove", "theorem", "poem", "story", "hello", "lunch", "integral", "essay"]
    rng = np.random.default_rng(0)
    prompts = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    maths = np.asarray([("prove" in p) or ("integral" in p) for p in prompts], float)
    table = OutcomeTable(prompts, {"strong": np.ones(60), "mid": 1 - maths,
                                   "weak": 1 - 0.5 * maths, "low": 1 - maths},
                         source="toy")
    r = IRTRouter("strong", "weak", HashingEmbedder(64), dim=4, epochs=40, lr=0.05)
    r.fit(TrainingData(tables=[table]))
    cal = prompts[:40]
    r.calibration_ = calibration_table(r, cal, "toy")
    r.pair_calibration_ = pair_calibration(r, cal, "toy")
    r.save(tmp_path / "irt")
    return r, cal


def test_a_checkpoint_stores_what_calibrates_any_pair(tmp_path) -> None:
    r, cal = _irt(tmp_path)
    config = json.loads((tmp_path / "irt" / CONFIG_FILE).read_text())
    assert config["pair_calibration"]["models"] == r.models_
    assert LOGITS_TENSOR in config["tensors"]
    back = Router.load(tmp_path / "irt")
    assert back.pair_calibration_ is not None
    assert back.pair_calibration_["logits"].dtype == np.float16
    table = pair_calibration_table(back, "mid", "low")
    direct = calibration_table(back, cal, "toy")  # its own pair: a sanity anchor
    assert table is not None and table["pair"] == ["mid", "low"]
    exact = calibration_table(back, [], "toy", scores=back.score_pair(cal, "mid", "low"))
    # float16 logits: thresholds within a small tolerance of the exact ones
    np.testing.assert_allclose(table["thresholds"], exact["thresholds"], atol=5e-3)
    assert table["thresholds"] != direct["thresholds"]


def test_an_older_checkpoint_loads_and_cannot_calibrate_a_pair(tmp_path, caplog) -> None:
    _irt(tmp_path)
    path = tmp_path / "irt" / CONFIG_FILE
    config = json.loads(path.read_text())
    del config["pair_calibration"]
    config["tensors"].remove(LOGITS_TENSOR)
    path.write_text(json.dumps(config))
    old = Router.load(tmp_path / "irt")
    assert old.pair_calibration_ is None
    assert bind_pair(old, "mid", "low").calibration_ is None
    caplog.set_level(logging.WARNING, "routellm_core.routing.pairs")
    assert route_pair(old, pair=("mid", "low")) is old
    assert route_pair(old, pair=None, strong_name="mid", weak_name="low") is old
    assert any("stores no calibration" in r.getMessage() for r in caplog.records)
    # a pair calibration block of a version this library does not read: ignored, logged
    config["pair_calibration"] = {"version": 99, "models": []}
    path.write_text(json.dumps(config))
    caplog.clear()
    caplog.set_level(logging.WARNING, "routellm_core.routers.pair")
    assert Router.load(tmp_path / "irt").pair_calibration_ is None
    assert any("version 99" in r.getMessage() for r in caplog.records)


def test_mf_and_ensemble_pair_scores_follow_from_their_logits() -> None:
    from routellm_core.data.battles import Battle, Battles, OutcomeTable, TrainingData
    from routellm_core.routers.ensemble import EnsembleRouter
    from routellm_core.routers.mf import MatrixFactorizationRouter
    from routellm_core.scoring.embeddings import HashingEmbedder

    prompts = [f"question {i} {'prove' if i % 2 else 'hello'}" for i in range(30)]
    battles = Battles([Battle(p, a, b, "model_a" if i % 2 else "model_b", "toy")
                       for i, p in enumerate(prompts) for a, b in (("s", "w"), ("m", "w"))])
    mf = MatrixFactorizationRouter("s", "w", HashingEmbedder(32), dim=4, epochs=2).fit(battles)
    q = mf.model_logits(prompts)
    i = {m: k for k, m in enumerate(mf.models_)}
    np.testing.assert_allclose(mf.pair_score_from_logits(q[:, i["m"]], q[:, i["w"]]),
                               mf.score_pair(prompts, "m", "w"), atol=1e-5)
    table = OutcomeTable(prompts, {"s": np.ones(30), "m": np.ones(30),
                                   "w": np.asarray([1.0 - (k % 2) for k in range(30)])})
    ens = EnsembleRouter("s", "w", members=[
        {"router": "irt", "embedder": "hashing-32", "params": {"epochs": 10}},
        {"router": "mf", "embedder": "hashing-32", "params": {"epochs": 1}}],
        weights=[0.5, 0.5]).fit(TrainingData(tables=[table]))
    q = ens.model_logits(prompts)
    i = {m: k for k, m in enumerate(ens.models_)}
    np.testing.assert_allclose(ens.pair_score_from_logits(q[:, i["m"]], q[:, i["w"]]),
                               ens.score_pair(prompts, "m", "w"), atol=1e-9)


def test_recalibrating_an_older_checkpoint_stores_what_calibrates_its_pairs(tmp_path) -> None:
    from routellm_core.cli.main import main

    prompts = ["What is 2+2?", "Prove that there are infinitely many primes.", "hello there",
               "Write a poem about the sea", "Explain quantum entanglement", "List three fruits"]
    (tmp_path / "mine.txt").write_text("\n".join(prompts))
    out = tmp_path / "recalibrated"
    assert main(["calibrate", "--router", "default", "--prompts", str(tmp_path / "mine.txt"),
                 "--out", str(out), "--no-progress"]) == 0
    copy = Router.load(out)
    assert copy.pair_calibration_ is not None and copy.pair_calibration_["prompt_set"] == "mine.txt"
    e = RoutingEngine(out, strong_name="gpt-4o", weak_name="gpt-3.5-turbo", strong_fraction=0.5,
                      pair="auto")
    assert e.decide(prompts[1]).to_dict()["pair"] == [STRONG_MODEL, "gpt-3.5-turbo"]
    assert e.router.calibration_ is not None and e.router.calibration_["n"] == len(prompts)
