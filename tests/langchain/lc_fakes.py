"""A scripted, offline tool-calling chat model for the LangChain tests.

``langchain_core``'s fakes have no ``bind_tools`` and no usage metadata, so they cannot run
the standard integration suite. ``ScriptedChatModel`` reads what it needs from the prompt:

* tools bound and a forcing ``tool_choice`` (or a tool named in the prompt): one tool call,
  with arguments filled from the prompt (numbers in order for numeric parameters, the first
  quoted string or the prompt itself for string parameters);
* ``response_format`` bound (its ``json_schema``/``json_mode`` structured output): JSON text;
* otherwise a text answer naming the model, cut at the first ``stop`` sequence.

Usage (word counts) is reported once per call; when streaming, on the last chunk together
with ``model_name`` and ``chunk_position="last"``; tool calls stream as ``tool_call_chunks``.
``fail=True`` makes every call raise (for fallback tests); ``calls`` records each call.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from operator import itemgetter
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import Field

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
FORCING = ("any", "required", True)


def _words(text: str) -> int:
    return len(text.split())


def fill_args(parameters: dict[str, Any], prompt: str) -> dict[str, Any]:
    """Arguments for a JSON-schema parameter object, read from the prompt."""
    numbers = [float(n) if "." in n else int(n) for n in NUMBER.findall(prompt)]
    quoted = [a or b for a, b in QUOTED.findall(prompt)]
    args: dict[str, Any] = {}
    for name, spec in (parameters.get("properties") or {}).items():
        kind = spec.get("type") or next(
            (s.get("type") for s in spec.get("anyOf", []) if s.get("type") != "null"), "string"
        )
        if kind in ("integer", "number"):
            args[name] = numbers.pop(0) if numbers else 1
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = quoted.pop(0) if quoted else prompt
    return args


class ScriptedChatModel(BaseChatModel):
    """See the module docstring."""

    model_name: str = "scripted"
    fail: bool = False
    calls: list[dict[str, Any]] = Field(default_factory=list)
    structured_methods: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(
            ls_provider="scripted", ls_model_name=kwargs.get("model", self.model_name),
            ls_model_type="chat",
        )

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, method: str = "function_calling",
        strict: bool | None = None, **kwargs: Any,
    ) -> Any:
        if kwargs:
            raise ValueError(f"unsupported arguments {kwargs}")
        self.structured_methods.append(method)
        ls = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        if method == "function_calling":
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, ls_structured_output_format=ls)
            parser: Any = (PydanticToolsParser(tools=[schema], first_tool_only=True) if pydantic
                           else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True))
        elif method in ("json_schema", "json_mode"):
            fmt = convert_to_openai_tool(schema)["function"]
            llm = self.bind(response_format=fmt, ls_structured_output_format=ls)
            parser = PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()
        else:
            raise ValueError(f"unknown method {method!r}")
        if include_raw:
            assign = RunnablePassthrough.assign(
                parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
            )
            return RunnableMap(raw=llm) | assign
        return llm | parser

    # ---- the script ---------------------------------------------------------------------------
    def _respond(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> AIMessage:
        tools = kwargs.get("tools") or []
        choice = kwargs.get("tool_choice")
        self.calls.append({"n_messages": len(messages), "tools": [t["function"]["name"]
                           for t in tools], "tool_choice": choice, "kwargs": sorted(kwargs)})
        if self.fail:
            raise RuntimeError(f"{self.model_name} is unavailable")
        humans = [m.text for m in messages if isinstance(m, HumanMessage)]
        prompt = humans[-1] if humans else messages[-1].text
        n_in = sum(_words(m.text) for m in messages)
        tool = self._pick_tool(tools, choice, prompt, messages[-1])
        if tool is not None:
            args = fill_args(tool["function"].get("parameters") or {}, prompt)
            call = {"name": tool["function"]["name"], "args": args,
                    "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}
            msg = AIMessage("", tool_calls=[call])
            n_out = _words(json.dumps(args))
        elif kwargs.get("response_format"):
            text = json.dumps(fill_args(kwargs["response_format"].get("parameters") or {}, prompt))
            msg, n_out = AIMessage(text), _words(text)
        else:
            last = messages[-1]
            if isinstance(last, ToolMessage):
                text = f"The tool returned {last.text}. That is the answer from {self.model_name}."
            else:
                text = f"Hello! {self.model_name} here, answering: {prompt[:80]}"
            for s in stop or []:
                if s and s in text:
                    text = text[: text.index(s)] or "..."
            msg, n_out = AIMessage(text), _words(text)
        msg.usage_metadata = {"input_tokens": n_in, "output_tokens": max(n_out, 1),
                              "total_tokens": n_in + max(n_out, 1)}
        msg.response_metadata = {"model_name": self.model_name}
        return msg

    @staticmethod
    def _pick_tool(tools: list[dict[str, Any]], choice: Any, prompt: str,
                   last: BaseMessage) -> dict[str, Any] | None:
        if not tools or isinstance(last, ToolMessage) or choice == "none":
            return None
        by_name = {t["function"]["name"]: t for t in tools}
        if isinstance(choice, dict):
            choice = (choice.get("function") or choice).get("name")
        if isinstance(choice, str) and choice in by_name:
            return by_name[choice]
        low = prompt.lower()
        for name, t in by_name.items():
            parts = [p for p in name.lower().split("_") if len(p) > 3]
            if name.lower() in low or any(p in low for p in parts):
                return t
        return tools[0] if (choice in FORCING or "tool" in low) else None

    def _chunks(self, msg: AIMessage) -> list[AIMessageChunk]:
        if msg.tool_calls:
            tc = msg.tool_calls[0]
            args = json.dumps(tc["args"], ensure_ascii=False)
            half = len(args) // 2
            out = [
                AIMessageChunk(content="", tool_call_chunks=[
                    {"name": tc["name"], "args": args[:half], "id": tc["id"], "index": 0}]),
                AIMessageChunk(content="", tool_call_chunks=[
                    {"name": None, "args": args[half:], "id": None, "index": 0}]),
            ]
        else:
            out = [AIMessageChunk(content=w) for w in re.findall(r"\S+\s*", msg.text)]
        out.append(AIMessageChunk(content="", usage_metadata=msg.usage_metadata,
                                  response_metadata=dict(msg.response_metadata),
                                  chunk_position="last"))
        return out

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._respond(messages, stop, **kwargs))])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._respond(messages, stop, **kwargs)):
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                run_manager.on_llm_new_token(chunk.content, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: Any = None, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._respond(messages, stop, **kwargs)):
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                await run_manager.on_llm_new_token(chunk.content,
                                                   chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)
