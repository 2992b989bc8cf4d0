"""LangChain integration of learned strong/weak routing (RouteLLM).

``RouteLLMChat`` is a chat model that routes every call to a strong or a weak chat model;
``RouteLLMDecisionModel`` plugs the same router into ``ModelRouterMiddleware`` (route once per
agent run); ``LangChainEmbedder`` lets an embedding router use any LangChain ``Embeddings``.

Example:
    >>> from langchain_routellm import RouteLLMChat
    >>> RouteLLMChat.__name__
    'RouteLLMChat'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat_models import RouteLLMChat, messages_to_turns
    from .embeddings import LangChainEmbedder
    from .judge import as_judge
    from .middleware import RouteLLMDecisionModel
    from .replay import ReplayChatModel

__all__ = [
    "RouteLLMChat",
    "RouteLLMDecisionModel",
    "LangChainEmbedder",
    "ReplayChatModel",
    "messages_to_turns",
    "as_judge",
]

_WHERE = {
    "RouteLLMChat": "chat_models",
    "messages_to_turns": "chat_models",
    "LangChainEmbedder": "embeddings",
    "RouteLLMDecisionModel": "middleware",
    "ReplayChatModel": "replay",
    "as_judge": "judge",
}


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not import langchain's agent stack (middleware).
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
