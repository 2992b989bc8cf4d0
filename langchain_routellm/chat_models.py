"""``RouteLLMChat``: a LangChain chat model that routes each call to a strong or a weak model.

The wrapper holds no routing logic of its own. For every call it turns the LangChain messages
into :class:`~routellm_core.routing.engine.Turn` records, asks a
:class:`~routellm_core.routing.engine.RoutingEngine` for a decision, calls the chosen inner model's
own hook (``_generate``, ``_agenerate``, ``_stream`` or ``_astream``) with the wrapper's run
manager, and reports the token usage back. So each call is exactly one LLM run for every
callback handler, and usage is counted once.

Example:
    >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
    >>> llm = RouteLLMChat(
    ...     strong=FakeListChatModel(responses=["strong answer"]),
    ...     weak=FakeListChatModel(responses=["weak answer"]),
    ...     router="random",
    ...     strong_fraction=0.5,
    ... )
    >>> msg = llm.invoke("What is 2 + 2?", model="weak")  # a forced route
    >>> msg.content, msg.response_metadata["routellm"]["route"]
    ('weak answer', 'weak')
    >>> llm.stats.snapshot().calls
    {'strong': 0, 'weak': 1}
"""

from __future__ import annotations

import copy
import inspect
import pickle
import sys
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextvars import ContextVar
from typing import Any, ClassVar

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    BaseCallbackHandler,
    CallbackManagerForLLMRun,
)
from langchain_core.callbacks.manager import ahandle_event, dispatch_custom_event, handle_event
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult, LLMResult
from langchain_core.runnables import (
    Runnable,
    RunnableBinding,
    RunnableConfig,
    RunnableSerializable,
)
from langchain_core.runnables.config import ensure_config, merge_configs
from langchain_core.runnables.configurable import RunnableConfigurableFields
from langchain_core.runnables.utils import AnyConfigurableField
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SecretStr,
    SkipValidation,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from routellm_core.errors import ConfigError, unknown_name
from routellm_core.routers.base import Router
from routellm_core.routing.decisions import RouteDecision, RoutingStats
from routellm_core.routing.dispatch import Reply, RoutedCall, SumTally, account_usage
from routellm_core.routing.engine import LadderEngine, RoutingEngine
from routellm_core.routing.ladder import DEFAULT_OUTPUT_TOKENS
from routellm_core.routing.long_text import check_prompt
from routellm_core.routing.pairs import PairSpec
from routellm_core.routing.recorder import TrafficRecorder, check_recorder
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
from routellm_core.scoring.embeddings import Embedder

__all__ = ["RouteLLMChat", "RouteLLMLadderChat", "messages_to_turns", "ROUTE_EVENT"]

#: a route: "strong" or "weak", or a ladder model's name
Route = str

#: config["configurable"] keys read as the conversation id for sticky routing
THREAD_KEYS = ("thread_id", "session_id")
#: call kwargs the wrapper consumes (never forwarded to the inner model)
_THREAD_KWARG = "thread_id"
#: private binding key carrying bind_tools' extra keyword arguments to call time
_TOOL_KWARGS = "routellm_tool_kwargs"
#: Name of the custom event dispatched with each decision's record (``astream_events``
#: ``on_custom_event``, LangSmith run events, ``on_custom_event`` of callback handlers).
ROUTE_EVENT = "routellm_route"
#: wrapper fields that hold a setting of another name (the engine gets the inner models' names
#: and an embedder)
_RENAMED = {"strong": "strong_name", "weak": "weak_name", "embeddings": "embedder"}
_ALL_ROUTING_FIELDS = all_wrapper_fields(_RENAMED)
#: the model a per-call configured copy (configurable_fields) is derived from
_CONFIGURED_FROM: ContextVar[RouteLLMChat | None] = ContextVar("routellm_configured_from",
                                                               default=None)

def _role(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, (ToolMessage, FunctionMessage)):
        return "tool"
    return turn_role(message.role if isinstance(message, ChatMessage) else message.type)


def messages_to_turns(messages: Sequence[BaseMessage]) -> list[Turn]:
    """LangChain messages as framework-neutral :class:`~routellm_core.routing.engine.Turn` records.

    Only the text of each message is kept (images and other blocks are not routed on). A
    ``ChatMessage``'s role, or another message's type, is mapped by
    :func:`~routellm_core.routing.engine.turn_role` (as in LlamaIndex): an unknown role is a user turn.

    Example:
        >>> from langchain_core.messages import AIMessage, ChatMessage, HumanMessage
        >>> messages_to_turns([HumanMessage("hi"), AIMessage("hello"),
        ...                    ChatMessage(role="customer", content="and?")])
        [Turn(role='user', text='hi'), Turn(role='assistant', text='hello'), Turn(role='user', text='and?')]
    """
    return [Turn(_role(m), m.text) for m in messages]


def _checked_turns(messages: Sequence[BaseMessage]) -> list[Turn]:
    """:func:`messages_to_turns`, refusing a prompt with no text (the core's check, shared
    with LlamaIndex); an image or a tool call is content, so such a call is not refused."""
    turns = messages_to_turns(messages)
    media = any(
        getattr(m, "tool_calls", None)
        or (isinstance(m.content, list)
            and any(isinstance(b, dict) and b.get("type") not in (None, "text") for b in m.content))
        for m in messages
    )
    check_prompt(turns, media=media)
    return turns


def _model_name(model: BaseChatModel) -> str:
    """The inner model's name: the ``name=`` the user gave it, else LangChain's
    ``ls_model_name``, else its ``model_name``, ``model`` or ``model_id``, else its class name
    (the rule of :func:`~routellm_core.routing.settings.inner_model_name`, shared with LlamaIndex)."""
    try:
        name = model._get_ls_params().get("ls_model_name")
    except Exception:  # a provider's _get_ls_params is not ours to trust
        name = None
    return inner_model_name(
        getattr(model, "name", None), name,
        *(getattr(model, a, None) for a in ("model_name", "model", "model_id")),
        fallback=type(model).__name__,
    )


