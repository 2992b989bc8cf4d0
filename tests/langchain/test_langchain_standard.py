"""LangChain's standard chat-model suites against RouteLLMChat over two scripted models.

Skipped standard tests are only the capabilities the scripted fake lacks (images, audio,
PDF, Anthropic-format inputs), the VCR timing test (no recorded cassettes) and, in the unit
suite, environment-variable initialisation and serialisation (RouteLLMChat holds live model
objects and is not serialisable).

(The file is not called test_standard.py: tests/ is not a package, so test module names must
be unique across tests/langchain and tests/llamaindex.)
"""

from __future__ import annotations

from typing import Any

from conftest import KeywordRouter
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests
from lc_fakes import ScriptedChatModel

from langchain_routellm import RouteLLMChat


def _params() -> dict[str, Any]:
    # Fresh inner models per test; "random" routes half of the calls to each model, so
    # every standard test exercises both routes across the suite.
    return {
        "strong": ScriptedChatModel(model_name="fake-strong"),
        "weak": ScriptedChatModel(model_name="fake-weak"),
        "router": "random",
        "strong_fraction": 0.5,
    }


class _Setup:
    """What every suite here shares: the wrapper, its parameters, the model an override names."""

    @property
    def chat_model_class(self) -> type[RouteLLMChat]:
        return RouteLLMChat

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def model_override_value(self) -> str:
        return "fake-weak"


class TestRouteLLMChatUnit(_Setup, ChatModelUnitTests):
    pass


class TestRouteLLMChatIntegration(_Setup, ChatModelIntegrationTests):
    @property
    def supports_json_mode(self) -> bool:
        return True  # the scripted fake's with_structured_output(method="json_mode")


class TestRouteLLMChatIntegrationKeywordRouter(TestRouteLLMChatIntegration):
    """The same suite with a content-based router (other prompts, other routes)."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**_params(), "router": KeywordRouter(), "strong_fraction": None,
                "threshold": 0.5, "routing_text": "conversation", "fallback": True}

    @property
    def model_override_value(self) -> str:
        return "fake-strong"
