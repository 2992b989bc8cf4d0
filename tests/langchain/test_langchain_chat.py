"""RouteLLMChat behaviour beyond the standard suites: routing, records, tools, agents, safety,
statistics and concurrency. Inner models are ScriptedChatModel (lc_fakes); the router is the
zero-cost KeywordRouter from conftest ('prove', 'derive', 'theorem'... route strong)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import BrokenRouter, KeywordRouter
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.rate_limiters import BaseRateLimiter
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from lc_fakes import ScriptedChatModel
from pydantic import BaseModel, ValidationError

from langchain_routellm import RouteLLMChat, messages_to_turns
from routellm_core.routing.engine import RouteDecision

HARD = "Prove that there are infinitely many primes."
EASY = "Say hello to my friend."


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"It is sunny in {city}."


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


class CountingHandler(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts = 0
        self.ends = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self.ends += 1


# ---- construction -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("gpt-4o", "init_chat_model('gpt-4o')"),
        (FakeListLLM(responses=["x"]), "text-completion LLMs"),
        (ScriptedChatModel().bind(temperature=0), "pass the chat model itself"),
        (42, "BaseChatModel"),
    ],
)
def test_non_chat_models_are_rejected(weak, bad, needle):
    with pytest.raises(ValidationError) as err:
        RouteLLMChat(strong=bad, weak=weak, router="random")
    assert "strong= must be a LangChain chat model" in str(err.value)
    assert needle in str(err.value)


def test_bad_options_are_rejected(make_llm):
    with pytest.raises(ValueError, match="not both"):
        make_llm(router="random", strong_fraction=0.3, threshold=0.5)
    with pytest.raises(ValueError, match="routing_text policy"):
        make_llm(routing_text="last_human")
    with pytest.raises(ValidationError, match="strong_fracton"):
        make_llm(strong_fracton=0.3)  # a typo is an error, not silently ignored
    with pytest.raises(ValueError, match="unknown router"):
        make_llm(router="no-such-router")


def test_empty_message_list_is_a_value_error(make_llm):
    with pytest.raises(ValueError, match="empty message list"):
        make_llm().invoke([])


def test_messages_to_turns_roles():
    from langchain_core.messages import ChatMessage, ToolMessage

    turns = messages_to_turns([
        SystemMessage("s"), HumanMessage("h"), AIMessage("a"),
        ToolMessage("t", tool_call_id="1"), ChatMessage(role="user", content="c"),
    ])
    assert [t.role for t in turns] == ["system", "user", "assistant", "tool", "user"]
    assert [t.text for t in turns] == ["s", "h", "a", "t", "c"]


# ---- routing and the route record -----------------------------------------------------------
def test_routes_by_score_and_records_the_decision(make_llm):
    llm = make_llm()
    hard, easy = llm.invoke(HARD), llm.invoke(EASY)
    assert hard.response_metadata["model_name"] == "big-model"
    assert easy.response_metadata["model_name"] == "small-model"
    rec = hard.response_metadata["routellm"]
    assert rec == {"route": "strong", "model": "big-model", "score": pytest.approx(0.9),
                   "threshold": 0.5, "router": "keyword", "reason": "router",
                   "pair": ["s", "w"]}  # the router's own pair: it has no per-model estimates
    assert easy.response_metadata["routellm"]["route"] == "weak"
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": 1, "weak": 1}
    assert snap.input_tokens["strong"] == hard.usage_metadata["input_tokens"]
    assert snap.output_tokens["weak"] == easy.usage_metadata["output_tokens"]


@pytest.mark.parametrize("policy,expected", [("last_user", "weak"), ("first_user", "strong"),
                                             ("conversation", "strong")])
def test_routing_text_policies(make_llm, policy, expected):
    msgs = [HumanMessage(HARD), AIMessage("Here is a proof."), HumanMessage(EASY)]
    out = make_llm(routing_text=policy).invoke(msgs)
    assert out.response_metadata["routellm"]["route"] == expected


def test_routing_text_function_receives_the_messages(make_llm):
    seen = []

    def question(messages):
        seen.append(messages)
        return messages[-1].text.split("Question:")[-1]

    llm = make_llm(routing_text=question)
    prompt = f"Context: {HARD} (a retrieved document)\nQuestion: {EASY}"
    assert llm.invoke(prompt).response_metadata["routellm"]["route"] == "weak"
    assert isinstance(seen[0][0], HumanMessage)
    # the default policy scores the whole stuffed prompt and goes strong
    assert make_llm().invoke(prompt).response_metadata["routellm"]["route"] == "strong"


def test_stream_puts_the_record_on_exactly_one_chunk(make_llm):
    llm = make_llm()
    chunks = list(llm.stream(HARD))
    tagged = [c for c in chunks if "routellm" in c.response_metadata]
    assert len(tagged) == 1
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert full.response_metadata["routellm"]["route"] == "strong"  # not "strongstrong"
    assert full.response_metadata["model_name"] == "big-model"
    assert full.usage_metadata["input_tokens"] > 0
    assert llm.stats.snapshot().output_tokens["strong"] == full.usage_metadata["output_tokens"]


async def test_astream_record_and_usage(make_llm):
    llm = make_llm()
    full = None
    async for c in llm.astream(EASY):
        full = c if full is None else full + c
    assert isinstance(full, AIMessageChunk)
    assert full.response_metadata["routellm"]["route"] == "weak"
    assert llm.stats.snapshot().input_tokens["weak"] == full.usage_metadata["input_tokens"]


def test_on_route_callback_and_prices(make_llm):
    seen: list[RouteDecision] = []
    llm = make_llm(on_route=seen.append, prices={"strong": (10.0, 30.0), "weak": (1.0, 2.0)})
    a, b = llm.invoke(HARD), llm.invoke(EASY)
    assert [d.route for d in seen] == ["strong", "weak"]
    snap = llm.stats.snapshot()
    ua, ub = a.usage_metadata, b.usage_metadata
    cost = (ua["input_tokens"] * 10 + ua["output_tokens"] * 30
            + ub["input_tokens"] * 1 + ub["output_tokens"] * 2) / 1e6
    always = ((ua["input_tokens"] + ub["input_tokens"]) * 10
              + (ua["output_tokens"] + ub["output_tokens"]) * 30) / 1e6
    assert snap.cost == pytest.approx(cost)
    assert snap.always_strong_cost == pytest.approx(always)
    assert snap.savings == pytest.approx(always - cost) and snap.savings > 0


def test_exactly_one_llm_run_per_call(make_llm):
    llm = make_llm()
    for call in (lambda h: llm.invoke(HARD, config={"callbacks": [h]}),
                 lambda h: list(llm.stream(EASY, config={"callbacks": [h]})),
                 lambda h: llm.bind_tools([get_weather]).invoke(
                     "weather in Paris?", config={"callbacks": [h]})):
        h = CountingHandler()
        call(h)
        assert (h.starts, h.ends) == (1, 1)


async def test_astream_events_v1_v2_single_chat_model_run(make_llm):
    llm = make_llm()
    for version in ("v1", "v2"):
        events = [e async for e in llm.astream_events(HARD, version=version)]
        kinds = [e["event"] for e in events]
        assert kinds.count("on_chat_model_start") == 1
        assert kinds.count("on_chat_model_end") == 1
        assert kinds.count("on_chat_model_stream") >= 2
        end = next(e for e in events if e["event"] == "on_chat_model_end")
        assert end["data"]["output"].response_metadata["routellm"]["route"] == "strong"


def test_usage_callback_counts_once_per_inner_model(make_llm):
    llm = make_llm()
    with get_usage_metadata_callback() as cb:
        a = llm.invoke(HARD)
        b = llm.invoke(EASY)
        c = None
        for chunk in llm.stream(EASY):
            c = chunk if c is None else c + chunk
    usage = cb.usage_metadata
    assert set(usage) == {"big-model", "small-model"}
    assert usage["big-model"]["input_tokens"] == a.usage_metadata["input_tokens"]
    assert usage["small-model"]["total_tokens"] == (
        b.usage_metadata["total_tokens"] + c.usage_metadata["total_tokens"]
    )


# ---- forced routes ----------------------------------------------------------------------------
@pytest.mark.parametrize("force,model", [("strong", "big-model"), ("weak", "small-model"),
                                         ("small-model", "small-model"),
                                         ("big-model", "big-model")])
def test_forced_routes(make_llm, force, model):
    llm = make_llm()
    out = llm.invoke(EASY if model == "big-model" else HARD, model=force)
    assert out.response_metadata["model_name"] == model
    assert out.response_metadata["routellm"]["reason"] == "forced"
    assert llm.bind(model=force).invoke(HARD).response_metadata["model_name"] == model


def test_unknown_forced_route_names_the_valid_ones(make_llm):
    with pytest.raises(ValueError, match="big-model"):
        make_llm().invoke(HARD, model="gpt-5")


# ---- chains, batch, tools, structured output, agents -------------------------------------------
def test_lcel_chain(make_llm, strong, weak):
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    chain = prompt | make_llm() | StrOutputParser()
    assert "big-model" in chain.invoke({"q": HARD})
    assert "small-model" in chain.invoke({"q": EASY})
    assert len(strong.calls) == len(weak.calls) == 1


def test_batch_with_mixed_routes(make_llm):
    llm = make_llm()
    prompts = [HARD, EASY, "Derive the integral of x^2.", "hi", EASY]
    outs = llm.batch(prompts)
    got = [o.response_metadata["model_name"] for o in outs]
    assert got == ["big-model", "small-model", "big-model", "small-model", "small-model"]
    assert llm.stats.snapshot().calls == {"strong": 2, "weak": 3}


async def test_abatch_with_mixed_routes(make_llm):
    outs = await make_llm().abatch([HARD, EASY])
    assert [o.response_metadata["routellm"]["route"] for o in outs] == ["strong", "weak"]


def test_bind_tools_binds_on_the_chosen_model(make_llm, strong, weak):
    llm = make_llm().bind_tools([get_weather], tool_choice="get_weather")
    out = llm.invoke("Prove it will rain in Oslo.")
    assert out.tool_calls[0]["name"] == "get_weather"
    assert out.response_metadata["model_name"] == "big-model"
    assert strong.calls[-1]["tools"] == ["get_weather"]
    assert strong.calls[-1]["tool_choice"] == "get_weather"
    assert weak.calls == []
    # tools=[] is forwarded too (create_agent binds response formats that way)
    make_llm().bind_tools([]).invoke(EASY)
    assert weak.calls[-1]["tools"] == [] and "tools" in weak.calls[-1]["kwargs"]


def test_bind_tools_extra_kwargs_reach_the_inner_bind_tools(make_llm, weak):
    make_llm().bind_tools([get_weather], parallel_tool_calls=False).invoke("weather in Rome")
    assert "parallel_tool_calls" in weak.calls[-1]["kwargs"]


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_structured_output_uses_each_models_own_method(make_llm, strong, weak, method):
    llm = make_llm()
    structured = llm.with_structured_output(Joke, method=method)
    assert strong.structured_methods == weak.structured_methods == [method]
    hard = structured.invoke("Prove you can tell a joke about a theorem")
    easy = structured.invoke("Tell me a joke about cats")
    assert isinstance(hard, Joke) and isinstance(easy, Joke)
    assert len(strong.calls) == len(weak.calls) == 1
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": 1, "weak": 1}
    assert snap.input_tokens["strong"] > 0 and snap.output_tokens["weak"] > 0


async def test_structured_output_include_raw_async_and_stream(make_llm):
    structured = make_llm().with_structured_output(Joke, include_raw=True)
    out = await structured.ainvoke(EASY)
    assert isinstance(out["parsed"], Joke)
    assert out["raw"].response_metadata["model_name"] == "small-model"
    chunks = [c async for c in make_llm().with_structured_output(Joke).astream(HARD)]
    assert chunks and isinstance(chunks[-1], Joke)


def test_profile_is_the_intersection():
    a = ScriptedChatModel(model_name="a", profile={"tool_calling": True, "image_inputs": True,
                                                   "max_input_tokens": 200_000})
    b = ScriptedChatModel(model_name="b", profile={"tool_calling": True, "image_inputs": False,
                                                   "max_input_tokens": 128_000,
                                                   "structured_output": True})
    llm = RouteLLMChat(strong=a, weak=b, router="random")
    assert llm.profile == {"tool_calling": True, "image_inputs": False,
                           "max_input_tokens": 128_000}
    assert RouteLLMChat(strong=a, weak=ScriptedChatModel(), router="random").profile is None


def _agent_calls(make_llm, strong, weak, question):
    from langchain.agents import create_agent

    agent = create_agent(make_llm(), [get_weather])
    result = agent.invoke({"messages": [HumanMessage(question)]})
    return result["messages"]


def test_create_agent_tool_loop_stays_on_one_model(make_llm, strong, weak):
    msgs = _agent_calls(make_llm, strong, weak, "Prove the weather in Paris is nice.")
    # human, AI tool call, tool result, AI answer: both model calls on the strong model
    assert [type(m).__name__ for m in msgs] == ["HumanMessage", "AIMessage", "ToolMessage",
                                                "AIMessage"]
    assert len(strong.calls) == 2 and weak.calls == []
    assert all(m.response_metadata["routellm"]["route"] == "strong"
               for m in msgs if isinstance(m, AIMessage))
    strong.calls.clear()
    _agent_calls(make_llm, strong, weak, "What is the weather in Paris?")
    assert len(weak.calls) == 2 and strong.calls == []


# ---- safety -----------------------------------------------------------------------------------
def test_router_error_fails_safe_to_strong_with_a_warning(make_llm, caplog):
    llm = make_llm(router=BrokenRouter())
    with caplog.at_level(logging.WARNING, logger="routellm"):
        out = llm.invoke(EASY)
    assert out.response_metadata["routellm"]["reason"] == "router_error"
    assert out.response_metadata["model_name"] == "big-model"
    assert "scoring service down" in caplog.text
    assert llm.stats.snapshot().router_errors == 1
    weak_out = make_llm(router=BrokenRouter(), on_router_error="weak").invoke(HARD)
    assert weak_out.response_metadata["model_name"] == "small-model"


def test_failing_routing_text_function_fails_safe(make_llm):
    def broken(messages):
        raise KeyError("question")

    out = make_llm(routing_text=broken).invoke(EASY)
    assert out.response_metadata["routellm"]["reason"] == "router_error"


def test_fallback_retries_once_on_the_other_model(make_llm, weak):
    broken = ScriptedChatModel(model_name="big-model", fail=True)
    llm = make_llm(strong=broken, fallback=True)
    out = llm.invoke(HARD)
    assert out.response_metadata["model_name"] == "small-model"
    rec = out.response_metadata["routellm"]
    assert (rec["route"], rec["reason"]) == ("weak", "fallback")
    snap = llm.stats.snapshot()
    assert snap.fallbacks == 1 and snap.calls == {"strong": 0, "weak": 1}
    # streaming falls back too (the chosen model failed before its first chunk)
    assert "".join(c.text for c in llm.stream(HARD)).startswith("Hello! small-model")
    with pytest.raises(RuntimeError, match="unavailable"):
        make_llm(strong=broken).invoke(HARD)  # fallback off: the error surfaces


async def test_async_fallback(make_llm):
    broken = ScriptedChatModel(model_name="small-model", fail=True)
    llm = make_llm(weak=broken, fallback=True)
    out = await llm.ainvoke(EASY)
    assert out.response_metadata["model_name"] == "big-model"
    chunks = [c async for c in llm.astream(EASY)]
    assert chunks[0].response_metadata["routellm"]["reason"] == "fallback"
    both = make_llm(strong=ScriptedChatModel(model_name="big-model", fail=True), weak=broken,
                    fallback=True)
    with pytest.raises(RuntimeError):
        await both.ainvoke(EASY)  # one retry only


def test_structured_output_fallback(make_llm):
    broken = ScriptedChatModel(model_name="big-model", fail=True)
    llm = make_llm(strong=broken, fallback=True)
    assert isinstance(llm.with_structured_output(Joke).invoke(HARD), Joke)
    assert llm.stats.snapshot().fallbacks == 1


def test_inner_rate_limiter_and_disable_streaming_are_reapplied(make_llm):
    class Counting(BaseRateLimiter):
        n = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            Counting.n += 1
            return True

        async def aacquire(self, *, blocking: bool = True) -> bool:
            Counting.n += 1
            return True

    weak = ScriptedChatModel(model_name="small-model", rate_limiter=Counting(),
                             disable_streaming=True)
    llm = make_llm(weak=weak)
    llm.invoke(EASY)
    chunks = list(llm.stream(EASY))
    assert Counting.n == 2
    assert len(chunks) == 1  # the inner model does not stream: one chunk, as it would alone
    assert chunks[0].response_metadata["routellm"]["route"] == "weak"
    assert chunks[0].usage_metadata["input_tokens"] > 0


# ---- sticky conversations -------------------------------------------------------------------
def test_sticky_conversation_by_thread_id_in_config(make_llm):
    llm = make_llm(sticky=True)
    chain = RunnableLambda(lambda x: x) | llm  # inside a chain the config reaches the model

    def ask(q, thread):
        out = chain.invoke(q, config={"configurable": {"thread_id": thread}})
        return out.response_metadata["routellm"]

    assert ask(HARD, "t1")["route"] == "strong"
    follow_up = ask(EASY, "t1")
    assert (follow_up["route"], follow_up["reason"]) == ("strong", "sticky")
    assert ask(EASY, "t2")["route"] == "weak"
    assert ask(HARD, "t2")["route"] == "weak"  # t2 started weak and stays weak
    assert llm.invoke(EASY, thread_id="t1").response_metadata["routellm"]["route"] == "strong"
    assert make_llm().invoke(EASY, thread_id="t1").response_metadata["routellm"]["route"] == "weak"


async def test_sticky_async(make_llm):
    llm = make_llm(sticky=True)
    assert (await llm.ainvoke(HARD, thread_id="a")).response_metadata["routellm"]["route"] == "strong"
    out = await llm.ainvoke(EASY, thread_id="a")
    assert out.response_metadata["routellm"]["reason"] == "sticky"


# ---- concurrency ------------------------------------------------------------------------------
def _expected(results):
    tin = {"strong": 0, "weak": 0}
    tout = {"strong": 0, "weak": 0}
    for r in results:
        route = r.response_metadata["routellm"]["route"]
        tin[route] += r.usage_metadata["input_tokens"]
        tout[route] += r.usage_metadata["output_tokens"]
    return tin, tout


def test_eight_threads_keep_consistent_statistics(make_llm):
    llm = make_llm()
    results: list[AIMessage] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(25):
            q = f"{HARD} (#{i}.{j})" if (i + j) % 3 == 0 else f"{EASY} (#{i}.{j})"
            out = llm.invoke(q)
            model = out.response_metadata["model_name"]
            assert model == ("big-model" if (i + j) % 3 == 0 else "small-model")
            with lock:
                results.append(out)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    n_strong = sum((i + j) % 3 == 0 for i in range(8) for j in range(25))
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": n_strong, "weak": 200 - n_strong}
    tin, tout = _expected(results)
    assert snap.input_tokens == tin and snap.output_tokens == tout


async def test_hundred_concurrent_async_tasks(make_llm):
    llm = make_llm()
    prompts = [f"{HARD if i % 4 == 0 else EASY} #{i}" for i in range(100)]

    async def one(i: int) -> AIMessage:
        if i % 2:
            return await llm.ainvoke(prompts[i])
        full = None
        async for c in llm.astream(prompts[i]):
            full = c if full is None else full + c
        return full

    results = await asyncio.gather(*(one(i) for i in range(100)))
    for i, r in enumerate(results):
        assert r.response_metadata["routellm"]["route"] == ("strong" if i % 4 == 0 else "weak")
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": 25, "weak": 75}
    tin, tout = _expected(results)
    assert snap.input_tokens == tin and snap.output_tokens == tout


# ---- routers --------------------------------------------------------------------------------
def test_shipped_default_router(strong, weak):
    from routellm_core.routers import default_router_path

    if not (default_router_path() / "config.json").is_file():
        pytest.skip("the shipped default router (core/default_router/config.json) is not built yet")
    pytest.importorskip("torch")
    llm = RouteLLMChat(strong=strong, weak=weak, strong_fraction=0.5)
    out = llm.invoke(HARD)
    rec = out.response_metadata["routellm"]
    assert rec["reason"] == "router" and 0.0 <= rec["score"] <= 1.0
    assert rec["route"] == ("strong" if rec["score"] >= rec["threshold"] else "weak")


def test_keyword_router_is_a_real_router():
    r = KeywordRouter()
    assert list(r.predict_win_rate([HARD, EASY])) == [0.9, 0.1]


def test_router_checkpoint_directory_with_langchain_embeddings(tmp_path: Path, strong, weak):
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from langchain_routellm import LangChainEmbedder
    from routellm_core.data.battles import Battle, Battles
    from routellm_core.routers.knn import KNNRouter

    emb = LangChainEmbedder(DeterministicFakeEmbedding(size=32))
    battles = Battles([Battle(HARD, "big-model", "small-model", "model_a"),
                       Battle(EASY, "big-model", "small-model", "model_b")])
    KNNRouter("big-model", "small-model", emb, k=1).fit(battles).save(tmp_path / "knn")
    llm = RouteLLMChat(strong=strong, weak=weak, router=tmp_path / "knn", threshold=0.5,
                       embeddings=DeterministicFakeEmbedding(size=32))
    assert llm.invoke(HARD).response_metadata["routellm"]["route"] == "strong"
    assert llm.invoke(EASY).response_metadata["routellm"]["route"] == "weak"
    with pytest.raises(ValueError, match="trained on 32-d embeddings"):
        RouteLLMChat(strong=strong, weak=weak, router=tmp_path / "knn", threshold=0.5,
                     embeddings=DeterministicFakeEmbedding(size=16))
    with pytest.raises(ValueError, match="embeddings= applies"):
        RouteLLMChat(strong=strong, weak=weak, router=KeywordRouter(),
                     embeddings=DeterministicFakeEmbedding(size=16))


async def test_structured_output_batch_and_events(make_llm, strong, weak):
    structured = make_llm().with_structured_output(Joke)
    outs = structured.batch(["Prove a joke is funny", "Tell a joke"])
    assert all(isinstance(o, Joke) for o in outs)
    assert len(strong.calls) == len(weak.calls) == 1
    events = [e async for e in structured.astream_events("Tell a joke", version="v2")]
    kinds = [e["event"] for e in events]
    assert kinds.count("on_chat_model_start") == 1 and kinds.count("on_chat_model_end") == 1