def _intersect_profiles(a: ModelProfile | None, b: ModelProfile | None) -> ModelProfile | None:
    """Capabilities both models have: booleans ANDed, limits minimised, other keys if equal."""
    if not a or not b:
        return None
    out: dict[str, Any] = {}
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]  # type: ignore[literal-required]
        if isinstance(x, bool) and isinstance(y, bool):
            out[key] = x and y
        elif isinstance(x, int) and isinstance(y, int):
            out[key] = min(x, y)
        elif x == y:
            out[key] = x
    return out  # type: ignore[return-value]


def _unwrap(runnable: Any) -> tuple[BaseChatModel, dict[str, Any]]:
    """A bound chat model's underlying model and its bound kwargs (outer bindings win)."""
    kwargs: dict[str, Any] = {}
    while isinstance(runnable, RunnableBinding):
        kwargs = {**runnable.kwargs, **kwargs}
        runnable = runnable.bound
    if not isinstance(runnable, BaseChatModel):
        raise TypeError(
            f"bind_tools on {type(runnable).__name__} did not return a bound chat model; "
            "RouteLLMChat cannot delegate tool calls to it"
        )
    return runnable, kwargs


def _usage(message: BaseMessage) -> tuple[int, int] | None:
    """The provider's (input, output) tokens, or ``None`` when the message reports none."""
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return None
    return int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)


def _messages_text(messages: Sequence[BaseMessage]) -> Callable[[], str]:
    return lambda: "\n".join(m.text for m in messages)


def _read(message: BaseMessage) -> Reply:
    """A message (or chunk) as the core call path reads it: text, reported usage, tool calls
    (streamed ones arrive as ``tool_call_chunks``)."""
    u = _usage(message)
    calls = [{"name": c.get("name"), "args": c.get("args")}
             for c in (getattr(message, "tool_calls", None) or [])]
    if not calls:
        calls = [{"name": c.get("name"), "args": c.get("args")}
                 for c in (getattr(message, "tool_call_chunks", None) or []) if c.get("name")]
    tin, tout = u if u is not None else (None, None)
    return Reply(message.text, tin, tout, calls)


def _read_chunk(chunk: ChatGenerationChunk) -> Reply:
    return _read(chunk.message)


def _read_result(result: ChatResult) -> Reply:
    """A result's generations added up (one in practice)."""
    tally = SumTally(_read)
    for gen in result.generations:
        tally.add(gen.message)
    return tally.reply()


def _caller_run_manager() -> CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None:
    """The run manager of the LangChain method that drives ``_stream``/``_astream``.

    ``BaseChatModel.stream``/``astream`` (and ``_generate_with_cache`` when it streams) do not
    pass their run manager to ``_stream``/``_astream``; it is a local variable of theirs.
    Only those methods of ``BaseChatModel`` are trusted; anything else gives ``None``, and the
    decision is then only on the response (``response_metadata["routellm"]``).
    """
    try:
        frame = sys._getframe(2)  # 0: this function, 1: our hook, 2: who iterates it
    except ValueError:
        return None
    if frame.f_code not in _HOOK_CALLERS:
        return None
    rm = frame.f_locals.get("run_manager")
    if isinstance(rm, (CallbackManagerForLLMRun, AsyncCallbackManagerForLLMRun)):
        return rm
    return None


_HOOK_CALLERS = frozenset(
    getattr(BaseChatModel, name).__code__
    for name in ("stream", "astream", "_generate_with_cache", "_agenerate_with_cache")
    if hasattr(getattr(BaseChatModel, name, None), "__code__")
)


def _mark_run(run_manager: Any, decision: RouteDecision) -> bool:
    """Report the chosen model as the run's ``ls_model_name`` (the metadata dict handlers
    and tracers keep for the run); returns whether a custom event should be dispatched."""
    if run_manager is None:
        return False
    metadata = getattr(run_manager, "metadata", None)
    if isinstance(metadata, dict):
        metadata["ls_model_name"] = decision.model
    return bool(run_manager.handlers)


def _announce(run_manager: CallbackManagerForLLMRun | None, decision: RouteDecision) -> None:
    """Dispatch the :data:`ROUTE_EVENT` custom event under the chat model's run (what
    ``dispatch_custom_event`` does inside a runnable, with the run manager we hold)."""
    if _mark_run(run_manager, decision):
        assert run_manager is not None
        handle_event(run_manager.handlers, "on_custom_event", "ignore_custom_event",
                     ROUTE_EVENT, decision.to_dict(), run_id=run_manager.run_id,
                     tags=run_manager.tags, metadata=run_manager.metadata)


async def _aannounce(run_manager: AsyncCallbackManagerForLLMRun | None,
                     decision: RouteDecision) -> None:
    if _mark_run(run_manager, decision):
        assert run_manager is not None
        await ahandle_event(run_manager.handlers, "on_custom_event", "ignore_custom_event",
                            ROUTE_EVENT, decision.to_dict(), run_id=run_manager.run_id,
                            tags=run_manager.tags, metadata=run_manager.metadata)


def _announce_any(run_manager: Any, decision: RouteDecision) -> Any:
    """:func:`_announce` for a sync or async run manager (a coroutine for the async one)."""
    if isinstance(run_manager, AsyncCallbackManagerForLLMRun):
        return _aannounce(run_manager, decision)
    _announce(run_manager, decision)
    return None


