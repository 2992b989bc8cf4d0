"""Readers of the six newer training extracts in the data directory.

Each extract is read row by row into an :class:`ExtractRows`: the routed prompt of each row,
its upstream id, a *group* for per-part reporting and the question text that the cross-source
overlap rule compares (:mod:`routellm_core.data.overlap`), plus either per-model outcomes (the
outcome-table sources) or judged battles (the pairwise sources).
:func:`~routellm_core.data.sources.load_table` and
:func:`~routellm_core.data.sources.load_source` turn them into training data like every other
source; :func:`~routellm_core.data.pairs.pair_outcomes` into one strong/weak pair's outcomes.

Outcome tables (scores per model per prompt, 0-1):

* ``llmrouter``: 9 open models on 4,596 prompts of 11 tasks; group: the task.
* ``theoremqa``: the chain-of-thought runs on the TheoremQA questions; group: the field.
* ``simpleqa``: the plain (no search) runs on 250 SimpleQA questions; group: the topic.
* ``routerarena``: Claude-3-Haiku and Gemini-2.0-Flash on 645 prompts; group: the dataset.

Judged battles:

* ``qlora-oa``: GPT-4 verdicts among 7 systems on 953 OpenAssistant prompts, both answer orders
  combined into one battle; group: the prompt's language.
* ``arena-hard-v0.1``: 36 models against ``gpt-4-0314`` on 499 hard Arena prompts, one battle
  per judged game; group: the topic cluster.

Every malformed row raises :class:`~routellm_core.errors.DataError` naming the file and line.
The decisions each reader makes (which runs, which rows) are in its docstring and in
``docs/training.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, unknown_name
from .battles import Battle, Battles, Winner
from .files import read_jsonl

__all__ = [
    "NEW_SOURCES",
    "TABLE_EXTRACTS",
    "BATTLE_EXTRACTS",
    "CHATQA_MODELS",
    "ARENA_HARD_BASELINE",
    "PromptInfo",
    "ExtractRows",
    "multiple_choice_prompt",
    "read_extract",
    "simpleqa_run_kept",
]


#: the six newer extracts, in the order they join :data:`~routellm_core.data.sources.SOURCES`
NEW_SOURCES = ("llmrouter", "theoremqa", "qlora-oa", "arena-hard-v0.1", "simpleqa", "routerarena")

#: extracts that grade several models per prompt (read as outcome tables)
TABLE_EXTRACTS = ("llmrouter", "theoremqa", "simpleqa", "routerarena")

#: extracts of pairwise judge verdicts (read as battles)
BATTLE_EXTRACTS = ("qlora-oa", "arena-hard-v0.1")

#: llmrouter's two ChatQA models, whose multiple-choice outcomes are left out (see
#: :func:`read_extract`)
CHATQA_MODELS = ("llama3-chatqa-1.5-8b", "llama3-chatqa-1.5-70b")

#: the model every arena-hard-v0.1 battle compares against
ARENA_HARD_BASELINE = "gpt-4-0314"


@dataclass(frozen=True)
class PromptInfo:
    """What is known about one prompt of an extract besides its outcomes.

    Attributes:
        prompt: the routed text (what training and routing see).
        id: the upstream id (llmrouter ``id``, theoremqa ``id``, qlora-oa ``message_id``,
            arena-hard ``question_id``, simpleqa ``question_id``, routerarena ``global_index``).
        group: the part of the source for per-part reporting: the llmrouter task, the
            theoremqa field, the qlora-oa language, the arena-hard topic cluster, the simpleqa
            topic, the routerarena dataset (the task name before its first ``_``).
        text: the question as published, what the cross-source overlap rule compares (for
            llmrouter the query without its options, for qlora-oa the last user turn).
        turns: qlora-oa only: the whole conversation (``{"role", "content"}`` dicts), whose
            last user turn is ``prompt``.
    """

    prompt: str
    id: str
    group: str
    text: str
    turns: tuple[Mapping[str, str], ...] = ()


@dataclass
class ExtractRows:
    """One extract read row by row.

    Attributes:
        source: the extract's name.
        info: one :class:`PromptInfo` per row (table extracts) or per prompt (battle extracts).
        outcomes: table extracts: model -> one 0-1 outcome per row (``None``: not graded);
            empty for battle extracts.
        battles: battle extracts: the judged battles; empty for table extracts.
        left_out: rows left out by the reader's rules, by reason (for reports and tests).
        judges: arena-hard-v0.1: the judge of each battle (aligned with ``battles``).
    """

    source: str
    info: list[PromptInfo]
    outcomes: dict[str, list[float | None]] = field(default_factory=dict)
    battles: Battles = field(default_factory=Battles)
    left_out: dict[str, int] = field(default_factory=dict)
    judges: list[str] = field(default_factory=list)

    @property
    def prompts(self) -> list[str]:
        """The routed prompt of each row (table extracts may repeat a prompt)."""
        return [i.prompt for i in self.info]


def multiple_choice_prompt(question: str, options: Sequence[str]) -> str:
    """An MMLU-style prompt: the question, lettered options, then ``Answer:``."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    lines = [question.strip()]
    lines += [f"{letters[i]}. {str(o).strip()}" for i, o in enumerate(options)]
    lines.append("Answer:")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Row checks: every error names the file, the line and the field
