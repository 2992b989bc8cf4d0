"""RouteLLM as an LLM: construction, metadata, every call form, events, statistics, safety."""

from __future__ import annotations

import asyncio
import logging

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage, LLMMetadata
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM

from llamaindex_routellm import RouteDecisionEvent, RouteLLM
from routellm_core.errors import DataError, UnknownNameError

from .conftest import BrokenRouter, KeywordRouter, scripted

HARD = "Prove that there are infinitely many primes."
EASY = "Say hello."


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# ---- construction ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["gpt-4o", object(), None])
def test_rejects_inner_objects_that_are_not_llamaindex_llms(bad, weak):
    with pytest.raises(TypeError, match="strong model must be a LlamaIndex LLM"):
        RouteLLM(strong=bad, weak=weak, router="random")


def test_rejects_langchain_like_objects_with_a_pointer(strong):
    fake = type("ChatOpenAI", (), {"__module__": "langchain_openai.chat_models"})()
    with pytest.raises(TypeError, match="RouteLLMChat"):
        RouteLLM(strong=strong, weak=fake, router="random")


def test_rejects_both_fraction_and_threshold(strong, weak):
    with pytest.raises(DataError, match="not both"):
        RouteLLM(strong=strong, weak=weak, router="random", strong_fraction=0.3, threshold=0.5)


def test_rejects_unknown_routing_text_policy(make_llm):
    with pytest.raises(UnknownNameError, match="question"):
        make_llm(routing_text="everything")


def test_inner_models_are_kept_not_copied(make_llm, strong, weak):
    llm = make_llm()
    assert llm.strong is strong and llm.weak is weak


def test_strong_fraction_sets_the_threshold_of_the_random_router(strong, weak):
    llm = RouteLLM(strong=strong, weak=weak, router="random", strong_fraction=0.3)
    assert llm.threshold == pytest.approx(0.7)


# ---- metadata --------------------------------------------------------------------------------
class Meta(MockFunctionCallingLLM):
    meta: dict = {}

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(**self.meta)


def test_metadata_is_the_intersection_of_the_inner_models():
    a = Meta(meta=dict(context_window=128_000, num_output=4096, is_chat_model=True,
                       is_function_calling_model=True, model_name="big"))
    b = Meta(meta=dict(context_window=32_000, num_output=8192, is_chat_model=True,
                       is_function_calling_model=True, model_name="small"))
    m = RouteLLM(strong=a, weak=b, router="random").metadata
    assert (m.context_window, m.num_output) == (32_000, 4096)
    assert m.is_chat_model and m.is_function_calling_model
    assert "big" in m.model_name and "small" in m.model_name


def test_metadata_ands_capabilities():
    a = Meta(meta=dict(is_chat_model=True, is_function_calling_model=True, model_name="a"))
    b = Meta(meta=dict(is_chat_model=False, is_function_calling_model=False, model_name="b"))
    m = RouteLLM(strong=a, weak=b, router="random").metadata
    assert not m.is_chat_model and not m.is_function_calling_model
    # a plain LLM (no tool calling in its class) never makes the wrapper function-calling
    m2 = RouteLLM(strong=a, weak=MockLLM(), router="random").metadata
    assert not m2.is_function_calling_model


# ---- every call form routes and tags ---------------------------------------------------------
def test_chat_routes_on_the_last_user_message(make_llm, router):
    llm = make_llm()
    r1 = llm.chat(user(HARD))
    r2 = llm.chat([*user(HARD), ChatMessage(role="assistant", content="ok"), *user(EASY)])
    assert r1.message.content.startswith("[strong]")
    assert r1.additional_kwargs["routellm"]["route"] == "strong"
    assert r2.message.content.startswith("[weak]")
    assert router.seen == [HARD, EASY]
    # the route record never goes into the message (it would travel back to the provider)
    assert "routellm" not in r1.message.additional_kwargs


def test_complete_routes_on_the_prompt(make_llm):
    llm = make_llm()
    assert llm.complete(HARD).additional_kwargs["routellm"]["route"] == "strong"
    assert llm.complete(EASY).additional_kwargs["routellm"]["route"] == "weak"


def test_stream_chat_tags_every_chunk(strong, weak, make_llm):
    def chunks(messages, **kw):
        text = ""
        for word in ["one", "two", "three"]:
            text += word + " "
            yield ChatMessage(role="assistant", content=text)

    strong.response_generator = chunks
    llm = make_llm()
    out = list(llm.stream_chat(user(HARD)))
    assert len(out) == 3
    assert all(c.additional_kwargs["routellm"]["route"] == "strong" for c in out)
    assert out[-1].message.content == "one two three "


