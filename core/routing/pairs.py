"""Route for the pair the user configured: recognise the inner models, bind the router to them.

A router with per-model estimates knows many models (``router.models_``), named as its training
data named them (``gpt-4-1106-preview``, ``claude-3-haiku-20240307``, ``Meta-Llama-3_1-70B-
Instruct``...). Users name models as their provider's API does (``gpt-4o``, ``claude-3-haiku``,
``meta-llama/Llama-3.1-70B-Instruct``). This module maps one to the other and decides which pair
a routing engine scores:

0. **Off by default.** ``pair=None`` (the default) scores the router's own pair, as before:
   measured on the newer sources and on the difficulty check, the per-model estimates of other
   pairs did not rank prompts better on average and sent most easy everyday prompts to the
   strong model for gpt-4o vs gpt-4o-mini (``docs/results.md``, "Pairs users route today").
   Pair-aware routing is an opt-in until a router's estimates pass that check.
1. **The names.** ``pair=("gpt-4o", "gpt-4o-mini")`` names the pair explicitly; ``pair="auto"``
   uses the inner models' own names, as the wrappers pass them (LangChain's
   ``model_name``/``model``, LlamaIndex's ``metadata.model_name``/``model``).
2. **Each name to a router model** (:func:`resolve_model`): the user's ``aliases`` first
   (``{"my-finetune": "gpt-4o-mini"}``; the target is resolved by the next steps), then the
   router's own spelling (exact, then ignoring case), then :data:`MODEL_ALIASES`, the documented
   map from common API names to the names routers are trained with, looked up after
   :func:`normalise_name` (lowercase, no provider prefix such as ``openai/`` or
   ``anthropic.``, no date or version suffix such as ``-2024-08-06``, ``-20240307``,
   ``-0125``, ``-001``, ``-latest``, ``-v1:0``). The map lists candidates best first; the first
   one the router knows wins, so it works with any router.
3. **The pair** (:func:`route_pair`): both names known, and not the router's own pair: the
   router bound to them (:func:`~routellm_core.routers.pair.bind_pair`), with that pair's
   calibration table. Otherwise the router's own pair (the default: GPT-4 vs Mixtral), logged
   once per router and pair: when a name is not recognised, when the router has no per-model
   estimates, and when the checkpoint cannot calibrate the pair (trained before pair
   calibration was stored) while a ``strong_fraction`` needs a table.

The decision record says which pair was scored (``pair``: ``[strong, weak]`` as the router
names them), in ``response_metadata["routellm"]`` (LangChain) and
``additional_kwargs["routellm"]`` (LlamaIndex).

Example:
    >>> normalise_name("openai/gpt-4o-2024-08-06")
    'gpt-4o'
    >>> resolve_model("gpt-4o", ["gpt-4-1106-preview", "gpt-4o-mini"])
    'gpt-4-1106-preview'
    >>> resolve_model("GPT-4o-mini", ["gpt-4-1106-preview", "gpt-4o-mini"])
    'gpt-4o-mini'
    >>> resolve_model("my-model", ["gpt-4o-mini"]) is None
    True
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..routers.base import Router

__all__ = [
    "MODEL_ALIASES",
    "DEFAULT_PAIR",
    "AUTO_PAIR",
    "PairSpec",
    "check_pair",
    "check_aliases",
    "normalise_name",
    "resolve_model",
    "route_pair",
    "scored_pair",
]

logger = logging.getLogger(__name__)

#: ``pair=`` value: ``None`` or ``"default"`` (the router's own pair, the default), ``"auto"``
#: (recognise the inner models) or two names
PairSpec = tuple[str, str] | Sequence[str] | str | None

#: ``pair="default"`` (or ``None``): score the router's own pair whatever the inner models
DEFAULT_PAIR = "default"
#: ``pair="auto"``: score the pair of the inner models, recognised from their names
AUTO_PAIR = "auto"

_GPT4 = STRONG_MODEL  # every GPT-4-class spelling is this name in the training alias tables
_GPT35 = ("gpt-3.5-turbo", "gpt-3.5-turbo-1106")

#: Common API names (after :func:`normalise_name`) to the names routers are trained with,
#: best first. The training alias tables (``gpt4-mixtral``, ``gpt4-mixtral-all``) train every
#: GPT-4-class model (GPT-4, GPT-4-Turbo, GPT-4o) as one model, ``gpt-4-1106-preview``, and
#: every GPT-3.5-Turbo as ``gpt-3.5-turbo``; the other names are the sources' own spellings.
MODEL_ALIASES: dict[str, tuple[str, ...]] = {
    # OpenAI
    "gpt-4o": (_GPT4, "gpt-4o"),
    "chatgpt-4o": (_GPT4, "gpt-4o"),
    "gpt-4": (_GPT4, "gpt-4"),
    "gpt-4-turbo": (_GPT4,),
    "gpt-4-turbo-preview": (_GPT4,),
    "gpt-4-1106-preview": (_GPT4,),
    "gpt-4-0125-preview": (_GPT4,),
    "gpt-4o-mini": ("gpt-4o-mini",),
    "gpt-3.5-turbo": _GPT35,
    "gpt-35-turbo": _GPT35,  # Azure's spelling
    "gpt-3.5": _GPT35,
    # Anthropic
    "claude-3-haiku": ("claude-3-haiku-20240307",),
    "claude-3.5-sonnet": ("claude-3.5-sonnet",),
    "claude-3-5-sonnet": ("claude-3.5-sonnet",),
    "claude-2.1": ("claude-2.1",),
    "claude-2": ("claude-2", "claude-2.1"),
    "claude-instant": ("claude-instant-1",),
    "claude-instant-1": ("claude-instant-1",),
    # Google
    "gemini-2.0-flash": ("gemini-2.0-flash-001",),
    "gemini-1.5-pro": ("gemini-1.5-pro-002", "gemini-v1.5-pro"),
    "gemini-1.5-flash": ("gemini-1.5-flash-002", "gemini-v1.5-flash"),
    "gemini-pro": ("geminipro",),
    # Meta Llama (Hugging Face, Together, Groq, Ollama spellings normalise to these)
    "llama-3.1-405b": ("llama3_1_405b", "llama31-405b"),
    "llama-3.1-70b": ("Meta-Llama-3_1-70B-Instruct", "llama3_1_70b", "llama31-70b"),
    "llama-3.1-8b": ("Meta-Llama-3_1-8B-Instruct",),
    "llama-3-70b": ("llama3_70b", "Meta-Llama-3-70B"),
    "llama-3-8b": ("Meta-Llama-3-8B",),
    "llama-2-70b": ("llama-2-70b-chat", "Llama-2-70b-chat"),
    "llama-2-13b": ("llama-2-13b-chat",),
    "llama-2-7b": ("llama-2-7b-chat",),
    # Mistral
    "mixtral-8x7b": (WEAK_MODEL, "Mixtral-8x7B-Instruct-v0.1"),
    "open-mixtral-8x7b": (WEAK_MODEL, "Mixtral-8x7B-Instruct-v0.1"),
    "mistral-7b": ("mistralai/Mistral-7B-Instruct-v0.1", "Mistral-7B-Instruct-v0.2"),
    "open-mistral-7b": ("mistralai/Mistral-7B-Instruct-v0.1", "Mistral-7B-Instruct-v0.2"),
    "mistral-large": ("mistral_large_2", "mistralai__Mistral-Large-Instruct-2407"),
    "mistral-small": ("mistralai__Mistral-Small-24B-Instruct-2501",),
    # Qwen
    "qwen2.5-72b": ("Qwen__Qwen2.5-72B-Instruct",),
    "qwen1.5-72b": ("Qwen1.5-72B-Chat",),
}

# a suffix that names a snapshot, not another model: dates, API versions, "-latest", tunings
_SUFFIX = re.compile(
    r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{4}|-\d{3}|-latest|-v\d+(:\d+)?|:\d+|-instruct|-chat|-it"
    r"|-hf|-versatile)$"
)


def normalise_name(name: str) -> str:
    """The key a model name is looked up by in :data:`MODEL_ALIASES`: lowercase, without a
    provider prefix (``openai/``, ``models/``, ``meta-llama/``, ``anthropic.``), ``meta-``,
    dots between a family and its version (``llama3.1`` is ``llama-3.1``), Ollama's size tag
    (``llama3.1:70b`` is ``llama-3.1-70b``) or a snapshot suffix (:data:`_SUFFIX`)."""
    key = name.strip().lower().rsplit("/", 1)[-1]
    key = re.sub(r"^(anthropic|meta|mistral|cohere|amazon|ai21)\.", "", key)  # Bedrock ids
    key = re.sub(r"^meta-", "", key)
    key = re.sub(r"^llama(\d)", r"llama-\1", key)
    key = re.sub(r":(\d+(\.\d+)?b)$", r"-\1", key)  # ollama tags
    prev = None
    while prev != key:
        prev = key
        key = _SUFFIX.sub("", key)
    return key.replace("_", "-") if key.startswith("llama-") else key


def resolve_model(name: str, known: Sequence[str],
                  aliases: Mapping[str, str] | None = None) -> str | None:
    """The router's name for the user's model ``name`` (``None`` if not recognised).

    Args:
        name: the user's name for a model (an API name, or the router's own spelling).
        known: the router's models (``router.models_``).
        aliases: the user's ``{name: model}`` table, checked first; its target is an API name
            or the router's spelling.
    """
    if aliases and name in aliases:
        name = aliases[name]
    known_set = set(known)
    if name in known_set:
        return name
    lower = {k.lower(): k for k in known}
    if name.strip().lower() in lower:
        return lower[name.strip().lower()]
    for key in dict.fromkeys((name.strip().lower(), normalise_name(name))):
        for candidate in MODEL_ALIASES.get(key, ()):
            if candidate in known_set:
                return candidate
    return None


def check_pair(value: object) -> tuple[str, str] | str | None:
    """A ``pair=`` setting: ``None``, ``"default"``, ``"auto"``, or two different names.

    Raises:
        ConfigError: anything else (the message says what to pass).
    """
    if value is None or value in (DEFAULT_PAIR, AUTO_PAIR):
        return value  # type: ignore[return-value]
    if (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
            and all(isinstance(v, str) and v.strip() for v in value) and value[0] != value[1]):
        return (str(value[0]), str(value[1]))
    raise ConfigError(
        f"pair must be two different model names (strong, weak) such as ('gpt-4o', "
        f"'gpt-4o-mini'), 'auto' (recognise the inner models), or None / 'default' (the "
        f"router's own pair); got {type(value).__name__} {value!r}")


def check_aliases(value: object) -> dict[str, str]:
    """An ``aliases=`` setting: ``None`` or a ``{name: model}`` mapping of strings."""
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str)
                                          for k, v in value.items()):
        return dict(value)
    raise ConfigError(
        f"aliases must be a mapping {{your model name: a name the router knows}}, such as "
        f"{{'my-finetune': 'gpt-4o-mini'}}; got {type(value).__name__} {value!r}")


_logged: set[tuple[Any, ...]] = set()
_logged_lock = threading.Lock()


def _log_once(key: tuple[Any, ...], message: str, *args: Any, level: int = logging.WARNING
              ) -> None:
    with _logged_lock:
        if key in _logged:
            return
        _logged.add(key)
    logger.log(level, message, *args)


def route_pair(router: Router, *, pair: PairSpec = None, aliases: Mapping[str, str] | None = None,
               strong_name: str | None = None, weak_name: str | None = None,
               need_calibration: bool = True) -> Router:
    """The router a routing engine scores with: bound to the user's pair when it knows it.

    Args:
        router: the loaded router (a bound one is rebound from its inner router).
        pair: ``None``/``"default"`` (the router's own pair), ``"auto"`` (the inner models'
            names) or ``(strong, weak)``.
        aliases: the user's ``{name: model}`` table (:func:`resolve_model`).
        strong_name, weak_name: the inner models' names (used when ``pair`` is ``"auto"``).
        need_calibration: whether the threshold comes from a calibration table (a
            ``strong_fraction``): a pair the checkpoint cannot calibrate then falls back to
            the router's own pair. With a raw ``threshold``, any known pair is scored.

    Returns:
        The router for its own pair, or a :class:`~routellm_core.routers.pair.PairRouter`.

    Raises:
        ConfigError: a malformed ``pair`` or ``aliases``.
    """
    from ..routers.pair import PairRouter, bind_pair, known_models

    spec = check_pair(pair)
    table = check_aliases(aliases)
    inner = router.router if isinstance(router, PairRouter) else router
    own = (inner.strong_model, inner.weak_model)
    if spec is None or spec == DEFAULT_PAIR:
        return inner
    given = spec if isinstance(spec, tuple) else (strong_name, weak_name)
    if given[0] is None or given[1] is None:
        return inner
    names = (given[0], given[1])
    known = known_models(inner)
    where = "pair=" if spec != AUTO_PAIR else "the inner models"
    if not known:
        if not set(names) <= set(own):
            _log_once((id(inner), names, "estimates"),
                      "routellm: router %r scores only its own pair (%s vs %s), not %s vs %s "
                      "(%s): it has no per-model estimates", inner.name, *own, *names, where,
                      level=logging.INFO)
        return inner
    resolved = [resolve_model(n, known, table) for n in names]
    if resolved[0] is None or resolved[1] is None:
        missing = [n for n, r in zip(names, resolved, strict=True) if r is None]
        _log_once((id(inner), names, "unknown"),
                  "routellm: router %r does not know %s (from %s), so it scores its own pair "
                  "(%s vs %s). Name the models it knows with aliases={your name: its name} "
                  "(its models: %s), or pass pair=None to silence this",
                  inner.name, " and ".join(repr(m) for m in missing), where, *own,
                  ", ".join(known))
        return inner
    strong, weak = resolved[0], resolved[1]
    if (strong, weak) == own:
        return inner
    if strong == weak:
        _log_once((id(inner), names, "same"),
                  "routellm: %r and %r are the same model to router %r (%s), so it scores its "
                  "own pair (%s vs %s)", *names, inner.name, strong, *own)
        return inner
    bound = bind_pair(inner, strong, weak, calibrate=need_calibration)
    if need_calibration and bound.calibration_ is None:
        _log_once((id(inner), names, "calibration"),
                  "routellm: router %r knows %s vs %s but its checkpoint stores no calibration "
                  "for other pairs (trained before pair calibration was stored), so it scores "
                  "its own pair (%s vs %s) to keep strong_fraction meaningful; retrain it, or "
                  "pass a raw threshold= to score the pair", inner.name, strong, weak, *own)
        return inner
    return bound


def scored_pair(router: Router) -> tuple[str, str]:
    """The pair a router scores (its own, or the bound one), as the router names them."""
    pair = getattr(router, "pair_", None)
    return (pair[0], pair[1]) if pair else (router.strong_model, router.weak_model)
