"""The routing settings: one settings object per chooser, their checks, and the naming rule
for the inner models.

Every setting is defined here once, with its validation and the rule of settings that replace
each other: :class:`RoutingSettings` for two models (the pair chooser: a win-rate threshold)
and :class:`LadderSettings` for a ladder (per-model estimates and one knob). Both framework
wrappers and the agent middleware derive their routing fields from these (:data:`SETTINGS`,
:data:`LADDER_SETTINGS`), build their engine from one
(:meth:`~routellm_core.routing.engine.RoutingEngine.from_settings`) and change it through
:meth:`RoutingSettings.changed` / :meth:`LadderSettings.changed`. Each check raises a
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
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, TypeVar

from ..costs import Price
from ..errors import ConfigError, unknown_name
from ..routers.base import Router
from ..scoring.embeddings import Embedder
from .decisions import ROUTES, Route, RouteDecision
from .pairs import PairSpec

__all__ = [
    "ROUTES",
    "ROUTING_TEXT_POLICIES",
    "PLACEHOLDER_NAMES",
    "FORCE_KEYWORDS",
    "Route",
    "RouterSpec",
    "OnRoute",
    "RoutingTextPolicy",
    "RoutingSettings",
    "LadderSettings",
    "SETTINGS",
    "LADDER_SETTINGS",
    "PARTNERS",
    "check_threshold",
    "check_flag",
    "check_route",
    "check_routing_text",
    "check_callbacks",
    "check_positive_int",
    "check_name",
    "check_momentum",
    "check_knob_value",
    "inner_model_name",
    "inner_model_copy_error",
    "wrapper_fields",
    "all_wrapper_fields",
    "other_mode_error",
    "check_ladder_models",
    "distinct_names",
]

#: Named policies for which text the router scores.
ROUTING_TEXT_POLICIES = ("last_user", "first_user", "conversation", "question")
#: A named policy, or a function that receives the framework's messages and returns the text.
RoutingTextPolicy = str | Callable[[Any], str]
#: What ``router=`` accepts: a name (``"default"``, ``"random"``), a checkpoint directory, or a
#: :class:`~routellm_core.routers.base.Router`.
RouterSpec = str | os.PathLike[str] | Router
#: What ``on_route=`` accepts: ``None``, one callable receiving each decision, or several.
OnRoute = Callable[[RouteDecision], Any] | Sequence[Callable[[RouteDecision], Any]] | None
#: Words that force a ladder's dearest and cheapest model (``model="top"``); no model may be
#: called so.
FORCE_KEYWORDS = ("top", "bottom")


S = TypeVar("S", "RoutingSettings", "LadderSettings")


def _changed(settings: S, partners: Mapping[str, tuple[str, ...]], valid: Sequence[str],
             kind: str, changes: dict[str, Any]) -> S:
    unknown = [k for k in changes if k not in valid]
    if unknown:
        raise unknown_name(kind, unknown[0], valid)
    for name, others in partners.items():
        if changes.get(name) is not None:
            for other in others:
                changes.setdefault(other, None)
    return replace(settings, **changes)


@dataclass(frozen=True)
class RoutingSettings:
    """The settings of two-model routing (the pair chooser), as given (the router as a name,
    a checkpoint directory or an instance); checked by :meth:`check` when an engine is built
    from them.

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
        max_sticky_threads: how many conversations the sticky (and momentum) memory keeps.
        calibration_window: follow the traffic: the threshold becomes the
            ``strong_fraction`` quantile of the last this-many scores (``None``: the
            calibration table's threshold, fixed).
        pair: which pair the router scores: ``None`` (the router's own pair), ``"auto"``
            (the inner models, recognised from ``strong_name``/``weak_name``) or
            ``(strong, weak)`` names; see :mod:`routellm_core.routing.pairs`.
        aliases: ``{your model name: a model the router knows}`` for recognising the pair.
        momentum: conversational momentum in [0, 1) (``None``: off): a turn's score is raised
            to ``momentum`` times the conversation's memory, which is the last effective score
            (:func:`~routellm_core.routing.memory.momentum_score`).

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
    pair: PairSpec = None
    aliases: Mapping[str, str] | None = None
    momentum: float | None = None

    #: settings that replace each other: the one set last wins
    PARTNERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "threshold": ("strong_fraction",), "strong_fraction": ("threshold",)}

    def changed(self, **changes: Any) -> RoutingSettings:
        """These settings with ``changes``; a ``threshold`` replaces a ``strong_fraction``
        set before, and the reverse.

        Raises:
            UnknownNameError: a name that is not a setting (the valid ones are listed).
        """
        return _changed(self, self.PARTNERS, SETTINGS, "engine setting", changes)

    def as_dict(self) -> dict[str, Any]:
        """The settings by name."""
        return {k: getattr(self, k) for k in SETTINGS}

    def check(self) -> None:
        """Validate every setting that needs no router (the router is checked when loaded).

        Raises:
            ConfigError: the first bad setting, named with the fix.
        """
        _check_common(self)
        if self.strong_fraction is not None and self.threshold is not None:
            raise ConfigError(
                "give strong_fraction or threshold, not both (strong_fraction chooses the share "
                "of strong calls, threshold a raw score)"
            )
        if self.threshold is not None:
            check_threshold(self.threshold)
        check_route("on_router_error", self.on_router_error)
        check_name("strong_name", self.strong_name)
        check_name("weak_name", self.weak_name)
        if self.calibration_window is not None:
            window = check_positive_int("calibration_window", self.calibration_window)
            if self.threshold is not None or window < 10:
                raise ConfigError(
                    f"calibration_window={self.calibration_window!r}: following the traffic "
                    "keeps a share of strong calls, so it needs strong_fraction (not a raw "
                    "threshold) and a window of at least 10 scores (500 is a good start)")


@dataclass(frozen=True)
class LadderSettings:
    """The settings of a model ladder (the ladder chooser), as given.

    Attributes:
        router, embedder, routing_text, sticky, on_route, max_sticky_threads: as for
            :class:`RoutingSettings`.
        models: the ladder's model names (routes and names in decisions and statistics).
        prices: ``{model: (input, output)}`` USD per million tokens for every model.
        aliases: ``{model: model the router knows}``.
        tolerance, cost_weight, target_cost: the knob (see :mod:`routellm_core.routing.ladder`); a
            tolerance replaces a cost weight or a target cost set before, and the reverse.
        calibration_prompts: prompts like the traffic, for ``target_cost``.
        output_tokens: the answer length assumed when pricing a call before making it.
        on_router_error: the model used when the router raises (``None``: the dearest).
        momentum: not available on a ladder yet (must stay ``None``).
    """

    router: RouterSpec = "default"
    embedder: Embedder | None = None
    models: tuple[str, ...] = ()
    prices: Mapping[str, Any] | None = None
    aliases: Mapping[str, str] | None = None
    tolerance: float | None = None
    cost_weight: float | None = None
    target_cost: float | None = None
    calibration_prompts: tuple[str, ...] | None = None
    output_tokens: int = 256
    routing_text: RoutingTextPolicy = "last_user"
    sticky: bool = False
    on_router_error: str | None = None
    on_route: OnRoute = None
    max_sticky_threads: int = 10_000
    momentum: float | None = None

    PARTNERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "tolerance": ("cost_weight", "target_cost"), "cost_weight": ("tolerance",),
        "target_cost": ("tolerance",)}

    def __post_init__(self) -> None:
        # sequences as tuples, so settings compare and hash by value
        if isinstance(self.models, str):
            raise ConfigError("models must be a list of model names, not one string")
        object.__setattr__(self, "models", tuple(self.models))
        if self.calibration_prompts is not None and not isinstance(self.calibration_prompts, str):
            object.__setattr__(self, "calibration_prompts", tuple(self.calibration_prompts))

    def changed(self, **changes: Any) -> LadderSettings:
        """These settings with ``changes`` (the knob set last wins); ``models`` may be
        reordered but not changed (the statistics count per model).

        Raises:
            UnknownNameError: a name that is not a setting (the valid ones are listed).
            ConfigError: other models.
        """
        if "models" in changes and sorted(changes["models"]) != sorted(self.models):
            raise ConfigError("the ladder's models cannot change in place (statistics count "
                              "per model); build a new model with the new ladder")
        return _changed(self, self.PARTNERS, LADDER_SETTINGS, "ladder setting", changes)

    def as_dict(self) -> dict[str, Any]:
        """The settings by name."""
        return {k: getattr(self, k) for k in LADDER_SETTINGS}

    def check(self) -> None:
        """Validate every setting that needs no router (the ladder checks models, prices and
        aliases against the router when it is built).

        Raises:
            ConfigError: the first bad setting, named with the fix.
        """
        _check_common(self)
        if self.momentum is not None:
            raise ConfigError("momentum= applies to two models (strong=/weak=) for now; a "
                              "ladder routes each turn on its own (or sticky=True)")
        reserved = [m for m in self.models if m in FORCE_KEYWORDS]
        if reserved:
            raise ConfigError(
                f"a ladder model may not be called {reserved[0]!r}: model={reserved[0]!r} "
                "forces the ladder's dearest ('top') or cheapest ('bottom') model; give it "
                "another name")
        if self.target_cost is not None and self.tolerance is not None:
            raise ConfigError("give tolerance= or target_cost=, not both (target_cost "
                              "calibrates the tolerance)")
        if self.tolerance is not None and self.cost_weight is not None:
            raise ConfigError("give tolerance= or cost_weight=, not both")
        for knob in ("tolerance", "cost_weight"):
            check_knob_value(knob, getattr(self, knob))
        if self.target_cost is not None:
            check_knob_value("target_cost", self.target_cost)
            if not self.calibration_prompts:
                raise ConfigError(
                    "target_cost needs calibration_prompts=[...]: prompts like your traffic, "
                    "on which the knob is calibrated to that average cost per call (or give "
                    "tolerance= directly)")
        elif self.calibration_prompts is not None:
            raise ConfigError(
                "calibration_prompts= is only read with target_cost=: give the average USD per "
                "call you want (target_cost=...), or leave calibration_prompts out")
        if self.on_router_error is not None:
            check_name("on_router_error", self.on_router_error)
        if isinstance(self.output_tokens, bool) or not isinstance(self.output_tokens,
                                                                  numbers.Integral):
            raise ConfigError(f"output_tokens must be an integer, got {_describe(self.output_tokens)}")