def test_stream_complete_tags_every_chunk(make_llm):
    out = list(make_llm().stream_complete(EASY))
    assert out and all(c.additional_kwargs["routellm"]["route"] == "weak" for c in out)


async def test_async_forms(make_llm):
    llm = make_llm()
    r = await llm.achat(user(HARD))
    assert r.message.content.startswith("[strong]")
    c = await llm.acomplete(EASY)
    assert c.additional_kwargs["routellm"]["route"] == "weak"
    chunks = [x async for x in await llm.astream_chat(user(EASY))]
    assert chunks[-1].message.content.startswith("[weak]")
    assert all(x.additional_kwargs["routellm"]["route"] == "weak" for x in chunks)
    cchunks = [x async for x in await llm.astream_complete(HARD)]
    assert all(x.additional_kwargs["routellm"]["route"] == "strong" for x in cchunks)
    assert llm.stats.snapshot().calls == {"strong": 2, "weak": 2}


def test_callable_routing_text_receives_the_llamaindex_messages(make_llm, router):
    got = []

    def policy(messages):
        got.append(messages)
        return " ".join(m.content for m in messages)

    llm = make_llm(routing_text=policy)
    llm.chat([*user(HARD), ChatMessage(role="assistant", content="x"), *user(EASY)])
    assert isinstance(got[0][0], ChatMessage)
    assert router.seen == [f"{HARD} x {EASY}"]


def test_conversation_policy_scores_every_turn(make_llm, router):
    llm = make_llm(routing_text="conversation")
    r = llm.chat([*user(HARD), ChatMessage(role="assistant", content="x"), *user(EASY)])
    assert r.additional_kwargs["routellm"]["route"] == "strong"
    assert router.seen == [f"user: {HARD}\nassistant: x\nuser: {EASY}"]


# ---- forced routes, sticky conversations -----------------------------------------------------
def test_forced_route_by_keyword_by_name_and_by_block(make_llm, router):
    llm = make_llm()
    assert llm.chat(user(HARD), route="weak").additional_kwargs["routellm"] == {
        **llm.chat(user(HARD), route="weak").additional_kwargs["routellm"]
    }
    r = llm.chat(user(HARD), route="weak")
    assert r.message.content.startswith("[weak]")
    assert r.additional_kwargs["routellm"]["reason"] == "forced"
    with llm.force("strong"):
        assert llm.complete(EASY).additional_kwargs["routellm"]["route"] == "strong"
    assert llm.complete(EASY).additional_kwargs["routellm"]["route"] == "weak"
    assert router.seen == [EASY]  # forced calls never reach the router


def test_forced_route_by_model_name():
    a = Meta(meta=dict(is_function_calling_model=True, model_name="gpt-big"))
    b = Meta(meta=dict(is_function_calling_model=True, model_name="gpt-small"))
    llm = RouteLLM(strong=a, weak=b, router=KeywordRouter(), threshold=0.5)
    assert llm.complete(HARD, route="gpt-small").additional_kwargs["routellm"]["route"] == "weak"
    with pytest.raises(UnknownNameError, match="gpt-big"):
        llm.complete(HARD, route="gpt-medium")
    with pytest.raises(UnknownNameError):
        with llm.force("medium"):
            pass


def test_sticky_keeps_a_conversation_on_its_first_route(make_llm):
    llm = make_llm(sticky=True)
    first = llm.chat(user(HARD))
    history = [*user(HARD), first.message, *user(EASY)]
    second = llm.chat(history)
    assert second.additional_kwargs["routellm"]["route"] == "strong"
    assert second.additional_kwargs["routellm"]["reason"] == "sticky"
    # a named conversation is its own thread
    with llm.conversation("t-2"):
        assert llm.chat(user(EASY)).additional_kwargs["routellm"]["route"] == "weak"
        assert llm.chat(user(HARD)).additional_kwargs["routellm"]["reason"] == "sticky"


# ---- safety ----------------------------------------------------------------------------------
def test_router_failure_goes_to_strong_with_a_warning(make_llm, caplog):
    llm = make_llm(router=BrokenRouter())
    with caplog.at_level(logging.WARNING, logger="routellm"):
        r = llm.chat(user(EASY))
    assert r.additional_kwargs["routellm"]["route"] == "strong"
    assert r.additional_kwargs["routellm"]["reason"] == "router_error"
    assert "scoring service down" in caplog.text
    assert llm.stats.snapshot().router_errors == 1


