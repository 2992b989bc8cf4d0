"""The same question in two training sources: found, and kept once in a training set.

Some newer extracts repeat questions of older sources in another wording or template (the data
README counts them): 604 ``theoremqa`` questions are ``mmlu-pro`` questions (as multiple
choice), 63 ``routerarena`` prompts hold an ``mmlu-pro`` question, a few ``arena-hard-v0.1``
prompts are ``arena-bench-v1`` or ``arena-human`` prompts, and one ``llmrouter`` prompt is an
``arena-human`` prompt. The prompts differ, so an exact-text check misses them; the data
README's rule finds them (:func:`same_question`).

* :data:`OVERLAPS`: which source yields to which when both are in one training set.
* :func:`cross_source_duplicates`: the prompts a training set drops for that reason
  (``routellm_core.training.sets`` applies it).
* :func:`shared_questions`: the matching prompt pairs of any two sources, to keep them on the
  same side of a train/validation split.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import DataError, unknown_name
from .benchmarks import arena_bench_questions
from .extracts import NEW_SOURCES, read_extract
from .files import read_jsonl, resolve_data_dir
from .sources import SOURCES, _data_file, load_source, mmlu_pro_prompt

__all__ = ["OVERLAPS", "same_question", "matching_pairs", "shared_questions",
           "cross_source_duplicates"]


#: newer source -> the older sources whose questions it repeats. In a training set that holds
#: both, the newer source's copies are dropped, so the older source's data (and with it the
#: shipped default's recipe) stays as it was.
OVERLAPS: dict[str, tuple[str, ...]] = {
    "theoremqa": ("mmlu-pro",),
    "routerarena": ("mmlu-pro",),
    "arena-hard-v0.1": ("arena-bench-v1", "arena-human"),
    "llmrouter": ("arena-human",),
}


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def same_question(a: str, b: str) -> bool:
    """The data README's overlap rule: after lowercasing and collapsing whitespace, the first
    80 characters are equal, or one text of over 40 characters is contained in the other."""
    x, y = _norm(a), _norm(b)
    return x[:80] == y[:80] or (len(y) > 40 and y in x) or (len(x) > 40 and x in y)


def matching_pairs(texts_a: Sequence[str], texts_b: Sequence[str]) -> list[tuple[int, int]]:
    """All index pairs ``(i, j)`` with ``same_question(texts_a[i], texts_b[j])``, sorted."""
    na = [_norm(t) for t in texts_a]
    nb = [_norm(t) for t in texts_b]
    by_head: dict[str, list[int]] = {}
    for j, y in enumerate(nb):
        by_head.setdefault(y[:80], []).append(j)
    out: set[tuple[int, int]] = set()
    for i, x in enumerate(na):
        out.update((i, j) for j in by_head.get(x[:80], ()))
    out.update((i, j) for j, i in _contained(nb, na))
    out.update(_contained(na, nb))
    return sorted(out)


_K = 41  # "over 40 characters": the shortest text the containment rule applies to


def _contained(inner: Sequence[str], outer: Sequence[str]) -> Iterator[tuple[int, int]]:
    """Every ``(i, j)`` with ``len(inner[i]) > 40`` and ``inner[i] in outer[j]``.

    Indexed by each inner text's first 41 characters and found through every 41-character
    window of the outer texts, as comparing all pairs took seconds per training build; a text
    inside another starts at one of its windows, so no pair is missed.
    """
    by_start: dict[str, list[int]] = {}
    for i, x in enumerate(inner):
        if len(x) >= _K:
            by_start.setdefault(x[:_K], []).append(i)
    if not by_start:
        return
    for j, y in enumerate(outer):
        for pos in range(len(y) - _K + 1):
            for i in by_start.get(y[pos:pos + _K], ()):
                if y.startswith(inner[i], pos):
                    yield i, j


def _texts(name: str, root: Path) -> tuple[list[str], list[str]]:
    """``(prompts, question texts)`` of a source, row by row."""
    if name in NEW_SOURCES:
        info = read_extract(name, root).info
        return [i.prompt for i in info], [i.text for i in info]
    if name == "mmlu-pro":
        path = _data_file(root / "mmlu-pro" / "correctness.jsonl", "mmlu-pro data")
        prompts, texts = [], []
        for lineno, obj in read_jsonl(path):
            if not isinstance(obj.get("question"), str) or "options" not in obj:
                raise DataError(f"{path}:{lineno}: expected 'question' and 'options'")
            prompts.append(mmlu_pro_prompt(obj["question"], obj["options"]))
            texts.append(obj["question"])
        return prompts, texts
    if name in ("arena-bench-v1", "arena-human", "vicuna-bench"):
        if name == "arena-bench-v1":
            ps = list(arena_bench_questions(root).values())
        else:
            ps = load_source(name, root).prompts()
        return ps, ps
    raise unknown_name("source with question texts", name,
                       [s for s in SOURCES if s not in ("mmlu-train", "everyday-anchors")])


def shared_questions(a: str, b: str, data_dir: str | os.PathLike[str] | None = None
                     ) -> list[tuple[str, str]]:
    """The prompt pairs ``(prompt of a, prompt of b)`` that ask the same question
    (:func:`same_question` on the question texts), in order.

    For a validation that holds out part of one source: drop from training every prompt of the
    other source paired with a held-out prompt. Example: ``shared_questions("theoremqa",
    "mmlu-pro")`` gives the 604 TheoremQA questions with their MMLU-Pro multiple-choice
    prompts.
    """
    root = resolve_data_dir(data_dir)
    pa, ta = _texts(a, root)
    pb, tb = _texts(b, root)
    return list(dict.fromkeys((pa[i], pb[j]) for i, j in matching_pairs(ta, tb)))


def cross_source_duplicates(names: Iterable[str],
                            data_dir: str | os.PathLike[str] | None = None) -> dict[str, set[str]]:
    """The prompts each source of a training set drops because an older source in the same set
    asks the same question (:data:`OVERLAPS`): ``{source: prompts}`` for the sources that drop
    any."""
    present = list(names)
    todo = {n: [o for o in OVERLAPS.get(n, ()) if o in present] for n in present}
    todo = {n: others for n, others in todo.items() if others}
    if not todo:
        return {}
    root = resolve_data_dir(data_dir)
    read: dict[str, tuple[list[str], list[str]]] = {}  # mmlu-pro and arena-human serve twice

    def texts_of(name: str) -> tuple[list[str], list[str]]:
        if name not in read:
            read[name] = _texts(name, root)
        return read[name]

    out: dict[str, set[str]] = {}
    for name, others in todo.items():
        prompts, texts = texts_of(name)
        drop: set[str] = set()
        for other in others:
            _, other_texts = texts_of(other)
            drop.update(prompts[i] for i, _ in matching_pairs(texts, other_texts))
        if drop:
            out[name] = drop
    return out
