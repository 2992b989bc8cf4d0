"""An LLM judge for recorded shadow pairs: which of the two answers of a run is better.

A traffic log recorded with ``shadow_rate > 0`` holds, for some runs, both the served answer
and the other model's (shadow) answer. :func:`judge_log` shows each such pair to a judge in
*both orders* (strong answer first, then weak answer first: LLM judges favour one position,
and asking twice cancels that), and keeps a verdict only when both orders agree; otherwise
the pair is a tie. The verdicts are appended to the log's feedback file
(:func:`~routellm_core.routing.recorder.feedback_path`) as ``grade`` feedback on both answers (1 for
the preferred answer and 0 for the other, 0.5 each for a tie) with the judge's name, so
``routellm battles`` turns them into battles with its "both graded" rule.

The judge is anything that answers a text prompt with a text:

* a plain callable ``prompt -> str`` (or ``prompt -> JudgeReply``, to report the provider's
  token counts); :func:`judge_prompt` writes the prompt;
* a LangChain chat model or a LlamaIndex LLM through the thin adapters
  ``langchain_routellm.as_judge(model)`` / ``llamaindex_routellm.as_judge(llm)`` (this module
  imports neither framework);
* an object with ``judge_pair(request) -> str | JudgeReply`` that sees the pair itself, such
  as the replay judges of :mod:`routellm_core.evaluation.replay_judge` (recorded verdicts).

A reply is parsed by :func:`parse_verdict`; one it cannot read is counted, never guessed, and
a judge call that raises is counted too; the pair then gets no verdict (its other order is
not asked; a rerun asks again) and the run goes on. Pairs this judge already judged (by its name, in the feedback file) are
skipped, so a rerun continues where the last one stopped. ``max_pairs`` and ``max_cost`` cap
the spend; :func:`estimate_cost` prices a run before it starts. The judge's calls, tokens and
cost are counted in the :class:`JudgeReport`, apart from the routed traffic (whose shadow
calls are in the recorder's statistics).

Example:
    >>> import tempfile, pathlib
    >>> from routellm_core.routing.engine import RoutingEngine
    >>> from routellm_core.routing.recorder import TrafficRecorder
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "traffic.jsonl"
    >>> rec = TrafficRecorder(path, shadow_rate=1.0, seed=0)
    >>> engine = RoutingEngine("random", threshold=0.0, strong_name="big", weak_name="small",
    ...                        recorder=rec)
    >>> _ = engine.record_call(engine.decide("What is 2 + 2?"), "4", run_id="run-1",
    ...                        shadow=lambda route: ("5", None, None))
    >>> rec.flush()  # the shadow call runs in the background
    True
    >>> def judge(prompt: str) -> str:  # a stand-in for a real model: prefers the answer "4"
    ...     first = prompt.split("[Answer A]")[1].split("[Answer B]")[0]
    ...     return "VERDICT: A" if first.strip() == "4" else "VERDICT: B"
    >>> report = judge_log(path, judge, name="four-is-right")
    >>> report.judged, dict(report.verdicts)
    (1, {'strong': 1})
    >>> judge_log(path, judge, name="four-is-right").already_judged  # a rerun skips it
    1
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from ..costs import count_tokens
from ..errors import ConfigError, DataError
from ..routing.recorder import feedback_path

__all__ = [
    "JUDGE_PROMPT",
    "JudgeReply",
    "PairRequest",
    "PairJudge",
    "PromptJudge",
    "JudgeEstimate",
    "JudgeReport",
    "as_pair_judge",
    "judge_prompt",
    "parse_verdict",
    "shadow_pairs",
    "judged_runs",
    "estimate_cost",
    "judge_log",
]

logger = logging.getLogger("routellm")

Verdict = Literal["A", "B", "tie"]
Side = Literal["strong", "weak", "tie"]

#: the prompt a text judge gets; ``{prompt}``, ``{first}`` and ``{second}`` are filled in
JUDGE_PROMPT = """\
Two AI assistants answered the same user request. Judge which answer serves the user better.
Weigh, in this order: is it correct; does it do what was asked, completely; is it clear and
no longer than it needs to be. Ignore which answer comes first, and do not prefer an answer
for its length or its tone alone. If neither is better, say so.

