"""``ReplayLLM``: a LlamaIndex LLM that answers from recorded answers.

It returns its model's recorded answer (from a :class:`~routellm_core.evaluation.replay.ReplayLog`) to the
last user message (``chat``) or to the prompt (``complete``), with token usage in
``response.raw["usage"]`` (read by ``TokenCountingHandler``), so chat engines, query engines
and ``RouteLLM`` can be run over recorded traffic offline and priced. A prompt the log does not
hold raises :class:`~routellm_core.errors.DataError`: the model never makes an answer up.

Example:
    >>> from llama_index.core.llms import ChatMessage
    >>> from routellm_core.evaluation.replay import ReplayLog, ReplayRecord
    >>> log = ReplayLog([ReplayRecord("What is 2+2?", "gpt-4o", "4", outcome=1.0)])
    >>> llm = ReplayLLM(log=log, model="gpt-4o")
    >>> r = llm.chat([ChatMessage(role="user", content="What is 2+2?")])
    >>> r.message.content, r.raw["model"], r.raw["usage"]["completion_tokens"]
    ('4', 'gpt-4o', 1)
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import Any, TypeVar

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
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.llm import LLM
from pydantic import ConfigDict, Field, PrivateAttr

from routellm_core.costs import count_tokens
from routellm_core.errors import DataError
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord

__all__ = ["ReplayLLM"]

T = TypeVar("T")

_CHUNK = re.compile(r"\s*\S+\s*|\s+")


class ReplayLLM(LLM):
    """Answers with ``model``'s recorded answer to the last user message (or the prompt).

    Args:
        log: the recorded answers.
        model: the name of the model to replay (as in the log); reported in ``raw["model"]``.
        context_window: reported in ``metadata`` (the recorded answers need none).
        stream_chunk_words: words per streamed chunk.

    Usage (``raw["usage"]``): prompt tokens are the record's ``input_tokens`` when the log has
    them, else the :func:`~routellm_core.costs.count_tokens` estimate over every message sent
    (system prompt and history count, as a provider would bill them); completion tokens from
    the record or the answer text. ``raw["replay_outcome"]`` holds the recorded correctness or
    grade (``None`` if unknown).

    Raises:
        UnknownNameError: at construction, when the log has no answers of ``model``.
        DataError: at call time, when the log has no answer of ``model`` to the prompt, or the
            messages hold no user message.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())

    model: str = Field(description="the replayed model's name, as in the log")
    context_window: int = 128_000
    stream_chunk_words: int = 8
    _log: ReplayLog = PrivateAttr()

    def __init__(self, *, log: ReplayLog, model: str, **kwargs: Any) -> None:
        if not isinstance(log, ReplayLog):
            raise DataError(
                f"log must be a routellm_core.evaluation.replay.ReplayLog, got {type(log).__name__}; "
                "build one with ReplayLog.load(path) or ReplayLog(records)"
            )
        log.prompts(model)  # an unknown model fails here, naming the known ones
        super().__init__(model=model, **kwargs)  # type: ignore[call-arg]  # a declared field
        self._log = log

    @classmethod
    def class_name(cls) -> str:
        return "ReplayLLM"

    @property
    def log(self) -> ReplayLog:
        """The recorded answers this model replays."""
        return self._log

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=-1,
            is_chat_model=True,
            is_function_calling_model=False,
            model_name=self.model,
        )

    # ---- lookups -------------------------------------------------------------------------------
    def prompt_of(self, messages: Sequence[ChatMessage]) -> str:
        """The lookup key: the text of the last user message."""
        for m in reversed(messages):
            if m.role == MessageRole.USER:
                return m.content or ""
        raise DataError(
            "ReplayLLM answers the last user message, but the messages hold none "
            f"(roles: {', '.join(str(m.role.value) for m in messages) or 'no messages'})"
        )

    def _raw(self, rec: ReplayRecord, sent: Sequence[str]) -> dict[str, Any]:
        tin = rec.input_tokens if rec.input_tokens is not None else sum(count_tokens(t) for t in sent)
        tout = rec.answer_tokens
        return {
            "model": self.model,
            "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout},
            "replay_outcome": rec.outcome,
        }

    def _pieces(self, answer: str) -> list[str]:
        words = _CHUNK.findall(answer)
        n = max(1, self.stream_chunk_words)
        return ["".join(words[i : i + n]) for i in range(0, len(words), n)] or [""]

    def _chat_response(self, messages: Sequence[ChatMessage]) -> ChatResponse:
        rec = self._log.get(self.model, self.prompt_of(messages))
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=rec.answer),
            raw=self._raw(rec, [m.content or "" for m in messages]),
        )

    def _completion_response(self, prompt: str) -> CompletionResponse:
        rec = self._log.get(self.model, prompt)
        return CompletionResponse(text=rec.answer, raw=self._raw(rec, [prompt]))

    # ---- sync ----------------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat_response(messages)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._completion_response(prompt)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages)

    def _stream_chat(self, messages: Sequence[ChatMessage]) -> ChatResponseGen:
        full = self._chat_response(messages)  # fail before the first chunk

        def gen() -> ChatResponseGen:
            text = ""
            pieces = self._pieces(full.message.content or "")
            for i, delta in enumerate(pieces):
                text += delta
                # usage on the last chunk only, as providers report it
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                    delta=delta,
                    raw=full.raw if i == len(pieces) - 1 else {"model": self.model},
                )

        return gen()

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return self._stream_complete(prompt)

    def _stream_complete(self, prompt: str) -> CompletionResponseGen:
        full = self._completion_response(prompt)

        def gen() -> CompletionResponseGen:
            text = ""
            pieces = self._pieces(full.text)
            for i, delta in enumerate(pieces):
                text += delta
                yield CompletionResponse(
                    text=text,
                    delta=delta,
                    raw=full.raw if i == len(pieces) - 1 else {"model": self.model},
                )

        return gen()

    # ---- async (lookups are instant: no thread needed) -----------------------------------------
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat_response(messages)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return self._completion_response(prompt)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return _as_async(self._stream_chat(messages))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return _as_async(self._stream_complete(prompt))


async def _as_async(items: Iterable[T]) -> AsyncGenerator[T, None]:
    """The items of an (already opened) stream, as an async generator."""
    for item in items:
        yield item
