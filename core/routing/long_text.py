"""Long texts: what of a routed text is scored, and the refusal of an empty prompt.

The engine scores every routed text through :func:`score_text`, so every router (embedding
routers, classifiers, the random baseline) gets the same rule, and the cost of scoring stops
growing with the text: only bounded slices of a long text are ever tokenised.

The rule (:func:`routing_views`):

* A text of at most :data:`LONG_TEXT_CHARS` characters (4,000: every calibration prompt of the
  shipped router and every MT-Bench and GSM8K prompt is shorter) is scored whole, as the
  router was calibrated.
* A longer text is scored twice, in one call of the router: on its start and end (the first
  :data:`HEAD_CHARS` characters and the last :data:`TAIL_CHARS`, joined by a line break) and
  on its final part alone (:func:`final_part`: the text after the last blank line, else after
  the last line break, else after the last sentence end, within the last
  :data:`FINAL_CHARS` characters). The higher score decides: a hard question after easy
  context and a hard context before an easy closing line both count as hard, and the
  latest question is never drowned by what comes before it.

Example:
    >>> long = "Hello! Nice weather today. " * 400 + "\\n\\nProve that there are infinitely many primes."
    >>> routing_views(long)[1]
    'Prove that there are infinitely many primes.'
    >>> routing_views("What is 2+2?")
    ['What is 2+2?']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import DataError

if TYPE_CHECKING:
    from ..routers.base import Router
    from .turns import Turn

__all__ = [
    "LONG_TEXT_CHARS",
    "HEAD_CHARS",
    "TAIL_CHARS",
    "FINAL_CHARS",
    "MAX_SCORED_CHARS",
    "EMPTY_PROMPT",
    "routing_views",
    "final_part",
    "score_text",
    "check_prompt",
]

#: texts up to this many characters are scored whole
LONG_TEXT_CHARS = 4_000
#: characters kept from the start of a long text (its first view)
HEAD_CHARS = 1_000
#: characters kept from the end of a long text (its first view)
TAIL_CHARS = 3_000
#: the final part of a long text (its second view) is searched in this many last characters
FINAL_CHARS = 1_000
#: the most characters the router sees of any one text, both views together
MAX_SCORED_CHARS = max(LONG_TEXT_CHARS, HEAD_CHARS + 1 + TAIL_CHARS + FINAL_CHARS)

#: the error for a prompt with no text, the same in the command line and both wrappers
EMPTY_PROMPT = ("the prompt is empty (no text, or only whitespace): pass the text the model "
                "should answer, e.g. \"What is the capital of France?\"")

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_LINE_BREAK = re.compile(r"\n")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")


def final_part(text: str) -> str:
    """The final paragraph, line or sentence of ``text``: in its last :data:`FINAL_CHARS`
    characters (trailing whitespace dropped), the text after the last blank line; if there is
    none, after the last line break; if there is none, after the last sentence end (``.``,
    ``!`` or ``?`` followed by a space). Without any of these it is those last characters,
    from the first word that starts inside them. Surrounding whitespace is stripped; only the
    end of ``text`` is read, whatever its length.

    Example:
        >>> final_part("Some context.\\n\\nQuestion: why?\\n")
        'Question: why?'
    """
    # read a bounded slice: a long run of trailing whitespace leaves an empty final part
    end = text[-4 * FINAL_CHARS:].rstrip()
    window = end[-FINAL_CHARS:]
    for pattern in (_BLANK_LINE, _LINE_BREAK, _SENTENCE_END):
        starts = [m.end() for m in pattern.finditer(window)]
        if starts and window[starts[-1]:].strip():
            return window[starts[-1]:].strip()
    if len(end) > FINAL_CHARS:  # the window starts inside a word: drop the partial word
        cut = re.search(r"\s", window)
        window = window[cut.end():] if cut else window
    return window.strip()


def routing_views(text: str) -> list[str]:
    """The texts the router scores for one routed text (the rule in the module docstring):
    ``[text]`` for a text of at most :data:`LONG_TEXT_CHARS` characters; else its start and
    end, then its final part (left out when empty). None is longer than
    :data:`LONG_TEXT_CHARS` + 1 characters."""
    if len(text) <= LONG_TEXT_CHARS:
        return [text]
    views = [text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]]
    last = final_part(text)
    if last:
        views.append(last)
    return views


def score_text(router: Router, text: str) -> float:
    """The router's score for one routed text under the long-text rule: the higher score of
    its :func:`routing_views`, scored in one call."""
    views = routing_views(text)
    scores = router.predict_win_rate(views)
    return float(max(float(s) for s in scores))


def check_prompt(turns: Sequence[Turn], question: str | None = None, *,
                 media: bool = False) -> None:
    """Refuse a prompt with no text: every message empty or whitespace (and no question).

    Both wrappers call this before routing, with the same error as the command line
    (:data:`EMPTY_PROMPT`); an empty message list has its own error in the engine.

    Args:
        turns: the conversation.
        question: the bare question, when the framework knows it.
        media: a message carries content other than text (an image, audio): the call is
            not empty, and is routed on whatever text there is.

    Raises:
        DataError: the prompt is empty.
    """
    if media or not turns or (question and question.strip()):
        return
    if not any(t.text.strip() for t in turns):
        raise DataError(EMPTY_PROMPT)
