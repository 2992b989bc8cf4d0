"""The default model pair: the models the RouteLLM data carry labels for.

Routers are built for this pair unless told otherwise, and the shipped default router routes
between them. A runtime module of its own, so that a router can name its defaults without
importing the data kit (:mod:`routellm_core.data`).
"""

from __future__ import annotations

__all__ = ["STRONG_MODEL", "WEAK_MODEL"]

#: The model pair that the RouteLLM evaluation sets carry labels for.
STRONG_MODEL = "gpt-4-1106-preview"
WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
