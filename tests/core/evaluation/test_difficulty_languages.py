"""The difficulty check in several languages: the shipped translations, their loader, and the
per-language AUC that ``routellm eval --benchmark difficulty`` prints."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from routellm_core.data.benchmarks import (
    DIFFICULTY_LANGUAGES,
    BenchmarkSet,
    difficulty_languages,
    load_benchmark,
    load_difficulty,
)
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.evaluation.evaluate import (
    BenchmarkResult,
    auc_by_language,
    evaluate,
    format_table,
    random_baseline,
    results_to_json,
)


def _script(text: str) -> str:
    """The dominant writing system of a text's letters (first word of their Unicode names)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "?").split()[0]
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.__getitem__)


def test_every_shipped_translation_matches_the_original_row_by_row() -> None:
    english = load_difficulty()
    assert difficulty_languages() == list(DIFFICULTY_LANGUAGES)
    scripts = {}
    for lang in DIFFICULTY_LANGUAGES[1:]:
        t = load_difficulty(lang=lang)
        assert set(t.extra["lang"]) == {lang}
        # the same prompts (by id), the same labels and categories, hence balanced
        assert sorted(t.extra["id"]) == sorted(english.extra["id"])
        by_id = dict(zip(english.extra["id"], english.extra["label"], strict=True))
        assert all(by_id[i] == lab for i, lab in zip(t.extra["id"], t.extra["label"], strict=True))
        assert t.extra["label"].count("hard") == t.extra["label"].count("easy")
        # translated: almost no prompt is the English text (a few were Spanish already)
        same = sum(a == b for a, b in zip(t.prompts, english.prompts, strict=True))
        assert same <= 10, (lang, same)
        scripts[lang] = _script(" ".join(t.prompts))
    # three of the five are not in Latin script
    assert sum(s != "LATIN" for s in scripts.values()) >= 3, scripts


def test_all_languages_load_english_first() -> None:
    both = load_difficulty(lang="all")
    n = len(load_difficulty())
    assert len(both) == n * len(DIFFICULTY_LANGUAGES)
    assert both.extra["lang"][:n] == ["en"] * n and both.extra["lang"][n] == "zh"
    assert load_benchmark("difficulty").extra["lang"] == both.extra["lang"]
    with pytest.raises(UnknownNameError, match="unknown difficulty-check language 'fr'.*ja"):
        load_difficulty(lang="fr")


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


ORIGINAL = [{"id": "a", "category": "maths", "label": "easy", "prompt": "What is 2+2?"},
            {"id": "b", "category": "maths", "label": "hard", "prompt": "Prove Fermat."}]


def test_a_translation_folder_beside_any_set_is_found(tmp_path) -> None:
    _write(tmp_path / "set.jsonl", ORIGINAL)
    _write(tmp_path / "translations/xx.jsonl",
           [{**r, "lang": "xx", "prompt": r["prompt"].upper()} for r in ORIGINAL])
    assert difficulty_languages(tmp_path / "set.jsonl") == ["en", "xx"]
    both = load_difficulty(tmp_path / "set.jsonl", lang="all")
    assert both.prompts == ["What is 2+2?", "Prove Fermat.", "WHAT IS 2+2?", "PROVE FERMAT."]
    assert both.extra["lang"] == ["en", "en", "xx", "xx"]


@pytest.mark.parametrize("change,needle", [
    ({"label": "hard"}, r"xx.jsonl:1: label 'hard' differs from the original's 'easy'"),
    ({"category": "code"}, r"xx.jsonl:1: category 'code' differs"),
    ({"id": "z"}, r"xx.jsonl:1: id 'z' is not in .*set.jsonl"),
    ({"lang": "yy"}, r"xx.jsonl:1: 'lang' must be 'xx'"),
    ({"id": "b", "label": "hard"}, r"xx.jsonl:2: id 'b' is translated twice"),
])
def test_a_translation_that_breaks_the_original_names_file_and_line(tmp_path, change,
                                                                    needle) -> None:
    _write(tmp_path / "set.jsonl", ORIGINAL)
    rows = [{**r, "lang": "xx"} for r in ORIGINAL]
    rows[0] = {**rows[0], **change}
    _write(tmp_path / "translations/xx.jsonl", rows)
    with pytest.raises(DataError, match=needle):
        load_difficulty(tmp_path / "set.jsonl", lang="xx")


def test_auc_by_language_on_a_hand_computed_case() -> None:
    # en: hard 0.9, 0.4; easy 0.4, 0.1 -> pairs 0.9>0.4, 0.9>0.1, 0.4=0.4 (1/2), 0.4>0.1: 3.5/4
    # zh: hard 0.2; easy 0.3, 0.1 -> 0.2<0.3, 0.2>0.1: 1/2
    scores = [0.9, 0.4, 0.4, 0.1, 0.2, 0.3, 0.1]
    labels = ["hard", "hard", "easy", "easy", "hard", "easy", "easy"]
    langs = ["en"] * 4 + ["zh"] * 3
    out = auc_by_language(scores, labels, langs)
    assert out == {"en": {"auc": 0.875}, "zh": {"auc": 0.5}}
    strong = np.asarray(scores) >= 0.35
    out = auc_by_language(scores, labels, langs, strong)
    assert out["en"] == {"auc": 0.875, "share_hard": 1.0, "share_easy": 0.5}
    assert out["zh"] == {"auc": 0.5, "share_hard": 0.0, "share_easy": 0.0}
    with pytest.raises(ValueError, match="one of each per prompt"):
        auc_by_language(scores, labels, langs[:-1])


def _toy_check() -> BenchmarkSet:
    labels = ["hard", "hard", "easy", "easy", "hard", "easy", "easy"]
    hard = np.asarray([lab == "hard" for lab in labels], dtype=float)
    return BenchmarkSet("difficulty", [f"p{i}" for i in range(7)],
                        {"s": np.ones(7), "w": 1.0 - hard}, strong="s", weak="w",
                        extra={"label": labels, "lang": ["en"] * 4 + ["zh"] * 3})


def test_evaluate_keeps_headline_figures_english_and_adds_each_language() -> None:
    bench = _toy_check()
    scores = np.asarray([0.9, 0.4, 0.4, 0.1, 0.2, 0.3, 0.1])
    res = evaluate(scores, bench, name="r")
    english = evaluate(scores[:4], bench.subset(range(4)), name="r")
    assert res.auc == english.auc == 0.875 and res.apgr == english.apgr
    assert res.by_lang == {"en": {"auc": 0.875}, "zh": {"auc": 0.5}}
    coin = random_baseline(bench)
    assert coin.by_lang is not None and coin.by_lang["zh"]["auc"] == 0.5
    # a one-language benchmark has no per-language figures
    assert evaluate(scores[:4], bench.subset(range(4))).by_lang is None


def test_table_and_json_show_each_language() -> None:
    bench = _toy_check()
    res = evaluate(np.asarray([0.9, 0.4, 0.4, 0.1, 0.2, 0.3, 0.1]), bench, name="r")
    result = BenchmarkResult("difficulty", 4, 50.0, 100.0, "accuracy", {"r": res},
                             oracle=np.zeros(11))
    text = format_table({"difficulty": result})
    line = next(x for x in text.splitlines() if x.strip().startswith("r AUC"))
    assert line.split()[-2:] == ["0.875", "0.500"]
    assert "| r AUC | 0.875 | 0.500 |" in format_table({"difficulty": result}, markdown=True)
    doc = results_to_json({"difficulty": result})
    assert doc["benchmarks"]["difficulty"]["routers"]["r"]["by_lang"]["zh"] == {"auc": 0.5}
