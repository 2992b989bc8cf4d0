"""``as_judge``: any LlamaIndex LLM as the judge of ``routellm judge`` / ``judge_log``.

The core takes a plain callable ``prompt -> text`` (it imports no framework); this adapter
calls ``llm.complete(prompt)`` and hands back the reply with the provider's token counts when
the raw response carries them (``usage.prompt_tokens``/``completion_tokens`` or
``input_tokens``/``output_tokens``).

Example:
    >>> from llama_index.core.llms import MockLLM
    >>> judge = as_judge(MockLLM(), name="mock")
    >>> judge.name, isinstance(judge.fn("VERDICT: A").text, str)
    ('mock', True)
"""

from __future__ import annotations

from typing import Any

from llama_index.core.llms import LLM

from routellm_core.errors import ConfigError
from routellm_core.evaluation.judge import JUDGE_PROMPT, JudgeReply, PromptJudge

__all__ = ["as_judge", "LLMCall"]


def _usage(raw: Any) -> tuple[int | None, int | None]:
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is None:
        return None, None

    def get(*keys: str) -> int | None:
        for k in keys:
            v = usage.get(k) if isinstance(usage, dict) else getattr(usage, k, None)
            if isinstance(v, int) and not isinstance(v, bool):
                return v
        return None

    return get("prompt_tokens", "input_tokens"), get("completion_tokens", "output_tokens")


class LLMCall:
    """``prompt -> JudgeReply`` through a LlamaIndex LLM's ``complete``."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    def __call__(self, prompt: str) -> JudgeReply:
        resp = self.llm.complete(prompt)
        tin, tout = _usage(getattr(resp, "raw", None))
        return JudgeReply(str(resp.text), tin, tout)


def as_judge(llm: LLM, *, name: str | None = None, template: str = JUDGE_PROMPT) -> PromptJudge:
    """``llm`` as a judge for :func:`routellm_core.evaluation.judge.judge_log`.

    Args:
        llm: any LlamaIndex LLM (``OpenAI(model="gpt-4o")``, ...).
        name: the judge's name in the feedback (default: ``llm.metadata.model_name``);
            reruns skip the pairs judged under it.
        template: the judge prompt (``{prompt}``, ``{first}``, ``{second}``).

    Raises:
        ConfigError: ``llm`` is not a LlamaIndex LLM.
    """
    if not isinstance(llm, LLM):
        raise ConfigError(f"as_judge needs a LlamaIndex LLM, got {type(llm).__name__}")
    label = name or str(getattr(llm.metadata, "model_name", None) or type(llm).__name__)
    return PromptJudge(LLMCall(llm), name=label, template=template)
