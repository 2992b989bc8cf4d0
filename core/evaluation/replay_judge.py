"""Replay judges: a judge played from recorded verdicts, offline.

Two public datasets hold an LLM judge's pairwise verdicts (not the answers themselves):

* ``qlora-oa/`` (``reviews.jsonl``): GPT-4 comparing 7 systems (``gpt-4``, ``gpt-3.5``,
  ``vicuna-13b``, ``7b-guanaco`` ... ``65b-guanaco``) on 953 OpenAssistant prompts, every pair
  in both answer orders. :class:`QloraOAJudge` answers a :class:`~.judge.PairRequest` with the
  verdict recorded *for that order*.
* ``arena-hard-v0.1/`` (``battles.jsonl``): GPT-4-class judges comparing models with
  ``gpt-4-0314`` on 499 hard prompts, two games a judgment (the answer order swapped).
  The file does not say which game had which order, so :class:`ArenaHardJudge` gives the
  first recorded game to the order with ``gpt-4-0314`` first and the second game to the other
  order (the combined verdict, a win only when both agree, does not depend on this); a game
  the upstream script could not parse is absent and replays as an unparseable reply.

A replay judge finds the recorded verdict by the request's prompt text (whitespace
collapsed; for ``qlora-oa`` the last user turn of the conversation) and model names, so it
fits logs recorded on those prompts with models named as in the data: the logs
:meth:`QloraOAJudge.log` and :meth:`ArenaHardJudge.log` build (for ``ReplayChatModel`` /
``ReplayLLM``, with placeholder answers: the datasets keep no answer texts), or your own
(``models=`` maps your names to the recorded ones). Its replies are the text a model would
give (``VERDICT: A``), so they go through the same parsing as a live judge's. A pair the data
holds no verdict for raises :class:`~routellm_core.errors.DataError` (counted by
:func:`~.judge.judge_log`, which goes on).

A bad line raises a ``DataError`` naming the file and line. Arena-Hard is read by the shared
reader (:func:`~routellm_core.data.extracts.read_extract`); ``qlora-oa`` by a reader of its
own here, because the shared one combines the two orders of a review into one battle and a
replay judge needs each order's verdict.

Example (needs the shared data):
    >>> judge = QloraOAJudge()                               # doctest: +SKIP
    >>> log = judge.log("gpt-4", "vicuna-13b")               # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.files import read_jsonl, resolve_data_dir
from ..errors import ConfigError, DataError, unknown_name
from .judge import JudgeReply, PairRequest, parse_verdict

if TYPE_CHECKING:
    from ..data.benchmarks import BenchmarkSet
    from .replay import ReplayLog

__all__ = ["REPLAY_JUDGES", "QloraOAJudge", "ArenaHardJudge", "replay_judge", "prompt_key",
           "UNPARSEABLE_REPLY"]

#: the replay judges by name (``routellm judge --judge replay:NAME``)
REPLAY_JUDGES = ("qlora-oa", "arena-hard")

#: what a replay judge answers for an order whose recorded verdict was not parseable (it has
#: no verdict line, so it is counted as unparseable, like a live judge's)
UNPARSEABLE_REPLY = "(the recorded judge reply for this order could not be parsed upstream)"

_REPLY = {"A": "VERDICT: A", "B": "VERDICT: B", "tie": "VERDICT: TIE"}


def prompt_key(text: str) -> str:
    """How a replay judge matches prompts: whitespace collapsed, ends stripped."""
    return " ".join(str(text).split())


def _file(data_dir: str | os.PathLike[str] | None, *parts: str) -> Path:
    p = resolve_data_dir(data_dir).joinpath(*parts)
    if not p.is_file():
        raise DataError(f"{p} does not exist: the replay judge needs the shared data "
                        f"({'/'.join(parts)}); pass data_dir= (--data-dir) or set "
                        "ROUTELLM_DATA_DIR")
    return p


def _field(obj: Mapping[str, Any], key: str, path: Path, line: int,
           choices: Sequence[str] | None = None) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise DataError(f"{path}:{line}: field {key!r} is missing or not a string")
    if choices is not None and value not in choices:
        raise DataError(f"{path}:{line}: {key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _check_mapping(models: Mapping[str, str] | None) -> dict[str, str]:
    if models is None:
        return {}
    if not isinstance(models, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in models.items()):
        raise ConfigError("models must map the log's model names to the recorded names, "
                          f"e.g. {{'gpt-4-1106-preview': 'gpt-4'}}; got {models!r}")
    return dict(models)


def _placeholder(model: str, ref: str) -> str:
    return (f"[{model}'s answer to {ref}: the dataset records the judge's verdicts, "
            "not the answer texts]")


@dataclass(frozen=True)
class _Recorded:
    prompt: str
    ref: str  # the dataset's id of the prompt


class _ReplayJudge:
    """What both replay judges share: name mapping, lookup, replies, logs and benchmarks."""

    name: str
    models: dict[str, str]
    _by_key: dict[str, list[_Recorded]]

    def _systems(self) -> list[str]:
        raise NotImplementedError

    def _verdict(self, ref: str, first: str, second: str) -> str | None:
        """``"A"``/``"B"``/``"tie"``, ``"?"`` (recorded but unparseable), ``None`` (not
        recorded)."""
        raise NotImplementedError

    def _model(self, name: str) -> str:
        model = self.models.get(name, name)
        if model not in self._systems():
            raise unknown_name(f"model in the {self.name} data (map yours with models=)", model,
                               self._systems())
        return model

    def judge_pair(self, request: PairRequest) -> JudgeReply:
        """The recorded reply for ``request`` (in its order).

        Raises:
            UnknownNameError: a model the data does not hold (the message lists them).
            DataError: the prompt, or a verdict for this pair on it, is not recorded.
        """
        first, second = self._model(request.first_model), self._model(request.second_model)
        recs = self._by_key.get(prompt_key(request.prompt))
        if not recs:
            raise DataError(f"{self.name}: the prompt {request.prompt[:60]!r} is not in the data "
                            "(a replay judge only knows the recorded prompts)")
        for rec in recs:
            v = self._verdict(rec.ref, first, second)
            if v is not None:
                return JudgeReply(UNPARSEABLE_REPLY if v == "?" else _REPLY[v])
        raise DataError(f"{self.name}: no recorded verdict of {first} against {second} on "
                        f"{recs[0].ref}")

    def prompts(self, strong: str, weak: str) -> list[str]:
        """The recorded prompts with a verdict (in at least one order) for the pair."""
        s, w = self._model(strong), self._model(weak)
        out = []
        for recs in self._by_key.values():
            rec = recs[0]
            if self._verdict(rec.ref, s, w) is not None or self._verdict(rec.ref, w, s) is not None:
                out.append(rec.prompt)
        return out

    def log(self, strong: str, weak: str) -> ReplayLog:
        """A replay log of both models on the pair's recorded prompts, with placeholder
        answers (for ``ReplayChatModel``/``ReplayLLM``: record traffic on these prompts, then
        judge it with this judge)."""
        from .replay import ReplayLog, ReplayRecord

        log = ReplayLog(name=f"{self.name}:{strong}-vs-{weak}")
        for p in self.prompts(strong, weak):
            ref = self._by_key[prompt_key(p)][0].ref
            for m in (strong, weak):
                log.add(ReplayRecord(p, m, _placeholder(m, ref)))
        return log

    def combined(self, prompt: str, strong: str, weak: str) -> str | None:
        """The judge rule on one recorded pair: ``"strong"``, ``"weak"`` or ``"tie"`` (the two
        orders agree, or a tie when they do not), ``None`` when an order has no readable
        verdict."""
        sides = []
        for req, first in ((PairRequest(prompt, "", "", strong, weak), "strong"),
                           (PairRequest(prompt, "", "", weak, strong), "weak")):
            try:
                v = parse_verdict(self.judge_pair(req).text)
            except DataError:
                return None
            if v is None:
                return None
            sides.append("tie" if v == "tie" else first if v == "A" else
                         ("weak" if first == "strong" else "strong"))
        return sides[0] if sides[0] == sides[1] else "tie"

    def benchmark(self, strong: str, weak: str, *, name: str | None = None) -> BenchmarkSet:
        """The pair's prompts as a benchmark scored by this judge: the strong model's outcome
        is 1 where the judge prefers it in both orders, 0 where it prefers the weak model,
        0.5 on a tie; the weak model's is 1 minus that. Prompts without a readable verdict in
        both orders are left out."""
        from ..data.benchmarks import BenchmarkSet

        prompts, s_out = [], []
        for p in self.prompts(strong, weak):
            side = self.combined(p, strong, weak)
            if side is None:
                continue
            prompts.append(p)
            s_out.append({"strong": 1.0, "weak": 0.0, "tie": 0.5}[side])
        s_arr = np.asarray(s_out, dtype=float)
        return BenchmarkSet(name or f"{self.name}:{strong}-vs-{weak}", prompts,
                            {strong: s_arr, weak: 1.0 - s_arr}, strong=strong, weak=weak)


class QloraOAJudge(_ReplayJudge):
    """GPT-4's recorded pairwise reviews on OpenAssistant prompts (``qlora-oa/``).

    Args:
        data_dir: the data directory (default: :func:`~routellm_core.data.files.resolve_data_dir`).
        models: your model names -> the recorded system names (``gpt-4``, ``gpt-3.5``,
            ``vicuna-13b``, ``7b-guanaco``, ``13b-guanaco``, ``30b-guanaco``, ``65b-guanaco``).
        name: the judge's name in the feedback (``replay:qlora-oa``).

    Raises:
        DataError: a file is missing or a line is bad (file and line named).
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *,
                 models: Mapping[str, str] | None = None, name: str = "replay:qlora-oa") -> None:
        self.name = name
        self.models = _check_mapping(models)
        prompts_path = _file(data_dir, "qlora-oa", "prompts.jsonl")
        reviews_path = _file(data_dir, "qlora-oa", "reviews.jsonl")
        self._by_key = {}
        for line, obj in read_jsonl(prompts_path):
            mid = _field(obj, "message_id", prompts_path, line)
            turns = obj.get("turns")
            if not isinstance(turns, list) or not turns or not isinstance(turns[-1], dict) \
                    or not isinstance(turns[-1].get("content"), str):
                raise DataError(f"{prompts_path}:{line}: 'turns' must be a list of "
                                "{role, content} ending with the user turn")
            text = turns[-1]["content"]
            self._by_key.setdefault(prompt_key(text), []).append(_Recorded(text, mid))
        # (message_id, shown first, shown second) -> "A" / "B" / "tie" / "?"
        self._reviews: dict[tuple[str, str, str], str] = {}
        systems: set[str] = set()
        for line, obj in read_jsonl(reviews_path):
            mid = _field(obj, "message_id", reviews_path, line)
            a = _field(obj, "system_a", reviews_path, line)
            b = _field(obj, "system_b", reviews_path, line)
            order = _field(obj, "order", reviews_path, line, ("ab", "ba"))
            verdict = _field(obj, "verdict", reviews_path, line, ("a", "b", "tie", "unparsed"))
            first, second = (a, b) if order == "ab" else (b, a)
            if verdict == "unparsed":
                v = "?"
            elif verdict == "tie":
                v = "tie"
            else:  # the verdict names a system; the reply names a position
                winner = a if verdict == "a" else b
                v = "A" if winner == first else "B"
            self._reviews[(mid, first, second)] = v
            systems.update((a, b))
        self._all = sorted(systems)

    def _systems(self) -> list[str]:
        return self._all

    def _verdict(self, ref: str, first: str, second: str) -> str | None:
        return self._reviews.get((ref, first, second))


