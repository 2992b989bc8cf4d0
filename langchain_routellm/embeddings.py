"""Use any LangChain ``Embeddings`` as the embedding model of a routellm router.

Routers that score prompt embeddings take an *embedder*: an object with ``model_id``, ``dim``
and ``embed(texts) -> (n, dim)`` float32 array with unit-norm rows
(:class:`routellm_core.embeddings.Embedder`). :class:`LangChainEmbedder` turns a LangChain
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

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from routellm_core.embeddings import l2_normalize
from routellm_core.errors import DataError

__all__ = ["LangChainEmbedder"]

_PROBE = "dimension probe"


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


class LangChainEmbedder:
    """A routellm embedder backed by a LangChain ``Embeddings``.

    Args:
        embeddings: any ``langchain_core.embeddings.Embeddings``.
        model_id: the id routers record in checkpoints (default
            ``"langchain:<Class>:<model name>"``); give a stable one if you train on it.
        dim: the embedding dimension; when omitted it is found by embedding one probe text
            the first time ``dim`` is read.

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
        if dim is not None and int(dim) <= 0:
            raise DataError(f"dim must be a positive integer, got {dim!r}")
        self.embeddings = embeddings
        self.model_id = model_id or _default_model_id(embeddings)
        self._dim = int(dim) if dim is not None else None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """The embedding dimension (embeds one probe text on first use if not given)."""
        if self._dim is None:
            with self._lock:
                if self._dim is None:
                    vec = self.embeddings.embed_query(_PROBE)
                    self._dim = len(vec)
                    if self._dim == 0:
                        raise DataError(f"{self.model_id} returned an empty embedding")
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: a ``(len(texts), dim)`` float32 array with unit-norm rows."""
        if isinstance(texts, str):
            raise DataError("embed takes a list of texts, not a single string; wrap it: [text]")
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        raw: Any = self.embeddings.embed_documents(items)
        arr = np.asarray(raw, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != len(items):
            raise DataError(
                f"{self.model_id} returned embeddings of shape {arr.shape} for {len(items)} texts"
            )
        if arr.shape[1] != self.dim:
            raise DataError(
                f"{self.model_id} returned {arr.shape[1]}-d embeddings but dim is {self.dim}; "
                "pass the right dim= or leave it out to probe it"
            )
        if not np.isfinite(arr).all():
            raise DataError(f"{self.model_id} returned non-finite embedding values")
        return l2_normalize(arr)

    def __repr__(self) -> str:
        return f"LangChainEmbedder({self.model_id!r}, dim={self._dim})"
