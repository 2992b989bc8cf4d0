"""LlamaIndex integration: :class:`RouteLLM` routes each call to a strong or a weak LLM.

Example:
    >>> from llama_index.core.llms import MockLLM
    >>> from llamaindex_routellm import RouteLLM
    >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", strong_fraction=0.3)
    >>> llm.complete("hello").additional_kwargs["routellm"]["route"] in ("strong", "weak")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .embeddings import LlamaIndexEmbedder
from .events import RouteDecisionEvent
from .llms import FORCE_KWARG, ROUTE_KWARG, TAG_KEY, THREAD_KWARG, RouteLLM

if TYPE_CHECKING:
    from .judge import as_judge
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
    "as_judge",
]


def __getattr__(name: str) -> Any:
    # Lazy: the replay model answers from a replay log (routellm_core's evaluation kit), which
    # a routed call never needs; LangChain's package loads its ReplayChatModel the same way.
    if name == "ReplayLLM":
        from .replay import ReplayLLM

        globals()[name] = ReplayLLM
        return ReplayLLM
    if name == "as_judge":  # the judge belongs to the offline kit too
        from .judge import as_judge

        globals()[name] = as_judge
        return as_judge
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
