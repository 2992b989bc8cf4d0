"""Conversations as the engine sees them: turns, role names, and which text is routed.

A wrapper turns its framework's messages into :class:`Turn` records (roles mapped by
:func:`turn_role`, the same rule in both wrappers); the engine scores the text that the
``routing_text`` policy picks from them (:func:`routing_text`).

Example:
    >>> routing_text("last_user", [Turn("user", "hi"), Turn("assistant", "hello"),
    ...                            Turn("user", "prove it")])
    'prove it'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DataError, unknown_name
from .settings import ROUTING_TEXT_POLICIES, RoutingTextPolicy

__all__ = ["Turn", "TURN_ROLES", "turn_role", "routing_text"]


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, framework-neutral. ``role`` is ``"user"``,
    ``"assistant"``, ``"system"`` or ``"tool"`` (:func:`turn_role` maps a framework's role
    names onto these)."""

    role: str
    text: str


#: A framework's role names (lower case) and the :class:`Turn` role each one is.
TURN_ROLES: Mapping[str, str] = {
    "user": "user", "human": "user",
    "assistant": "assistant", "ai": "assistant", "model": "assistant", "chatbot": "assistant",
    "system": "system", "developer": "system",
    "tool": "tool", "function": "tool",
}


def turn_role(name: str) -> str:
    """The :class:`Turn` role of a framework's role name, the same rule in both wrappers.

    Known names (:data:`TURN_ROLES`, any case) map to their role. Any other name, such as a
    custom speaker (``ChatMessage(role="customer")``), is a ``"user"`` turn: its text is input
    the model must answer, so the router may score it, and policies only ever see the four
    roles they are written for. (Passing the name through would hide such a message from
    ``"last_user"``, which would score an older message instead.)

    Example:
        >>> turn_role("AI"), turn_role("developer"), turn_role("customer")
        ('assistant', 'system', 'user')
    """
    return TURN_ROLES.get(name.strip().lower(), "user")


def routing_text(
    policy: RoutingTextPolicy,
    turns: Sequence[Turn],
    *,
    question: str | None = None,
    raw: Any = None,
) -> str:
    """Select the text to route on.

    Args:
        policy: ``"last_user"`` (default in both wrappers: a whole tool loop stays on one
            model), ``"first_user"``, ``"conversation"`` (every turn, role-prefixed),
            ``"question"`` (the user's question when the framework knows it, e.g. a RAG
            query engine's ``query_str``; otherwise the last user message), or a function that
            receives ``raw`` (the framework's own messages) and returns the text.
        turns: the conversation.
        question: the bare user question, when known.
        raw: what a callable policy receives.

    Raises:
        DataError: the conversation is empty, or a callable policy returned a non-string.
    """
    if callable(policy):
        text = policy(raw if raw is not None else list(turns))
        if not isinstance(text, str):
            raise DataError(
                f"the routing_text function returned {type(text).__name__}; it must return a str"
            )
        return text
    if not turns and not (policy == "question" and question):
        raise DataError("cannot route an empty message list: pass at least one message")
    users = [t.text for t in turns if t.role == "user"]
    if policy == "question":
        if question:
            return question
        policy = "last_user"
    if policy == "last_user":
        return users[-1] if users else turns[-1].text
    if policy == "first_user":
        return users[0] if users else turns[0].text
    if policy == "conversation":
        return "\n".join(f"{t.role}: {t.text}" for t in turns)
    raise unknown_name("routing_text policy", policy, ROUTING_TEXT_POLICIES)
