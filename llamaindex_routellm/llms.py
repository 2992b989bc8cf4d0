"""``RouteLLM``: a LlamaIndex LLM that sends each call to a strong or a weak LLM.

The wrapper holds no routing logic of its own. For each call it turns the LlamaIndex messages
into :class:`~routellm_core.routing.engine.Turn` records, asks the shared
:class:`~routellm_core.routing.engine.RoutingEngine` for a decision, calls the chosen model, tags the
response, and reports token usage to the engine's statistics.

Event source: the wrapper's own methods are *not* decorated with ``llm_chat_callback`` /
``llm_completion_callback``; the chosen inner model emits LlamaIndex's LLM events (start, end,
token counts) exactly once per call, as it would without the wrapper. The wrapper's callback
manager is copied onto both inner models whenever it is set (LlamaIndex sets it through
``Settings.llm``, response synthesizers and chat engines), so handlers on
``Settings.callback_manager`` see each call once. The wrapper adds a
:class:`~llamaindex_routellm.events.RouteDecisionEvent` per decision.

Example:
    >>> from llama_index.core.llms import MockLLM
    >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", strong_fraction=0.5)
    >>> r = llm.complete("What is 2 + 2?")
    >>> r.additional_kwargs["routellm"]["route"] in ("strong", "weak")
    True
    >>> llm.stats.snapshot().total_calls
    1
"""

from __future__ import annotations

import copy
import hashlib
import logging
import pickle
import warnings
from collections.abc import (
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection
from pydantic import BaseModel, Field, PrivateAttr

from routellm_core.costs import Price
from routellm_core.errors import RouteLLMError, unknown_name
from routellm_core.routing.decisions import RouteDecision, RoutingStats
from routellm_core.routing.dispatch import LastTally, Reply, RoutedCall
from routellm_core.routing.engine import LadderEngine, RoutingEngine
from routellm_core.routing.ladder import DEFAULT_OUTPUT_TOKENS
from routellm_core.routing.long_text import check_prompt
from routellm_core.routing.pairs import PairSpec
from routellm_core.routing.recorder import TrafficRecorder
from routellm_core.routing.settings import (
    LadderSettings,
    OnRoute,
    RouterSpec,
    RoutingSettings,
    RoutingTextPolicy,
    all_wrapper_fields,
    check_ladder_models,
    inner_model_copy_error,
    inner_model_name,
    other_mode_error,
    wrapper_fields,
)
from routellm_core.routing.turns import Turn, turn_role

from .embeddings import LlamaIndexEmbedder
from .events import RouteDecisionEvent

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "RouteLLM", "RouteLLMLadder", "FORCE_KWARG", "ROUTE_KWARG", "THREAD_KWARG", "TAG_KEY",
]

logger = logging.getLogger("routellm")
dispatcher = get_dispatcher(__name__)

#: Call keyword that forces a route: ``llm.chat(msgs, model="weak")`` (``"strong"``,
#: ``"weak"`` or an inner model's name), the same keyword as LangChain's ``RouteLLMChat``.
#: It is removed before the inner model is called.
FORCE_KWARG = "model"
#: The former name of :data:`FORCE_KWARG` (``route="weak"``): still accepted, deprecated.
ROUTE_KWARG = "route"
#: Call keyword naming the conversation for sticky routing: ``llm.chat(msgs, thread_id="t1")``.
THREAD_KWARG = "thread_id"
#: Key of the route record in ``response.additional_kwargs``.
TAG_KEY = "routellm"
#: Private key between ``_prepare_chat_with_tools`` and ``chat``/``achat``/stream methods.
_PREPARED = "_routellm_prepared"
#: Private key from ``achat_with_tools``/``astream_chat_with_tools`` (decided off the event loop)
#: to ``_prepare_chat_with_tools``.
_DECIDED = "_routellm_decided"
#: Prompt-template variables that hold the user's question: ``query_str`` (query engines,
#: selectors), ``question`` (the condense step of chat engines).
QUESTION_KEYS = ("query_str", "question")
#: a route: "strong" or "weak", or a ladder model's name
Route = str
#: wrapper arguments that hold a setting of another name (the engine gets the inner models'
#: names and an embedder)
_RENAMED = {"strong": "strong_name", "weak": "weak_name", "embed_model": "embedder"}
_ALL_ROUTING_FIELDS = all_wrapper_fields(_RENAMED)
#: routing fields that are the wrapper's own (pydantic) fields, not read back from the engine
_MODEL_FIELDS = ("strong", "weak", "models", "embed_model")

def to_turns(messages: Sequence[ChatMessage]) -> list[Turn]:
    """LlamaIndex messages as framework-neutral :class:`Turn` records (text blocks only).

    Roles map by :func:`~routellm_core.routing.engine.turn_role` (as in LangChain): an unknown role
    is a user turn. A ReAct agent sends its tool results back as *user* messages
    (``"Observation: ..."`` after an assistant message holding ``"Action: ..."``); those are
    tool turns, so routing on the last user message keeps scoring the user's request and one
    agent run stays on one model, as with agents that use native tool calls.
    """
    out: list[Turn] = []
    for m in messages:
        role = m.role.value if isinstance(m.role, MessageRole) else str(m.role)
        turn = Turn(turn_role(role), m.content or "")
        if turn.role == "user" and _is_react_observation(turn.text, out):
            turn = Turn("tool", turn.text)
        out.append(turn)
    return out


