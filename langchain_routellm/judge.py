"""``as_judge``: any LangChain chat model as the judge of ``routellm judge`` / ``judge_log``.

The core takes a plain callable ``prompt -> text`` (it imports no framework); this adapter
sends the judge prompt as one human message and hands back the reply with the provider's
token counts (``usage_metadata``) when the model reports them.

Example:
    >>> from langchain_core.language_models import FakeListChatModel
    >>> judge = as_judge(FakeListChatModel(responses=["Both fine.\\nVERDICT: TIE"]), name="fake")
    >>> judge.name, judge.fn("Which is better?").text
    ('fake', 'Both fine.\\nVERDICT: TIE')
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from routellm_core.errors import ConfigError
from routellm_core.evaluation.judge import JUDGE_PROMPT, JudgeReply, PromptJudge

__all__ = ["as_judge", "ChatModelCall"]


class ChatModelCall:
    """``prompt -> JudgeReply`` through a LangChain chat model's ``invoke``."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    def __call__(self, prompt: str) -> JudgeReply:
        msg: Any = self.model.invoke(prompt)
        text = msg.text if isinstance(getattr(type(msg), "text", None), property) \
            else str(msg.content)
        usage = getattr(msg, "usage_metadata", None) or {}
        return JudgeReply(text, usage.get("input_tokens"), usage.get("output_tokens"))


def as_judge(model: BaseChatModel, *, name: str | None = None,
             template: str = JUDGE_PROMPT) -> PromptJudge:
    """``model`` as a judge for :func:`routellm_core.evaluation.judge.judge_log`.

    Args:
        model: any LangChain chat model (``ChatOpenAI(model="gpt-4o")``, ...).
        name: the judge's name in the feedback (default: the model's ``model_name`` or
            ``model``, else its class name); reruns skip the pairs judged under it.
        template: the judge prompt (``{prompt}``, ``{first}``, ``{second}``).

    Raises:
        ConfigError: ``model`` is not a LangChain chat model.
    """
    if not isinstance(model, BaseChatModel):
        raise ConfigError(f"as_judge needs a LangChain chat model, got {type(model).__name__}")
    label = name or str(getattr(model, "model_name", None) or getattr(model, "model", None)
                        or type(model).__name__)
    return PromptJudge(ChatModelCall(model), name=label, template=template)
