"""``RouteLLM(models={...})``: routing among several priced LlamaIndex LLMs (a cost ladder).

``RouteLLM(models={"gpt-4o": ..., "llama-70b": ..., "llama-8b": ...}, prices={...})`` builds a
:class:`RouteLLMLadder`, a :class:`~llamaindex_routellm.RouteLLM` whose routes are the ladder's
model names and whose routing arguments are the ladder's settings
(:class:`~routellm_core.routing.settings.LadderSettings`). The class lives beside the two-model
wrapper in :mod:`llamaindex_routellm.llms` (one module, so the two import nothing of each
other); this module keeps its import path. The example and the arguments are in
:class:`RouteLLMLadder`'s documentation.
"""

from __future__ import annotations

from .llms import RouteLLM, RouteLLMLadder

__all__ = ["RouteLLMLadder", "RouteLLM"]
