"""The router interface and checkpoint format, on the random router and a tiny test router."""

import json

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles
from routellm_core.errors import CheckpointError, DataError, RouteLLMError, UnknownNameError
from routellm_core.routers import get_router_class, load_router, register_router
from routellm_core.routers.base import EmbeddingRouter, NotFittedError, Router
from routellm_core.routers.random import RandomRouter
from routellm_core.scoring.embeddings import HashingEmbedder


@register_router
class CentroidRouter(EmbeddingRouter):
    """Test router: similarity to the centroid of prompts the strong model won."""

    name = "test_centroid"

    def __init__(self, strong_model="s", weak_model="w", embedder=None, *, scale: float = 1.0):
        super().__init__(strong_model, weak_model, embedder)
        self.scale = scale

    def _fit(self, battles):
        wins = [b.prompt for b in battles if b.winner == "model_a" and b.model_a == self.strong_model]
        e = self.embed(wins)
        self.centroid_ = e.mean(0)
        self.embedding_dim_ = e.shape[1]

    def _predict_embeddings(self, e):
        return 1 / (1 + np.exp(-self.scale * (e @ self.centroid_)))

    def _get_state(self):
        return {"dim": self.embedding_dim_}, {"centroid": self.centroid_}

    def _set_state(self, meta, tensors, path):
        self.centroid_ = tensors["centroid"]
        self.embedding_dim_ = meta["dim"]


BATTLES = Battles([Battle(f"math proof {i}", "s", "w", "model_a") for i in range(5)]
                  + [Battle(f"say hello {i}", "s", "w", "model_b") for i in range(5)])


@pytest.fixture
def trained(tmp_path):
    r = CentroidRouter(embedder=HashingEmbedder(32), scale=3.0).fit(BATTLES)
    return r, r.save(tmp_path / "ckpt")


def test_sklearn_contract():
    r = CentroidRouter(scale=2.0)
    assert r.get_params() == {"strong_model": "s", "weak_model": "w", "scale": 2.0}
    assert not hasattr(r, "centroid_")
    with pytest.raises(NotFittedError, match="call fit"):
        r.predict_win_rate(["x"])
    assert "scale=2.0" in repr(r)


def test_predict_validates_prompts(trained):
    r, _ = trained
    with pytest.raises(DataError, match="empty prompt list"):
        r.predict_win_rate([])
    with pytest.raises(DataError, match="not a single string"):
        r.predict_win_rate("hello")
    with pytest.raises(DataError, match="prompt 1 is a int"):
        r.predict_win_rate(["a", 3])  # type: ignore[list-item]
    with pytest.raises(DataError, match="empty training set"):
        CentroidRouter().fit(Battles())


def test_save_load_round_trip(trained):
    r, path = trained
    prompts = ["math proof please", "say hello there", "unrelated"]
    back = Router.load(path)
    assert isinstance(back, CentroidRouter) and back.scale == 3.0
    assert back.embedder is not None and back.embedder.model_id == "hashing-32"
    np.testing.assert_array_equal(back.predict_win_rate(prompts), r.predict_win_rate(prompts))
    assert load_router(str(path)).predict_win_rate(prompts)[0] > 0.5


def test_checkpoint_errors_name_the_file(trained, tmp_path):
    _, path = trained
    cfg = json.loads((path / "config.json").read_text())
    # another format version
    (path / "config.json").write_text(json.dumps({**cfg, "format_version": 99}))
    with pytest.raises(CheckpointError, match="format_version 99"):
        Router.load(path)
    # corrupt JSON
    (path / "config.json").write_text("{oops")
    with pytest.raises(CheckpointError, match=r"config\.json is corrupt"):
        Router.load(path)
    # missing tensor file
    (path / "config.json").write_text(json.dumps(cfg))
    (path / "tensors.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"tensors\.safetensors is missing"):
        Router.load(path)
    with pytest.raises(CheckpointError, match="not a router checkpoint"):
        Router.load(tmp_path)
    # wrong type requested
    with pytest.raises(CheckpointError, match="not a 'random' router"):
        RandomRouter.load(_resave(tmp_path))


def _resave(tmp_path):
    return CentroidRouter(embedder=HashingEmbedder(32)).fit(BATTLES).save(tmp_path / "again")


def test_embedder_dimension_mismatch(trained):
    _, path = trained
    with pytest.raises(CheckpointError, match="32-d embeddings.*dimension 16"):
        Router.load(path, embedder=HashingEmbedder(16))


def test_random_router_and_registry(tmp_path):
    r = RandomRouter(seed=1)
    s = r.predict_win_rate([f"p{i}" for i in range(2000)])
    assert 0.45 < s.mean() < 0.55 and s.min() >= 0 and s.max() < 1
    np.testing.assert_array_equal(s[:5], RandomRouter(seed=1).predict_win_rate([f"p{i}" for i in range(5)]))
    assert not np.array_equal(s[:5], RandomRouter(seed=2).predict_win_rate([f"p{i}" for i in range(5)]))
    back = Router.load(r.save(tmp_path / "rnd"))
    assert isinstance(back, RandomRouter) and back.seed == 1
    with pytest.raises(UnknownNameError, match="random"):
        get_router_class("gpt-router")
    with pytest.raises(UnknownNameError, match="default"):
        load_router("no-such-router")
    with pytest.raises(RouteLLMError, match="taken by a built-in"):
        register_router(type("X", (RandomRouter,), {"name": "mf"}))