def _check_common(s: RoutingSettings | LadderSettings) -> None:
    """The checks every chooser's settings share."""
    check_routing_text(s.routing_text)
    sticky = check_flag("sticky", s.sticky)
    check_callbacks("on_route", s.on_route)
    check_positive_int("max_sticky_threads", s.max_sticky_threads)
    if check_momentum(s.momentum) is not None and sticky:
        raise ConfigError("give sticky=True or momentum=, not both: sticky keeps a "
                          "conversation on its first route, momentum lets it move")


#: The names of the two-model settings (:class:`RoutingSettings`), as the engine takes them.
SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(RoutingSettings))
#: The names of the ladder settings (:class:`LadderSettings`).
LADDER_SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(LadderSettings))
#: Settings that replace each other (two models): the one set last wins.
PARTNERS = {k: v[0] for k, v in RoutingSettings.PARTNERS.items()}

#: settings a wrapper does not offer as fields (set on the engine)
_NOT_WRAPPER_FIELDS = frozenset({"max_sticky_threads"})


def wrapper_fields(settings: type[RoutingSettings] | type[LadderSettings],
                   renamed: Mapping[str, str]) -> dict[str, str]:
    """A wrapper's routing fields for a settings class, ``{field: setting}``, derived from
    the settings object, which defines each setting once.

    Args:
        settings: :class:`RoutingSettings` or :class:`LadderSettings`.
        renamed: ``{wrapper field: setting}`` where the wrapper's name differs (the inner
            models stand for their names, a framework's embedding model for the embedder).

    Example:
        >>> wrapper_fields(RoutingSettings, {"strong": "strong_name"})["strong"]
        'strong_name'
    """
    inverse = {v: k for k, v in renamed.items()}
    return {inverse.get(f.name, f.name): f.name for f in fields(settings)
            if f.name not in _NOT_WRAPPER_FIELDS}