def test_fallback_to_the_other_model_when_the_chosen_one_raises(weak, make_llm, events):
    llm = make_llm(strong=scripted("strong", fail=True), fallback=True)
    r = llm.chat(user(HARD))
    assert r.message.content.startswith("[weak]")
    assert r.additional_kwargs["routellm"]["reason"] == "fallback"
    snap = llm.stats.snapshot()
    assert snap.calls == {"strong": 0, "weak": 1} and snap.fallbacks == 1
    assert [e.reason for e in events.of("RouteDecisionEvent")] == ["router", "fallback"]


async def test_fallback_in_async_and_streaming_forms(make_llm):
    llm = make_llm(strong=scripted("strong", fail=True), fallback=True)
    assert (await llm.achat(user(HARD))).message.content.startswith("[weak]")
    chunks = list(llm.stream_chat(user(HARD)))
    assert chunks[-1].message.content.startswith("[weak]")
    assert chunks[-1].additional_kwargs["routellm"]["reason"] == "fallback"
    achunks = [c async for c in await llm.astream_chat(user(HARD))]
    assert achunks[-1].additional_kwargs["routellm"]["route"] == "weak"
    assert llm.stats.snapshot().fallbacks == 3


def test_without_fallback_the_error_reaches_the_caller(make_llm):
    llm = make_llm(strong=scripted("strong", fail=True))
    with pytest.raises(RuntimeError, match="strong model is down"):
        llm.chat(user(HARD))
    with pytest.raises(RuntimeError, match="strong model is down"):
        list(llm.stream_chat(user(HARD)))


def test_fallback_is_tried_once(make_llm):
    llm = make_llm(strong=scripted("strong", fail=True), weak=scripted("weak", fail=True),
                   fallback=True)
    with pytest.raises(RuntimeError, match="weak model is down"):
        llm.chat(user(HARD))


# ---- events and token counts -----------------------------------------------------------------
def test_one_route_event_per_decision(make_llm, events):
    llm = make_llm()
    llm.chat(user(HARD))
    llm.complete(EASY, route="strong")
    got = events.of("RouteDecisionEvent")
    assert [(e.route, e.reason, e.method) for e in got] == [
        ("strong", "router", "chat"), ("strong", "forced", "complete")
    ]
    assert got[0].score == pytest.approx(0.9) and got[0].threshold == 0.5
    assert isinstance(got[0], RouteDecisionEvent)
    assert got[0].to_decision().route == "strong"


@pytest.mark.parametrize("form", ["chat", "stream_chat", "complete", "stream_complete"])
def test_one_start_event_and_one_token_count_per_call(make_llm, events, form):
    counter = TokenCountingHandler(tokenizer=lambda s: s.split())
    Settings.callback_manager = CallbackManager([counter])
    Settings.llm = make_llm()
    llm = Settings.llm  # LlamaIndex hands Settings.callback_manager to the LLM it returns
    for text in (HARD, EASY):
        if form == "chat":
            llm.chat(user(text))
        elif form == "stream_chat":
            list(llm.stream_chat(user(text)))
        elif form == "complete":
            llm.complete(text)
        else:
            list(llm.stream_complete(text))
    kind = "Chat" if "chat" in form else "Completion"
    assert len(events.of(f"LLM{kind}StartEvent")) == 2
    assert len(events.of(f"LLM{kind}EndEvent")) == 2
    assert len(counter.llm_token_counts) == 2
    assert counter.prompt_llm_token_count > 0


async def test_async_calls_count_exactly_as_the_inner_model_does(make_llm, events):
    # MockFunctionCallingLLM.achat calls its own decorated chat, so the mock itself reports two
    # LLM events per achat; the wrapper must add none: compare with the inner model alone.
    async def run(llm, route_kw):
        await llm.achat(user(HARD), **route_kw)
        [c async for c in await llm.astream_chat(user(EASY), **route_kw)]
        await llm.acomplete(EASY, **route_kw)

    direct_counter = TokenCountingHandler(tokenizer=lambda s: s.split())
    inner = scripted("strong")
    inner.callback_manager = CallbackManager([direct_counter])
    await run(inner, {})
    direct_starts = len(events.of("LLMChatStartEvent")) + len(events.of("LLMCompletionStartEvent"))
    events.events.clear()

    counter = TokenCountingHandler(tokenizer=lambda s: s.split())
    llm = make_llm(callback_manager=CallbackManager([counter]))
    await run(llm, {"route": "strong"})
    starts = len(events.of("LLMChatStartEvent")) + len(events.of("LLMCompletionStartEvent"))
    assert starts == direct_starts
    assert len(counter.llm_token_counts) == len(direct_counter.llm_token_counts) >= 3
    assert len(events.of("RouteDecisionEvent")) == 3


