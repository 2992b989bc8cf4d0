"""Exceptions raised by routellm_core.

Every error names the problem and, where there is one, the fix. They all derive from
:class:`RouteLLMError` so callers can catch the library's errors in one place; the ones about
bad input also derive from :class:`ValueError` so generic input validation keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "RouteLLMError",
    "DataError",
    "CheckpointError",
    "ConfigError",
    "UnknownNameError",
    "unknown_name",
    "plural",
]


class RouteLLMError(Exception):
    """Base class of every error raised by this library."""


class DataError(RouteLLMError, ValueError):
    """Input data is missing, malformed or unusable (the message names the file and line)."""


class CheckpointError(RouteLLMError, ValueError):
    """A router checkpoint directory is missing, corrupt or from another format version."""


class ConfigError(DataError):
    """A setting (of the engine or a wrapper) has a wrong type or value; the message names the
    setting, the value given and what to pass instead."""


class UnknownNameError(RouteLLMError, ValueError):
    """A router, benchmark, model or policy name is not one of the known names."""


def plural(noun: str) -> str:
    """English plural of the last word of ``noun`` ("policy" -> "policies", "alias" ->
    "aliases", "router" -> "routers")."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def unknown_name(kind: str, name: object, valid: Iterable[str]) -> UnknownNameError:
    """Build the error for an unknown ``kind`` called ``name``, listing the valid names (and the
    closest one when ``name`` looks like a typo of it)."""
    names = sorted(valid)
    hint = ""
    if isinstance(name, str):
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
    return UnknownNameError(
        f"unknown {kind} {name!r}{hint}; valid {plural(kind)}: {', '.join(names)}"
    )