# --------------------------------------------------------------------------------------------
class _Row:
    """One JSON line with typed field access; a bad field raises ``DataError`` at file:line."""

    def __init__(self, path: Path, lineno: int, obj: Mapping[str, Any]) -> None:
        self.path, self.lineno, self.obj = path, lineno, obj

    def error(self, message: str) -> DataError:
        return DataError(f"{self.path}:{self.lineno}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], what: str) -> Any:
        if key not in self.obj:
            raise self.error(f"missing field {key!r}")
        value = self.obj[key]
        if not isinstance(value, kind) or isinstance(value, bool) and bool not in _kinds(kind):
            raise self.error(f"field {key!r} must be {what}, got {value!r:.80}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key, str, "a non-empty string")
        if not value.strip():
            raise self.error(f"field {key!r} must be a non-empty string, got {value!r}")
        return str(value)

    def known(self, key: str, known: Mapping[str, Any], where: str) -> str:
        """A non-empty string that is a key of ``known`` (the ids read from the file ``where``)."""
        value = self.text(key)
        if value not in known:
            raise self.error(f"{key} {value!r} is not in {where}")
        return value

    def two(self, key_a: str, key_b: str) -> tuple[str, str]:
        """Two different non-empty strings: the two models (or systems) of a battle."""
        a, b = self.text(key_a), self.text(key_b)
        if a == b:
            raise self.error(f"{key_a} and {key_b} are both {a!r}")
        return a, b

    def mapping(self, key: str, what: str) -> dict[str, Any]:
        value = self.get(key, dict, what)
        if not value:
            raise self.error(f"field {key!r} must be {what}, got an empty object")
        return dict(value)

    def score(self, key: str, model: str, value: Any) -> float:
        """A 0-1 number (a JSON ``true``/``false`` is not one)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.error(f"field {key!r}: model {model!r} has {value!r}; expected a number "
                             "from 0 to 1")
        return float(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _rows(path: Path) -> list[_Row]:
    return [_Row(path, lineno, obj) for lineno, obj in read_jsonl(path)]


def _file(root: Path, name: str, file: str) -> Path:
    path = root / name / file
    if not path.is_file():
        raise DataError(f"{name} data not found at {str(path)!r}; the folder {name}/ of the data "
                        "directory holds it (see the data README)")
    return path


def _collect(outcomes: dict[str, list[float | None]], row_scores: Mapping[str, float | None],
             n_before: int) -> None:
    """Append one row's scores to column lists, padding models first seen late with None."""
    for m in row_scores:
        if m not in outcomes:
            outcomes[m] = [None] * n_before
    for m, col in outcomes.items():
        col.append(row_scores.get(m))


# --------------------------------------------------------------------------------------------
# Outcome-table extracts
# --------------------------------------------------------------------------------------------
def _llmrouter(root: Path) -> ExtractRows:
    path = _file(root, "llmrouter", "scores.jsonl")
    info: list[PromptInfo] = []
    outcomes: dict[str, list[float | None]] = {}
    left_out = {"chatqa_multiple_choice_outcomes": 0}
    for row in _rows(path):
        query = row.text("prompt")
        task = row.text("task")
        rid = row.text("id")
        scores = row.mapping("scores", "an object {model: score}")
        choices = row.obj.get("choices")
        if choices is not None and (not isinstance(choices, list) or not choices
                                    or not all(isinstance(c, str) for c in choices)):
            raise row.error(f"field 'choices' must be a non-empty list of strings, got "
                            f"{choices!r:.80}")
        values: dict[str, float | None] = {m: row.score("scores", m, v) for m, v in scores.items()}
        if choices:
            # ChatQA answers multiple choice in a form the upstream grader does not accept
            # (0.00 on mmlu and gpqa, at most 0.27 elsewhere): a format failure, not a sign of
            # how hard the question is, so those outcomes are missing, not wrong.
            for m in CHATQA_MODELS:
                if m in values:
                    values[m] = None
                    left_out["chatqa_multiple_choice_outcomes"] += 1
        prompt = multiple_choice_prompt(query, choices) if choices else query
        _collect(outcomes, values, len(info))
        info.append(PromptInfo(prompt, rid, task, query))
    return ExtractRows("llmrouter", info, outcomes, left_out=left_out)


def _theoremqa(root: Path) -> ExtractRows:
    path = _file(root, "theoremqa", "correctness.jsonl")
    info: list[PromptInfo] = []
    outcomes: dict[str, list[float | None]] = {}
    left_out = {"has_picture": 0, "program_of_thought_runs": 0}
    pot: set[str] = set()
    for row in _rows(path):
        question = row.text("question")
        qid = row.text("id")
        fld = row.text("field")
        picture = row.get("has_picture", bool, "true or false")
        correct = row.mapping("correct", "an object {run: true/false}")
        values: dict[str, float | None] = {}
        for run, ok in correct.items():
            if not isinstance(ok, bool):
                raise row.error(f"field 'correct': run {run!r} has {ok!r}; expected true or false")
            if run.endswith("_CoT"):
                values[run] = 1.0 if ok else 0.0
            else:
                pot.add(run)
        if picture:
            # the question refers to a figure no run saw: its failures say nothing about the text
            left_out["has_picture"] += 1
            continue
        _collect(outcomes, values, len(info))
        info.append(PromptInfo(question, qid, fld, question))
    left_out["program_of_thought_runs"] = len(pot)
    return ExtractRows("theoremqa", info, outcomes, left_out=left_out)


def simpleqa_run_kept(run: str) -> bool:
    """Whether a SimpleQA run is training data: plain model calls only.

    Left out: the search-agent runs (``-agent`` in the name, which includes the failed
    ``gemini-v1.5-flash-agent`` run and the ``-agent-ablation`` run) and Perplexity's online
    models (``-online``), which search the web too; a router decides between plain calls of
    two models, and a search back end changes the outcome as much as the model does.
    """
    return "-agent" not in run and not run.endswith("-online")


_SIMPLEQA_GRADES = {"A": 1.0, "B": 0.0, "C": 0.0}


def _simpleqa(root: Path) -> ExtractRows:
    path = _file(root, "simpleqa", "grades.jsonl")
    info: list[PromptInfo] = []
    outcomes: dict[str, list[float | None]] = {}
    left: set[str] = set()
    for row in _rows(path):
        question = row.text("question")
        qid = row.text("question_id")
        topic = row.text("topic")
        grades = row.mapping("grade", "an object {model: 'A', 'B' or 'C'}")
        values: dict[str, float | None] = {}
        for run, g in grades.items():
            if g not in _SIMPLEQA_GRADES:
                raise row.error(f"field 'grade': run {run!r} has {g!r}; expected 'A' (correct), "
                                "'B' (incorrect) or 'C' (not attempted)")
            if simpleqa_run_kept(run):
                # a declined answer (C) is no more use to the user than a wrong one (B)
                values[run] = _SIMPLEQA_GRADES[g]
            else:
                left.add(run)
        _collect(outcomes, values, len(info))
        info.append(PromptInfo(question, qid, topic, question))
    return ExtractRows("simpleqa", info, outcomes, left_out={"runs": len(left)})


def _routerarena(root: Path) -> ExtractRows:
    path = _file(root, "routerarena", "scores.jsonl")
    info: list[PromptInfo] = []
    outcomes: dict[str, list[float | None]] = {}
    for row in _rows(path):
        # the prompt as sent, RouterArena's instruction template included: the scores are for
        # that text, and its 36 templates are too varied to strip reliably
        prompt = row.text("prompt")
        gid = row.text("global_index")
        task = row.text("task")
        metric = row.text("metric")
        scores = row.mapping("score", "an object {model: score}")
        if metric == "meteor_score":
            # upstream's METEOR can dip just below 0 (one published value is -0.033): no
            # overlap with the reference, the same as 0
            scores = {m: max(v, 0.0) if _number(v) and v >= -1 else v for m, v in scores.items()}
        values: dict[str, float | None] = {m: row.score("score", m, v) for m, v in scores.items()}
        _collect(outcomes, values, len(info))
        info.append(PromptInfo(prompt, gid, task.split("_", 1)[0], prompt))
    return ExtractRows("routerarena", info, outcomes)


# --------------------------------------------------------------------------------------------
# Judged-battle extracts
# --------------------------------------------------------------------------------------------
_QLORA_VERDICTS = ("a", "b", "tie", "unparsed")


def _qlora_oa(root: Path) -> ExtractRows:
    ppath = _file(root, "qlora-oa", "prompts.jsonl")
    rpath = _file(root, "qlora-oa", "reviews.jsonl")
    by_id: dict[str, PromptInfo] = {}
    for row in _rows(ppath):
        mid = row.text("message_id")
        lang = row.text("lang")
        turns = row.get("turns", list, "a non-empty list of {role, content}")
        if not turns or not all(isinstance(t, dict) and t.get("role") in ("user", "assistant")
                                and isinstance(t.get("content"), str) for t in turns):
            raise row.error("field 'turns' must be a non-empty list of {\"role\": \"user\" or "
                            "\"assistant\", \"content\": string}")
        if turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
            raise row.error("field 'turns': the last turn must be a non-empty user turn (the "
                            "one that was answered)")
        if mid in by_id:
            raise row.error(f"message_id {mid!r} appears twice")
        last = turns[-1]["content"]
        by_id[mid] = PromptInfo(last, mid, lang, last,
                                tuple({"role": t["role"], "content": t["content"]} for t in turns))
    games: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in _rows(rpath):
        mid = row.known("message_id", by_id, ppath.name)
        a, b = row.two("system_a", "system_b")
        order = row.get("order", str, "'ab' or 'ba'")
        if order not in ("ab", "ba"):
            raise row.error(f"field 'order' must be 'ab' or 'ba', got {order!r}")
        verdict = row.get("verdict", str, "a verdict")
        if verdict not in _QLORA_VERDICTS:
            raise row.error(f"field 'verdict' must be one of {', '.join(_QLORA_VERDICTS)}, got "
                            f"{verdict!r}")
        key = (mid, a, b) if a < b else (mid, b, a)
        if a > b:  # the published pairs are alphabetical; keep the verdict on its system
            verdict = {"a": "b", "b": "a"}.get(verdict, verdict)
        seen = games.setdefault(key, {})
        if order in seen:
            raise row.error(f"a second {order!r} review of {a!r} vs {b!r} on message {mid!r}")
        seen[order] = verdict
    out: list[Battle] = []
    left_out = {"unparsed_reviews": 0, "one_order_only": 0}
    for (mid, a, b), orders in games.items():
        parsed = [v for v in orders.values() if v != "unparsed"]
        left_out["unparsed_reviews"] += len(orders) - len(parsed)
        if len(parsed) < 2:
            # one order cannot tell a preference from the judge's bias for the first answer
            left_out["one_order_only"] += 1
            continue
        winner: Winner = ("model_a" if parsed == ["a", "a"] else
                          "model_b" if parsed == ["b", "b"] else "tie")
        out.append(Battle(by_id[mid].prompt, a, b, winner, "qlora-oa"))
    return ExtractRows("qlora-oa", list(by_id.values()), battles=Battles(out),
                       left_out=left_out)


def _arena_hard_games(count: int, winner: str) -> int:
    """Judged games behind one collapsed row: the upstream script writes a strong verdict
    (``A>>B``) three times and any other verdict once; a tie is never strong."""
    return count if winner == "tie" else count // 3 + count % 3


def _arena_hard(root: Path) -> ExtractRows:
    qpath = _file(root, "arena-hard-v0.1", "question.jsonl")
    bpath = _file(root, "arena-hard-v0.1", "battles.jsonl")
    by_id: dict[str, PromptInfo] = {}
    for row in _rows(qpath):
        qid = row.text("question_id")
        if qid in by_id:
            raise row.error(f"question_id {qid!r} appears twice")
        prompt = row.text("prompt")
        by_id[qid] = PromptInfo(prompt, qid, row.text("cluster"), prompt)
    out: list[Battle] = []
    judges: list[str] = []
    per_judgment: dict[tuple[str, str, str], int] = {}
    for row in _rows(bpath):
        qid = row.known("question_id", by_id, qpath.name)
        a, b = row.two("model_a", "model_b")
        winner = row.get("winner", str, "a winner")
        if winner not in ("model_a", "model_b", "tie"):
            raise row.error(f"field 'winner' must be model_a, model_b or tie, got {winner!r}")
        count = row.get("count", int, "a positive integer")
        if count < 1:
            raise row.error(f"field 'count' must be a positive integer, got {count!r}")
        judge = row.text("judge")
        n = _arena_hard_games(count, winner)
        key = (qid, b, judge)
        per_judgment[key] = per_judgment.get(key, 0) + n
        if per_judgment[key] > 2:
            raise row.error(f"more than two games of {b!r} on {qid!r} by judge {judge!r}; "
                            "expected one judgment (two games, answer order swapped)")
        # one battle per judged game: the triple repetition of strong verdicts is collapsed
        out += [Battle(by_id[qid].prompt, a, b, winner, "arena-hard-v0.1")] * n  # type: ignore[arg-type]
        judges += [judge] * n
    return ExtractRows("arena-hard-v0.1", list(by_id.values()), battles=Battles(out),
                       judges=judges)


_READERS = {
    "llmrouter": _llmrouter,
    "theoremqa": _theoremqa,
    "qlora-oa": _qlora_oa,
    "arena-hard-v0.1": _arena_hard,
    "simpleqa": _simpleqa,
    "routerarena": _routerarena,
}


def read_extract(name: str, root: Path) -> ExtractRows:
    """One of the six newer extracts (:data:`NEW_SOURCES`), read from the data directory
    ``root``.

    Decisions, per extract:

    * ``llmrouter``: a multiple-choice row is sent with its ``choices`` as an MMLU-style prompt
      (question, lettered options, ``Answer:``); ``commongen`` scores are coverage fractions
      and stay fractions. The two ChatQA models score 0.00 on mmlu and gpqa and at most 0.27 on
      the other multiple-choice tasks, an answer-format failure: their multiple-choice outcomes
      are missing (``None``), their other outcomes kept.
    * ``theoremqa``: one method per model, the chain-of-thought runs (``*_CoT``: GPT4_CoT,
      ChatGPT_CoT, Claude v1/v2/instant, davinci, alpaca, vicuna, pythia); the
      program-of-thought runs (``*_PoT``) are left out, and with them starchat, which has no
      CoT run. The 53 questions that refer to a picture no run saw are left out. The 604
      questions also in ``mmlu-pro`` are kept here and dropped at training time when both
      sources are used (:mod:`routellm_core.data.overlap`).
    * ``simpleqa``: grade ``A`` is 1, ``B`` (wrong) and ``C`` (declined) are 0; only plain
      model calls (:func:`simpleqa_run_kept`); a model missing from a row was not graded there.
    * ``routerarena``: the prompt as sent, with RouterArena's instruction template; ``score``
      as published (fractional for meteor_score, where the one negative value, -0.033, is
      read as 0).
    * ``qlora-oa``: the routed prompt is the last user turn (the conversation is in
      :attr:`PromptInfo.turns`). The two answer orders of one prompt and pair become one
      battle: a win when both orders name the same system, a tie otherwise (including one
      win and one tie); ``unparsed`` reviews are dropped, and a pair left with one order is
      dropped too, since one order cannot separate a preference from position bias.
    * ``arena-hard-v0.1``: one battle per judged game against ``gpt-4-0314`` (each judgment
      is two games; the three copies of a strong verdict count once). Judges are not mixed
      within a model: each ``model_b`` is judged by one judge in this extract.

    Raises:
        DataError: a file is missing, or a row is malformed (the message names file and line).
        UnknownNameError: ``name`` is not a newer extract.
    """
    if name not in _READERS:
        raise unknown_name("newer extract", name, _READERS)
    return _READERS[name](root)
