"""``ReplayChatModel``: a LangChain chat model that answers from recorded answers.

It returns its model's recorded answer (from a :class:`~routellm_core.evaluation.replay.ReplayLog`) to the
last human message, with token usage and the model's name, so a real chain, agent or
``RouteLLMChat`` can be run over recorded traffic offline and priced. A prompt the log does
not hold raises :class:`~routellm_core.errors.DataError`: the model never makes an answer up.

Example:
    >>> from routellm_core.evaluation.replay import ReplayLog, ReplayRecord
    >>> log = ReplayLog([ReplayRecord("What is 2+2?", "gpt-4o", "4", outcome=1.0)])
    >>> llm = ReplayChatModel(log=log, model="gpt-4o")
    >>> msg = llm.invoke("What is 2+2?")
    >>> msg.content, msg.response_metadata["model_name"], msg.usage_metadata["output_tokens"]
    ('4', 'gpt-4o', 1)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from routellm_core.costs import count_tokens
from routellm_core.errors import DataError
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord

__all__ = ["ReplayChatModel"]

# whitespace stays attached to the preceding word, so the chunks concatenate to the answer
_CHUNK = re.compile(r"\s*\S+\s*|\s+")


def _text(message: BaseMessage) -> str:
    return message.text if hasattr(message, "text") else str(message.content)


class ReplayChatModel(BaseChatModel):
    """Answers with ``model``'s recorded answer to the last human message.

    Args:
        log: the recorded answers.
        model: the name of the model to replay (as in the log); also reported as
            ``response_metadata["model_name"]`` and in ``usage_metadata`` callbacks.
        stream_chunk_words: words per streamed chunk.

    Usage: input tokens are the record's ``input_tokens`` when the log has them, else the
    :func:`~routellm_core.costs.count_tokens` estimate over every message sent (a system
    prompt and history count, as a provider would bill them); output tokens likewise from the
    record or the answer text. Each call carries ``response_metadata["replay_outcome"]`` (the
    recorded correctness or grade, ``None`` if unknown).

    Raises:
        UnknownNameError: at construction, when the log has no answers of ``model``.
        DataError: at call time, when the log has no answer of ``model`` to the prompt, or the
            messages hold no human message.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    log: ReplayLog = Field(exclude=True)
    model_name: str = Field(alias="model")
    stream_chunk_words: int = 8

    def __init__(self, **kwargs: Any) -> None:
        log = kwargs.get("log")
        if not isinstance(log, ReplayLog):
            raise DataError(
                f"log must be a routellm_core.evaluation.replay.ReplayLog, got {type(log).__name__}; "
                "build one with ReplayLog.load(path) or ReplayLog(records)"
            )
        super().__init__(**kwargs)
        self.log.prompts(self.model_name)  # an unknown model fails here, naming the known ones

    @property
    def _llm_type(self) -> str:
        return "replay-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "log": self.log.name}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "replay"
        return params

    # ---- lookups -------------------------------------------------------------------------------
    def prompt_of(self, messages: Sequence[BaseMessage]) -> str:
        """The lookup key: the text of the last human message."""
        for m in reversed(messages):
            if isinstance(m, HumanMessage):
                return _text(m)
        raise DataError(
            "ReplayChatModel answers the last human message, but the messages hold none "
            f"(roles: {', '.join(m.type for m in messages) or 'no messages'})"
        )

    def _record(self, messages: Sequence[BaseMessage]) -> ReplayRecord:
        return self.log.get(self.model_name, self.prompt_of(messages))

    def _usage(self, record: ReplayRecord, messages: Sequence[BaseMessage]) -> UsageMetadata:
        tin = (
            record.input_tokens
            if record.input_tokens is not None
            else sum(count_tokens(_text(m)) for m in messages)
        )
        tout = record.answer_tokens
        return UsageMetadata(input_tokens=tin, output_tokens=tout, total_tokens=tin + tout)

    def _metadata(self, record: ReplayRecord) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "model_provider": "replay",
            "replay_outcome": record.outcome,
        }

    # ---- hooks ---------------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # ``stop`` is ignored on purpose: the answer is what the model said at the time.
        rec = self._record(messages)
        msg = AIMessage(
            content=rec.answer,
            usage_metadata=self._usage(rec, messages),
            response_metadata=self._metadata(rec),
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        rec = self._record(messages)  # fail before the first chunk
        pieces = _CHUNK.findall(rec.answer)
        n = max(1, self.stream_chunk_words)
        parts = ["".join(pieces[i : i + n]) for i in range(0, len(pieces), n)] or [""]
        for text in parts[:-1]:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
        # usage and the model name on the last chunk only, so merged chunks count them once
        last = ChatGenerationChunk(
            message=AIMessageChunk(
                content=parts[-1],
                usage_metadata=self._usage(rec, messages),
                response_metadata=self._metadata(rec),
                chunk_position="last",
            )
        )
        if run_manager:
            run_manager.on_llm_new_token(parts[-1], chunk=last)
        yield last
