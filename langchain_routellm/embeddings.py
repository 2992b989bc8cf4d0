"""Use any LangChain ``Embeddings`` as the embedding model of a routellm router.

Routers that score prompt embeddings take an *embedder*: an object with ``model_id``, ``dim``
and ``embed(texts) -> (n, dim)`` float32 array with unit-norm rows
(:class:`routellm_core.scoring.embeddings.Embedder`). :class:`LangChainEmbedder` turns a LangChain
``Embeddings`` (OpenAI, Ollama, HuggingFace, a fake for tests...) into one.

A router must be scored with embeddings from the model it was trained on: the shipped default
router was trained on all-MiniLM-L6-v2, so a different embedding model needs a router trained
on it (``routellm train``), and loading a checkpoint with an embedder of another dimension is
an error that says so.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> emb = LangChainEmbedder(DeterministicFakeEmbedding(size=16))
    >>> emb.dim
    16
    >>> v = emb.embed(["hello", "world"])
    >>> v.shape, round(float((v[0] ** 2).sum()), 5)
    ((2, 16), 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from routellm_core.scoring.embeddings import AdaptedEmbedder

__all__ = ["LangChainEmbedder"]


def _default_model_id(embeddings: Embeddings) -> str:
    """``langchain:<Class>:<model>`` from the usual model attributes, when there is one."""
    name = None
    for attr in ("model", "model_name", "model_id", "deployment"):
        value = getattr(embeddings, attr, None)
        if isinstance(value, str) and value:
            name = value
            break
    cls = type(embeddings).__name__
    return f"langchain:{cls}:{name}" if name else f"langchain:{cls}"


class LangChainEmbedder(AdaptedEmbedder):
    """A routellm embedder backed by a LangChain ``Embeddings``.

    Args:
        embeddings: any ``langchain_core.embeddings.Embeddings``.
        model_id: the id routers record in checkpoints (default
            ``"langchain:<Class>:<model name>"``); give a stable one if you train on it.
        dim: the embedding dimension; when omitted it is found by embedding one probe text
            the first time ``dim`` is read.

    The checks and the normalisation are the core's
    (:class:`~routellm_core.scoring.embeddings.AdaptedEmbedder`), as for LlamaIndex.

    Raises:
        TypeError: ``embeddings`` is not a LangChain ``Embeddings``.
    """

    def __init__(
        self, embeddings: Embeddings, *, model_id: str | None = None, dim: int | None = None
    ) -> None:
        if not isinstance(embeddings, Embeddings):
            raise TypeError(
                f"LangChainEmbedder needs a langchain_core.embeddings.Embeddings, got "
                f"{type(embeddings).__name__}; routellm embedders (LocalEmbedder, "
                "HashingEmbedder) can be passed to routers directly"
            )
        self.embeddings = embeddings
        super().__init__(model_id or _default_model_id(embeddings), dim)

    def _embed_one(self, text: str) -> Sequence[float]:
        return self.embeddings.embed_query(text)

    def _embed_many(self, texts: list[str]) -> Any:
        return self.embeddings.embed_documents(texts)

    def __repr__(self) -> str:
        return f"LangChainEmbedder({self.model_id!r}, dim={self._dim})"
