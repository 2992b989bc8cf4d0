"""``RouteLLM(models={...})``: routing among several priced LlamaIndex LLMs (a cost ladder).

``RouteLLM(models={"gpt-4o": ..., "llama-70b": ..., "llama-8b": ...}, prices={...})`` builds a
:class:`RouteLLMLadder`, a :class:`~llamaindex_routellm.RouteLLM` whose routes are the ladder's
model names; chat, completion, streaming, async, tools (``FunctionAgent``), structured
prediction, forced routes (``model="llama-8b"``, ``"top"``, ``"bottom"``), sticky
conversations, fallback to the next model up the ladder and statistics per model work as with
two models. The router estimates every candidate's quality (an ``irt`` router; see
:mod:`routellm_core.ladder`) and one knob picks the model.

Example:
    >>> from llama_index.core.llms import MockLLM
    >>> from routellm_core.routers.random import RandomRouter
    >>> llm = RouteLLM(models={"big": MockLLM(), "small": MockLLM()},
    ...                prices={"big": (10, 30), "small": (0.5, 1.5)},
    ...                router=RandomRouter("big", "small"), tolerance=0.1)
    >>> type(llm).__name__
    'RouteLLMLadder'
    >>> llm.complete("hi", model="small").additional_kwargs["routellm"]["model"]
    'small'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import LLMMetadata, MessageRole
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import LLM
from llama_index.core.llms.function_calling import FunctionCallingLLM
from pydantic import Field

from routellm_core.engine import OnRoute, RouterSpec, RoutingTextPolicy
from routellm_core.errors import ConfigError, unknown_name
from routellm_core.ladder import DEFAULT_OUTPUT_TOKENS
from routellm_core.ladder_engine import LadderEngine

from .embeddings import LlamaIndexEmbedder
from .llms import _LLM_FIELDS, RouteLLM, _check_llm

__all__ = ["RouteLLMLadder"]

_LADDER_ARGUMENTS = (
    "models", "prices", "router", "aliases", "tolerance", "cost_weight", "target_cost",
    "calibration_prompts", "output_tokens", "routing_text", "sticky", "on_router_error",
    "fallback", "embed_model", "on_route", "callback_manager", *sorted(_LLM_FIELDS),
)


class RouteLLMLadder(RouteLLM):
    """A LlamaIndex LLM that sends each call to one model of a priced ladder.

    Built by ``RouteLLM(models={...}, ...)`` (or directly).

    Args:
        models: ``{name: LLM}``, at least two; the names are the routes (decisions,
            statistics, forced routes, prices).
        prices: ``{name: (input, output)}`` USD per million tokens, for every model.
        router: a router estimating every model's quality (``irt``), or a two-model router.
        aliases: ``{name: model the router knows}`` for models it was not trained on.
        tolerance: pick the cheapest model whose estimate is at least ``(1 - tolerance)``
            times the best estimate (default 0.1); or ``cost_weight``; or ``target_cost`` with
            ``calibration_prompts`` (the tolerance is calibrated to that average USD per call).
        output_tokens: answer length assumed when pricing a call before it is made.
        on_router_error: the model used when the router raises (default: the dearest).
        fallback: retry once on the next model up the ladder when the chosen one raises.
        routing_text, sticky, embed_model, on_route, callback_manager: as for
            :class:`~llamaindex_routellm.RouteLLM`.

    Raises:
        ConfigError: an empty or one-model ladder, or ``strong``/``weak`` given too.
        DataError: a model without a price.
        UnknownNameError: a model the router does not know (the known ones are listed), or
            an unknown keyword argument.
        TypeError: a model is not a LlamaIndex LLM.
    """

    models: dict[str, LLM] = Field(exclude=True, description="The ladder's LLMs by name.")
    strong: LLM | None = Field(default=None, exclude=True)  # type: ignore[assignment]
    weak: LLM | None = Field(default=None, exclude=True)  # type: ignore[assignment]

    def __init__(
        self,
        models: Mapping[str, LLM] | None = None,
        *,
        prices: Mapping[str, Any] | None = None,
        router: RouterSpec = "default",
        aliases: Mapping[str, str] | None = None,
        tolerance: float | None = None,
        cost_weight: float | None = None,
        target_cost: float | None = None,
        calibration_prompts: Sequence[str] | None = None,
        output_tokens: int = DEFAULT_OUTPUT_TOKENS,
        routing_text: RoutingTextPolicy = "question",
        sticky: bool = False,
        on_router_error: str | None = None,
        fallback: bool = False,
        embed_model: BaseEmbedding | None = None,
        on_route: OnRoute = None,
        callback_manager: CallbackManager | None = None,
        **kwargs: Any,
    ) -> None:
        for key in ("strong", "weak"):
            if kwargs.get(key) is not None:
                raise ConfigError(f"give models={{...}} or strong=/weak=, not both ({key}= was "
                                  "given with models=)")
            kwargs.pop(key, None)
        for key in ("strong_fraction", "threshold"):
            if kwargs.get(key) is not None:
                raise ConfigError(f"{key}= applies to strong=/weak=; a ladder's knob is "
                                  "tolerance=, cost_weight= or target_cost=")
            kwargs.pop(key, None)
        if not isinstance(models, Mapping):
            raise ConfigError("models must be a dict {name: LLM}, e.g. models={'gpt-4o': "
                              "OpenAI(model='gpt-4o'), 'llama-8b': Ollama(model='llama3.1:8b')}")
        if not models:  # the core's message speaks of its list of names; the user passes a dict
            raise ConfigError("the ladder is empty: pass models={name: LLM} with at least two "
                              "models, e.g. models={'gpt-4o': OpenAI(model='gpt-4o'), "
                              "'llama-8b': Ollama(model='llama3.1:8b')}")
        for name, m in models.items():
            _check_llm(f"models[{name!r}]", m)
        unknown = sorted(set(kwargs) - _LLM_FIELDS)
        if unknown:
            raise unknown_name("RouteLLM argument", unknown[0], _LADDER_ARGUMENTS)
        engine = LadderEngine(
            router, list(models), prices=prices, aliases=aliases, tolerance=tolerance,
            cost_weight=cost_weight, target_cost=target_cost,
            calibration_prompts=calibration_prompts, output_tokens=output_tokens,
            routing_text=routing_text, sticky=sticky, on_router_error=on_router_error,
            on_route=on_route,
            embedder=LlamaIndexEmbedder(embed_model) if embed_model is not None else None)
        FunctionCallingLLM.__init__(
            self, models=dict(models), strong=None, weak=None, fallback=fallback,
            callback_manager=callback_manager or CallbackManager([]), **kwargs)
        self._engine = engine
        self._new_context_vars()
        if callback_manager is not None:
            self._share_callback_manager(callback_manager)

    @classmethod
    def class_name(cls) -> str:
        return "RouteLLMLadder"

    @property
    def engine(self) -> LadderEngine:  # type: ignore[override]
        """The :class:`~routellm_core.ladder_engine.LadderEngine` (ladder, knob, statistics)."""
        return self._engine  # type: ignore[return-value]

    def _share_callback_manager(self, cm: CallbackManager) -> None:
        for m in self.models.values():
            if m.callback_manager is not cm:
                m.callback_manager = cm

    def model(self, route: str) -> LLM:  # type: ignore[override]
        """The inner model of a route (a ladder model's name)."""
        return self.models[route]

    @property
    def metadata(self) -> LLMMetadata:
        """The intersection of the ladder models' metadata."""
        metas = [m.metadata for m in self.models.values()]

        def smallest(values: list[int]) -> int:
            known = [v for v in values if v is not None and v > 0]
            return min(known) if known else values[0]

        fc = all(m.is_function_calling_model for m in metas) and all(
            isinstance(m, FunctionCallingLLM) for m in self.models.values())
        roles = {m.system_role for m in metas}
        return LLMMetadata(
            context_window=smallest([m.context_window for m in metas]),
            num_output=smallest([m.num_output for m in metas]),
            is_chat_model=all(m.is_chat_model for m in metas),
            is_function_calling_model=fc,
            model_name="routellm(" + "|".join(self.engine.models) + ")",
            system_role=roles.pop() if len(roles) == 1 else MessageRole.SYSTEM,
        )