def _announce_in_context(config: RunnableConfig | None, decision: RouteDecision) -> None:
    """The custom event from a runnable without a run of its own (structured output): under
    the caller's run when there is one."""
    cfg = ensure_config(config)
    if cfg.get("callbacks") is None:
        return
    try:
        dispatch_custom_event(ROUTE_EVENT, decision.to_dict(), config=cfg)
    except RuntimeError:  # no parent run to attach the event to
        pass


def _as_chunk(result: ChatResult) -> ChatGenerationChunk:
    """A whole answer as the one chunk of a stream (a model that does not stream)."""
    gen = result.generations[0]
    chunk = AIMessageChunk(**gen.message.model_dump(exclude={"type"}))
    chunk.chunk_position = "last"
    return ChatGenerationChunk(message=chunk, generation_info=gen.generation_info)


def _tag(message: BaseMessage, record: dict[str, Any]) -> None:
    """Put the decision's record (``RoutedCall.record``) on a message. A fresh dict: the inner
    model may share ``response_metadata`` objects between messages."""
    message.response_metadata = {**message.response_metadata, "routellm": dict(record)}


def _tag_first(chunk: ChatGenerationChunk, record: dict[str, Any], first: bool) -> None:
    # on exactly one chunk: string values concatenate when chunks are merged
    if first:
        _tag(chunk.message, record)


