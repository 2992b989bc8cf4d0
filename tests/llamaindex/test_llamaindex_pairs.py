"""RouteLLM routes for the pair it wraps: inner LLMs named like real ones (``model`` and
``metadata.model_name``), a planted router where the pair matters, an unknown pair."""

from __future__ import annotations

from llama_index.core.base.llms.types import LLMMetadata
from llama_index.core.llms import MockLLM
from routellm_test_fake_routers import PlantedPairRouter

from llamaindex_routellm import RouteLLM
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL

MATHS, WRITING = "prove the theorem about primes", "write a poem about autumn"


class ModelLLM(MockLLM):
    """An LLM named by its ``model`` field (as ``OpenAI(model="gpt-4o")``)."""

    model: str = "mock"


class MetadataLLM(MockLLM):
    """An LLM named only by ``metadata.model_name``."""

    name: str = "mock"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.name)


def by_model(name: str) -> ModelLLM:
    llm = ModelLLM()  # MockLLM's constructor takes only its own arguments
    llm.model = name
    return llm


def by_metadata(name: str) -> MetadataLLM:
    llm = MetadataLLM()
    llm.name = name
    return llm


def _record(llm: RouteLLM, text: str) -> dict:
    return llm.complete(text).additional_kwargs["routellm"]


def test_llm_names_choose_the_pair_scored() -> None:
    llm = RouteLLM(strong=by_model("gpt-4o"), weak=by_metadata("gpt-4o-mini"),
                   router=PlantedPairRouter(), strong_fraction=0.2, pair="auto")
    rec = _record(llm, WRITING)
    assert rec["route"] == "strong" and rec["pair"] == [STRONG_MODEL, "gpt-4o-mini"]
    assert _record(llm, MATHS)["route"] == "weak"
    llm = RouteLLM(strong=by_model("gpt-4o"), weak=by_model("mixtral-8x7b"),
                   router=PlantedPairRouter(), strong_fraction=0.2, pair="auto")
    assert _record(llm, MATHS)["route"] == "strong" and _record(llm, WRITING)["route"] == "weak"


def test_explicit_pair_aliases_and_an_unknown_pair() -> None:
    def make(**kw) -> RouteLLM:
        return RouteLLM(strong=by_model("acme-large"), weak=by_model("acme-small"),
                        router=PlantedPairRouter(), strong_fraction=0.2, **kw)

    rec = _record(make(pair="auto"), MATHS)
    assert rec["route"] == "strong" and rec["pair"] == [STRONG_MODEL, WEAK_MODEL]
    assert _record(make(pair=("gpt-4o", "gpt-4o-mini")), WRITING)["route"] == "strong"
    llm = make(aliases={"acme-large": "gpt-4o", "acme-small": "gpt-4o-mini"}, pair="auto")
    assert _record(llm, WRITING)["pair"] == [STRONG_MODEL, "gpt-4o-mini"]
    # off by default: the router's own pair, whatever the inner models
    llm = RouteLLM(strong=by_model("gpt-4o"), weak=by_model("gpt-4o-mini"),
                   router=PlantedPairRouter(), strong_fraction=0.2)
    assert _record(llm, WRITING)["pair"] == [STRONG_MODEL, WEAK_MODEL]
