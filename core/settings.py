"""The routing settings: one settings object, their checks, and the naming rule for the two
inner models.

Both framework wrappers and the agent middleware put their settings into one
:class:`RoutingSettings` and build their engine from it
(:meth:`~routellm_core.engine.RoutingEngine.from_settings`). The engine validates them with
the functions here, at construction and whenever a setting changes later. Each check raises a
:class:`~routellm_core.errors.ConfigError` (a ``ValueError``) that names the setting, the
value given, and what to pass instead.

Example:
    >>> check_threshold(0.4)
    0.4
    >>> inner_model_name(None, "unknown", "gpt-4o-mini", fallback="ChatOpenAI")
    'gpt-4o-mini'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError, unknown_name

if TYPE_CHECKING:
    from .costs import Price
    from .embeddings import Embedder
    from .engine import OnRoute, RouterSpec

__all__ = [
    "ROUTES",
    "ROUTING_TEXT_POLICIES",
    "PLACEHOLDER_NAMES",
    "RoutingTextPolicy",
    "RoutingSettings",
    "SETTINGS",
    "PARTNERS",
    "check_threshold",
    "check_flag",
    "check_route",
    "check_routing_text",
    "check_callbacks",
    "check_positive_int",
    "check_name",
    "inner_model_name",
    "distinct_names",
]

Route = Literal["strong", "weak"]
ROUTES: tuple[Route, Route] = ("strong", "weak")

#: Named policies for which text the router scores.
ROUTING_TEXT_POLICIES = ("last_user", "first_user", "conversation", "question")
#: A named policy, or a function that receives the framework's messages and returns the text.
RoutingTextPolicy = str | Callable[[Any], str]

#: Settings that replace each other: the one set last wins.
PARTNERS = {"threshold": "strong_fraction", "strong_fraction": "threshold"}


@dataclass(frozen=True)
class RoutingSettings:
    """The settings a :class:`~routellm_core.engine.RoutingEngine` is built from, as given
    (the router as a name, a checkpoint directory or an instance); checked when an engine is
    built from them, not here.

    Attributes:
        router: ``"default"``, ``"random"``, a checkpoint directory or a router instance.
        embedder: an embedder for an embedding router loaded by name or directory.
        strong_fraction, threshold: the share of strong calls, or a raw score threshold.
        strong_name, weak_name: the inner models' names in decisions.
        routing_text: which text is scored (a policy name or a function).
        sticky: keep a conversation on the route of its first decision.
        on_router_error: the route taken when the router raises.
        on_route: callables receiving each decision.
        prices: per-route prices for the statistics.
        max_sticky_threads: how many conversations the sticky memory keeps.
        calibration_window: follow the traffic: the threshold becomes the
            ``strong_fraction`` quantile of the last this-many scores (``None``: the
            calibration table's threshold, fixed).
        pair: which pair the router scores: ``None`` (the router's own pair), ``"auto"``
            (the inner models, recognised from ``strong_name``/``weak_name``) or
            ``(strong, weak)`` names; see :mod:`routellm_core.pairs`.
        aliases: ``{your model name: a model the router knows}`` for recognising the pair.

    Example:
        >>> s = RoutingSettings(router="random", strong_fraction=0.3)
        >>> s.changed(threshold=0.8).strong_fraction is None  # the one set last wins
        True
    """

    router: RouterSpec = "default"
    embedder: Embedder | None = None
    strong_fraction: float | None = None
    threshold: float | None = None
    strong_name: str | None = None
    weak_name: str | None = None
    routing_text: RoutingTextPolicy = "last_user"
    sticky: bool = False
    on_router_error: Route = "strong"
    on_route: OnRoute = None
    prices: Mapping[str, Price | tuple[float, float]] | None = None
    max_sticky_threads: int = 10_000
    calibration_window: int | None = None
    pair: Any = None
    aliases: Mapping[str, str] | None = None

    def changed(self, **changes: Any) -> RoutingSettings:
        """These settings with ``changes``; a ``threshold`` replaces a ``strong_fraction``
        set before, and the reverse.

        Raises:
            UnknownNameError: a name that is not a setting (the valid ones are listed).
        """
        unknown = [k for k in changes if k not in SETTINGS]
        if unknown:
            raise unknown_name("engine setting", unknown[0], SETTINGS)
        for name, partner in PARTNERS.items():
            if changes.get(name) is not None and partner not in changes:
                changes[partner] = None
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The settings by name."""
        return {k: getattr(self, k) for k in SETTINGS}


#: The names of the settings (:class:`RoutingSettings`), as the engine's constructor takes them.
SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(RoutingSettings))

#: Names frameworks report for a model they cannot name (LlamaIndex's ``LLMMetadata`` default
#: is ``"unknown"``); such a name is skipped in favour of the next candidate.
PLACEHOLDER_NAMES = frozenset({"", "unknown", "none", "null"})


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def check_threshold(value: object) -> float:
    """A raw score threshold: a finite number in [0, 1] (router scores are win rates).

    Raises:
        ConfigError: not a number, NaN or infinite, or outside [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"threshold must be a number between 0 and 1, got {_describe(value)}")
    t = float(value)
    if math.isnan(t) or not 0.0 <= t <= 1.0:
        raise ConfigError(
            f"threshold must be between 0 and 1 (router scores are win rates in [0, 1]), got "
            f"{value!r}: with it every call would go to one model. Use model='strong' or "
            "model='weak' to force a route, or strong_fraction= to choose a share of calls"
        )
    return t


def check_flag(name: str, value: object) -> bool:
    """A boolean setting; ``1``/``0`` and strings are refused (``sticky="no"`` is truthy)."""
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":  # numpy.bool_
        return bool(value)
    raise ConfigError(f"{name} must be True or False, got {_describe(value)}")


def check_route(name: str, value: object) -> Route:
    """``"strong"`` or ``"weak"``."""
    if value not in ROUTES:
        raise unknown_name("route", value, ROUTES) if isinstance(value, str) else ConfigError(
            f"{name} must be 'strong' or 'weak', got {_describe(value)}"
        )
    return value  # type: ignore[return-value]


def check_routing_text(value: object) -> str | Callable[[Any], str]:
    """A named routing-text policy (:data:`ROUTING_TEXT_POLICIES`) or a callable."""
    if callable(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        if value not in ROUTING_TEXT_POLICIES:
            raise unknown_name("routing_text policy", value, ROUTING_TEXT_POLICIES)
        return value
    raise ConfigError(
        f"routing_text must be one of {', '.join(ROUTING_TEXT_POLICIES)} or a function that "
        f"receives the messages and returns a str; got {_describe(value)}"
    )


def check_callbacks(name: str, value: object) -> tuple[Callable[..., Any], ...]:
    """``None``, one callable, or an iterable of callables, as a tuple."""
    if value is None:
        return ()
    if callable(value):
        return (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(
            f"{name} must be a callable (it receives each RouteDecision) or a list of "
            f"callables; got {_describe(value)}"
        )
    out = tuple(value)
    for i, cb in enumerate(out):
        if not callable(cb):
            raise ConfigError(f"{name}[{i}] must be a callable, got {_describe(cb)}")
    return out


def check_positive_int(name: str, value: object) -> int:
    """An integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ConfigError(f"{name} must be a positive integer, got {_describe(value)}")
    return int(value)


def check_name(name: str, value: object) -> str | None:
    """``None`` or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {_describe(value)}")
    return value


def inner_model_name(*candidates: object, fallback: str) -> str:
    """The name an inner model is reported and forced by, the same rule in both wrappers.

    The first candidate that is a real name (a non-empty string that is not a placeholder such
    as ``"unknown"``) wins; a model with no name is called by ``fallback`` (its class name).
    Two inner models may end up with the same name (two models of one class, or one model
    twice): :func:`distinct_names` then tells them apart by route.

    Args:
        *candidates: what the framework reports, best first (e.g. LangChain's
            ``ls_model_name``, then the ``model_name``/``model`` attributes).
        fallback: the name when no candidate is a real name.
    """
    for c in candidates:
        if isinstance(c, str) and c.strip() and c.strip().lower() not in PLACEHOLDER_NAMES:
            return c
    return fallback


def distinct_names(strong: str, weak: str) -> tuple[str, str]:
    """The two inner models' names, told apart when they are the same: ``"name (strong)"``
    and ``"name (weak)"`` (the wrapper's field name), so decisions, records and battles never
    merge two models (two ``FakeListChatModel``s, two ``ChatOpenAI``s of one model). Give the
    models names of your own to avoid the suffix (LangChain: the inner model's ``name=``).

    Example:
        >>> distinct_names("gpt-4o", "gpt-4o-mini")
        ('gpt-4o', 'gpt-4o-mini')
        >>> distinct_names("MockLLM", "MockLLM")
        ('MockLLM (strong)', 'MockLLM (weak)')
    """
    if strong == weak:
        return f"{strong} (strong)", f"{weak} (weak)"
    return strong, weak
