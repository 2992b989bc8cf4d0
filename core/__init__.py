"""routellm_core: the scoring engine behind the LangChain and LlamaIndex RouteLLM wrappers.

Importing this package is cheap: torch, transformers and the embedding model load on first use.

Example:
    >>> from routellm_core import RoutingEngine
    >>> engine = RoutingEngine("random", strong_fraction=0.3)
    >>> engine.decide("Prove that there are infinitely many primes.").route in ("strong", "weak")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .calibration import calibrate, calibration_table
from .costs import DEFAULT_PRICES, Price, PriceTable, count_tokens
from .data import (
    BENCHMARKS,
    STRONG_MODEL,
    WEAK_MODEL,
    Battle,
    Battles,
    BenchmarkSet,
    load_benchmark,
    resolve_data_dir,
)
from .engine import RouteDecision, RoutingEngine, RoutingStats, StatsSnapshot, Turn, routing_text
from .errors import CheckpointError, DataError, RouteLLMError, UnknownNameError
from .routers import ROUTERS, get_router_class, load_router
from .routers.base import EmbeddingRouter, Router

if TYPE_CHECKING:
    from .replay import ReplayLog, ReplayRecord


def __getattr__(name: str) -> Any:
    # the replay log is an evaluation kit: loaded when asked for, never on the request path
    if name in ("ReplayLog", "ReplayRecord"):
        from . import replay

        return getattr(replay, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "BENCHMARKS",
    "DEFAULT_PRICES",
    "ROUTERS",
    "STRONG_MODEL",
    "WEAK_MODEL",
    "Battle",
    "Battles",
    "BenchmarkSet",
    "CheckpointError",
    "DataError",
    "EmbeddingRouter",
    "Price",
    "ReplayLog",
    "ReplayRecord",
    "PriceTable",
    "RouteDecision",
    "RouteLLMError",
    "Router",
    "RoutingEngine",
    "RoutingStats",
    "StatsSnapshot",
    "Turn",
    "UnknownNameError",
    "calibrate",
    "calibration_table",
    "count_tokens",
    "get_router_class",
    "load_benchmark",
    "load_router",
    "resolve_data_dir",
    "routing_text",
    "__version__",
]