def all_wrapper_fields(renamed: Mapping[str, str]) -> frozenset[str]:
    """Every routing field a wrapper has, two-model and ladder ones."""
    return frozenset(wrapper_fields(RoutingSettings, renamed)) | frozenset(
        wrapper_fields(LadderSettings, renamed))


def other_mode_error(name: str, settings: type[RoutingSettings] | type[LadderSettings]
                     ) -> ConfigError:
    """The error for a routing setting of the other mode: a two-model setting given to a
    ladder (``threshold=`` with ``models=``), or a ladder's to two models."""
    if settings is LadderSettings:
        if name in ("strong", "weak"):
            return ConfigError(f"give models={{...}} or strong=/weak=, not both ({name}= was "
                               "given with models=)")
        return ConfigError(f"{name}= applies to strong=/weak=; a ladder's knob is tolerance=, "
                           "cost_weight= or target_cost=")
    return ConfigError(f"{name}= applies to a ladder (models={{...}}); with strong=/weak= give "
                       "strong_fraction= or threshold=")


def check_ladder_models(models: object, kind: str, example: str) -> None:
    """A wrapper's ``models=``: a dict of at least two models, by name; the same checks and
    messages in both wrappers (the models themselves are the framework's to check).

    Args:
        models: what the user passed.
        kind: what a model is in the framework (``"chat model"``, ``"LLM"``).
        example: a ``models={...}`` example in the framework's terms.

    Raises:
        ConfigError: not a dict, an empty or a one-model ladder.
    """
    if not isinstance(models, Mapping):
        raise ConfigError(f"models must be a dict {{name: {kind}}}, e.g. {example}")
    if not models:  # the core's Ladder speaks of its list of names; the user passes a dict
        raise ConfigError(f"the ladder is empty: pass models={{name: {kind}}} with at least two "
                          f"models, e.g. {example}")
    if len(models) == 1:
        raise ConfigError(f"a one-model ladder ({next(iter(models))!r}) routes nothing: add a "
                          "cheaper or a stronger model, or use that model directly")


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


