"""Prices per million tokens, and the cost of calls.

Example:
    >>> prices = PriceTable({"gpt-4": (10.0, 30.0), "mixtral": (0.6, 0.6)})
    >>> prices.cost("gpt-4", input_tokens=1_000, output_tokens=500)
    0.025
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import DataError, unknown_name

__all__ = ["Price", "PriceTable", "DEFAULT_PRICES", "count_tokens", "parse_price"]


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def __post_init__(self) -> None:
        for v in (self.input, self.output):
            if not isinstance(v, (int, float)) or v < 0:
                raise DataError(f"prices must be non-negative numbers, got {v!r}")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


def parse_price(value: object, name: str) -> Price:
    """One model's price: a :class:`Price`, ``(input, output)`` USD per million tokens, or
    one number for both; the one rule for every price table (two models and ladders).

    Raises:
        DataError: anything else, e.g. a 3-tuple (the message names the model and the form).

    Example:
        >>> parse_price((10, 30), "gpt-4o"), parse_price(0.5, "small").output
        (Price(input=10.0, output=30.0), 0.5)
    """
    if isinstance(value, Price):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Price(float(value), float(value))
    form = ("must be (input, output) USD per million tokens, or one number for both; got "
            f"{value!r}")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:  # type: ignore[arg-type]
        raise DataError(f"price of {name!r} {form}")
    try:
        pin, pout = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise DataError(f"price of {name!r} {form}") from None
    return Price(pin, pout)


@dataclass
class PriceTable:
    """Prices by model name. Values may be :class:`Price` or ``(input, output)`` pairs."""

    prices: dict[str, Price] = field(default_factory=dict)

    def __init__(self, prices: Mapping[str, Price | tuple[float, float]] | None = None) -> None:
        self.prices = {}
        for name, p in (prices or {}).items():
            self.prices[name] = parse_price(p, name)

    def __contains__(self, model: object) -> bool:
        return model in self.prices

    def get(self, model: str) -> Price:
        """The price of ``model``; a missing price names the model and the priced ones."""
        if model not in self.prices:
            raise unknown_name("priced model", model, self.prices) if self.prices else DataError(
                f"no price for model {model!r}: the price table is empty; pass prices "
                "(USD per million input/output tokens) for each model"
            )
        return self.prices[model]

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        return self.get(model).cost(input_tokens, output_tokens)

    def with_overrides(self, overrides: Mapping[str, Price | tuple[float, float]]) -> PriceTable:
        merged: dict[str, Price | tuple[float, float]] = dict(self.prices)
        merged.update(overrides)
        return PriceTable(merged)


#: List prices of the paper's pair (per million tokens, USD). GPT-4-1106-preview as published
#: by OpenAI ($10 in / $30 out); Mixtral-8x7B-Instruct as served by Together/Anyscale ($0.60).
DEFAULT_PRICES = PriceTable(
    {
        "gpt-4-1106-preview": (10.0, 30.0),
        "mistralai/Mixtral-8x7B-Instruct-v0.1": (0.6, 0.6),
    }
)


_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def count_tokens(text: str) -> int:
    """Approximate BPE token count of ``text``, with no tokenizer download.

    Counts words and punctuation marks, and splits words longer than 4 characters into
    4-character pieces: a rough stand-in for a BPE tokenizer. It is deterministic and needs
    no download, so cost reports are reproducible; absolute dollar figures are estimates.
    """
    n = 0
    for piece in _PIECE.findall(text):
        n += max(1, -(-len(piece) // 4)) if len(piece) > 4 else 1
    return n
