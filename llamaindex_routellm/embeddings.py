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
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from routellm_core.scoring.embeddings import AdaptedEmbedder

__all__ = ["LlamaIndexEmbedder"]


class LlamaIndexEmbedder(AdaptedEmbedder):
    """Adapter: a LlamaIndex ``BaseEmbedding`` as a routellm_core ``Embedder``.

    Args:
        embed_model: the LlamaIndex embedding model.
        model_id: id recorded in router checkpoints trained with this embedder (default:
            ``"llamaindex:<class name>:<model name>"``).
        dim: the embedding dimension; when omitted it is measured by embedding one short text
            on first use of :attr:`dim` (one call to the model).

    The checks and the normalisation are the core's
    (:class:`~routellm_core.scoring.embeddings.AdaptedEmbedder`), as for LangChain.

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
        super().__init__(model_id or f"llamaindex:{embed_model.class_name()}:{name}", dim)

    def _embed_one(self, text: str) -> Sequence[float]:
        return self.embed_model.get_text_embedding(text)

    def _embed_many(self, texts: list[str]) -> Any:
        return self.embed_model.get_text_embedding_batch(texts)

    def __repr__(self) -> str:
        return f"LlamaIndexEmbedder({self.model_id!r})"