# ---- statistics ------------------------------------------------------------------------------
def test_stats_count_calls_tokens_and_savings(make_llm):
    llm = make_llm(prices={"strong": (10.0, 30.0), "weak": (0.5, 1.5)})
    llm.chat(user(HARD))
    llm.chat(user(EASY))
    llm.chat(user(EASY))
    s = llm.stats.snapshot()
    assert s.calls == {"strong": 1, "weak": 2}
    assert s.input_tokens["strong"] > 0 and s.output_tokens["weak"] > 0
    expected = (s.input_tokens["strong"] * 10 + s.output_tokens["strong"] * 30
                + s.input_tokens["weak"] * 0.5 + s.output_tokens["weak"] * 1.5) / 1e6
    assert s.cost == pytest.approx(expected)
    assert s.savings == pytest.approx(s.always_strong_cost - s.cost) and s.savings > 0


def test_provider_usage_is_preferred_to_estimates(make_llm, strong):
    from llama_index.core.base.llms.types import ChatResponse

    class WithUsage(MockFunctionCallingLLM):
        def chat(self, messages, **kw):
            return ChatResponse(message=ChatMessage(role="assistant", content="x"),
                                raw={"usage": {"prompt_tokens": 123, "completion_tokens": 45}})

    llm = make_llm(strong=WithUsage())
    llm.chat(user(HARD))
    s = llm.stats.snapshot()
    assert (s.input_tokens["strong"], s.output_tokens["strong"]) == (123, 45)


async def test_100_concurrent_async_calls_keep_consistent_stats(make_llm, events):
    llm = make_llm()
    texts = [HARD if i % 4 == 0 else f"{EASY} #{i}" for i in range(100)]
    responses = await asyncio.gather(*(llm.achat(user(t)) for t in texts))
    routes = [r.additional_kwargs["routellm"]["route"] for r in responses]
    assert routes == ["strong" if t == HARD else "weak" for t in texts]
    assert all(r.message.content.startswith(f"[{route}]") for r, route in zip(responses, routes))
    s = llm.stats.snapshot()
    assert s.calls == {"strong": 25, "weak": 75}
    assert s.reasons == {"router": 100}
    assert len(events.of("RouteDecisionEvent")) == 100
    per_route_in = {"strong": 0, "weak": 0}
    from routellm_core.costs import count_tokens

    for t, route in zip(texts, routes):
        per_route_in[route] += count_tokens(t)
    assert s.input_tokens == per_route_in


def test_a_routing_text_function_that_raises_goes_to_strong(make_llm, caplog):
    def policy(messages):
        raise KeyError("no question here")

    llm = make_llm(routing_text=policy)
    with caplog.at_level(logging.WARNING, logger="routellm"):
        r = llm.chat(user(EASY))
    assert r.additional_kwargs["routellm"]["reason"] == "router_error"
    assert r.message.content.startswith("[strong]")


def test_stream_falls_back_when_the_first_chunk_fails(make_llm):
    def lazy_failure(messages, **kw):
        raise_now = True
        if raise_now:
            raise RuntimeError("connection reset before the first token")
        yield  # pragma: no cover - makes this a generator: it fails on iteration

    strong = scripted("strong")
    strong.response_generator = lazy_failure
    llm = make_llm(strong=strong, fallback=True)
    stream = llm.stream_chat(user(HARD))  # created fine: the failure comes when iterating
    chunks = list(stream)
    assert chunks[-1].message.content.startswith("[weak]")
    assert all(c.additional_kwargs["routellm"]["reason"] == "fallback" for c in chunks)
    assert llm.stats.snapshot().calls == {"strong": 0, "weak": 1}


def test_no_fallback_after_the_first_chunk(make_llm):
    def breaks_midway(messages, **kw):
        yield ChatMessage(role="assistant", content="partial")
        raise RuntimeError("connection reset mid-stream")

    strong = scripted("strong")
    strong.response_generator = breaks_midway
    llm = make_llm(strong=strong, fallback=True)
    got = []
    with pytest.raises(RuntimeError, match="mid-stream"):
        for c in llm.stream_chat(user(HARD)):
            got.append(c)
    assert [c.message.content for c in got] == ["partial"]
    assert llm.stats.snapshot().fallbacks == 0


def test_settings_callback_manager_reaches_the_inner_models(make_llm, strong, weak):
    cm = CallbackManager([])
    Settings.callback_manager = cm
    Settings.llm = make_llm()
    assert Settings.llm.callback_manager is cm
    assert strong.callback_manager is cm and weak.callback_manager is cm
