"""Long texts: the router scores bounded slices of a long text, and the latest question decides
(``routellm_core.routing.long_text``, called by the engine for every router)."""

from __future__ import annotations

import pytest
from routellm_test_fake_routers import KeywordRouter

from routellm_core.errors import DataError
from routellm_core.routing.engine import RoutingEngine, Turn
from routellm_core.routing.long_text import (
    EMPTY_PROMPT,
    FINAL_CHARS,
    LONG_TEXT_CHARS,
    MAX_SCORED_CHARS,
    check_prompt,
    final_part,
    routing_views,
)

QUESTION = "Prove that there are infinitely many primes."
CHAT = ("Hi there! How are you doing today? I had a lovely walk in the park and the weather "
        "was nice. My neighbour's cat came by again, and we talked about the holidays. ")


def chit_chat(n: int) -> str:
    """At least ``n`` characters of chit-chat, whole sentences."""
    return CHAT * (n // len(CHAT) + 1)


@pytest.mark.parametrize("sep", ["\n\n", "\n", " "])
def test_the_question_after_long_chit_chat_routes_as_the_question_alone(sep: str) -> None:
    # the example of issue 23: 0.786 alone, 0.26 after 20,000 characters of chit-chat
    engine = RoutingEngine("default", strong_fraction=0.3)
    alone = engine.decide(QUESTION)
    text = chit_chat(20_000).rstrip() + sep + QUESTION
    after = engine.decide(text)
    assert alone.route == "strong"
    assert after.route == alone.route
    start_and_end = float(engine.router.predict_win_rate(routing_views(text)[:1])[0])
    assert after.score == pytest.approx(max(alone.score, start_and_end))


def test_a_short_text_is_scored_whole_as_before() -> None:
    router = KeywordRouter()
    engine = RoutingEngine(router, threshold=0.5)
    text = chit_chat(LONG_TEXT_CHARS)[:LONG_TEXT_CHARS]
    engine.decide(text)
    assert router.seen == [text]
    assert routing_views(text) == [text]


def test_a_10_mb_text_is_cut_to_a_bounded_text_before_the_router_sees_it() -> None:
    router = KeywordRouter()
    engine = RoutingEngine(router, threshold=0.5)
    text = chit_chat(10_000_000) + "\n\n" + QUESTION
    d = engine.decide(text)
    assert d.route == "strong"  # the hard word is in the question at the very end
    assert sum(len(t) for t in router.seen) <= MAX_SCORED_CHARS
    assert MAX_SCORED_CHARS < 10_000
    assert router.seen[0].startswith(text[:100]) and router.seen[0].endswith(QUESTION)
    assert router.seen[1] == QUESTION


def test_the_start_still_counts_when_the_final_part_is_easy() -> None:
    router = KeywordRouter()
    engine = RoutingEngine(router, threshold=0.5)
    text = "Derive the integral below.\n" + chit_chat(50_000) + "\n\nThanks!"
    assert routing_views(text)[1] == "Thanks!"
    assert engine.decide(text).route == "strong"  # the higher of the two scores decides


@pytest.mark.parametrize(("text", "part"), [
    ("Context.\n\nline one\nQuestion: why?\n  \n", "line one\nQuestion: why?"),
    ("Context.\nQuestion: why?", "Question: why?"),
    ("Context. More context! Why is the sky blue?", "Why is the sky blue?"),
    ("word " * 1000 + "tail", None),  # no break at all: the last characters, whole words only
    ("   \n\t  ", ""),
])
def test_final_part_takes_the_last_paragraph_line_or_sentence(text: str, part: str | None) -> None:
    got = final_part(text)
    if part is None:
        assert len(got) <= FINAL_CHARS and got.endswith("tail") and got.startswith("word ")
    else:
        assert got == part


def test_final_part_reads_only_the_end_of_a_text() -> None:
    # the final part of a long paragraph without any break is at most FINAL_CHARS long
    assert len(final_part("x" * 10_000_000)) == FINAL_CHARS
    assert final_part(QUESTION + " " * 10_000) == ""  # past the slice it reads: nothing


def test_an_empty_or_blank_prompt_is_refused_with_one_message() -> None:
    for turns in ([Turn("user", "")], [Turn("system", " \n"), Turn("user", "\t")]):
        with pytest.raises(DataError, match="the prompt is empty") as info:
            check_prompt(turns)
        assert str(info.value) == EMPTY_PROMPT
    check_prompt([Turn("user", " hi ")])
    check_prompt([Turn("user", "")], question="What is 2+2?")
    check_prompt([Turn("user", "")], media=True)  # an image alone is not an empty prompt
