"""LlamaIndexEmbedder: any LlamaIndex BaseEmbedding as the router's embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from llama_index.core.embeddings import MockEmbedding

from llamaindex_routellm import LlamaIndexEmbedder, RouteLLM
from routellm_core.errors import CheckpointError
from routellm_core.routers import default_router_path, register_router
from routellm_core.routers.base import EmbeddingRouter
from routellm_core.scoring.embeddings import Embedder, HashingEmbedder


class CountingEmbedding(MockEmbedding):
    """MockEmbedding with distinct vectors per text, counting batches."""

    batches: int = 0

    def _get_text_embeddings(self, texts):
        self.batches += 1
        return [[float((hash(t) >> i) % 7) + 0.5 for i in range(self.embed_dim)] for t in texts]

    def _get_text_embedding(self, text):
        return self._get_text_embeddings([text])[0]


@register_router
class LinearRouter(EmbeddingRouter):
    """sigmoid(w . e): the smallest learned embedding router, for checkpoint tests."""

    name = "li_linear"
    needs_fit = False

    def _fit(self, battles):
        dim = self.get_embedder().dim
        self.w_ = np.random.default_rng(0).normal(size=dim).astype(np.float32)
        self.embedding_dim_ = dim

    def _predict_embeddings(self, e):
        return 1.0 / (1.0 + np.exp(-(e @ self.w_)))

    def _get_state(self):
        return {}, {"w": self.w_}

    def _set_state(self, meta, tensors, path):
        self.w_ = tensors["w"]
        self.embedding_dim_ = int(self.w_.shape[0])


@pytest.fixture
def checkpoint16(tmp_path) -> Path:
    return LinearRouter(embedder=HashingEmbedder(dim=16)).fit(None).save(tmp_path / "ck")


def test_adapter_follows_the_embedder_protocol():
    emb = LlamaIndexEmbedder(CountingEmbedding(embed_dim=12))
    assert isinstance(emb, Embedder)
    assert emb.dim == 12
    out = emb.embed(["a", "bb", "ccc"])
    assert out.shape == (3, 12) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert emb.embed([]).shape == (0, 12)
    assert "MockEmbedding" in emb.model_id


def test_adapter_rejects_other_objects():
    with pytest.raises(TypeError, match="BaseEmbedding"):
        LlamaIndexEmbedder(HashingEmbedder(dim=8))


def test_checkpoint_of_another_dimension_is_refused_with_both_dimensions(checkpoint16, strong, weak):
    with pytest.raises(CheckpointError, match=r"16-d .* dimension 8"):
        RouteLLM(strong=strong, weak=weak, router=checkpoint16, threshold=0.5,
                 embed_model=MockEmbedding(embed_dim=8))


def test_router_scores_with_the_llamaindex_embedding(checkpoint16, strong, weak):
    emb = CountingEmbedding(embed_dim=16)
    llm = RouteLLM(strong=strong, weak=weak, router=checkpoint16, threshold=0.5, embed_model=emb)
    assert isinstance(llm.engine.router.embedder, LlamaIndexEmbedder)
    before = emb.batches
    r = llm.complete("What is 2 + 2?")
    assert emb.batches == before + 1
    score = r.additional_kwargs["routellm"]["score"]
    expected = llm.engine.router.predict_from_embeddings(
        LlamaIndexEmbedder(emb).embed(["What is 2 + 2?"]))[0]
    assert score == pytest.approx(float(expected))


@pytest.mark.skipif(not (default_router_path() / "config.json").is_file(),
                    reason="the shipped default router (core/default_router/config.json) is not "
                           "built yet; it is trained by the default-router task")
def test_default_router_routes(strong, weak):
    llm = RouteLLM(strong=strong, weak=weak, router="default", strong_fraction=0.5)
    r = llm.complete("Prove that the square root of two is irrational.")
    tag = r.additional_kwargs["routellm"]
    assert tag["route"] in ("strong", "weak") and tag["reason"] == "router"
    assert 0.0 <= tag["score"] <= 1.0
