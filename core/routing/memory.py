"""What the engine remembers per conversation: sticky routes and conversational momentum.

Both are keyed by the conversation's thread id and bounded (least recently used threads are
forgotten first). :class:`ThreadMemory` holds the values; :func:`momentum_score` is the rule
of conversational momentum: a turn's score is raised to ``momentum`` times the conversation's
memory, and the memory becomes the score the turn was routed on. A hard turn lifts the memory
at once (quick to go strong); each easier turn after it lowers the memory by the factor
``momentum`` (slow to come back), so a short follow-up ("now commit it") after a hard exchange
stays strong, while a conversation that stays easy stays weak.

Example:
    >>> memory = None
    >>> for score in (0.8, 0.3, 0.3, 0.3):  # a hard turn, then three short follow-ups
    ...     memory = momentum_score(score, memory, 0.9)
    ...     print(round(memory, 3))
    0.8
    0.72
    0.648
    0.583
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["ThreadMemory", "momentum_score"]

V = TypeVar("V")


def momentum_score(score: float, memory: float | None, momentum: float) -> float:
    """The score a turn is routed on: its own ``score``, raised to ``momentum * memory`` (the
    decayed memory of the conversation's earlier turns; ``None`` for a first turn)."""
    if memory is None:
        return score
    return max(score, momentum * memory)


class ThreadMemory(Generic[V]):
    """A thread-safe, bounded map from thread ids to values (least recently used first out).

    Copies (``copy.deepcopy``, pickle) hold the values as they were and go on on their own.
    """

    def __init__(self, items: dict[str, V] | None = None) -> None:
        self._items: OrderedDict[str, V] = OrderedDict(items or {})
        self._lock = threading.Lock()

    def get(self, thread_id: str) -> V | None:
        with self._lock:
            value = self._items.get(thread_id)
            if value is not None:
                self._items.move_to_end(thread_id)
            return value

    def set(self, thread_id: str, value: V, limit: int) -> None:
        with self._lock:
            self._items[thread_id] = value
            self._items.move_to_end(thread_id)
            while len(self._items) > limit:
                self._items.popitem(last=False)

    def trim(self, limit: int) -> None:
        """Forget the oldest threads beyond ``limit``."""
        with self._lock:
            while len(self._items) > limit:
                self._items.popitem(last=False)

    def items(self) -> dict[str, V]:
        """A copy of the memory."""
        with self._lock:
            return dict(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getstate__(self) -> dict[str, V]:
        return self.items()

    def __setstate__(self, state: dict[str, V]) -> None:
        self._items = OrderedDict(state)
        self._lock = threading.Lock()
