"""Routers: the registry of router names and :func:`load_router`.

Router classes are imported lazily by name, so importing this package never pulls in torch.

Example:
    >>> from routellm_core.routers import load_router
    >>> router = load_router("random")
    >>> router.predict_win_rate(["hi"]).shape
    (1,)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import (
    CheckpointError,
    ConfigError,
    RouteLLMError,
    UnknownNameError,
    unknown_name,
)
from .registry import _CUSTOM, ROUTERS, get_router_class, register_router

if TYPE_CHECKING:
    from ..scoring.embeddings import Embedder
    from .base import Router

__all__ = ["ROUTERS", "get_router_class", "register_router", "load_router", "default_router_path"]


def default_router_path() -> Path:
    """Folder of the trained router shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "default_router"


def load_router(
    spec: str | os.PathLike[str] | Router = "default", *, embedder: Embedder | None = None
) -> Router:
    """Resolve a router from a name, a checkpoint directory, or an instance.

    Args:
        spec: ``"default"`` (the trained router shipped in the package), ``"random"``, a
            checkpoint directory, or a :class:`Router` instance (returned as is).
        embedder: for embedding routers, an embedder to use instead of the recorded one.

    Raises:
        ConfigError: ``spec`` is neither a string, a path nor a router.
        CheckpointError: ``spec`` names a directory that does not exist or holds no checkpoint.
        UnknownNameError: ``spec`` is neither a router name nor an existing directory.
    """
    from .base import Router

    if isinstance(spec, Router):
        return spec
    if not isinstance(spec, (str, os.PathLike)):
        raise ConfigError(
            f"router must be a router name ('default', 'random'), a checkpoint directory or a "
            f"Router instance; got {type(spec).__name__} {spec!r}"
        )
    if isinstance(spec, str) and spec == "default":
        path = default_router_path()
        if not (path / "config.json").is_file():
            raise CheckpointError(f"the shipped default router is missing from {path}; reinstall the package")
        return Router.load(path, embedder=embedder)
    if isinstance(spec, str) and spec in ROUTERS:
        klass = get_router_class(spec)
        if not klass.needs_fit:
            return klass()
        raise RouteLLMError(
            f"router {spec!r} must be trained before use: `routellm train --router {spec} --out DIR`, "
            "then pass the directory (router=DIR); or use router='default' (shipped) or 'random'"
        )
    path = Path(spec)
    if path.is_dir():
        return Router.load(path, embedder=embedder)
    if path.exists():
        raise CheckpointError(f"{path} is not a checkpoint directory (it is a file)")
    if _looks_like_path(spec):
        raise CheckpointError(
            f"router directory {str(path)!r} does not exist (no such directory); pass the folder "
            "a checkpoint was saved to (`routellm train ... --out DIR`), or a router name: "
            f"{', '.join(['default', *ROUTERS, *_CUSTOM])}"
        )
    err = unknown_name("router", str(spec), ["default", *ROUTERS, *_CUSTOM])
    raise UnknownNameError(f"{err}; no directory {str(spec)!r} exists either")


def _looks_like_path(spec: str | os.PathLike[str]) -> bool:
    """A path-like object, or a string with a path separator or a leading ``.``/``~``: meant
    as a directory rather than a router name."""
    if not isinstance(spec, str):
        return True
    seps = {"/", os.sep, os.altsep or "/"}
    return any(s in spec for s in seps) or spec.startswith((".", "~"))