class _UsageRecorder(BaseCallbackHandler):
    """Reports the usage of an inner model's run to the engine (structured-output path)."""

    def __init__(self, engine: RoutingEngine, route: Route) -> None:
        self.engine = engine
        self.route = route
        self.prompt: list[BaseMessage] = []

    def on_chat_model_start(self, serialized: dict[str, Any],
                            messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.prompt = [m for batch in messages for m in batch]

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        tally = SumTally(_read)
        for gens in response.generations:
            for gen in gens:
                msg = getattr(gen, "message", None)
                if msg is not None:
                    tally.add(msg)
        account_usage(self.engine, self.route, tally.reply(), _messages_text(self.prompt))


class _RoutedRunnable(Runnable[LanguageModelInput, Any]):
    """Routes each input, then runs the chosen model's runnable (structured output).

    No run of its own is created: the chosen runnable's runs are the only ones traced, so a
    call is one chat-model run, as with the inner model alone. The decision's custom event
    goes to the caller's run, when there is one.
    """

    name = "RouteLLMStructuredOutput"

    def __init__(self, chat: RouteLLMChat, routes: dict[str, Runnable]) -> None:
        self.chat = chat
        self.routes = routes

    def _config(self, config: RunnableConfig | None, route: Route) -> RunnableConfig:
        recorder = _UsageRecorder(self.chat.engine, route)
        return merge_configs(ensure_config(config), {"callbacks": [recorder]})

    def _messages(self, input: LanguageModelInput) -> list[BaseMessage]:
        return self.chat._convert_input(input).to_messages()

    def _routed(self, decision: RouteDecision, config: RunnableConfig | None) -> RoutedCall:
        _announce_in_context(config, decision)
        return RoutedCall(self.chat.engine, decision, fallback=self.chat.fallback,
                          on_fallback=lambda d: _announce_in_context(config, d))

    def invoke(self, input: LanguageModelInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Any:
        call = self._routed(self.chat._decide(self._messages(input), {}, config), config)
        return call.attempt(
            lambda r: self.routes[r].invoke(input, self._config(config, r), **kwargs))

    async def ainvoke(self, input: LanguageModelInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> Any:
        d = await self.chat._adecide(self._messages(input), {}, config)
        call = self._routed(d, config)
        return await call.aattempt(
            lambda r: self.routes[r].ainvoke(input, self._config(config, r), **kwargs))

    def stream(self, input: LanguageModelInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[Any]:
        # usage is reported by the inner run's callbacks (_UsageRecorder)
        call = self._routed(self.chat._decide(self._messages(input), {}, config), config)
        yield from call.stream(
            lambda r: self.routes[r].stream(input, self._config(config, r), **kwargs))

    async def astream(self, input: LanguageModelInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[Any]:
        d = await self.chat._adecide(self._messages(input), {}, config)
        call = self._routed(d, config)
        async for chunk in call.astream(
                lambda r: self.routes[r].astream(input, self._config(config, r), **kwargs)):
            yield chunk


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


class _NoStructuredOutput(ConfigError, NotImplementedError):
    """An inner model has no structured output: a clear error that callers catching
    ``NotImplementedError`` (as for any chat model without it) still catch."""


class _Field:
    """What a field validator's ``info`` argument offers, for calling it by hand."""

    def __init__(self, field_name: str) -> None:
        self.field_name = field_name


class _ConfigurableRouteLLMChat(RunnableConfigurableFields):
    """``configurable_fields`` of a :class:`RouteLLMChat`: a configured call derives its model
    from the original, sharing the router, statistics and sticky memory
    (:meth:`~routellm_core.routing.engine.RoutingEngine.variant`)."""

    def _prepare(
        self, config: RunnableConfig | None = None
    ) -> tuple[Runnable[Any, Any], RunnableConfig]:
        token = _CONFIGURED_FROM.set(self.default)  # type: ignore[arg-type]
        try:
            return super()._prepare(config)
        finally:
            _CONFIGURED_FROM.reset(token)


class RouteLLMChat(BaseChatModel):
    """A chat model that sends each call to a strong or a weak chat model.

    A learned router scores the routed text (by default the last human message) and sends
    the call to ``strong`` when the score reaches the threshold, else to ``weak``. Tools,
    structured output, streaming, async, batch and event streaming work as with the inner
    models.

    Args:
        strong: the capable, expensive chat model.
        weak: the cheap chat model.
        router: ``"default"`` (the router shipped with the package), ``"random"``, a router
            checkpoint directory, or a :class:`routellm_core.Router` instance.
        strong_fraction: the share of calls (on the router's calibration prompts) to send to
            ``strong``; the threshold is read from the router's calibration table.
        threshold: a raw score threshold instead (score >= threshold routes strong). Give one
            of ``strong_fraction`` and ``threshold``; with neither, half the calls go strong.
        calibration_window: keep the share of strong calls at ``strong_fraction`` on your
            traffic: after 20 calls the threshold follows the ``strong_fraction`` quantile of
            the last this-many router scores (``None``: the calibration table's threshold).
        routing_text: which text is scored: ``"last_user"`` (default: a tool loop stays on
            one model), ``"first_user"``, ``"conversation"``, or a function receiving the
            list of ``BaseMessage`` and returning a string (e.g. the user's question in a RAG
            chain whose prompt holds retrieved context).
        sticky: keep a conversation on the model chosen for its first turn; the conversation
            is ``config["configurable"]["thread_id"]`` (or ``"session_id"``) when the model
            runs inside a chain or graph, or a ``thread_id=`` call argument.
        on_router_error: the route used when the router raises (a warning is logged).
        fallback: if the chosen model raises, retry once on the other model.
        on_route: a callable (or list of callables) receiving each ``RouteDecision``.
        prices: ``{"strong": (in, out), "weak": (in, out)}`` in USD per million tokens, for
            the cost and savings in :attr:`stats`.
        embeddings: a LangChain ``Embeddings`` (or a routellm embedder) for an embedding
            router loaded by name or directory; it must be the model the router was trained on.
        pair: which two models the router scores. ``None`` (default): the router's own
            pair (GPT-4 vs Mixtral for the shipped router). ``"auto"``: the inner models,
            recognised from their names (``ChatOpenAI(model="gpt-4o")``'s ``model_name````) through the API alias map of
            :mod:`routellm_core.routing.pairs`; ``("gpt-4o", "gpt-4o-mini")``: these names. A pair the
            router does not know (or cannot calibrate) falls back to its own pair, logged
            once; the record's ``pair`` says which pair was scored. Off by default: the
            per-model estimates of other pairs did not route better when measured
            (``docs/results.md``).
        aliases: ``{your model name: a model the router knows}`` (an API name such as
            ``"gpt-4o-mini"`` or the router's own spelling) for a model it does not
            recognise, e.g. ``{"my-finetune": "gpt-4o-mini"}``.
        recorder: a :class:`routellm_core.routing.recorder.TrafficRecorder`: append each call (routed
            text, decision, answer) to a local replay log, with optional shadow calls
            (``docs/adapt.md``). Off by default.
        temperature, max_tokens, stop: when set, passed to the chosen model on every call
            (as call arguments; the inner models' own settings apply otherwise).
        timeout, max_retries, api_key: accepted for interface compatibility and not used;
            set them on the inner models, which make the requests.
        streaming: stream from the chosen model even on ``invoke`` (as ``BaseChatModel``).

    Attributes:
        engine: the :class:`~routellm_core.routing.engine.RoutingEngine` (router, threshold, stats).
        stats: the engine's thread-safe :class:`~routellm_core.routing.engine.RoutingStats`.

    Assigning a routing field (``llm.threshold = 0.6``) reconfigures the engine, validated
    like the constructor. ``model_copy``/``copy.copy`` give a model with its own engine and
    statistics; ``copy.deepcopy`` and pickling keep settings, statistics and sticky memory.
    Each decision is dispatched as the custom event :data:`ROUTE_EVENT` under the model's run,
    and the run's ``ls_model_name`` becomes the chosen model's name.

    Example:
        >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
        >>> llm = RouteLLMChat(strong=FakeListChatModel(responses=["S"]),
        ...                    weak=FakeListChatModel(responses=["W"]), router="random")
        >>> llm.invoke("hello").response_metadata["routellm"]["route"] in ("strong", "weak")
        True
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # RouteLLMChat(models={...}) is a ladder: the subclass defined below, in this module
        if cls is RouteLLMChat and "models" in kwargs:
            cls = RouteLLMLadderChat
        return super().__new__(cls)

    #: the settings object this class routes with; its fields are the routing fields
    _SETTINGS: ClassVar[type[RoutingSettings] | type[LadderSettings]] = RoutingSettings
    _FIELDS: ClassVar[dict[str, str]] = wrapper_fields(RoutingSettings, _RENAMED)

    strong: BaseChatModel | None = None
    weak: BaseChatModel | None = None
    # Settings typed SkipValidation are checked by the routing engine (routellm_core.routing.settings),
    # in one place and with its messages, when the engine is built or reconfigured.
    router: SkipValidation[RouterSpec] = "default"
    strong_fraction: SkipValidation[float | None] = None
    threshold: SkipValidation[float | None] = None
    calibration_window: SkipValidation[int | None] = None
    pair: SkipValidation[PairSpec] = None
    aliases: SkipValidation[Mapping[str, str] | None] = None
    momentum: SkipValidation[float | None] = None
    routing_text: SkipValidation[RoutingTextPolicy] = "last_user"
    sticky: SkipValidation[bool] = False
    on_router_error: SkipValidation[str | None] = "strong"
    fallback: bool = False
    on_route: SkipValidation[OnRoute] = None
    prices: SkipValidation[Mapping[str, Any] | None] = None
    embeddings: SkipValidation[Embeddings | Embedder | None] = None
    recorder: SkipValidation[TrafficRecorder | None] = None

    # standard parameters
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    timeout: float | None = None
    max_retries: int | None = None
    api_key: SecretStr | None = None
    streaming: bool = False

    _engine: RoutingEngine = PrivateAttr()
    _assigning: tuple[str, ...] | None = PrivateAttr(default=None)

    # ---- construction ---------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _check_arguments(cls, data: Any) -> Any:
        """Unknown arguments name the closest valid one (as in LlamaIndex); settings of the
        other mode (``tolerance=`` with ``strong=``/``weak=``, ``threshold=`` with ``models=``)
        say which mode they belong to."""
        if not isinstance(data, Mapping):
            return data
        valid = {n for n, f in cls.model_fields.items()} | {
            f.alias for f in cls.model_fields.values() if f.alias}
        for key, value in data.items():
            if key in _ALL_ROUTING_FIELDS and key not in cls._FIELDS and value is not None:
                raise other_mode_error(key, cls._SETTINGS)
            if key not in valid and not str(key).startswith("_"):  # pydantic skips "_" names
                raise unknown_name(f"{cls.__name__} argument", key, sorted(valid))
        if cls._SETTINGS is RoutingSettings:
            for key in ("strong", "weak"):
                if data.get(key) is None:
                    raise ValueError(f"RouteLLMChat needs {key}= (a chat model), or "
                                     "models={...} for a ladder of several models")
        return data

    @field_validator("strong", "weak", mode="before")
    @classmethod
    def _check_chat_model(cls, value: Any, info: Any) -> Any:
        if isinstance(value, BaseChatModel) or value is None:
            return value
        which = info.field_name
        if isinstance(value, str):
            hint = f"build it first, e.g. init_chat_model({value!r})"
        elif isinstance(value, RunnableBinding):
            hint = ("pass the chat model itself and bind tools or settings on RouteLLMChat "
                    "(llm.bind_tools(...), llm.bind(...))")
        elif isinstance(value, Runnable):
            hint = "text-completion LLMs and chains cannot be routed; pass a BaseChatModel"
        else:
            hint = "pass a LangChain chat model such as ChatOpenAI(...) or ChatAnthropic(...)"
        raise ValueError(
            f"RouteLLMChat {which}= must be a LangChain chat model (BaseChatModel), got "
            f"{type(value).__name__}: {hint}"
        )

    @model_validator(mode="after")
    def _build_engine(self) -> Self:
        private = self.__pydantic_private__ or {}
        engine: RoutingEngine | None = private.get("_engine")
        if engine is not None:  # a field assignment (see __setattr__)
            assigning = private.get("_assigning")
            if assigning:
                engine.configure(**self._engine_settings(assigning))
            return self
        parent = _CONFIGURED_FROM.get()
        if parent is not None and type(parent) is type(self):
            self._engine = self._variant_of(parent)
        else:
            self._engine = self._new_engine()
        return self

    def _new_engine(self) -> RoutingEngine:
        settings = self._SETTINGS(**self._engine_settings(self._FIELDS))
        return RoutingEngine.from_settings(settings, recorder=self.recorder)

    def _embedder(self) -> Any:
        embedder = self.embeddings
        if embedder is None:
            return None
        if isinstance(self.router, Router):
            raise ValueError(
                "embeddings= applies when the router is loaded by name or directory; "
                "give your Router instance its embedder when you build it"
            )
        if isinstance(embedder, Embeddings):
            from .embeddings import LangChainEmbedder

            embedder = LangChainEmbedder(embedder)
        return embedder

    def _engine_settings(self, fields: Iterable[str]) -> dict[str, Any]:
        """The engine settings (by their names in :mod:`routellm_core.routing.settings`) the given
        fields hold."""
        fields = set(fields) & set(self._FIELDS)
        if fields & {"router", "embeddings"}:
            fields |= {"router", "embeddings"}  # a router is loaded with its embedder
        out: dict[str, Any] = {}
        for f in fields:
            value = getattr(self, f)
            if f in ("strong", "weak"):
                value = _model_name(value)
            elif f == "embeddings":
                value = self._embedder()
            elif f == "models":
                value = tuple(value)
            out[self._FIELDS[f]] = value
        return out

    def _partners(self, name: str) -> tuple[str, ...]:
        """The fields a value of ``name`` replaces (the settings' rule: the one set last
        wins)."""
        return tuple(p for p in self._SETTINGS.PARTNERS.get(self._FIELDS.get(name, ""), ()))

    def _variant_of(self, parent: RouteLLMChat) -> RoutingEngine:
        """The engine of a per-call configured copy of ``parent`` (configurable_fields)."""
        changed = [f for f in self._FIELDS if not _same(getattr(self, f), getattr(parent, f))]
        for f in list(changed):
            if getattr(self, f) is not None:
                for partner in self._partners(f):
                    if partner not in changed:
                        self.__dict__[partner] = None  # the configured one wins
                        changed.append(partner)
        return parent._engine.variant(**self._engine_settings(changed))

    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a routing field validates it and reconfigures the engine (statistics and
        sticky memory are kept); an invalid value raises and changes nothing. A setting
        replaces its partners set before (a threshold a strong fraction, a tolerance a cost
        weight, and the reverse)."""
        private = self.__pydantic_private__
        if not private or private.get("_engine") is None or name not in _ALL_ROUTING_FIELDS:
            super().__setattr__(name, value)
            if name == "recorder" and private and private.get("_engine") is not None:
                self._engine.recorder = check_recorder(value)
            return
        if name not in self._FIELDS:
            raise other_mode_error(name, self._SETTINGS)
        saved = {k: self.__dict__.get(k) for k in (name, *self._partners(name))}
        fields = [name]
        if value is not None:
            for partner in self._partners(name):
                if self.__dict__.get(partner) is not None:
                    self.__dict__[partner] = None
                    fields.append(partner)
        private["_assigning"] = tuple(fields)
        try:
            self.__pydantic_validator__.validate_assignment(self, name, value)
        except Exception:
            self.__dict__.update(saved)
            raise
        finally:
            private["_assigning"] = None

    # ---- copies -------------------------------------------------------------------------------
    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with its own engine: statistics start at zero and sticky memory is empty.

        ``update`` values are validated like the constructor's (an invalid one raises), and a
        setting in ``update`` replaces its partners (a ``threshold`` the original's
        ``strong_fraction``, a ``tolerance`` its ``cost_weight``, and the reverse). The inner
        models are shared unless ``deep=True``.
        """
        upd = dict(update or {})
        foreign = [k for k in upd if k in _ALL_ROUTING_FIELDS and k not in self._FIELDS]
        if foreign:
            raise other_mode_error(foreign[0], self._SETTINGS)
        for f in list(upd):
            if upd[f] is not None:
                for partner in self._partners(f):
                    upd.setdefault(partner, None)
        for f in ("strong", "weak"):
            if f in upd:
                upd[f] = self._check_chat_model(upd[f], _Field(f))
        new = BaseModel.model_copy(self, update=upd, deep=deep)
        new._engine = self._engine.copy()
        changed = [f for f in upd if f in self._FIELDS]
        if changed:
            new._engine.configure(**new._engine_settings(changed))
        return new

    def __copy__(self) -> Self:
        new = super().__copy__()
        new._engine = self._engine.copy()
        return new

    def __setstate__(self, state: dict[Any, Any]) -> None:
        # a model pickled by an earlier release lacks the fields added since (momentum=):
        # they take their defaults
        values = state.get("__dict__")
        if isinstance(values, dict):
            for name, f in type(self).model_fields.items():
                if name not in values and not f.is_required():
                    values[name] = f.get_default(call_default_factory=True)
        super().__setstate__(state)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy, with the statistics and sticky memory as they are now."""
        try:
            return super().__deepcopy__(memo)
        except Exception as exc:
            raise self._copy_error("deepcopy", copy.deepcopy, exc) from exc

    def __reduce_ex__(self, protocol: Any) -> Any:
        # The wrapper's own state (engine, locks, loaded router) pickles; say which inner
        # model does not, instead of pickle's bare "cannot pickle '_thread.lock' object".
        for model in self.route_models().values():
            try:
                pickle.dumps(model, protocol=int(protocol))
            except Exception as exc:
                raise self._copy_error(
                    "pickle", lambda m: pickle.dumps(m, protocol=int(protocol)), exc
                ) from exc
        return super().__reduce_ex__(protocol)

    def _copy_error(self, action: str, fn: Callable[[Any], Any], exc: Exception) -> Exception:
        error = inner_model_copy_error(
            type(self).__name__, action, self.route_models(), fn,
            "build the copy around a {which} model that can (many local models can, API "
            "clients holding a lock cannot), or use llm.model_copy(), which shares the inner "
            "models")
        return exc if error is None else error

    def configurable_fields(
        self, **kwargs: AnyConfigurableField
    ) -> RunnableSerializable[LanguageModelInput, AIMessage]:
        """As ``BaseChatModel.configurable_fields``; a configured call uses a model derived
        from this one that shares its router, statistics and sticky memory, and a configured
        setting replaces its partners (a ``threshold`` this model's ``strong_fraction``, a
        ``tolerance`` its ``cost_weight``, and the reverse)."""
        super().configurable_fields(**kwargs)  # validates the field names
        return _ConfigurableRouteLLMChat(default=self, fields=kwargs)

    def route_models(self) -> dict[str, BaseChatModel]:
        """The inner chat models by route (``strong``/``weak``, or a ladder's model names)."""
        assert self.strong is not None and self.weak is not None  # checked at construction
        return {"strong": self.strong, "weak": self.weak}

    def _resolve_model_profile(self) -> ModelProfile | None:
        profiles = [m.profile for m in self.route_models().values()]
        out = profiles[0]
        for p in profiles[1:]:
            out = _intersect_profiles(out, p)
        return out

    # ---- public surface ---------------------------------------------------------------------
    @property
    def engine(self) -> RoutingEngine:
        """The routing engine: router, threshold, sticky memory and statistics."""
        return self._engine

    @property
    def stats(self) -> RoutingStats:
        """Calls and tokens per route, cost and savings (``stats.snapshot()``)."""
        return self._engine.stats

    @property
    def _llm_type(self) -> str:
        return "routellm-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return self._with_call_params(self._engine.chooser.describe())

    def _with_call_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with the temperature and token limit passed on every call, when set."""
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model")
        params = LangSmithParams(
            ls_provider="routellm",
            ls_model_name=model if isinstance(model, str) else
            "routellm:" + "|".join(self._engine.names.values()),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; at call time they are bound on whichever model is chosen.

        Tools are converted to the OpenAI tool format (dicts are kept as given, so
        provider-specific built-in tools pass through); the chosen model's own
        ``bind_tools`` then formats them for its provider. Other keyword arguments
        (``parallel_tool_calls``, ``strict``, ...) go to that ``bind_tools`` call.
        """
        formatted = [t if isinstance(t, dict) else convert_to_openai_tool(t) for t in tools]
        bound: dict[str, Any] = {"tools": formatted}
        if tool_choice is not None:
            bound["tool_choice"] = tool_choice
        structured = kwargs.pop("ls_structured_output_format", None)
        if structured is not None:
            bound["ls_structured_output_format"] = structured
        if kwargs:
            bound[_TOOL_KWARGS] = kwargs
        return self.bind(**bound)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output from whichever model is chosen, in its own native mode.

        ``strong.with_structured_output(schema, ...)`` and
        ``weak.with_structured_output(schema, ...)`` are built once with the same arguments
        (``method=``, ``strict=``, ``include_raw=``: whatever the inner models support); each
        input is routed, then handed to the chosen one. With ``fallback=True`` the other one
        answers if the chosen one raises.
        """
        routes: dict[str, Runnable] = {}
        for name, m in self.route_models().items():
            try:
                routes[name] = m.with_structured_output(schema, include_raw=include_raw, **kwargs)
            except NotImplementedError:
                raise _NoStructuredOutput(
                    f"the {name} model ({type(m).__name__}) has no structured output; every "
                    "inner model must support it") from None
        return _RoutedRunnable(self, routes)

    # ---- routing ------------------------------------------------------------------------------
    def _route_args(
        self, messages: list[BaseMessage], kwargs: dict[str, Any], config: RunnableConfig | None
    ) -> dict[str, Any]:
        """Pop the wrapper's own call arguments; return the engine's decide_turns arguments."""
        if not messages:
            raise ValueError(
                "RouteLLMChat got an empty message list: pass at least one message"
            )
        force = kwargs.pop("model", None)
        thread_id = kwargs.pop(_THREAD_KWARG, None)
        if thread_id is None and self._engine.remembers_threads:
            configurable = ensure_config(config).get("configurable") or {}
            thread_id = next((configurable[k] for k in THREAD_KEYS if configurable.get(k)), None)
        return {
            "raw": messages,
            "force": force,
            "thread_id": None if thread_id is None else str(thread_id),
        }

    def _decide(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        config: RunnableConfig | None = None,
    ) -> RouteDecision:
        args = self._route_args(messages, kwargs, config)
        return self._engine.decide_turns(_checked_turns(messages), **args)

    async def _adecide(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        config: RunnableConfig | None = None,
    ) -> RouteDecision:
        args = self._route_args(messages, kwargs, config)
        return await self._engine.adecide_turns(_checked_turns(messages), **args)

    def _inner(self, route: Route, kwargs: dict[str, Any]) -> tuple[BaseChatModel, dict[str, Any]]:
        """The model to call for ``route`` and the kwargs for its hook."""
        model = self._model_for(route)
        kw = dict(kwargs)
        if self.temperature is not None:
            kw.setdefault("temperature", self.temperature)
        if self.max_tokens is not None:
            kw.setdefault("max_tokens", self.max_tokens)
        tool_kwargs = kw.pop(_TOOL_KWARGS, None) or {}
        if "tools" in kw:
            tools = kw.pop("tools")
            if "tool_choice" in kw:
                tool_kwargs = {**tool_kwargs, "tool_choice": kw.pop("tool_choice")}
            model, bound = _unwrap(model.bind_tools(tools, **tool_kwargs))
            kw = {**bound, **kw}
        return model, kw

    def _model_for(self, route: str) -> BaseChatModel:
        """The inner model of a route."""
        return self.route_models()[route]

    def _stop(self, stop: list[str] | None) -> list[str] | None:
        return stop if stop is not None else self.stop

    @staticmethod
    def _no_stream(model: BaseChatModel, kw: dict[str, Any], async_api: bool) -> bool:
        """Whether streaming the inner model would fall back to a single generate call."""
        if type(model)._stream is BaseChatModel._stream and (
            not async_api or type(model)._astream is BaseChatModel._astream
        ):
            return True
        try:
            return bool(model._streaming_disabled(**kw))
        except Exception:  # private LangChain API: if it changes, just stream
            return False

    # ---- calls: routellm_core.routing.dispatch.RoutedCall runs them ---------------------------------
    def _routed(self, decision: RouteDecision, messages: list[BaseMessage], run_manager: Any,
                announce: Callable[[Any, RouteDecision], Any]) -> RoutedCall:
        """The call of a decision. ``announce(run_manager, decision)`` dispatches a fallback's
        event (a coroutine in the async hooks); a recorded call is filed under the LangChain
        run id."""
        return RoutedCall(self._engine, decision, fallback=self.fallback,
                          on_fallback=lambda d: announce(run_manager, d),
                          prompt=_messages_text(messages),
                          run_id=getattr(run_manager, "run_id", None))

    def _begin(self, messages: list[BaseMessage], kwargs: dict[str, Any], run_manager: Any,
               announce: Callable[[Any, RouteDecision], Any]) -> RoutedCall:
        """Decide (popping the wrapper's own call arguments), announce the decision under the
        run, and return the call that runs it."""
        decision = self._decide(messages, kwargs)
        announce(run_manager, decision)
        return self._routed(decision, messages, run_manager, announce)

    async def _abegin(self, messages: list[BaseMessage], kwargs: dict[str, Any],
                      run_manager: Any, announce: Callable[[Any, RouteDecision], Any]
                      ) -> RoutedCall:
        """:meth:`_begin` with the router asked off the event loop (``announce`` may return a
        coroutine)."""
        decision = await self._adecide(messages, kwargs)
        if inspect.isawaitable(pending := announce(run_manager, decision)):
            await pending
        return self._routed(decision, messages, run_manager, announce)

    def _limited(self, route: Route, kwargs: dict[str, Any]) -> tuple[BaseChatModel, dict[str, Any]]:
        """:meth:`_inner`, after waiting for the inner model's rate limiter."""
        model, kw = self._inner(route, kwargs)
        if model.rate_limiter:
            model.rate_limiter.acquire(blocking=True)
        return model, kw

    async def _alimited(self, route: Route,
                        kwargs: dict[str, Any]) -> tuple[BaseChatModel, dict[str, Any]]:
        model, kw = self._inner(route, kwargs)
        if model.rate_limiter:
            await model.rate_limiter.aacquire(blocking=True)
        return model, kw

    def _shadow(self, messages: list[BaseMessage], kwargs: dict[str, Any],
                stop: list[str] | None) -> Callable[[Route], ChatResult]:
        """Calls a model on the same input outside the user's run (no callbacks), for the
        recorder's shadow calls."""
        def run(route: Route) -> ChatResult:
            model, kw = self._inner(route, kwargs)
            return model._generate(messages, stop=stop, **kw)
        return run

    def _ashadow(self, messages: list[BaseMessage], kwargs: dict[str, Any],
                 stop: list[str] | None) -> Callable[[Route], Awaitable[ChatResult]]:
        async def run(route: Route) -> ChatResult:
            model, kw = self._inner(route, kwargs)
            return await model._agenerate(messages, stop=stop, **kw)
        return run

    # ---- hooks --------------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, stop = self._begin(messages, kwargs, run_manager, _announce), self._stop(stop)

        def generate(route: Route) -> ChatResult:
            model, kw = self._limited(route, kwargs)
            return model._generate(messages, stop=stop, run_manager=run_manager, **kw)

        result = call.run(generate, read=_read_result, shadow=self._shadow(messages, kwargs, stop))
        if result.generations:
            _tag(result.generations[0].message, call.record)
        return result

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, stop = await self._abegin(messages, kwargs, run_manager, _aannounce), self._stop(stop)

        async def generate(route: Route) -> ChatResult:
            model, kw = await self._alimited(route, kwargs)
            return await model._agenerate(messages, stop=stop, run_manager=run_manager, **kw)

        result = await call.arun(generate, read=_read_result,
                                 shadow=self._ashadow(messages, kwargs, stop))
        if result.generations:
            _tag(result.generations[0].message, call.record)
        return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        rm = run_manager or _caller_run_manager()
        call, stop = self._begin(messages, kwargs, rm, _announce_any), self._stop(stop)

        def chunks(route: Route) -> Iterator[ChatGenerationChunk]:
            model, kw = self._limited(route, kwargs)
            if self._no_stream(model, kw, async_api=False):
                result = model._generate(messages, stop=stop, run_manager=run_manager, **kw)
                yield _as_chunk(result)
                return
            yield from model._stream(messages, stop=stop, run_manager=run_manager, **kw)

        yield from call.stream(chunks, tally=SumTally(_read_chunk), tag=_tag_first,
                               shadow=self._shadow(messages, kwargs, stop), read=_read_result)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        rm = run_manager or _caller_run_manager()
        call, stop = await self._abegin(messages, kwargs, rm, _announce_any), self._stop(stop)

        async def chunks(route: Route) -> AsyncIterator[ChatGenerationChunk]:
            model, kw = await self._alimited(route, kwargs)
            if self._no_stream(model, kw, async_api=True):
                result = await model._agenerate(
                    messages, stop=stop, run_manager=run_manager, **kw
                )
                yield _as_chunk(result)
                return
            async for c in model._astream(messages, stop=stop, run_manager=run_manager, **kw):
                yield c

        async for chunk in call.astream(chunks, tally=SumTally(_read_chunk), tag=_tag_first,
                                        shadow=self._ashadow(messages, kwargs, stop),
                                        read=_read_result):
            yield chunk


class RouteLLMLadderChat(RouteLLMChat):
    """A chat model that sends each call to one model of a priced ladder.

    Built by ``RouteLLMChat(models={...}, ...)`` (or directly). Everything is the two-model
    wrapper's, with the ladder's model names as routes and the ladder's settings
    (:class:`~routellm_core.routing.settings.LadderSettings`) as its routing fields: tools bound on
    whichever model is chosen, structured output, streaming, async, sticky threads, forced
    routes (``model="llama-8b"``, or ``"top"`` / ``"bottom"``), fallback (to the next model up
    the ladder), statistics per model, assignment, copies and per-call configuration.

    Args:
        models: ``{name: chat model}``, at least two. The names are the routes: in decisions,
            statistics, forced routes (``invoke(..., model=name)``) and prices; ``"top"`` and
            ``"bottom"`` are refused (they force the dearest and the cheapest model).
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

    Example:
        >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
        >>> from routellm_core.routers.random import RandomRouter
        >>> llm = RouteLLMChat(
        ...     models={"big": FakeListChatModel(responses=["B"]),
        ...             "small": FakeListChatModel(responses=["S"])},
        ...     prices={"big": (10, 30), "small": (0.5, 1.5)},
        ...     router=RandomRouter("big", "small"), tolerance=0.1)
        >>> type(llm).__name__, llm.invoke("hi", model="bottom").content
        ('RouteLLMLadderChat', 'S')
    """

    _SETTINGS: ClassVar[type[RoutingSettings] | type[LadderSettings]] = LadderSettings
    _FIELDS: ClassVar[dict[str, str]] = wrapper_fields(LadderSettings, _RENAMED)

    models: dict[str, BaseChatModel]
    on_router_error: SkipValidation[str | None] = None
    aliases: SkipValidation[dict[str, str] | None] = None
    tolerance: SkipValidation[float | None] = None
    cost_weight: SkipValidation[float | None] = None
    target_cost: SkipValidation[float | None] = None
    calibration_prompts: SkipValidation[list[str] | None] = None
    output_tokens: SkipValidation[int] = DEFAULT_OUTPUT_TOKENS

    @model_validator(mode="before")
    @classmethod
    def _check_ladder(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        if data.get("recorder") is not None:
            # the ladder keeps no traffic log; accepting the argument would drop every record
            raise ValueError("recorder= records two-model routing (strong=/weak=) only; a ladder "
                             "does not record its traffic, so leave recorder= out here")
        models = data.get("models")
        check_ladder_models(models, "chat model",
                            "models={'gpt-4o': ChatOpenAI(...), 'llama-8b': ChatOllama(...)}")
        assert isinstance(models, Mapping)
        for name, m in models.items():
            RouteLLMChat._check_chat_model(m, _Field(f"models[{name!r}]"))
        return data

    @property
    def engine(self) -> LadderEngine:
        """The :class:`~routellm_core.routing.engine.LadderEngine` (ladder, knob, statistics)."""
        engine = self._engine
        assert isinstance(engine, LadderEngine)
        return engine

    def route_models(self) -> dict[str, BaseChatModel]:
        """The ladder's chat models by name."""
        return self.models