def _is_react_observation(text: str, before: Sequence[Turn]) -> bool:
    if not text.lstrip().startswith("Observation:") or not before:
        return False
    prev = before[-1]
    # the observation answers the agent's action (a chain of several observations too)
    return (prev.role == "assistant" and "Action:" in prev.text) or prev.role == "tool"


def _llm_name(llm: LLM) -> str:
    """An inner model's name: its metadata's ``model_name`` unless a placeholder
    (``"unknown"``), else its ``model``/``model_name`` attribute, else its class name (the
    rule of :func:`~routellm_core.routing.settings.inner_model_name`, shared with LangChain)."""
    try:
        reported: Any = llm.metadata.model_name
    except Exception:  # a provider's metadata property is not ours to trust
        reported = None
    return inner_model_name(
        reported, getattr(llm, "model", None), getattr(llm, "model_name", None),
        fallback=type(llm).__name__,
    )


def _check_llm(which: str, llm: Any) -> None:
    if isinstance(llm, LLM):
        return
    hint = ""
    mod = type(llm).__module__
    if mod.startswith("langchain"):
        hint = (
            "; for a LangChain model use langchain_routellm.RouteLLMChat, or wrap it with "
            "llama_index.llms.langchain.LangChainLLM"
        )
    elif isinstance(llm, str):
        hint = "; pass an LLM object, e.g. OpenAI(model=...), not a model name"
    raise TypeError(
        f"RouteLLM's {which} model must be a LlamaIndex LLM (llama_index.core.llms.LLM), "
        f"got {type(llm).__module__}.{type(llm).__name__}{hint}"
    )


def _usage(response: Any) -> tuple[int, int]:
    """Provider-reported (input, output) tokens; zero where the response has none."""
    from llama_index.core.callbacks.token_counting import get_tokens_from_response

    try:
        tin, tout = get_tokens_from_response(response)
        return int(tin or 0), int(tout or 0)
    except Exception:  # raw payloads of unknown shape: fall back to estimates
        return 0, 0


def _read(response: Any) -> Reply:
    """A response (or streamed chunk) as the core call path reads it: its text, reported
    tokens (a zero from ``get_tokens_from_response`` means none) and tool calls."""
    tin, tout = _usage(response)
    message = getattr(response, "message", None)
    calls: list[Any] = [{"name": b.tool_name, "args": b.tool_kwargs}
                        for b in getattr(message, "blocks", None) or []
                        if isinstance(b, ToolCallBlock)]
    calls += [_tool_call_record(c) for c in
              (getattr(message, "additional_kwargs", None) or {}).get("tool_calls") or []]
    return Reply(_response_text(response), tin, tout, calls)


def _tag(chunk: Any, record: dict[str, Any], first: bool) -> None:
    # every chunk: streamed responses are cumulative, and agents parse each one
    chunk.additional_kwargs[TAG_KEY] = record


def _tool_call_record(call: Any) -> Any:
    if isinstance(call, dict):
        return call
    for attr in ("model_dump", "dict"):
        fn = getattr(call, attr, None)
        if callable(fn):
            try:
                return fn()
            except Exception:  # a provider's object: keep its text
                break
    return str(call)


def _response_text(response: Any) -> str:
    if isinstance(response, ChatResponse):
        return response.message.content or ""
    return getattr(response, "text", "") or ""