#: Arena-Hard's baseline: one side of every recorded battle
ARENA_BASELINE = "gpt-4-0314"


class ArenaHardJudge(_ReplayJudge):
    """The recorded Arena-Hard judgments against ``gpt-4-0314`` (``arena-hard-v0.1/``).

    Args:
        data_dir: the data directory.
        judge: the recorded judge to replay (``gpt-4-1106-preview`` or ``gpt-4o``); ``None``:
            the only one that judged the pair (an error when two did).
        models: your model names -> the recorded names.
        name: the judge's name in the feedback (``replay:arena-hard``).

    Raises:
        DataError: a file is missing or a line is bad (file and line named).
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *,
                 judge: str | None = None, models: Mapping[str, str] | None = None,
                 name: str = "replay:arena-hard") -> None:
        self.name = name
        self.models = _check_mapping(models)
        from ..data.extracts import read_extract

        # the shared reader (file:line errors, the repeated strong verdicts collapsed into
        # games, at most two games a judgment): one battle per judged game
        rows = read_extract("arena-hard-v0.1", resolve_data_dir(data_dir))
        self._by_key = {}
        id_of: dict[str, str] = {}
        for info in rows.info:
            self._by_key.setdefault(prompt_key(info.prompt), []).append(
                _Recorded(info.prompt, info.id))
            id_of[info.prompt] = info.id
        # (question_id, other model, judge) -> the games' verdicts for the baseline: "A"
        # (baseline better), "B" (other better), "tie"
        games: dict[tuple[str, str, str], list[str]] = {}
        judges: set[str] = set()
        for battle, jname in zip(rows.battles, rows.judges, strict=True):
            if battle.model_a != ARENA_BASELINE:
                raise DataError(f"arena-hard-v0.1/battles.jsonl: model_a must be "
                                f"{ARENA_BASELINE!r}, got {battle.model_a!r}")
            v = {"model_a": "A", "model_b": "B", "tie": "tie"}[battle.winner]
            games.setdefault((id_of[battle.prompt], battle.model_b, jname), []).append(v)
            judges.add(jname)
        if judge is not None and judge not in judges:
            raise unknown_name("arena-hard judge", judge, sorted(judges))
        self.judge = judge
        self._games = games
        self._judges = sorted(judges)
        self._all = sorted({ARENA_BASELINE, *(o for _, o, _ in games)})

    def _systems(self) -> list[str]:
        return self._all

    def _verdict(self, ref: str, first: str, second: str) -> str | None:
        if ARENA_BASELINE not in (first, second) or first == second:
            raise DataError(f"{self.name}: every recorded battle is against {ARENA_BASELINE}; "
                            f"got {first} against {second}")
        other = second if first == ARENA_BASELINE else first
        found = [j for j in ([self.judge] if self.judge else self._judges)
                 if (ref, other, j) in self._games]
        if not found:
            return None
        if len(found) > 1:
            raise DataError(f"{self.name}: {other} on {ref} was judged by {', '.join(found)}; "
                            "pick one with judge=")
        vs = self._games[(ref, other, found[0])]
        idx = 0 if first == ARENA_BASELINE else 1
        if idx >= len(vs):
            return "?"  # the other game is absent: upstream could not parse it
        v = vs[idx]
        if v == "tie" or first == ARENA_BASELINE:
            return v
        return "B" if v == "A" else "A"  # the baseline is shown second in this order


def replay_judge(name: str, data_dir: str | os.PathLike[str] | None = None, *,
                 models: Mapping[str, str] | None = None) -> QloraOAJudge | ArenaHardJudge:
    """A replay judge by name (:data:`REPLAY_JUDGES`).

    Raises:
        UnknownNameError: an unknown name (the message lists the valid ones).
    """
    if name == "qlora-oa":
        return QloraOAJudge(data_dir, models=models)
    if name == "arena-hard":
        return ArenaHardJudge(data_dir, models=models)
    raise unknown_name("replay judge", name, REPLAY_JUDGES)
