"""LlamaIndex integration: :class:`RouteLLM` routes each call to a strong or a weak LLM.

Example:
    >>> from llama_index.core.llms import MockLLM
    >>> from llamaindex_routellm import RouteLLM
    >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", strong_fraction=0.3)
    >>> llm.complete("hello").additional_kwargs["routellm"]["route"] in ("strong", "weak")
    True
"""

from .embeddings import LlamaIndexEmbedder
from .events import RouteDecisionEvent
from .llms import FORCE_KWARG, ROUTE_KWARG, TAG_KEY, THREAD_KWARG, RouteLLM
from .replay import ReplayLLM

__all__ = [
    "RouteLLM",
    "RouteDecisionEvent",
    "LlamaIndexEmbedder",
    "ReplayLLM",
    "FORCE_KWARG",
    "ROUTE_KWARG",
    "THREAD_KWARG",
    "TAG_KEY",
]