def _tool_args(user_msg: str | ChatMessage | None, chat_history: list[ChatMessage] | None,
               verbose: bool, allow_parallel_tool_calls: bool, tool_required: bool,
               kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a ``*chat_with_tools`` call, by name (the tools aside)."""
    return dict(user_msg=user_msg, chat_history=chat_history, verbose=verbose,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
                tool_required=tool_required, **kwargs)


def _tool_messages(args: dict[str, Any]) -> list[ChatMessage]:
    """The conversation of a tool call: the history, then the new user message."""
    msgs = list(args.get("chat_history") or [])
    user_msg = args.get("user_msg")
    if user_msg is not None:
        msgs.append(
            ChatMessage(role=MessageRole.USER, content=user_msg)
            if isinstance(user_msg, str)
            else user_msg
        )
    return msgs


@dataclass
class _Pending:
    """What the engine needs to decide one call."""

    turns: list[Turn]
    raw: list[ChatMessage]
    question: str | None
    force: str | None
    thread_id: str | None

    def args(self) -> dict[str, Any]:
        """The keyword arguments of the engine's ``decide_turns``."""
        return {"question": self.question, "raw": self.raw, "force": self.force,
                "thread_id": self.thread_id}


@dataclass
class _Prepared:
    """Carried from ``_prepare_chat_with_tools`` to ``chat`` under :data:`_PREPARED`."""

    decision: RouteDecision
    args: dict[str, Any]


class RouteLLM(FunctionCallingLLM):
    """A LlamaIndex LLM that routes each call to a strong or a weak LLM with a learned router.

    Args:
        strong: the strong (expensive) LlamaIndex LLM.
        weak: the weak (cheap) LlamaIndex LLM.
        router: ``"default"`` (the router shipped in the package), ``"random"``, a checkpoint
            directory, or a :class:`~routellm_core.routers.base.Router` instance.
        strong_fraction: share of calls (on the router's calibration prompts) that should go to
            the strong model. Give this or ``threshold``, not both; with neither, 0.5.
        threshold: a raw score threshold instead (``score >= threshold`` routes strong).
        calibration_window: keep the share of strong calls at ``strong_fraction`` on your
            traffic: after 20 calls the threshold follows the ``strong_fraction`` quantile of
            the last this-many router scores (``None``: the calibration table's threshold).
        pair: which two models the router scores. ``None`` (default): the router's own
            pair (GPT-4 vs Mixtral for the shipped router). ``"auto"``: the inner models,
            recognised from their names (``OpenAI(model="gpt-4o")``'s ``metadata.model_name````) through the API alias map of
            :mod:`routellm_core.routing.pairs`; ``("gpt-4o", "gpt-4o-mini")``: these names. A pair the
            router does not know (or cannot calibrate) falls back to its own pair, logged
            once; the record's ``pair`` says which pair was scored. Off by default: the
            per-model estimates of other pairs did not route better when measured
            (``docs/results.md``).
        aliases: ``{your model name: a model the router knows}`` (an API name such as
            ``"gpt-4o-mini"`` or the router's own spelling) for a model it does not
            recognise, e.g. ``{"my-finetune": "gpt-4o-mini"}``.
        routing_text: which text the router scores: ``"question"`` (default: the user's
            question, ``query_str``, when a query engine or selector formats a prompt
            template; otherwise the last user message), ``"last_user"``, ``"first_user"``,
            ``"conversation"``, or a function receiving the list of ``ChatMessage`` and
            returning a string.
        sticky: keep a conversation on the route of its first decision. The conversation is
            the ``thread_id=`` call keyword, :meth:`conversation`, or else the first user
            message of the history.
        on_router_error: route taken when the router raises (``"strong"``, with a warning).
        fallback: when the chosen model raises, retry the call once on the other model.
        prices: ``{"strong": (in, out), "weak": (in, out)}`` in USD per million tokens, for
            cost and savings in :attr:`stats`.
        embed_model: a LlamaIndex ``BaseEmbedding`` for embedding routers loaded from a
            checkpoint (``"default"`` or a directory); its dimension must match the one the
            checkpoint was trained on.
        on_route: callables receiving each :class:`~routellm_core.routing.engine.RouteDecision`
            (fallbacks included).
        callback_manager: LlamaIndex callback manager; also set on both inner models.
        recorder: a :class:`routellm_core.routing.recorder.TrafficRecorder`: append each call (routed
            text, decision, answer) to a local replay log, with optional shadow calls on
            non-streamed calls (``docs/adapt.md``); the record's run id is in
            ``additional_kwargs["routellm"]["run_id"]``. Off by default.
        **kwargs: other ``LLM`` fields (``system_prompt``, ``messages_to_prompt``,
            ``completion_to_prompt``, ``output_parser``, ``pydantic_program_mode``,
            ``query_wrapper_prompt``); anything else is an error.

    Raises:
        TypeError: ``strong`` or ``weak`` is not a LlamaIndex LLM.
        UnknownNameError: an unknown keyword argument (``strong_frac=``); the error lists
            the valid ones.
        ConfigError: a setting has a wrong type or value (the routing engine's checks).

    Forcing a route: ``llm.chat(messages, model="weak")`` (``"strong"``, ``"weak"`` or an
    inner model's name, as in LangChain; ``route=`` still works but is deprecated), or the
    :meth:`force` block. Pickling and ``copy.deepcopy`` keep every setting, the statistics
    and the sticky memory; ``copy.copy``/``model_copy`` give a copy with its own statistics.

    Example:
        >>> from llama_index.core.llms import MockLLM
        >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random", threshold=1.0)
        >>> llm.complete("hi").additional_kwargs["routellm"]["route"]
        'weak'
        >>> llm.complete("hi", model="strong").additional_kwargs["routellm"]["reason"]
        'forced'
    """

    strong: LLM | None = Field(default=None, exclude=True,
                               description="The strong (expensive) LLM.")
    weak: LLM | None = Field(default=None, exclude=True, description="The weak (cheap) LLM.")
    fallback: bool = Field(
        default=False, description="Retry once on the other model when the chosen one raises."
    )

    #: the settings object this class routes with; its fields are the routing arguments
    _SETTINGS: ClassVar[type[RoutingSettings] | type[LadderSettings]] = RoutingSettings
    _FIELDS: ClassVar[dict[str, str]] = wrapper_fields(RoutingSettings, _RENAMED)
    #: arguments beside the routing fields and the LLM fields
    _OWN_ARGUMENTS: ClassVar[tuple[str, ...]] = ("fallback", "callback_manager", "recorder")

    _engine: RoutingEngine = PrivateAttr()
    _force: ContextVar[str | None] = PrivateAttr()
    _thread: ContextVar[str | None] = PrivateAttr()
    _question: ContextVar[str | None] = PrivateAttr()
    _configured: ContextVar[RoutingEngine | None] = PrivateAttr()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # RouteLLM(models={...}) is a ladder: the subclass defined below, in this module
        if cls is RouteLLM and "models" in kwargs:
            cls = RouteLLMLadder
        return super().__new__(cls)

    def __init__(
        self,
        strong: LLM,
        weak: LLM,
        *,
        router: RouterSpec = "default",
        strong_fraction: float | None = None,
        threshold: float | None = None,
        calibration_window: int | None = None,
        pair: PairSpec = None,
        aliases: Mapping[str, str] | None = None,
        momentum: float | None = None,
        routing_text: RoutingTextPolicy = "question",
        sticky: bool = False,
        on_router_error: Route = "strong",
        fallback: bool = False,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
        embed_model: BaseEmbedding | None = None,
        on_route: OnRoute = None,
        callback_manager: CallbackManager | None = None,
        recorder: TrafficRecorder | None = None,
        **kwargs: Any,
    ) -> None:
        _check_llm("strong", strong)
        _check_llm("weak", weak)
        self._init_routed(
            {"strong": strong, "weak": weak, "router": router, "strong_fraction": strong_fraction,
             "threshold": threshold, "calibration_window": calibration_window,
             "pair": pair, "aliases": aliases, "momentum": momentum, "routing_text": routing_text, "sticky": sticky,
             "on_router_error": on_router_error, "prices": prices, "embed_model": embed_model,
             "on_route": on_route},
            {"strong": strong, "weak": weak}, fallback, callback_manager, recorder, kwargs)

    def _init_routed(self, values: dict[str, Any], own: dict[str, Any], fallback: bool,
                     callback_manager: CallbackManager | None,
                     recorder: TrafficRecorder | None, kwargs: dict[str, Any]) -> None:
        """Build the engine from the routing arguments (``values``, by wrapper name), then the
        LLM with its own fields (``own``) and ``kwargs`` (other ``LLM`` fields)."""
        for key in [k for k in kwargs if k in _ALL_ROUTING_FIELDS]:
            if kwargs.pop(key) is not None:  # a setting of the other mode
                raise other_mode_error(key, self._SETTINGS)
        unknown = sorted(set(kwargs) - _LLM_FIELDS)
        if unknown:
            raise unknown_name("RouteLLM argument", unknown[0], self._arguments())
        settings = self._SETTINGS(**self._settings_of(values))
        engine = RoutingEngine.from_settings(settings, recorder=recorder)
        FunctionCallingLLM.__init__(
            self, **own, fallback=fallback,
            callback_manager=callback_manager or CallbackManager([]), **kwargs)
        self._engine = engine
        self._new_context_vars()
        if callback_manager is not None:
            self._share_callback_manager(callback_manager)

    @classmethod
    def _arguments(cls) -> list[str]:
        """Every keyword this class accepts, for the error on an unknown one."""
        return sorted({*cls._FIELDS, *cls._OWN_ARGUMENTS, *_LLM_FIELDS})

    def _settings_of(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Routing arguments (by wrapper name) as engine settings (by setting name)."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("strong", "weak"):
                value = _llm_name(value)
            elif name == "embed_model":
                value = LlamaIndexEmbedder(value) if value is not None else None
            elif name == "models":
                value = tuple(value)
            out[self._FIELDS[name]] = value
        return out

    def route_models(self) -> dict[str, LLM]:
        """The inner LLMs by route (``strong``/``weak``, or a ladder's model names)."""
        assert self.strong is not None and self.weak is not None  # checked at construction
        return {"strong": self.strong, "weak": self.weak}

    def _new_context_vars(self) -> None:
        uid = f"{id(self):x}"
        self._force = ContextVar(f"routellm_force_{uid}", default=None)
        self._thread = ContextVar(f"routellm_thread_{uid}", default=None)
        self._question = ContextVar(f"routellm_question_{uid}", default=None)
        self._configured = ContextVar(f"routellm_configured_{uid}", default=None)

    # ---- copies and pickling ------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state = BaseModel.__getstate__(self)
        private = dict(state.get("__pydantic_private__") or {})
        for key in ("_force", "_thread", "_question", "_configured"):  # per-object, recreated
            private.pop(key, None)
        state["__pydantic_private__"] = private
        return state

    def __getstate__(self) -> dict[str, Any]:
        """Everything, routing settings, statistics and sticky memory included (LlamaIndex's
        own pickling would rebuild the object with default settings). An inner model that
        cannot be pickled is an error that names it; a callback manager that cannot is
        replaced by an empty one, with a warning, as LlamaIndex does for its components."""
        self._check_inner_models("pickle", pickle.dumps)
        state = self._state()
        try:
            pickle.dumps(state["__dict__"].get("callback_manager"))
        except Exception:
            logger.warning("RouteLLM: the callback manager cannot be pickled; the copy gets an "
                           "empty one")
            state["__dict__"] = {**state["__dict__"], "callback_manager": CallbackManager([])}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        BaseModel.__setstate__(self, state)  # not LlamaIndex's, which calls __init__ again
        self._new_context_vars()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> RouteLLM:
        """A deep copy with the same settings, statistics and sticky memory."""
        memo = {} if memo is None else memo
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        try:
            state = copy.deepcopy(self._state(), memo)
        except Exception as exc:
            self._check_inner_models("deepcopy", copy.deepcopy, cause=exc)
            raise
        new.__setstate__(state)
        return new

    def __copy__(self) -> RouteLLM:
        """A shallow copy (the same inner models) with its own engine: statistics from zero,
        empty sticky memory."""
        new = type(self).__new__(type(self))
        BaseModel.__setstate__(new, {**self._state(), "__dict__": dict(self.__dict__)})
        new._engine = self._engine.copy()
        new._new_context_vars()
        return new

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with its own engine (statistics from zero, empty sticky memory); routing
        settings in ``update`` are validated and applied as on assignment (a setting replaces
        its partners: a ``threshold`` the original's ``strong_fraction``, and the reverse)."""
        upd = dict(update or {})
        routing = {k: upd.pop(k) for k in list(upd)
                   if k in _ALL_ROUTING_FIELDS and k not in ("strong", "weak", "models")}
        for key in routing:
            if key not in self._FIELDS:
                raise other_mode_error(key, self._SETTINGS)
        for key in ("strong", "weak"):
            if key in upd:
                _check_llm(key, upd[key])
                routing[key] = upd[key]
        changes = self._settings_of(routing)
        # validated before anything is copied: an invalid value raises and copies nothing
        self._engine.settings_object.changed(**changes).check()
        new = super().model_copy(update=upd, deep=deep)
        new._engine = self._engine.copy(**changes)
        return new

    def _check_inner_models(self, action: str, fn: Callable[[Any], Any],
                            cause: BaseException | None = None) -> None:
        """Raise the error that names the inner model ``fn`` (``pickle.dumps``,
        ``copy.deepcopy``) fails on, if one does."""
        error = inner_model_copy_error(
            "RouteLLM", action, self.route_models(), fn,
            "use inner models that can, or copy.copy(llm), which shares them")
        if error is not None:
            raise error from (cause or error.__cause__)

    # ---- configuration ------------------------------------------------------------------------
    @classmethod
    def class_name(cls) -> str:
        return "RouteLLM"

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a routing setting (``llm.threshold = 0.6``, ``llm.tolerance = 0.1``)
        reconfigures the engine, validated as in the constructor (statistics and sticky memory
        are kept; an invalid value raises and changes nothing); a setting replaces its
        partners, as in LangChain's ``RouteLLMChat``."""
        engine = (self.__pydantic_private__ or {}).get("_engine")
        if engine is not None and name in _ALL_ROUTING_FIELDS:
            if name not in self._FIELDS:
                raise other_mode_error(name, self._SETTINGS)
            if name in ("strong", "weak"):
                _check_llm(name, value)
            changes = self._settings_of({name: value})
            engine.settings_object.changed(**changes).check()  # nothing changes on an error
            if name in _MODEL_FIELDS:
                super().__setattr__(name, value)
            engine.configure(**changes)
            if name in ("strong", "weak") and self.callback_manager is not None:
                self._share_callback_manager(self.callback_manager)
            return
        super().__setattr__(name, value)
        # LlamaIndex hands its callback manager to the LLM it was given (Settings.llm, response
        # synthesizers, chat engines); the inner models emit the events, so they need it too.
        if name == "callback_manager" and value is not None and engine is not None:
            self._share_callback_manager(value)

    def _share_callback_manager(self, cm: CallbackManager) -> None:
        for m in self.route_models().values():
            if m.callback_manager is not cm:
                m.callback_manager = cm

    @property
    def engine(self) -> RoutingEngine:
        """The shared :class:`~routellm_core.routing.engine.RoutingEngine` (router, threshold, ...)."""
        return self._engine

    @property
    def stats(self) -> RoutingStats:
        """Calls, tokens, cost and savings per route; ``stats.snapshot()`` for a copy."""
        return self._engine.stats

    @property
    def threshold(self) -> float:
        return self._engine.threshold

    @property
    def metadata(self) -> LLMMetadata:
        """The intersection of the inner models' metadata: the smallest context window and
        output budget, capabilities only when every model has them."""
        models = list(self.route_models().values())
        metas = [m.metadata for m in models]

        def smallest(values: list[int]) -> int:
            # non-positive values mean "unknown" (MockLLM reports num_output=-1)
            known = [v for v in values if v is not None and v > 0]
            return min(known) if known else values[0]

        fc = all(m.is_function_calling_model for m in metas) and all(
            isinstance(m, FunctionCallingLLM) for m in models)
        roles = {m.system_role for m in metas}
        return LLMMetadata(
            context_window=smallest([m.context_window for m in metas]),
            num_output=smallest([m.num_output for m in metas]),
            is_chat_model=all(m.is_chat_model for m in metas),
            is_function_calling_model=fc,
            model_name="routellm(" + "|".join(self._engine.names.values()) + ")",
            system_role=roles.pop() if len(roles) == 1 else MessageRole.SYSTEM,
        )

    def model(self, route: Route) -> LLM:
        """The inner model of a route."""
        return self.route_models()[route]

    # ---- forced routes and conversations ------------------------------------------------------
    @contextmanager
    def force(self, route: str) -> Iterator[None]:
        """Send every call made inside the block to one model, e.g. through a query engine.

        Args:
            route: ``"strong"``, ``"weak"`` or an inner model's name.

        Example:
            >>> from llama_index.core.llms import MockLLM
            >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random")
            >>> with llm.force("weak"):
            ...     llm.complete("hard question").additional_kwargs["routellm"]["route"]
            'weak'
        """
        self._engine.resolve_force(route)  # fail here on a bad name, not at the call
        token = self._force.set(route)
        try:
            yield
        finally:
            self._force.reset(token)

    @contextmanager
    def configured(self, **settings: Any) -> Iterator[None]:
        """Route the calls made inside the block with other settings (per-call configuration,
        as ``configurable_fields`` in LangChain): an engine derived from this one
        (:meth:`~routellm_core.routing.engine.RoutingEngine.variant`) that shares its router,
        statistics and sticky memory; a setting replaces its partners (a ``threshold`` this
        model's ``strong_fraction``, a ``tolerance`` its ``cost_weight``, and the reverse).

        Raises:
            ConfigError: a bad value, a setting of the other mode, or ``prices`` (the
                statistics are shared).
            UnknownNameError: not a routing setting (the valid ones are listed).

        Example:
            >>> from llama_index.core.llms import MockLLM
            >>> llm = RouteLLM(strong=MockLLM(), weak=MockLLM(), router="random",
            ...                strong_fraction=0.5)
            >>> with llm.configured(threshold=1.0):
            ...     llm.complete("hi").additional_kwargs["routellm"]["threshold"]
            1.0
        """
        for key in settings:
            if key in _ALL_ROUTING_FIELDS and key not in self._FIELDS:
                raise other_mode_error(key, self._SETTINGS)
            if key not in self._FIELDS or key in ("strong", "weak", "models"):
                raise unknown_name("routing setting", key,
                                   [f for f in self._FIELDS if f not in ("strong", "weak", "models")])
        token = self._configured.set(self._engine.variant(**self._settings_of(settings)))
        try:
            yield
        finally:
            self._configured.reset(token)

    def _current_engine(self) -> RoutingEngine:
        """The engine of this call: a :meth:`configured` block's, else this model's."""
        return self._configured.get() or self._engine

    @contextmanager
    def conversation(self, thread_id: str) -> Iterator[None]:
        """Name the conversation of the calls inside the block (for ``sticky=True``)."""
        token = self._thread.set(thread_id)
        try:
            yield
        finally:
            self._thread.reset(token)

    # ---- deciding -----------------------------------------------------------------------------
    def _pending(
        self, messages: Sequence[ChatMessage] | None, prompt: str | None, kwargs: dict[str, Any],
        engine: RoutingEngine,
    ) -> _Pending:
        force = kwargs.pop(FORCE_KWARG, None)
        legacy = kwargs.pop(ROUTE_KWARG, None)
        if legacy is not None:
            warnings.warn(
                "RouteLLM: route= is deprecated; force a route with model= (as in LangChain's "
                "RouteLLMChat): model='strong', model='weak' or an inner model's name",
                DeprecationWarning,
                stacklevel=4,
            )
            force = force if force is not None else legacy
        force = force or self._force.get()
        thread = kwargs.pop(THREAD_KWARG, None) or self._thread.get()
        if messages is None:
            messages = [ChatMessage(role=MessageRole.USER, content=prompt or "")]
        turns = to_turns(messages)
        # the core's check, shared with LangChain: an image, audio or a tool call is content
        check_prompt(turns, self._question.get(), media=any(
            not isinstance(b, TextBlock) for m in messages for b in m.blocks))
        if force is None and thread is None and engine.remembers_threads:
            # without a named conversation, the first user message identifies it: chat
            # engines and agents resend the whole history on every turn
            first = next((t.text for t in turns if t.role == "user"), None)
            if first is not None:
                thread = "auto:" + hashlib.sha1(first.encode("utf-8")).hexdigest()
        return _Pending(turns, list(messages), self._question.get(), force, thread)

    def _emit(self, decision: RouteDecision, method: str) -> RouteDecision:
        dispatcher.event(RouteDecisionEvent.from_decision(decision, method=method))
        return decision

    def _decide(self, method: str, kwargs: dict[str, Any],
                messages: Sequence[ChatMessage] | None = None,
                prompt: str | None = None) -> RouteDecision:
        engine = self._current_engine()
        p = self._pending(messages, prompt, kwargs, engine)
        return self._emit(engine.decide_turns(p.turns, **p.args()), method)

    async def _adecide(self, method: str, kwargs: dict[str, Any],
                       messages: Sequence[ChatMessage] | None = None,
                       prompt: str | None = None) -> RouteDecision:
        engine = self._current_engine()
        p = self._pending(messages, prompt, kwargs, engine)
        return self._emit(await engine.adecide_turns(p.turns, **p.args()), method)

    # ---- calls: routellm_core.routing.dispatch.RoutedCall runs them ---------------------------------
    # Each method runs the chosen model's method of the same name: ``fn(route)`` calls it.
    def _routed(
        self, decision: RouteDecision, method: str, prompt_text: Callable[[], str]
    ) -> RoutedCall:
        # a configured block's engine shares this one's statistics, recorder and names
        return RoutedCall(self._engine, decision, fallback=self.fallback,
                          on_fallback=lambda d: self._emit(d, method), prompt=prompt_text)

    def _delegate(self, method: str, decision: RouteDecision, fn: Callable[[Route], Any],
                  prompt_text: Callable[[], str]) -> Any:
        call = self._routed(decision, method, prompt_text)
        if method.startswith("stream"):
            # The inner stream is opened now (the inner model's start event fires now); a
            # failure before the first chunk may still fall back, a failure after it cannot.
            # The shadow call streams the other model to its end, in the background.
            return call.stream(fn, opened=call.attempt(fn), tally=LastTally(_read), tag=_tag,
                               shadow=lambda r: _last(fn(r)), read=_read)
        response = call.run(fn, read=_read, shadow=fn)
        response.additional_kwargs[TAG_KEY] = call.record
        return response

    async def _adelegate(self, method: str, decision: RouteDecision,
                         fn: Callable[[Route], Awaitable[Any]],
                         prompt_text: Callable[[], str]) -> Any:
        call = self._routed(decision, method, prompt_text)
        if method.startswith("astream"):
            opened = await call.aattempt(fn)

            async def shadow(route: Route) -> Any:
                return await _alast(await fn(route))
            return call.astream(fn, opened=opened, tally=LastTally(_read), tag=_tag,
                                shadow=shadow, read=_read)
        response = await call.arun(fn, read=_read, shadow=fn)
        response.additional_kwargs[TAG_KEY] = call.record
        return response

    # ---- tools --------------------------------------------------------------------------------
    def _fc(self, route: Route) -> FunctionCallingLLM:
        m = self.model(route)
        if not isinstance(m, FunctionCallingLLM):
            raise RouteLLMError(
                f"the {route} model ({type(m).__name__}) does not support tool calling; use two "
                "function-calling LLMs, or an agent that works without native tool calls "
                "(ReActAgent)"
            )
        return m

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Decide the route, then let the chosen model format the tools its own way."""
        args = _tool_args(user_msg, chat_history, verbose, allow_parallel_tool_calls,
                          tool_required, kwargs)
        decision: RouteDecision | None = args.pop(_DECIDED, None)
        if decision is None:
            decision = self._decide("chat_with_tools", args, _tool_messages(args))
        else:
            for k in (FORCE_KWARG, ROUTE_KWARG, THREAD_KWARG):
                args.pop(k, None)
        out = self._fc(decision.route)._prepare_chat_with_tools_compat(tools, **args)
        out[_PREPARED] = _Prepared(decision, {"tools": tools, **args})
        return out

    async def _decided_tool_args(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """The tool-call arguments with the decision made here, off the event loop
        (``_prepare_chat_with_tools`` then prepares as in the sync path)."""
        args[_DECIDED] = await self._adecide(method, args, _tool_messages(args))
        return args

    async def achat_with_tools(  # type: ignore[override]
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        args = _tool_args(user_msg, chat_history, verbose, allow_parallel_tool_calls,
                          tool_required, kwargs)
        args = await self._decided_tool_args("achat_with_tools", args)
        return await super().achat_with_tools(tools, **args)

    async def astream_chat_with_tools(  # type: ignore[override]
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        args = _tool_args(user_msg, chat_history, verbose, allow_parallel_tool_calls,
                          tool_required, kwargs)
        args = await self._decided_tool_args("astream_chat_with_tools", args)
        return await super().astream_chat_with_tools(tools, **args)

    def _answered_by(self, response: ChatResponse) -> FunctionCallingLLM:
        tag = response.additional_kwargs.get(TAG_KEY) or {}
        return self._fc(tag.get("route", "strong"))

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Parse tool calls with the model that produced ``response``."""
        return self._answered_by(response).get_tool_calls_from_response(
            response, error_on_no_tool_call=error_on_no_tool_call, **kwargs
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        for k in (_DECIDED, FORCE_KWARG, ROUTE_KWARG, THREAD_KWARG):
            kwargs.pop(k, None)
        return self._answered_by(response)._validate_chat_with_tools_response(
            response, tools, allow_parallel_tool_calls=allow_parallel_tool_calls, **kwargs
        )

    def _tool_call(
        self,
        prepared: _Prepared | None,
        route: Route,
        messages: Sequence[ChatMessage],
        kwargs: dict[str, Any],
    ) -> tuple[Sequence[ChatMessage], dict[str, Any]]:
        """Messages and kwargs for ``route``: re-prepared when a fallback left the chosen model."""
        if prepared is None or route == prepared.decision.route:
            return messages, kwargs
        args = dict(prepared.args)
        out = self._fc(route)._prepare_chat_with_tools_compat(args.pop("tools"), **args)
        return out.pop("messages"), out

    # ---- chat ---------------------------------------------------------------------------------
    @staticmethod
    def _messages_text(messages: Sequence[ChatMessage]) -> Callable[[], str]:
        return lambda: "\n".join(m.content or "" for m in messages)

    def _chat_fn(self, method: str, prepared: _Prepared | None, messages: Sequence[ChatMessage],
                 kwargs: dict[str, Any]) -> Callable[[Route], Any]:
        def fn(route: Route) -> Any:
            msgs, kw = self._tool_call(prepared, route, messages, kwargs)
            return getattr(self.model(route), method)(msgs, **kw)
        return fn

    def _chat(self, method: str, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Any:
        # decided already when the call comes from _prepare_chat_with_tools
        prepared: _Prepared | None = kwargs.pop(_PREPARED, None)
        decision = prepared.decision if prepared else self._decide(method, kwargs, messages)
        return self._delegate(method, decision, self._chat_fn(method, prepared, messages, kwargs),
                              self._messages_text(messages))

    async def _achat(self, method: str, messages: Sequence[ChatMessage],
                     kwargs: dict[str, Any]) -> Any:
        prepared: _Prepared | None = kwargs.pop(_PREPARED, None)
        decision = (prepared.decision if prepared
                    else await self._adecide(method, kwargs, messages))
        return await self._adelegate(method, decision,
                                     self._chat_fn(method, prepared, messages, kwargs),
                                     self._messages_text(messages))

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat("chat", messages, kwargs)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat("achat", messages, kwargs)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._chat("stream_chat", messages, kwargs)

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return await self._achat("astream_chat", messages, kwargs)

    # ---- completion ---------------------------------------------------------------------------
    def _complete(self, method: str, prompt: str, formatted: bool, kwargs: dict[str, Any]) -> Any:
        decision = self._decide(method, kwargs, prompt=prompt)
        return self._delegate(
            method, decision,
            lambda r: getattr(self.model(r), method)(prompt, formatted=formatted, **kwargs),
            lambda: prompt)

    async def _acomplete(self, method: str, prompt: str, formatted: bool,
                         kwargs: dict[str, Any]) -> Any:
        decision = await self._adecide(method, kwargs, prompt=prompt)
        return await self._adelegate(
            method, decision,
            lambda r: getattr(self.model(r), method)(prompt, formatted=formatted, **kwargs),
            lambda: prompt)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._complete("complete", prompt, formatted, kwargs)

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await self._acomplete("acomplete", prompt, formatted, kwargs)

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return self._complete("stream_complete", prompt, formatted, kwargs)

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await self._acomplete("astream_complete", prompt, formatted, kwargs)

    # ---- RAG-aware routing: remember the question while a prompt template is sent ------------
    @contextmanager
    def _question_from(
        self, prompt: BasePromptTemplate, prompt_args: dict[str, Any]
    ) -> Iterator[None]:
        question = None
        for key in QUESTION_KEYS:
            value = prompt_args.get(key, (getattr(prompt, "kwargs", None) or {}).get(key))
            if isinstance(value, str) and value.strip():
                question = value
                break
        token = self._question.set(question)
        try:
            yield
        finally:
            self._question.reset(token)

    def predict(self, prompt: BasePromptTemplate, **prompt_args: Any) -> str:
        with self._question_from(prompt, prompt_args):
            return super().predict(prompt, **prompt_args)

    async def apredict(self, prompt: BasePromptTemplate, **prompt_args: Any) -> str:
        with self._question_from(prompt, prompt_args):
            return await super().apredict(prompt, **prompt_args)

    def stream(self, prompt: BasePromptTemplate, **prompt_args: Any) -> Any:
        # the route is decided when the inner stream is created, inside this block
        with self._question_from(prompt, prompt_args):
            return super().stream(prompt, **prompt_args)

    async def astream(self, prompt: BasePromptTemplate, **prompt_args: Any) -> Any:
        with self._question_from(prompt, prompt_args):
            return await super().astream(prompt, **prompt_args)

    def structured_predict(
        self,
        output_cls: Any,
        prompt: Any,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        with self._question_from(prompt, prompt_args):
            return super().structured_predict(
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )

    async def astructured_predict(
        self,
        output_cls: Any,
        prompt: Any,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        with self._question_from(prompt, prompt_args):
            return await super().astructured_predict(
                output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args
            )


#: ``LLM`` fields RouteLLM passes on (``system_prompt``, ...); other extra keywords are errors
_LLM_FIELDS = frozenset(LLM.model_fields) - {"callback_manager", "strong", "weak", "fallback"}


class RouteLLMLadder(RouteLLM):
    """A LlamaIndex LLM that sends each call to one model of a priced ladder.

    Built by ``RouteLLM(models={...}, ...)`` (or directly). Chat, completion, streaming,
    async, tools (``FunctionAgent``), structured prediction, forced routes
    (``model="llama-8b"``, ``"top"``, ``"bottom"``), sticky conversations, fallback to the next
    model up the ladder, statistics per model, assignment (``llm.tolerance = 0.1``) and copies
    work as with two models; the routing arguments are the ladder's settings
    (:class:`~routellm_core.routing.settings.LadderSettings`).

    Args:
        models: ``{name: LLM}``, at least two; the names are the routes (decisions,
            statistics, forced routes, prices); ``"top"`` and ``"bottom"`` are refused.
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

    models: dict[str, LLM] = Field(exclude=True, description="The ladder's LLMs by name.")

    _SETTINGS: ClassVar[type[RoutingSettings] | type[LadderSettings]] = LadderSettings
    _FIELDS: ClassVar[dict[str, str]] = wrapper_fields(LadderSettings, _RENAMED)
    _OWN_ARGUMENTS: ClassVar[tuple[str, ...]] = ("fallback", "callback_manager")

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
        check_ladder_models(models, "LLM", "models={'gpt-4o': OpenAI(model='gpt-4o'), "
                            "'llama-8b': Ollama(model='llama3.1:8b')}")
        assert isinstance(models, Mapping)
        for name, m in models.items():
            _check_llm(f"models[{name!r}]", m)
        self._init_routed(
            {"models": list(models), "prices": prices, "router": router, "aliases": aliases,
             "tolerance": tolerance, "cost_weight": cost_weight, "target_cost": target_cost,
             "calibration_prompts": calibration_prompts, "output_tokens": output_tokens,
             "routing_text": routing_text, "sticky": sticky, "on_router_error": on_router_error,
             "embed_model": embed_model, "on_route": on_route},
            {"models": dict(models)}, fallback, callback_manager, None, kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "RouteLLMLadder"

    @property
    def engine(self) -> LadderEngine:
        """The :class:`~routellm_core.routing.engine.LadderEngine` (ladder, knob, statistics)."""
        engine = self._engine
        assert isinstance(engine, LadderEngine)
        return engine

    def route_models(self) -> dict[str, LLM]:
        """The ladder's LLMs by name."""
        return self.models


def _last(stream: Any) -> Any:
    """The last chunk of a LlamaIndex stream (each chunk holds the answer so far)."""
    last = None
    for last in stream:  # noqa: B007 - the loop keeps the last chunk
        pass
    return last


async def _alast(stream: Any) -> Any:
    """:func:`_last` for an async stream."""
    last = None
    async for last in stream:  # noqa: B007
        pass
    return last


def _add_setting_readers(cls: type[RouteLLM]) -> None:
    """Give ``cls`` a read-only property per routing setting it takes (``llm.strong_fraction``,
    ``llm.tolerance``): the value the engine holds, after assignments and partners. Derived
    from the settings object; ``threshold`` keeps its own property (the threshold in force)."""
    for name, setting in cls._FIELDS.items():
        if name in _MODEL_FIELDS or name in vars(RouteLLM) or name in vars(cls):
            continue

        def read(self: RouteLLM, _setting: str = setting) -> Any:
            settings = self._engine.settings
            if _setting not in settings:  # a two-model setting read on a ladder
                raise AttributeError(str(other_mode_error(_setting, type(self)._SETTINGS)))
            return settings[_setting]
        setattr(cls, name, property(read, doc=f"The ``{setting}`` setting in force."))


_add_setting_readers(RouteLLM)
_add_setting_readers(RouteLLMLadder)
