"""``RouteLLMChat(models={...})``: routing among several priced chat models (a cost ladder).

``RouteLLMChat(models={"gpt-4o": ..., "llama-70b": ..., "llama-8b": ...}, prices={...})``
builds a :class:`RouteLLMLadderChat`, a :class:`~langchain_routellm.RouteLLMChat` whose routes
are the ladder's model names and whose routing fields are the ladder's settings
(:class:`~routellm_core.settings.LadderSettings`). The class lives beside the two-model
wrapper in :mod:`langchain_routellm.chat_models` (one module, so the two import nothing of
each other); this module keeps its import path.

Example:
    >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
    >>> from routellm_core.routers.random import RandomRouter
    >>> llm = RouteLLMChat(
    ...     models={"big": FakeListChatModel(responses=["B"]),
    ...             "small": FakeListChatModel(responses=["S"])},
    ...     prices={"big": (10, 30), "small": (0.5, 1.5)},
    ...     router=RandomRouter("big", "small"), tolerance=0.1)
    >>> type(llm).__name__
    'RouteLLMLadderChat'
    >>> llm.invoke("hi", model="small").response_metadata["routellm"]["model"]
    'small'
"""

from __future__ import annotations

from .chat_models import RouteLLMChat, RouteLLMLadderChat

__all__ = ["RouteLLMLadderChat", "RouteLLMChat"]
