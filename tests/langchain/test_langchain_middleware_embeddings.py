"""RouteLLMDecisionModel (ModelRouterMiddleware) and LangChainEmbedder."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import BrokenRouter, KeywordRouter
from langchain_core.decisions import Choice, Noul, Score
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from langchain_routellm import LangChainEmbedder, RouteLLMChat, RouteLLMDecisionModel
from routellm_core.errors import DataError

HARD = "Prove that the weather theorem holds in Paris."
EASY = "What is the weather in Paris?"
CHOICE = Choice(instructions="Pick a model", criteria={"strong": "hard", "weak": "easy"})


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"It is sunny in {city}."


def _clf(**kw):
    kw.setdefault("router", KeywordRouter())
    kw.setdefault("threshold", 0.5)
    return RouteLLMDecisionModel(**kw)


def test_choice_answer_follows_the_router():
    clf = _clf()
    hard = clf.invoke({"state": HumanMessage(HARD), "questions": {"route": CHOICE}})
    easy = clf.invoke({"state": EASY, "questions": {"route": CHOICE}})
    a = hard.choices["route"]
    assert (a.choice, a.probabilities, a.confidence) == (
        "strong", {"strong": pytest.approx(0.9), "weak": pytest.approx(0.1)}, pytest.approx(0.9))
    assert easy.choices["route"].choice == "weak"
    assert clf.stats.snapshot().calls == {"strong": 1, "weak": 1}


async def test_async_noul_and_message_list_state():
    clf = _clf()
    out = await clf.ainvoke({"state": [HumanMessage(HARD), AIMessage("ok"), HumanMessage(EASY)],
                             "questions": {"hard": Noul(instructions="Is it hard?")}})
    assert out.nouls["hard"].noul == pytest.approx(0.1)  # last_user policy: the easy turn


def test_custom_labels_and_bad_questions():
    clf = _clf(strong_label="powerful", weak_label="fast")
    q = Choice(instructions="x", criteria={"powerful": "a", "fast": "b"})
    assert clf.invoke({"state": HARD, "questions": {"m": q}}).choices["m"].choice == "powerful"
    with pytest.raises(DataError, match="'powerful' and 'fast'"):
        clf.invoke({"state": HARD, "questions": {"m": CHOICE}})
    with pytest.raises(DataError, match="Choice and Noul questions only"):
        clf.invoke({"state": HARD, "questions": {"s": Score(instructions="x", criteria=["a", "b"])}})


def test_router_error_is_a_choice_of_the_fail_safe_route():
    out = _clf(router=BrokenRouter()).invoke({"state": EASY, "questions": {"r": CHOICE}})
    assert out.choices["r"].choice == "strong"
    assert out.choices["r"].probabilities["strong"] == 1.0


def test_shares_the_engine_of_a_chat_model(strong, weak):
    llm = RouteLLMChat(strong=strong, weak=weak, router=KeywordRouter(), threshold=0.5)
    clf = RouteLLMDecisionModel(engine=llm.engine)
    clf.invoke({"state": HARD, "questions": {"r": CHOICE}})
    assert llm.stats.snapshot().calls["strong"] == 1


def test_model_router_middleware_routes_the_run_once(strong, weak):
    from langchain.agents import create_agent
    from langchain.agents.middleware import ModelChoice, ModelRouterMiddleware

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the middleware is marked beta
        mw = ModelRouterMiddleware(
            choices={"strong": ModelChoice(model=strong, criteria="hard"),
                     "weak": ModelChoice(model=weak, criteria="easy")},
            instructions="Pick the cheapest model that will do.",
            classifier=_clf(),
        )
    agent = create_agent(weak, [get_weather], middleware=[mw])
    agent.invoke({"messages": [HumanMessage(HARD)]})
    assert len(strong.calls) == 2 and weak.calls == []  # tool call + answer, both strong
    agent.invoke({"messages": [HumanMessage(EASY)]})
    assert len(weak.calls) == 2 and len(strong.calls) == 2


# ---- LangChainEmbedder ------------------------------------------------------------------------
class CountingEmbeddings(Embeddings):
    def __init__(self, size: int = 8, scale: float = 3.0) -> None:
        self.size, self.scale, self.queries, self.documents = size, scale, 0, 0

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += 1
        return [[self.scale * (len(t) + i) for i in range(self.size)] for t in texts]


def test_embedder_probes_dim_lazily_and_normalises():
    base = CountingEmbeddings(size=8)
    emb = LangChainEmbedder(base)
    assert base.queries == 0  # nothing embedded at construction
    assert emb.dim == 8 and emb.dim == 8 and base.queries == 1
    out = emb.embed(["a", "bb", "ccc"])
    assert out.dtype == np.float32 and out.shape == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    assert emb.model_id == "langchain:CountingEmbeddings"


def test_embedder_given_dim_and_model_id():
    base = CountingEmbeddings(size=4)
    emb = LangChainEmbedder(base, model_id="my-emb", dim=4)
    assert emb.embed(["x"]).shape == (1, 4) and base.queries == 0
    assert emb.model_id == "my-emb"
    with pytest.raises(DataError, match="returned 4-d embeddings but dim is 5"):
        LangChainEmbedder(base, dim=5).embed(["x"])


def test_embedder_errors():
    with pytest.raises(TypeError, match="Embeddings"):
        LangChainEmbedder(object())  # type: ignore[arg-type]
    with pytest.raises(DataError, match="single string"):
        LangChainEmbedder(DeterministicFakeEmbedding(size=4)).embed("text")
    nan = CountingEmbeddings(size=3, scale=float("nan"))
    with pytest.raises(DataError, match="non-finite"):
        LangChainEmbedder(nan, dim=3).embed(["x"])
    assert LangChainEmbedder(DeterministicFakeEmbedding(size=4)).embed([]).shape == (0, 4)


def test_embedder_model_id_reads_the_model_attribute():
    class Named(CountingEmbeddings):
        model = "text-embedding-3-small"

    assert LangChainEmbedder(Named()).model_id == "langchain:Named:text-embedding-3-small"
