"""Price tables, token counting and the cost of replayed runs."""

from __future__ import annotations

import pytest

from routellm_core.costs import DEFAULT_PRICES, Price, PriceTable, count_tokens
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.replay import ReplayLog, ReplayRecord


# ---- token counting -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t", 0),
        ("hi", 1),
        ("2+2=4", 5),  # digits and symbols are separate pieces
        ("What is 2+2?", 6),
        ("internationalization", 5),  # 20 characters -> five 4-character pieces
        ("hello", 2),  # 5 characters -> 2 pieces
        ("a, b.", 4),
    ],
)
def test_count_tokens(text: str, expected: int) -> None:
    assert count_tokens(text) == expected


def test_count_tokens_is_additive_over_whitespace_and_grows_with_text() -> None:
    a, b = "The quick brown fox", "jumps over the lazy dog."
    assert count_tokens(a + " " + b) == count_tokens(a) + count_tokens(b)
    assert count_tokens(a * 10) > count_tokens(a)


def test_count_tokens_treats_accented_letters_as_word_characters() -> None:
    # "Grüße" is one 5-character word (2 pieces), not split at the umlaut
    assert count_tokens("Grüße aus Köln") == count_tokens("Grate aus Koln") == 4


# ---- prices -------------------------------------------------------------------------------------
def test_price_cost_is_per_million_tokens() -> None:
    p = Price(10.0, 30.0)
    assert p.cost(1_000_000, 0) == pytest.approx(10.0)
    assert p.cost(0, 1_000_000) == pytest.approx(30.0)
    assert p.cost(2_000, 1_000) == pytest.approx(0.05)


def test_negative_or_non_numeric_price_is_rejected() -> None:
    with pytest.raises(DataError, match="non-negative"):
        Price(-1.0, 1.0)
    with pytest.raises(DataError, match="non-negative"):
        PriceTable({"m": (1.0, -0.5)})


def test_missing_price_names_the_model_and_the_priced_ones() -> None:
    table = PriceTable({"gpt-4": (10, 30), "mixtral": (0.6, 0.6)})
    with pytest.raises(UnknownNameError, match="'claude'.*gpt-4, mixtral"):
        table.cost("claude", 10, 10)


def test_empty_price_table_explains_what_to_pass() -> None:
    with pytest.raises(DataError, match="price table is empty"):
        PriceTable().get("gpt-4")


def test_overrides_replace_one_price_and_keep_the_others() -> None:
    table = DEFAULT_PRICES.with_overrides({STRONG_MODEL: (5.0, 15.0)})
    assert table.get(STRONG_MODEL) == Price(5.0, 15.0)
    assert table.get(WEAK_MODEL) == DEFAULT_PRICES.get(WEAK_MODEL)
    assert DEFAULT_PRICES.get(STRONG_MODEL) == Price(10.0, 30.0)  # the default is untouched


# ---- replayed runs ------------------------------------------------------------------------------
@pytest.fixture
def log() -> ReplayLog:
    return ReplayLog(
        [
            ReplayRecord("q1", "strong", "long answer " * 10, 1.0),
            ReplayRecord("q1", "weak", "short", 0.0),
            ReplayRecord("q2", "strong", "x", 1.0, input_tokens=100, output_tokens=50),
            ReplayRecord("q2", "weak", "y", 1.0, input_tokens=100, output_tokens=80),
        ]
    )


PRICES = PriceTable({"strong": (10.0, 30.0), "weak": (1.0, 1.0)})


def test_run_cost_sums_each_call_with_its_own_tokens(log: ReplayLog) -> None:
    run = log.run_cost([("weak", "q1"), ("strong", "q2")], PRICES, compare=["strong", "weak"])
    q1_in = count_tokens("q1")
    want = (q1_in * 1 + count_tokens("short") * 1) / 1e6 + (100 * 10 + 50 * 30) / 1e6
    assert run.cost == pytest.approx(want)
    strong_all = (q1_in * 10 + count_tokens("long answer " * 10) * 30 + 100 * 10 + 50 * 30) / 1e6
    assert run.always["strong"] == pytest.approx(strong_all)
    assert run.always["weak"] == pytest.approx((q1_in + count_tokens("short") + 100 + 80) / 1e6)
    assert run.calls == {"weak": 1, "strong": 1}
    assert run.savings_against("strong") == pytest.approx(1 - want / strong_all)


def test_run_cost_with_an_unpriced_model_fails(log: ReplayLog) -> None:
    with pytest.raises(UnknownNameError, match="unknown priced model 'weak'"):
        log.run_cost([("weak", "q1")], PriceTable({"strong": (1, 1)}))


def test_run_cost_with_a_model_not_in_the_log_fails(log: ReplayLog) -> None:
    prices = PRICES.with_overrides({"medium": (2.0, 2.0)})
    with pytest.raises(UnknownNameError, match="unknown model 'medium': the replay log holds answers of strong, weak"):
        log.run_cost([("medium", "q1")], prices)
    run = log.run_cost([("weak", "q1")], PRICES)
    with pytest.raises(UnknownNameError, match="'medium'"):
        run.savings_against("medium")


def test_non_numeric_price_is_a_clear_error():
    from routellm_core.costs import PriceTable
    from routellm_core.errors import DataError

    with pytest.raises(DataError, match="price of 'm' must be"):
        PriceTable({"m": ("free", 1.0)})
    with pytest.raises(DataError, match="price of 'm' must be"):
        PriceTable({"m": (1.0,)})