[User request]
{prompt}

[Answer A]
{first}

[Answer B]
{second}

Give your reasons in at most three sentences. Then end with one line that is exactly one of:
VERDICT: A
VERDICT: B
VERDICT: TIE
"""

#: a reply's verdict: "VERDICT: X" (the label may be bold, bracketed or quoted)
_VERDICT = re.compile(
    r"verdict(?:\s+is)?[\s\*\"'\[\(:=\-]*(A|B|TIE)\b", re.IGNORECASE)
#: a reply that is nothing but the label
_BARE = re.compile(r"^\W*(A|B|TIE)\W*$", re.IGNORECASE)

#: output tokens assumed per judge call by the cost estimate (reasons of at most three
#: sentences and the verdict line)
DEFAULT_OUTPUT_TOKENS = 80


@dataclass(frozen=True)
class JudgeReply:
    """A judge's answer, with the provider's token counts when it reports them.

    Attributes:
        text: the reply.
        input_tokens, output_tokens: provider counts; ``None``: estimated with
            :func:`~routellm_core.costs.count_tokens`.
    """

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class PairRequest:
    """One question to a judge: a prompt and two answers, in the order they are shown.

    Attributes:
        prompt: the routed text of the run.
        first_answer, second_answer: the answers shown as A and as B.
        first_model, second_model: the models that gave them (a text judge does not see
            the names; a replay judge looks its recorded verdict up by them).
        run_id: the run the pair belongs to.
    """

    prompt: str
    first_answer: str
    second_answer: str
    first_model: str
    second_model: str
    run_id: str | None = None


@runtime_checkable
class PairJudge(Protocol):
    """A judge that sees the pair: ``judge_pair(request)`` returns its reply text."""

    name: str

    def judge_pair(self, request: PairRequest) -> str | JudgeReply: ...


def judge_prompt(request: PairRequest, template: str = JUDGE_PROMPT) -> str:
    """The text prompt for ``request`` (:data:`JUDGE_PROMPT` by default)."""
    return template.format(prompt=request.prompt, first=request.first_answer,
                           second=request.second_answer)


class PromptJudge:
    """A :class:`PairJudge` from a plain callable ``prompt -> str | JudgeReply``.

    Args:
        fn: the model call (a LangChain or LlamaIndex model through its ``as_judge`` adapter,
            or any function).
        name: the judge's name in the feedback (default: ``fn``'s ``name`` attribute or its
            function name). Reruns skip the pairs judged under this name.
        template: the prompt, with ``{prompt}``, ``{first}`` and ``{second}``.
    """

    def __init__(self, fn: Callable[[str], str | JudgeReply], *, name: str | None = None,
                 template: str = JUDGE_PROMPT) -> None:
        if not callable(fn):
            raise ConfigError(f"a judge must be callable (prompt -> text), got {type(fn).__name__}")
        missing = [k for k in ("{prompt}", "{first}", "{second}") if k not in template]
        if missing:
            raise ConfigError(f"the judge template misses {', '.join(missing)}")
        self.fn = fn
        self.template = template
        self.name = name or str(getattr(fn, "name", None) or getattr(fn, "__name__", None)
                                or type(fn).__name__)

    def __repr__(self) -> str:
        return f"PromptJudge({self.name!r})"

    def judge_pair(self, request: PairRequest) -> str | JudgeReply:
        prompt = judge_prompt(request, self.template)
        reply = self.fn(prompt)
        if isinstance(reply, JudgeReply):
            if reply.input_tokens is None:
                return JudgeReply(reply.text, count_tokens(prompt), reply.output_tokens)
            return reply
        if not isinstance(reply, str):
            raise DataError(f"judge {self.name!r} returned {type(reply).__name__}, not text")
        return JudgeReply(reply, count_tokens(prompt), None)


def as_pair_judge(judge: Any, *, name: str | None = None) -> PairJudge:
    """``judge`` as a :class:`PairJudge`: a pair judge as it is, a callable wrapped in a
    :class:`PromptJudge` named ``name``.

    Raises:
        ConfigError: a LangChain or LlamaIndex model given directly (the message names the
            adapter), or anything else that is not callable.
    """
    if hasattr(judge, "judge_pair"):
        return judge  # type: ignore[no-any-return]  # (judge_log labels it with name=)
    framework = {"invoke": "langchain_routellm", "complete": "llamaindex_routellm"}
    for method, package in framework.items():
        if hasattr(judge, method) and not isinstance(judge, PromptJudge):
            raise ConfigError(f"{type(judge).__name__} is a framework model: wrap it as a judge "
                              f"with {package}.as_judge(model)")
    if not callable(judge):
        raise ConfigError("a judge must be a callable prompt -> text, an object with "
                          f"judge_pair(request), or a wrapped model; got {type(judge).__name__}")
    return PromptJudge(judge, name=name)


def parse_verdict(text: str) -> Verdict | None:
    """The verdict in a judge's reply: ``"A"``, ``"B"``, ``"tie"``, or ``None`` when the reply
    has none (it is then counted as unparseable, never guessed).

    The reply's ``VERDICT: A|B|TIE`` line decides (the label may be bold, bracketed or
    quoted; case does not matter; repeating it is fine, two different labels are not), or a
    reply that is nothing but the label.

    Example:
        >>> parse_verdict("B is wrong about the date.\\n**Verdict:** [A]"), parse_verdict("tie")
        ('A', 'tie')
        >>> parse_verdict("Answer A is better.") is None
        True
        >>> parse_verdict("VERDICT: A ... no, VERDICT: B") is None
        True
    """
    if not isinstance(text, str):
        return None
    found = {f.upper() for f in _VERDICT.findall(text)}
    if len(found) > 1:
        return None  # two different verdicts (or the instructions echoed back): not guessed
    label = found.pop() if found else None
    if label is None:
        bare = _BARE.match(text.strip())
        label = bare.group(1) if bare else None
    if label is None:
        return None
    up = label.upper()
    return "tie" if up == "TIE" else up  # type: ignore[return-value]


@dataclass(frozen=True)
class _Pair:
    run_id: str
    prompt: str
    served_route: str
    answers: dict[str, str]  # route -> answer
    models: dict[str, str]  # route -> model


def shadow_pairs(log: Any) -> tuple[list[_Pair], int]:
    """The judgeable pairs of a loaded traffic log (a served answer and its shadow answer,
    one strong and one weak, by run id), in log order; and how many runs have no pair."""
    by_run: dict[str, list[Any]] = {}
    for r in log.records:
        if r.run_id is not None:
            by_run.setdefault(r.run_id, []).append(r)
    pairs: list[_Pair] = []
    lone = 0
    for run_id, rs in by_run.items():
        served = next((r for r in rs if not r.shadow), None)
        shadow = next((r for r in rs if r.shadow), None)
        if (served is None or shadow is None or served.route is None
                or shadow.route is None or served.route == shadow.route):
            lone += 1
            continue
        pairs.append(_Pair(run_id, served.prompt, served.route,
                           {served.route: served.answer, shadow.route: shadow.answer},
                           {served.route: served.model, shadow.route: shadow.model}))
    return pairs, lone


def judged_runs(log_path: str | os.PathLike[str], judge: str) -> set[str]:
    """Run ids the judge named ``judge`` already has a verdict for in the feedback file
    (a line that cannot be read is left to ``load_traffic`` to report)."""
    fb = feedback_path(log_path)
    out: set[str] = set()
    if not fb.is_file():
        return out
    with fb.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and row.get("judge") == judge and "run_id" in row:
                out.add(str(row["run_id"]))
    return out


@dataclass(frozen=True)
class JudgeEstimate:
    """What judging would cost, before any call: token estimates and a price.

    Attributes:
        pairs: pairs to judge; calls: judge calls (two per pair).
        input_tokens: the prompts' tokens (:func:`~routellm_core.costs.count_tokens`).
        output_tokens: ``calls`` times the assumed reply length.
        cost: USD with a price, else ``None``.
    """

    pairs: int
    calls: int
    input_tokens: int
    output_tokens: int
    cost: float | None

    def __str__(self) -> str:
        usd = "no price given (--price IN,OUT in USD per 1M tokens)" if self.cost is None \
            else f"about ${self.cost:.4f}"
        return (f"{self.pairs} pairs, {self.calls} judge calls, about {self.input_tokens:,} "
                f"input and {self.output_tokens:,} output tokens: {usd}")


@dataclass
class JudgeReport:
    """What a :func:`judge_log` run did; the judge's own calls, tokens and cost.

    Attributes:
        judge: the judge's name (in the feedback lines).
        pairs: judgeable pairs in the log; no_pair: runs without a shadow answer.
        already_judged: pairs skipped because this judge has judged them.
        capped: pairs left out by ``max_pairs``.
        judged: pairs given a verdict (written to the feedback file).
        verdicts: by winner: ``strong``, ``weak``, ``tie``.
        disagreements: pairs whose two orders gave different verdicts (written as ties).
        unparseable: judge replies with no verdict; errors: judge calls that raised.
        failed: pairs without a verdict because of those (asked again on a rerun).
        calls, input_tokens, output_tokens: the judge's calls and tokens.
        cost: USD with a price, else ``None``.
        estimate: the estimate made before the run.
        stopped: why the run stopped early (``max_cost``, repeated errors), else ``None``.
        examples: a few of the unreadable replies and errors, to see what went wrong.
    """

    judge: str
    pairs: int = 0
    no_pair: int = 0
    already_judged: int = 0
    capped: int = 0
    judged: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    disagreements: int = 0
    unparseable: int = 0
    errors: int = 0
    failed: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    estimate: JudgeEstimate | None = None
    stopped: str | None = None
    examples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        v = self.verdicts
        usd = "" if self.cost is None else f", ${self.cost:.4f}"
        lines = [
            f"judge {self.judge}: {self.judged} pairs judged (strong better {v['strong']}, "
            f"weak better {v['weak']}, tie {v['tie']}, of which {self.disagreements} because "
            f"the two orders disagreed); {self.already_judged} already judged, {self.capped} "
            f"left by --max-pairs, {self.failed} without a verdict ({self.unparseable} "
            f"unparseable replies, {self.errors} errors)",
            f"judge usage (not in the routed traffic's figures): {self.calls} calls, "
            f"{self.input_tokens:,} input and {self.output_tokens:,} output tokens{usd}",
        ]
        if self.stopped:
            lines.append(f"stopped early: {self.stopped}")
        lines += [f"  e.g. {e}" for e in self.examples]
        return "\n".join(lines)


def _price(price: tuple[float, float] | None) -> tuple[float, float] | None:
    if price is None:
        return None
    try:
        pin, pout = (float(x) for x in price)
    except (TypeError, ValueError):
        raise ConfigError(f"price must be (input, output) USD per 1M tokens, got {price!r}") from None
    if not (math.isfinite(pin) and math.isfinite(pout)) or pin < 0 or pout < 0:
        raise ConfigError(f"prices must be non-negative numbers, got {price!r}")
    return pin, pout


def _cost(price: tuple[float, float] | None, tin: int, tout: int) -> float | None:
    return None if price is None else (tin * price[0] + tout * price[1]) / 1e6


def _requests(pair: _Pair) -> tuple[PairRequest, PairRequest]:
    """The pair in both orders: the strong answer first, then the weak answer first."""
    s, w = pair.answers["strong"], pair.answers["weak"]
    ms, mw = pair.models["strong"], pair.models["weak"]
    return (PairRequest(pair.prompt, s, w, ms, mw, pair.run_id),
            PairRequest(pair.prompt, w, s, mw, ms, pair.run_id))


def estimate_cost(pairs: list[_Pair], *, price: tuple[float, float] | None = None,
                  output_tokens: int = DEFAULT_OUTPUT_TOKENS,
                  template: str = JUDGE_PROMPT) -> JudgeEstimate:
    """Token and cost estimate of judging ``pairs`` in both orders (two calls a pair)."""
    price = _price(price)
    tin = sum(2 * count_tokens(judge_prompt(_requests(p)[0], template)) for p in pairs)
    tout = 2 * len(pairs) * int(output_tokens)
    return JudgeEstimate(len(pairs), 2 * len(pairs), tin, tout, _cost(price, tin, tout))


def _side(verdict: Verdict, first_route: str) -> Side:
    if verdict == "tie":
        return "tie"
    second_route = "weak" if first_route == "strong" else "strong"
    return first_route if verdict == "A" else second_route  # type: ignore[return-value]


def _write_verdict(fb: Path, pair: _Pair, name: str, side: Side, orders: list[Side],
                   tokens: tuple[int, int]) -> None:
    grade = {"strong": 1.0 if side == "strong" else 0.0 if side == "weak" else 0.5}
    grade["weak"] = 1.0 - grade["strong"]
    now = time.time()
    rows = []
    for route in (pair.served_route, "weak" if pair.served_route == "strong" else "strong"):
        row: dict[str, Any] = {"run_id": pair.run_id, "kind": "grade", "outcome": grade[route],
                               "time": now}
        if route != pair.served_route:
            row["shadow"] = True
        row.update({"judge": name, "verdict": side, "orders": orders})
        if route == pair.served_route:
            row["judge_tokens"] = list(tokens)  # once a pair, so sums do not double
        rows.append(json.dumps(row, ensure_ascii=False) + "\n")
    fb.parent.mkdir(parents=True, exist_ok=True)
    with fb.open("a", encoding="utf-8") as fh:
        fh.write("".join(rows))  # both answers' lines in one write: a pair is never half-judged
        fh.flush()


def _example(report: JudgeReport, run_id: str, what: str) -> None:
    """Keep up to 5 different problems (with the first run that had each) for the summary."""
    if len(report.examples) < 5 and not any(e.endswith(": " + what) for e in report.examples):
        report.examples.append(f"run {run_id}: {what}")


def judge_log(
    log: str | os.PathLike[str],
    judge: Any,
    *,
    name: str | None = None,
    max_pairs: int | None = None,
    price: tuple[float, float] | None = None,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    max_cost: float | None = None,
    max_consecutive_errors: int = 10,
    dry_run: bool = False,
    on_estimate: Callable[[JudgeEstimate], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> JudgeReport:
    """Judge the shadow pairs of a traffic log and append the verdicts as feedback.

    Args:
        log: the traffic log (``TrafficRecorder``'s ``.jsonl``).
        judge: a callable ``prompt -> str | JudgeReply``, a wrapped LangChain/LlamaIndex model
            (``as_judge``), or a :class:`PairJudge` (a replay judge).
        name: the judge's name in the feedback (default: the judge's ``name``).
        max_pairs: judge at most this many new pairs (two calls each).
        price: ``(input, output)`` USD per million tokens of the judge model, for the
            estimate and the cost.
        output_tokens: reply length the estimate assumes.
        max_cost: stop before the estimate exceeds it, and during the run once the cost
            reaches it (needs ``price``).
        max_consecutive_errors: stop after this many judge calls in a row raised (a wrong key
            or a wrong model name fails every call).
        dry_run: estimate only; no call is made and nothing is written.
        on_estimate: called with the estimate before the first call.
        progress: called with ``(pairs done, pairs to do)`` after each pair.

    Returns:
        The :class:`JudgeReport`.

    Raises:
        ConfigError: a bad setting or judge (the message names the fix); ``max_cost`` below
            the estimate.
        DataError: the log cannot be read (see
            :func:`~routellm_core.evaluation.traffic.load_traffic`).
    """
    from .traffic import load_traffic

    if max_pairs is not None and (isinstance(max_pairs, bool) or int(max_pairs) < 0):
        raise ConfigError(f"max_pairs must be a non-negative integer, got {max_pairs!r}")
    if max_cost is not None and price is None:
        raise ConfigError("max_cost needs the judge's price (price=(input, output) USD per 1M "
                          "tokens; --price IN,OUT)")
    pj = as_pair_judge(judge, name=name)
    label = name or pj.name
    pr = _price(price)
    path = Path(log)
    traffic = load_traffic(path, feedback=False)
    pairs, lone = shadow_pairs(traffic)
    report = JudgeReport(label, pairs=len(pairs), no_pair=lone)
    done = judged_runs(path, label)
    todo = [p for p in pairs if p.run_id not in done]
    report.already_judged = len(pairs) - len(todo)
    if max_pairs is not None and len(todo) > int(max_pairs):
        report.capped = len(todo) - int(max_pairs)
        todo = todo[:int(max_pairs)]
    template = getattr(pj, "template", JUDGE_PROMPT)
    report.estimate = estimate_cost(todo, price=pr, output_tokens=output_tokens,
                                    template=template)
    if on_estimate is not None:
        on_estimate(report.estimate)
    if max_cost is not None and report.estimate.cost is not None \
            and report.estimate.cost > max_cost:
        raise ConfigError(f"the estimate (${report.estimate.cost:.4f} for {len(todo)} pairs) is "
                          f"over max_cost ${max_cost:g}: lower max_pairs or raise max_cost")
    if dry_run:
        return report
    fb = feedback_path(path)
    tin = tout = 0
    in_a_row = 0
    for i, pair in enumerate(todo):
        if max_cost is not None and (_cost(pr, tin, tout) or 0.0) >= max_cost:
            report.stopped = f"the judge's cost reached max_cost ${max_cost:g}"
            break
        if in_a_row >= max_consecutive_errors:
            report.stopped = f"{in_a_row} judge calls in a row raised"
            break
        sides: list[Side | None] = []
        ptin = ptout = 0
        for req, first_route in zip(_requests(pair), ("strong", "weak"), strict=True):
            if None in sides:
                break  # the pair cannot get a verdict: do not pay for its other order
            try:
                reply = pj.judge_pair(req)
            except Exception as exc:  # a judge failure costs this pair, not the run
                report.errors += 1
                in_a_row += 1
                _example(report, pair.run_id, f"{type(exc).__name__}: {exc}")
                sides.append(None)
                continue
            in_a_row = 0
            report.calls += 1
            if not isinstance(reply, JudgeReply):
                reply = JudgeReply(str(reply))
            a = reply.input_tokens if reply.input_tokens is not None \
                else count_tokens(judge_prompt(req, template))
            b = reply.output_tokens if reply.output_tokens is not None \
                else count_tokens(reply.text)
            ptin, ptout = ptin + int(a), ptout + int(b)
            verdict = parse_verdict(reply.text)
            if verdict is None:
                report.unparseable += 1
                _example(report, pair.run_id, f"unparseable reply {reply.text[-120:]!r}")
                sides.append(None)
                continue
            sides.append(_side(verdict, first_route))
        tin, tout = tin + ptin, tout + ptout
        if None in sides:
            report.failed += 1
        else:
            orders: list[Side] = [s for s in sides if s is not None]
            side: Side = orders[0] if orders[0] == orders[1] else "tie"
            if orders[0] != orders[1]:
                report.disagreements += 1
            try:
                _write_verdict(fb, pair, label, side, orders, (ptin, ptout))
            except OSError as exc:
                raise DataError(f"could not write the verdicts to {fb}: {exc}; the "
                                f"{report.judged} written so far are kept") from None
            report.judged += 1
            report.verdicts[side] += 1
        if progress is not None:
            progress(i + 1, len(todo))
    report.input_tokens, report.output_tokens = tin, tout
    report.cost = _cost(pr, tin, tout)
    return report

