"""Exceptions raised by routellm_core.

Every error names the problem and, where there is one, the fix. They all derive from
:class:`RouteLLMError` so callers can catch the library's errors in one place; the ones about
bad input also derive from :class:`ValueError` so generic input validation keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "RouteLLMError",
    "DataError",
    "CheckpointError",
    "UnknownNameError",
    "unknown_name",
]


class RouteLLMError(Exception):
    """Base class of every error raised by this library."""


class DataError(RouteLLMError, ValueError):
    """Input data is missing, malformed or unusable (the message names the file and line)."""


class CheckpointError(RouteLLMError, ValueError):
    """A router checkpoint directory is missing, corrupt or from another format version."""


class UnknownNameError(RouteLLMError, ValueError):
    """A router, benchmark, model or policy name is not one of the known names."""


def unknown_name(kind: str, name: object, valid: Iterable[str]) -> UnknownNameError:
    """Build the error for an unknown ``kind`` called ``name``, listing the valid names."""
    names = sorted(valid)
    return UnknownNameError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(names)}")
