"""``RouteLLMChat(models={...})``: routing among several priced chat models (a cost ladder).

``RouteLLMChat(models={"gpt-4o": ..., "llama-70b": ..., "llama-8b": ...}, prices={...})``
builds a :class:`RouteLLMLadderChat`, a :class:`~langchain_routellm.RouteLLMChat` whose routes
are the ladder's model names. Everything else is the two-model wrapper's: tools bound on
whichever model is chosen, structured output, streaming, async, sticky threads, forced routes
(``model="llama-8b"``, or ``"top"`` / ``"bottom"``), fallback (to the next model up the
ladder) and statistics per model. The router estimates every candidate's quality (an ``irt``
router; see :mod:`routellm_core.ladder`) and one knob picks the model.

Example:
    >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
    >>> from routellm_core.routers.random import RandomRouter
    >>> llm = RouteLLMChat(
    ...     models={"big": FakeListChatModel(responses=["B"]),
    ...             "small": FakeListChatModel(responses=["S"])},
    ...     prices={"big": (10, 30), "small": (0.5, 1.5)},
    ...     router=RandomRouter("big", "small"), tolerance=0.1)
    >>> type(llm).__name__
    'RouteLLMLadderChat'
    >>> llm.invoke("hi", model="small").response_metadata["routellm"]["model"]
    'small'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.runnables import Runnable
from pydantic import BaseModel, model_validator
from typing_extensions import Self

from routellm_core.engine import RoutingEngine
from routellm_core.errors import ConfigError
from routellm_core.ladder import DEFAULT_OUTPUT_TOKENS
from routellm_core.ladder_engine import LadderEngine

from .chat_models import (
    RouteLLMChat,
    _Field,
    _intersect_profiles,
    _RoutedRunnable,
)

__all__ = ["RouteLLMLadderChat"]

#: fields held by the ladder engine (assigning one reconfigures it)
_LADDER_FIELDS = frozenset({
    "models", "router", "prices", "aliases", "tolerance", "cost_weight", "target_cost",
    "calibration_prompts", "output_tokens", "routing_text", "sticky", "on_router_error",
    "on_route", "embeddings",
})


class RouteLLMLadderChat(RouteLLMChat):
    """A chat model that sends each call to one model of a priced ladder.

    Built by ``RouteLLMChat(models={...}, ...)`` (or directly).

    Args:
        models: ``{name: chat model}``, at least two. The names are the routes: in decisions,
            statistics, forced routes (``invoke(..., model=name)``) and prices.
        prices: ``{name: (input, output)}`` USD per million tokens, for every model.
        router: a router that estimates every model's quality (an ``irt`` checkpoint or
            instance; ``"default"`` when it is one), or a two-model router for two models.
        aliases: ``{name: model the router knows}`` for models the router was not trained on.
        tolerance: pick the cheapest model whose estimate is at least ``(1 - tolerance)``
            times the best candidate's (default 0.1).
        cost_weight: instead, maximise ``estimate - cost_weight * cost / top cost``.
        target_cost: instead, calibrate the tolerance to this average USD per call on
            ``calibration_prompts``.
        calibration_prompts: prompts like your traffic, for ``target_cost``.
        output_tokens: answer length assumed when pricing a call before it is made.
        on_router_error: the model used when the router raises (default: the dearest).
        fallback: when the chosen model raises, retry once on the next model up the ladder.
        routing_text, sticky, on_route, embeddings, temperature, max_tokens, stop, streaming:
            as for :class:`~langchain_routellm.RouteLLMChat`.

    Raises:
        pydantic.ValidationError: an empty or one-model ladder, a model without a price, a
            model the router does not know (the known ones are listed), ``strong``/``weak``,
            ``strong_fraction``/``threshold``/``calibration_window`` or ``recorder`` given with
            ``models``.
    """

    models: dict[str, BaseChatModel]
    strong: BaseChatModel | None = None  # type: ignore[assignment]
    weak: BaseChatModel | None = None  # type: ignore[assignment]
    on_router_error: str | None = None  # type: ignore[assignment]
    aliases: dict[str, str] | None = None
    tolerance: float | None = None
    cost_weight: float | None = None
    target_cost: float | None = None
    calibration_prompts: list[str] | None = None
    output_tokens: int = DEFAULT_OUTPUT_TOKENS

    @model_validator(mode="before")
    @classmethod
    def _check_ladder(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        for key in ("strong", "weak"):
            if data.get(key) is not None:
                raise ValueError(f"give models={{...}} or strong=/weak=, not both ({key}= was given "
                                 "with models=)")
        for key in ("strong_fraction", "threshold", "calibration_window"):
            if data.get(key) is not None:
                raise ValueError(f"{key}= applies to strong=/weak=; a ladder's knob is tolerance=, "
                                 "cost_weight= or target_cost=")
        if data.get("recorder") is not None:
            # LadderEngine keeps no traffic log; accepting the argument would drop every record
            raise ValueError("recorder= records two-model routing (strong=/weak=) only; a ladder "
                             "does not record its traffic, so leave recorder= out here")
        models = data.get("models")
        if not isinstance(models, Mapping):
            raise ValueError("models must be a dict {name: chat model}, e.g. "
                             "models={'gpt-4o': ChatOpenAI(...), 'llama-8b': ChatOllama(...)}")
        if len(models) < 2:
            raise ValueError(
                "the ladder is empty: pass at least two models" if not models else
                f"a one-model ladder ({next(iter(models))!r}) routes nothing: add a cheaper or a "
                "stronger model, or use that model directly")
        for name, m in models.items():
            RouteLLMChat._check_chat_model(m, _Field(f"models[{name!r}]"))
        return data

    def _new_engine(self) -> RoutingEngine:
        return LadderEngine(**self._engine_settings(_LADDER_FIELDS))

    def _variant_of(self, parent: RouteLLMChat) -> RoutingEngine:
        changed = [f for f in _LADDER_FIELDS if getattr(self, f) is not getattr(parent, f)]
        return parent._engine.variant(**self._engine_settings(changed))

    def _engine_settings(self, fields: Iterable[str]) -> dict[str, Any]:
        fields = set(fields) & _LADDER_FIELDS
        if fields & {"router", "embeddings"}:
            fields |= {"router", "embeddings"}
        out: dict[str, Any] = {}
        for f in fields:
            if f == "models":
                out["models"] = list(self.models)
            elif f == "embeddings":
                out["embedder"] = self._embedder()
            else:
                out[f] = getattr(self, f)
        return out

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a ladder field (``llm.tolerance = 0.1``) reconfigures the engine,
        validated like the constructor; an invalid value raises and changes nothing."""
        private = self.__pydantic_private__
        if name not in _LADDER_FIELDS or not private or private.get("_engine") is None:
            BaseModel.__setattr__(self, name, value)
            return
        saved = self.__dict__.get(name)
        private["_assigning"] = (name,)
        try:
            self.__pydantic_validator__.validate_assignment(self, name, value)
        except Exception:
            self.__dict__[name] = saved
            raise
        finally:
            private["_assigning"] = None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with its own engine (statistics from zero, empty sticky memory); ladder
        fields in ``update`` are validated and applied."""
        upd = dict(update or {})
        new = BaseModel.model_copy(self, update=upd, deep=deep)
        new._engine = self._engine.copy()
        changed = [f for f in upd if f in _LADDER_FIELDS]
        if changed:
            new._engine.configure(**new._engine_settings(changed))
        return new

    # ---- the ladder -------------------------------------------------------------------------
    @property
    def engine(self) -> LadderEngine:  # type: ignore[override]
        """The :class:`~routellm_core.ladder_engine.LadderEngine` (ladder, knob, statistics)."""
        return self._engine  # type: ignore[return-value]

    def _model_for(self, route: str) -> BaseChatModel:
        return self.models[route]

    def _resolve_model_profile(self) -> ModelProfile | None:
        profiles = [m.profile for m in self.models.values()]
        out = profiles[0]
        for p in profiles[1:]:
            out = _intersect_profiles(out, p)
        return out

    @property
    def _identifying_params(self) -> dict[str, Any]:
        ladder = self.engine.ladder
        return self._with_call_params({"models": list(ladder.models),
                                       "router": getattr(self.engine.router, "name", "?"),
                                       ladder.knob: ladder.value})

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop, **{**kwargs, "model": kwargs.get("model") or
                                                 "routellm:" + "|".join(self.engine.models)})
        return params

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output from whichever model is chosen, in its own native mode (every
        model must support ``with_structured_output``)."""
        routes: dict[str, Runnable] = {}
        for name, m in self.models.items():
            try:
                routes[name] = m.with_structured_output(schema, include_raw=include_raw, **kwargs)
            except NotImplementedError:
                raise ConfigError(
                    f"model {name!r} ({type(m).__name__}) has no structured output; every model "
                    "of the ladder must support it, or leave that model out") from None
        return _RoutedRunnable(self, routes)
