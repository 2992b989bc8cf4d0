"""``RouteLLM``: a LlamaIndex LLM that sends each call to a strong or a weak LLM.

The wrapper holds no routing logic of its own. For each call it turns the LlamaIndex messages
into :class:`~routellm_core.engine.Turn` records, asks the shared
:class:`~routellm_core.engine.RoutingEngine` for a decision, calls the chosen model, tags the
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
from typing import TYPE_CHECKING, Any

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
from routellm_core.dispatch import LastTally, Reply, RoutedCall
from routellm_core.engine import (
    OnRoute,
    Route,
    RouteDecision,
    RouterSpec,
    RoutingEngine,
    RoutingStats,
    RoutingTextPolicy,
    Turn,
    turn_role,
)
from routellm_core.errors import RouteLLMError, unknown_name
from routellm_core.long_text import check_prompt
from routellm_core.pairs import PairSpec
from routellm_core.recorder import TrafficRecorder
from routellm_core.settings import RoutingSettings, inner_model_name

from .embeddings import LlamaIndexEmbedder
from .events import RouteDecisionEvent

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = ["RouteLLM", "FORCE_KWARG", "ROUTE_KWARG", "THREAD_KWARG", "TAG_KEY"]

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

def to_turns(messages: Sequence[ChatMessage]) -> list[Turn]:
    """LlamaIndex messages as framework-neutral :class:`Turn` records (text blocks only).

    Roles map by :func:`~routellm_core.engine.turn_role` (as in LangChain): an unknown role
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
    rule of :func:`~routellm_core.settings.inner_model_name`, shared with LangChain)."""
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
            :mod:`routellm_core.pairs`; ``("gpt-4o", "gpt-4o-mini")``: these names. A pair the
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
        on_route: callables receiving each :class:`~routellm_core.engine.RouteDecision`
            (fallbacks included).
        callback_manager: LlamaIndex callback manager; also set on both inner models.
        recorder: a :class:`routellm_core.recorder.TrafficRecorder`: append each call (routed
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

    strong: LLM = Field(exclude=True, description="The strong (expensive) LLM.")
    weak: LLM = Field(exclude=True, description="The weak (cheap) LLM.")
    fallback: bool = Field(
        default=False, description="Retry once on the other model when the chosen one raises."
    )

    _engine: RoutingEngine = PrivateAttr()
    _force: ContextVar[str | None] = PrivateAttr()
    _thread: ContextVar[str | None] = PrivateAttr()
    _question: ContextVar[str | None] = PrivateAttr()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # RouteLLM(models={...}) builds the ladder wrapper (llamaindex_routellm.ladder)
        if cls is RouteLLM and "models" in kwargs:
            from .ladder import RouteLLMLadder

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
        unknown = sorted(set(kwargs) - _LLM_FIELDS)
        if unknown:
            raise unknown_name("RouteLLM argument", unknown[0], _VALID_ARGUMENTS)
        settings = RoutingSettings(
            router=router,
            embedder=LlamaIndexEmbedder(embed_model) if embed_model is not None else None,
            strong_fraction=strong_fraction,
            threshold=threshold,
            calibration_window=calibration_window,
            pair=pair,
            aliases=aliases,
            strong_name=_llm_name(strong),
            weak_name=_llm_name(weak),
            routing_text=routing_text,
            sticky=sticky,
            on_router_error=on_router_error,
            on_route=on_route,
            prices=prices,
        )
        engine = RoutingEngine.from_settings(settings, recorder=recorder)
        super().__init__(
            strong=strong,
            weak=weak,
            fallback=fallback,
            callback_manager=callback_manager or CallbackManager([]),
            **kwargs,
        )
        self._engine = engine
        self._new_context_vars()
        if callback_manager is not None:
            self._share_callback_manager(callback_manager)

    def _new_context_vars(self) -> None:
        uid = f"{id(self):x}"
        self._force = ContextVar(f"routellm_force_{uid}", default=None)
        self._thread = ContextVar(f"routellm_thread_{uid}", default=None)
        self._question = ContextVar(f"routellm_question_{uid}", default=None)

    # ---- copies and pickling ------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state = BaseModel.__getstate__(self)
        private = dict(state.get("__pydantic_private__") or {})
        for key in ("_force", "_thread", "_question"):  # per-object context, recreated
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
        """A copy with its own engine (statistics from zero, empty sticky memory)."""
        new = super().model_copy(update=update, deep=deep)
        if deep:
            new._engine = new._engine.copy()
        return new

    def _check_inner_models(self, action: str, fn: Callable[[Any], Any],
                            cause: BaseException | None = None) -> None:
        """Raise the error that names the inner model ``fn`` (``pickle.dumps``,
        ``copy.deepcopy``) fails on, if one does."""
        for which in ("strong", "weak"):
            model = getattr(self, which)
            try:
                fn(model)
            except Exception as exc:
                raise self._copy_error(action, which, model, exc) from (cause or exc)

    @staticmethod
    def _copy_error(action: str, which: str, model: Any, exc: Exception) -> TypeError:
        return TypeError(
            f"cannot {action} RouteLLM: its {which} model ({type(model).__name__}) cannot be "
            f"{'pickled' if action == 'pickle' else 'copied'} ({type(exc).__name__}: {exc}). "
            "The wrapper itself can; use inner models that can, or copy.copy(llm), which "
            "shares them"
        )

    # ---- configuration ------------------------------------------------------------------------
    @classmethod
    def class_name(cls) -> str:
        return "RouteLLM"

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        # LlamaIndex hands its callback manager to the LLM it was given (Settings.llm, response
        # synthesizers, chat engines); the inner models emit the events, so they need it too.
        if name == "callback_manager" and value is not None and "weak" in self.__dict__:
            self._share_callback_manager(value)

    def _share_callback_manager(self, cm: CallbackManager) -> None:
        for m in (self.strong, self.weak):
            if m.callback_manager is not cm:
                m.callback_manager = cm

    @property
    def engine(self) -> RoutingEngine:
        """The shared :class:`~routellm_core.engine.RoutingEngine` (router, threshold, ...)."""
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
        """The intersection of the inner models' metadata: the smaller context window and
        output budget, capabilities only when both models have them."""
        a, b = self.strong.metadata, self.weak.metadata

        def smaller(x: int, y: int) -> int:
            # non-positive values mean "unknown" (MockLLM reports num_output=-1)
            known = [v for v in (x, y) if v is not None and v > 0]
            return min(known) if known else x

        fc = (
            bool(a.is_function_calling_model and b.is_function_calling_model)
            and isinstance(self.strong, FunctionCallingLLM)
            and isinstance(self.weak, FunctionCallingLLM)
        )
        return LLMMetadata(
            context_window=smaller(a.context_window, b.context_window),
            num_output=smaller(a.num_output, b.num_output),
            is_chat_model=bool(a.is_chat_model and b.is_chat_model),
            is_function_calling_model=fc,
            model_name=f"routellm({self._engine.names['strong']}|{self._engine.names['weak']})",
            system_role=a.system_role if a.system_role == b.system_role else MessageRole.SYSTEM,
        )

    def model(self, route: Route) -> LLM:
        """The inner model of a route."""
        return self.strong if route == "strong" else self.weak

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
    def conversation(self, thread_id: str) -> Iterator[None]:
        """Name the conversation of the calls inside the block (for ``sticky=True``)."""
        token = self._thread.set(thread_id)
        try:
            yield
        finally:
            self._thread.reset(token)

    # ---- deciding -----------------------------------------------------------------------------
    def _pending(
        self, messages: Sequence[ChatMessage] | None, prompt: str | None, kwargs: dict[str, Any]
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
        if force is None and thread is None and self._engine.sticky:
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
        p = self._pending(messages, prompt, kwargs)
        return self._emit(self._engine.decide_turns(p.turns, **p.args()), method)

    async def _adecide(self, method: str, kwargs: dict[str, Any],
                       messages: Sequence[ChatMessage] | None = None,
                       prompt: str | None = None) -> RouteDecision:
        p = self._pending(messages, prompt, kwargs)
        return self._emit(await self._engine.adecide_turns(p.turns, **p.args()), method)

    # ---- calls: routellm_core.dispatch.RoutedCall runs them ---------------------------------
    # Each method runs the chosen model's method of the same name: ``fn(route)`` calls it.
    def _routed(
        self, decision: RouteDecision, method: str, prompt_text: Callable[[], str]
    ) -> RoutedCall:
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
#: every keyword RouteLLM accepts, for the error on an unknown one
_VALID_ARGUMENTS = (
    "strong", "weak", "router", "strong_fraction", "threshold", "calibration_window", "pair",
    "aliases",
    "routing_text", "sticky", "on_router_error", "fallback", "prices", "embed_model", "on_route", "callback_manager",
    *sorted(_LLM_FIELDS),
)


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
