"""RouteLLM inside real LlamaIndex machinery, offline: query engines, chat engines, agents,
structured prediction."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from .conftest import multiply, multiply_agent, scripted

# The retrieved context is full of "hard" keywords; the questions below are not.
DOCS = [
    Document(text="To prove the theorem, derive the integral by parts. The sky is blue."),
    Document(text="Every theorem here needs a proof: derive, prove, integrate."),
]
EASY_Q = "What colour is the sky?"
HARD_Q = "Prove that the sky is blue."


@pytest.fixture
def index():
    return VectorStoreIndex.from_documents(DOCS)


def decisions(events):
    return [(e.route, e.reason) for e in events.of("RouteDecisionEvent")]


# ---- query engines ---------------------------------------------------------------------------
@pytest.mark.parametrize("chat_model", [True, False], ids=["chat-inner", "completion-inner"])
def test_query_engine_routes_on_the_question_not_the_context(index, make_llm, router, events,
                                                            chat_model):
    strong, weak = scripted("strong"), scripted("weak")
    strong.is_chat_model = weak.is_chat_model = chat_model
    llm = make_llm(strong=strong, weak=weak)
    qe = index.as_query_engine(llm=llm)
    qe.query(EASY_Q)
    qe.query(HARD_Q)
    assert router.seen == [EASY_Q, HARD_Q]
    assert decisions(events) == [("weak", "router"), ("strong", "router")]
    # the stuffed prompt reached the model that was chosen
    if chat_model:
        assert "derive the integral" in weak.test_log[0]


def test_last_user_policy_scores_the_stuffed_prompt(index, make_llm, router, events):
    qe = index.as_query_engine(llm=make_llm(routing_text="last_user"))
    str(qe.query(EASY_Q))
    assert decisions(events) == [("strong", "router")]  # the context's keywords won
    assert "derive the integral" in router.seen[0]


def test_streaming_query_engine_routes_on_the_question(index, make_llm, router, events):
    qe = index.as_query_engine(llm=make_llm(), streaming=True)
    resp = qe.query(EASY_Q)
    text = "".join(resp.response_gen)
    assert text.startswith("[weak]")
    resp = qe.query(HARD_Q)
    assert "".join(resp.response_gen).startswith("[strong]")
    assert router.seen == [EASY_Q, HARD_Q]


async def test_async_query_engine(index, make_llm, router, events):
    qe = index.as_query_engine(llm=make_llm())
    r = await qe.aquery(EASY_Q)
    assert str(r).startswith("[weak]")
    sqe = index.as_query_engine(llm=make_llm(), streaming=True)
    r = await sqe.aquery(HARD_Q)
    assert "".join([t async for t in r.async_response_gen()]).startswith("[strong]")
    assert router.seen == [EASY_Q, HARD_Q]


def test_force_block_reaches_through_a_query_engine(index, make_llm, router):
    llm = make_llm()
    qe = index.as_query_engine(llm=llm)
    with llm.force("strong"):
        assert str(qe.query(EASY_Q)).startswith("[strong]")
    assert router.seen == []


# ---- chat engines ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["simple", "context", "condense_plus_context"])
def test_chat_engine_routes_each_turn(index, make_llm, mode):
    llm = make_llm()
    ce = index.as_chat_engine(chat_mode=mode, llm=llm)
    assert str(ce.chat(HARD_Q)).startswith("[strong]")
    assert str(ce.chat("Thanks! And the grass?")).startswith("[weak]")
    assert str(ce.chat("Now derive it formally.")).startswith("[strong]")


@pytest.mark.parametrize("mode", ["simple", "context", "condense_plus_context"])
async def test_chat_engine_async_and_streaming(index, make_llm, mode):
    ce = index.as_chat_engine(chat_mode=mode, llm=make_llm())
    r = await ce.achat(HARD_Q)
    assert str(r).startswith("[strong]")
    s = await ce.astream_chat("Thanks! And the grass?")
    text = "".join([t async for t in s.async_response_gen()])
    assert text.startswith("[weak]")
    s2 = ce.stream_chat("Now derive it formally.")
    assert "".join(s2.response_gen).startswith("[strong]")


def test_sticky_chat_engine_stays_on_the_first_route(index, make_llm):
    ce = index.as_chat_engine(chat_mode="simple", llm=make_llm(sticky=True))
    assert str(ce.chat(HARD_Q)).startswith("[strong]")
    assert str(ce.chat("Thanks! And the grass?")).startswith("[strong]")


# ---- agents ----------------------------------------------------------------------------------
@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_calls_the_tool_on_one_model(make_llm, events, streaming):
    llm = make_llm()
    agent = multiply_agent(llm, streaming)
    out = await agent.run(user_msg="Derive 6 times 7 with the multiply tool.")
    assert out.response.content.startswith("[strong] the tool said 42")
    assert [t.tool_name for t in out.tool_calls] == ["multiply"]
    # both LLM turns of the tool loop were routed on the user's message: same model
    assert decisions(events) == [("strong", "router"), ("strong", "router")]
    easy = await agent.run(user_msg="Multiply 6 by 7 please.")
    assert easy.response.content.startswith("[weak] the tool said 42")


async def test_function_agent_tool_call_falls_back_to_the_other_model(make_llm, events):
    llm = make_llm(strong=scripted("strong", fail=True), fallback=True)
    agent = multiply_agent(llm, streaming=False)
    out = await agent.run(user_msg="Derive 6 times 7.")
    assert out.response.content.startswith("[weak] the tool said 42")
    assert ("weak", "fallback") in decisions(events)


def test_chat_with_tools_sync_and_forced(make_llm):
    llm = make_llm()
    tool = FunctionTool.from_defaults(multiply)
    r = llm.chat_with_tools([tool], user_msg="Derive 6*7", route="weak")
    assert r.additional_kwargs["routellm"] == {**r.additional_kwargs["routellm"],
                                               "route": "weak", "reason": "forced"}
    calls = llm.get_tool_calls_from_response(r)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    out = llm.predict_and_call([tool], user_msg="Derive 6*7")
    assert str(out) == "42"


async def test_react_agent(make_llm, events):
    llm = make_llm(strong=scripted("strong", react=True), weak=scripted("weak", react=True))
    agent = ReActAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)
    out = await agent.run(user_msg="Prove it.")
    assert "[strong] 42" in out.response.content
    out = await agent.run(user_msg="Hello there.")
    assert "[weak] 42" in out.response.content


async def test_agent_workflow(make_llm):
    calc = FunctionAgent(name="calc", description="Multiplies numbers.",
                         tools=[FunctionTool.from_defaults(multiply)], llm=make_llm())
    wf = AgentWorkflow(agents=[calc], root_agent="calc")
    out = await wf.run(user_msg="Multiply 6 by 7.")
    assert out.response.content.startswith("[weak] the tool said 42")


# ---- structured prediction -------------------------------------------------------------------
class Answer(BaseModel):
    value: int
    unit: str


def test_structured_predict_routes_on_the_question(make_llm, router, events):
    llm = make_llm()
    prompt = PromptTemplate("Context: prove, derive, theorem.\nQuestion: {query_str}")
    out = llm.structured_predict(Answer, prompt, query_str=EASY_Q)
    assert out == Answer(value=7, unit="apples")
    assert decisions(events) == [("weak", "router")]
    assert router.seen == [EASY_Q]


async def test_astructured_predict(make_llm, events):
    llm = make_llm()
    out = await llm.astructured_predict(Answer, PromptTemplate("Q: {query_str}"), query_str=HARD_Q)
    assert out.value == 7
    assert decisions(events) == [("strong", "router")]


async def test_100_concurrent_async_queries_keep_consistent_stats(index, make_llm, router, events):
    import asyncio

    llm = make_llm(prices={"strong": (10.0, 30.0), "weak": (0.5, 1.5)})
    qe = index.as_query_engine(llm=llm)
    questions = [HARD_Q if i % 5 == 0 else f"{EASY_Q} ({i})" for i in range(100)]
    answers = await asyncio.gather(*(qe.aquery(q) for q in questions))
    for q, a in zip(questions, answers):
        assert str(a).startswith("[strong]" if q == HARD_Q else "[weak]")
    s = llm.stats.snapshot()
    assert s.calls == {"strong": 20, "weak": 80} and s.total_calls == 100
    assert sorted(router.seen) == sorted(questions)
    assert len(events.of("RouteDecisionEvent")) == 100
    # the same queries one by one give the same token totals: no update was lost or doubled
    seq = make_llm(router=type(router)())
    sqe = index.as_query_engine(llm=seq)
    for q in questions:
        await sqe.aquery(q)
    s2 = seq.stats.snapshot()
    assert (s.input_tokens, s.output_tokens) == (s2.input_tokens, s2.output_tokens)
    assert s.cost == pytest.approx(
        (s.input_tokens["strong"] * 10 + s.output_tokens["strong"] * 30
         + s.input_tokens["weak"] * 0.5 + s.output_tokens["weak"] * 1.5) / 1e6)
