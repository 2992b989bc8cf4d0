"""Use any LlamaIndex embedding model as the router's embedder.

Embedding routers (and the shipped default router when it is one) score prompts from their
embeddings. By default they use the packaged all-MiniLM-L6-v2; :class:`LlamaIndexEmbedder`
lets them use a LlamaIndex ``BaseEmbedding`` instead (an API embedding you already pay for, or a
model served elsewhere). A router checkpoint remembers the dimension it was trained on; loading
it with an embedder of another dimension raises
:class:`~routellm_core.errors.CheckpointError` naming both dimensions.

Example:
    >>> from llama_index.core.embeddings import MockEmbedding
    >>> emb = LlamaIndexEmbedder(MockEmbedding(embed_dim=8))
    >>> emb.dim
    8
    >>> emb.embed(["hello", "world"]).shape
    (2, 8)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from routellm_core.embeddings import l2_normalize
from routellm_core.errors import RouteLLMError

__all__ = ["LlamaIndexEmbedder"]


class LlamaIndexEmbedder:
    """Adapter: a LlamaIndex ``BaseEmbedding`` as a routellm_core ``Embedder``.

    Args:
        embed_model: the LlamaIndex embedding model.
        model_id: id recorded in router checkpoints trained with this embedder (default:
            ``"llamaindex:<class name>:<model name>"``).
        dim: the embedding dimension; when omitted it is measured by embedding one short text
            on first use of :attr:`dim` (one call to the model).

    Raises:
        TypeError: ``embed_model`` is not a LlamaIndex ``BaseEmbedding``.
    """

    def __init__(
        self, embed_model: BaseEmbedding, *, model_id: str | None = None, dim: int | None = None
    ) -> None:
        if not isinstance(embed_model, BaseEmbedding):
            raise TypeError(
                f"embed_model must be a LlamaIndex BaseEmbedding (e.g. OpenAIEmbedding, "
                f"HuggingFaceEmbedding), got {type(embed_model).__name__}"
            )
        self.embed_model = embed_model
        name = getattr(embed_model, "model_name", None) or "unknown"
        self.model_id = model_id or f"llamaindex:{embed_model.class_name()}:{name}"
        self._dim = int(dim) if dim is not None else None

    @property
    def dim(self) -> int:
        """The embedding dimension (measured once when not given)."""
        if self._dim is None:
            probe = self.embed_model.get_text_embedding("dimension probe")
            self._dim = len(probe)
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: a float32 array of shape ``(len(texts), dim)``, rows of unit norm."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self.embed_model.get_text_embedding_batch(texts), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(texts):
            raise RouteLLMError(
                f"{self.model_id} returned embeddings of shape {vecs.shape} for {len(texts)} texts"
            )
        if vecs.shape[1] != self.dim:
            raise RouteLLMError(
                f"{self.model_id} returned {vecs.shape[1]}-d embeddings, expected {self.dim}-d"
            )
        return l2_normalize(vecs)

    def __repr__(self) -> str:
        return f"LlamaIndexEmbedder({self.model_id!r})"