def inner_model_copy_error(wrapper: str, action: str, models: Mapping[str, Any],
                           fn: Callable[[Any], Any], hint: str) -> TypeError | None:
    """The error naming the first inner model that ``fn`` fails on, the same message in both
    wrappers: a wrapper pickles and copies, an API client holding a lock does not.

    Args:
        wrapper: the wrapper's name in the message (``"RouteLLMChat"``).
        action: ``"pickle"`` or ``"deepcopy"``.
        models: the inner models by route or ladder name.
        fn: what failed on the wrapper (``pickle.dumps``, ``copy.deepcopy``), tried per model.
        hint: what to do instead, in the framework's terms (``{which}`` names the route).

    Returns:
        A ``TypeError`` (its ``__cause__`` the model's own error), or ``None`` when ``fn``
        succeeds on every model.
    """
    for which, model in models.items():
        try:
            fn(model)
        except Exception as exc:
            done = "pickled" if action == "pickle" else "copied"
            error = TypeError(
                f"cannot {action} {wrapper}: its {which} model ({type(model).__name__}) cannot "
                f"be {done} ({type(exc).__name__}: {exc}). The wrapper itself can; "
                + hint.format(which=which))
            error.__cause__ = exc
            return error
    return None


def check_momentum(value: object) -> float | None:
    """``None`` (off) or a number in [0, 1): the share of the conversation's memory a turn's
    score is raised to."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) < 1:
        raise ConfigError(
            f"momentum must be a number in [0, 1) (0.8 keeps a hard conversation strong for a "
            f"few easy follow-ups), or None for off; got {_describe(value)}")
    return float(value)


def check_knob_value(name: str, value: Any) -> float | None:
    """``None`` or a finite non-negative number (a ladder's knob or target cost)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or math.isinf(value):
        raise ConfigError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


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
