"""routellm_core: the scoring engine behind the LangChain and LlamaIndex RouteLLM wrappers.

Importing this package is cheap: torch, transformers and the embedding model load on first use,
and the names that belong to the offline kits (data sets, replay logs) load when first asked
for.

Example:
    >>> from routellm_core import RoutingEngine
    >>> engine = RoutingEngine("random", strong_fraction=0.3)
    >>> engine.decide("Prove that there are infinitely many primes.").route in ("strong", "weak")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._moved import MOVED, install
from .costs import DEFAULT_PRICES, Price, PriceTable, count_tokens
from .defaults import STRONG_MODEL, WEAK_MODEL
from .errors import CheckpointError, DataError, RouteLLMError, UnknownNameError
from .records import Battle, Battles
from .routers import ROUTERS, get_router_class, load_router
from .routers.base import EmbeddingRouter, Router
from .routing.engine import (
    RouteDecision,
    RoutingEngine,
    RoutingStats,
    StatsSnapshot,
    Turn,
    routing_text,
)
from .scoring.calibration import calibrate, calibration_table

install()

if TYPE_CHECKING:
    from .data.benchmarks import BENCHMARKS, BenchmarkSet, load_benchmark
    from .data.files import resolve_data_dir
    from .evaluation.replay import ReplayLog, ReplayRecord
    from .records import Battle, Battles

#: names of the offline kits, re-exported here but imported only when first asked for, so that
#: ``import routellm_core`` (and routing a prompt) never loads a kit
_LAZY = {
    "BENCHMARKS": "data.benchmarks",
    "BenchmarkSet": "data.benchmarks",
    "load_benchmark": "data.benchmarks",
    "resolve_data_dir": "data.files",
    "ReplayLog": "evaluation.replay",
    "ReplayRecord": "evaluation.replay",
}


def __getattr__(name: str) -> Any:
    if name in MOVED:  # an old module path, e.g. ``routellm_core.engine`` (see ``_moved``)
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

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
