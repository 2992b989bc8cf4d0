"""The router registry: names to router classes, imported lazily by name.

One module turns a name into a class (as ``AutoModel`` does in transformers); it imports no
router module until a name is asked for, so importing it never pulls in torch, and
:mod:`routellm_core.routers.base` can use it without an import cycle.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, TypeVar

from ..errors import RouteLLMError, unknown_name

__all__ = ["ROUTERS", "get_router_class", "register_router"]

#: registry name -> "module:Class" (relative to this package)
ROUTERS: dict[str, str] = {
    "random": "random:RandomRouter",
    "sw_ranking": "sw_ranking:SWRankingRouter",
    "mf": "mf:MatrixFactorizationRouter",
    "knn": "knn:KNNRouter",
    "irt": "irt:IRTRouter",
    "ensemble": "ensemble:EnsembleRouter",
    "bert": "bert:BertRouter",
    "causal_llm": "causal_llm:CausalLLMRouter",
}


class _Named(Protocol):
    #: the registry name (every :class:`~routellm_core.routers.base.Router` class has one);
    #: a protocol, so that this module need not import ``base``, which imports it
    name: str


R = TypeVar("R", bound=type[_Named])

_CUSTOM: dict[str, Any] = {}


def register_router(cls: R) -> R:
    """Register a user-defined router class under ``cls.name`` so its checkpoints load by
    name. Usable as a class decorator."""
    if cls.name in ROUTERS:
        raise RouteLLMError(f"router name {cls.name!r} is taken by a built-in router")
    _CUSTOM[cls.name] = cls
    return cls


def get_router_class(name: str) -> Any:
    """The router class registered under ``name``; unknown names list the valid ones."""
    if name in _CUSTOM:
        return _CUSTOM[name]
    if name not in ROUTERS:
        raise unknown_name("router", name, [*ROUTERS, *_CUSTOM])
    module, cls = ROUTERS[name].split(":")
    try:
        mod = importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(__package__ or ""):
            raise RouteLLMError(f"router {name!r} is registered but not available in this build") from None
        raise RouteLLMError(
            f"router {name!r} needs the package {exc.name!r}: "
            "pip install 'routellm-integrations[local]'"
        ) from None
    return getattr(mod, cls)
