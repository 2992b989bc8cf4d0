"""``RouteLLMChat(models={...})``: routing among several priced chat models (a cost ladder).

``RouteLLMChat(models={"gpt-4o": ..., "llama-70b": ..., "llama-8b": ...}, prices={...})``
builds a :class:`RouteLLMLadderChat`, a :class:`~langchain_routellm.RouteLLMChat` whose routes
are the ladder's model names and whose routing fields are the ladder's settings
(:class:`~routellm_core.routing.settings.LadderSettings`). The class lives beside the two-model
wrapper in :mod:`langchain_routellm.chat_models` (one module, so the two import nothing of
each other); this module keeps its import path. The example and the arguments are in :class:`RouteLLMLadderChat`'s documentation.
"""

from __future__ import annotations

from .chat_models import RouteLLMChat, RouteLLMLadderChat

__all__ = ["RouteLLMLadderChat", "RouteLLMChat"]
