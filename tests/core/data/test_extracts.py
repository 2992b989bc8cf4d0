"""The six newer extracts as training data: each loader reads a small fixture in the upstream
schema, rejects a malformed row naming file and line, and feeds the training-set builders (the
cross-source dedupe, the alias table, the report); pair_outcomes; the real data's row counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routellm_core.data.extracts import NEW_SOURCES, read_extract
from routellm_core.data.overlap import (
    cross_source_duplicates,
    matching_pairs,
    same_question,
    shared_questions,
)
from routellm_core.data.pairs import pair_outcomes
from routellm_core.data.sources import SOURCES, load_source, load_table
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.errors import DataError, UnknownNameError
from routellm_core.training.config import ALIAS_PRESETS, GPT35_MODEL, resolve_aliases
from routellm_core.training.sets import build_training_data, build_training_set

CHATQA = "llama3-chatqa-1.5-8b"
NEMO, MISTRAL = "llama-3.1-nemotron-51b-instruct", "mistral-7b-instruct-v0.3"


def _write(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _append(path: Path, row: Any) -> int:
    """Append a raw line; returns its line number."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, row if isinstance(row, str) else json.dumps(row)]) + "\n")
    return len(lines) + 1


# ---- fixtures in the upstream schemas (see ../shared/data/README.md) -------------------------
def _llmrouter(root: Path) -> Path:
    def scores(nemo: float, mistral: float, chatqa: float) -> dict[str, float]:
        return {NEMO: nemo, MISTRAL: mistral, CHATQA: chatqa}

    return _write(root / "llmrouter" / "scores.jsonl", [
        {"id": "train/0", "task": "mmlu", "split": "train", "prompt": "Which gas do plants absorb?",
         "choices": ["oxygen", "carbon dioxide"], "scores": scores(1.0, 0.0, 0.0)},
        {"id": "train/1", "task": "gsm8k", "split": "train",
         "prompt": "Tom has 3 apples and buys 4 more. How many?", "scores": scores(1.0, 1.0, 1.0)},
        {"id": "test/0", "task": "commongen", "split": "both", "prompt": "dog, ball, park",
         "scores": scores(0.75, 0.5, 0.25)},
    ])


def _theoremqa(root: Path) -> Path:
    def row(qid: str, q: str, fld: str, gpt4: bool, chatgpt: bool, picture: bool = False
            ) -> dict[str, Any]:
        return {"id": qid, "question": q, "answer": 1, "answer_type": "integer", "field": fld,
                "subfield": "x", "has_picture": picture,
                "correct": {"GPT4_CoT": gpt4, "GPT4_PoT": True, "ChatGPT_CoT": chatgpt,
                            "starchat_PoT": True}}

    return _write(root / "theoremqa" / "correctness.jsonl", [
        row("a.json", "How many ways are there to divide a set of 8 elements into 5 non-empty "
            "ordered subsets?", "Math", True, False),
        row("b.json", "What is the Thevenin resistance seen by the load in the circuit here?",
            "EECS", False, False, picture=True),
        row("c.json", "A stock pays a dividend of $2 growing at 5% a year; at a 10% discount "
            "rate, what is it worth?", "Finance", True, True),
    ])


def _mmlu_pro(root: Path) -> Path:
    return _write(root / "mmlu-pro" / "correctness.jsonl", [
        {"question_id": 1, "question": "How many ways are there to divide a set of 8 elements "
         "into 5 non-empty ordered subsets?", "options": ["11760", "120"], "answer": "A",
         "category": "math", "src": "theoremQA-Math",
         "correct": {"gpt-4o-2024-05-13(early-set)": 1, "Mixtral-8x7B-Instruct-v0.1": 0}},
        {"question_id": 2, "question": "Which of these is a noble gas?", "options": ["Ne", "O"],
         "answer": "A", "category": "chemistry", "src": "stemez-Chemistry",
         "correct": {"gpt-4o-2024-05-13(early-set)": 1, "Mixtral-8x7B-Instruct-v0.1": 1}},
    ])


def _qlora_oa(root: Path) -> tuple[Path, Path]:
    prompts = _write(root / "qlora-oa" / "prompts.jsonl", [
        {"message_id": "m1", "lang": "en", "turns": [{"role": "user", "content": "Write a haiku"}]},
        {"message_id": "m2", "lang": "es", "turns": [
            {"role": "user", "content": "Hola"}, {"role": "assistant", "content": "¡Hola!"},
            {"role": "user", "content": "Explica la relatividad"}]},
        {"message_id": "m3", "lang": "ru", "turns": [{"role": "user", "content": "Привет"}]},
        {"message_id": "m4", "lang": "en", "turns": [{"role": "user", "content": "Sort a list"}]},
    ])

    def review(mid: str, order: str, verdict: str, a: str = "gpt-3.5", b: str = "gpt-4"
               ) -> dict[str, str]:
        return {"message_id": mid, "system_a": a, "system_b": b, "order": order,
                "verdict": verdict}

    reviews = _write(root / "qlora-oa" / "reviews.jsonl", [
        review("m1", "ab", "b"), review("m1", "ba", "b"),          # both orders: gpt-4 wins
        review("m2", "ab", "a"), review("m2", "ba", "b"),          # they disagree: a tie
        review("m3", "ab", "b"), review("m3", "ba", "unparsed"),   # one order left: dropped
        review("m4", "ab", "tie"), review("m4", "ba", "b"),        # a win and a tie: a tie
        review("m1", "ab", "a", "7b-guanaco", "gpt-4"),
        review("m1", "ba", "a", "7b-guanaco", "gpt-4"),            # the Guanaco wins
    ])
    return prompts, reviews


def _arena_hard(root: Path) -> tuple[Path, Path]:
    questions = _write(root / "arena-hard-v0.1" / "question.jsonl", [
        {"question_id": "q1", "cluster": "Python coding", "prompt": "Write a quicksort in Rust"},
        {"question_id": "q2", "cluster": "Poetry", "prompt": "Write a villanelle about tea"},
    ])

    def battle(q: str, b: str, winner: str, count: int, judge: str = "gpt-4o"
               ) -> dict[str, Any]:
        return {"question_id": q, "model_a": "gpt-4-0314", "model_b": b, "winner": winner,
                "count": count, "judge": judge, "fork": "someone/arena-hard-auto"}

    old = "gpt-4-1106-preview"
    battles = _write(root / "arena-hard-v0.1" / "battles.jsonl", [
        battle("q1", "gpt-4o", "model_b", 6),            # two strong verdicts: 2 games
        battle("q1", "gpt-4o-mini", "model_a", 3),       # one strong verdict: 1 game
        battle("q1", "gpt-4o-mini", "model_b", 1),       # one plain verdict: 1 game
        battle("q2", "gpt-4o", "tie", 2),                # two tied games
        battle("q2", "gpt-4o-mini", "model_a", 4),       # a strong and a plain verdict: 2 games
        battle("q1", "gpt-3.5-turbo-0125", "model_a", 6, old),
        battle("q2", "gpt-3.5-turbo-0125", "model_a", 1, old),
        battle("q2", "gpt-3.5-turbo-0125", "tie", 1, old),
    ])
    return questions, battles


def _simpleqa(root: Path) -> Path:
    return _write(root / "simpleqa" / "grades.jsonl", [
        {"question_id": "simple_qa_0", "question": "Who painted the Mona Lisa?",
         "answer": "Leonardo", "topic": "Art", "answer_type": "Person",
         "grade": {"gpt-4o": "A", "gpt-4o-mini": "C", "gpt-4o-agent": "A",
                   "llama-3.1-sonar-huge-128k-online": "A", "geminipro": "B"}},
        {"question_id": "simple_qa_1", "question": "In which year did the Berlin Wall fall?",
         "answer": "1989", "topic": "History", "answer_type": "Date",
         "grade": {"gpt-4o": "A", "gpt-4o-mini": "A", "gpt-4o-agent": "B",
                   "llama-3.1-sonar-huge-128k-online": "A"}},
    ])


def _routerarena(root: Path) -> Path:
    def row(gid: str, metric: str, haiku: float, gemini: float) -> dict[str, Any]:
        return {"global_index": gid, "task": gid.rsplit("_", 1)[0],
                "prompt": f"Please answer the following question.\n\nQuestion: {gid}?",
                "metric": metric,
                "score": {"claude-3-haiku-20240307": haiku, "gemini-2.0-flash-001": gemini},
                "cost": {"claude-3-haiku-20240307": 1e-4, "gemini-2.0-flash-001": 3e-5}}

    return _write(root / "routerarena" / "scores.jsonl", [
        row("OpenTDB_Science: Computers_12", "mcq_accuracy", 0.0, 1.0),
        row("NarrativeQA_7", "meteor_score", -0.033, 0.25),
        row("MMLUPro_history_4480", "mcq_accuracy", 1.0, 1.0),
    ])


# ---- each loader: the fixture read correctly --------------------------------------------------
def test_llmrouter_builds_multiple_choice_prompts_and_drops_chatqa_multiple_choice(tmp_path):
    _llmrouter(tmp_path)
    t = load_table("llmrouter", tmp_path)
    assert t is not None and len(t) == 3
    assert t.prompts[0] == "Which gas do plants absorb?\nA. oxygen\nB. carbon dioxide\nAnswer:"
    assert t.prompts[1] == "Tom has 3 apples and buys 4 more. How many?"
    assert np.isnan(t.outcomes[CHATQA][0])             # a multiple-choice format failure
    assert t.outcomes[CHATQA][1:].tolist() == [1.0, 0.25]  # kept on open questions
    assert t.outcomes[NEMO].tolist() == [1.0, 1.0, 0.75]   # commongen stays a fraction
    rows = read_extract("llmrouter", tmp_path)
    assert [i.group for i in rows.info] == ["mmlu", "gsm8k", "commongen"]
    assert rows.info[0].text == "Which gas do plants absorb?"
    # battles: 1 pair on the multiple-choice row (ChatQA missing), 3 on each other row
    assert len(load_source("llmrouter", tmp_path)) == 1 + 3 + 3


def test_theoremqa_keeps_chain_of_thought_runs_and_drops_picture_questions(tmp_path):
    _theoremqa(tmp_path)
    t = load_table("theoremqa", tmp_path)
    assert t is not None and t.models() == ["ChatGPT_CoT", "GPT4_CoT"]
    assert len(t) == 2 and not any("Thevenin" in p for p in t.prompts)
    assert t.outcomes["GPT4_CoT"].tolist() == [1.0, 1.0]
    assert t.outcomes["ChatGPT_CoT"].tolist() == [0.0, 1.0]
    rows = read_extract("theoremqa", tmp_path)
    assert rows.left_out == {"has_picture": 1, "program_of_thought_runs": 2}
    assert [i.group for i in rows.info] == ["Math", "Finance"]


def test_qlora_oa_combines_both_orders_into_one_battle(tmp_path):
    _qlora_oa(tmp_path)
    rows = read_extract("qlora-oa", tmp_path)
    got = {(b.prompt, b.model_a, b.model_b): b.winner for b in rows.battles}
    assert got == {
        ("Write a haiku", "gpt-3.5", "gpt-4"): "model_b",
        ("Explica la relatividad", "gpt-3.5", "gpt-4"): "tie",   # routed on the last user turn
        ("Sort a list", "gpt-3.5", "gpt-4"): "tie",
        ("Write a haiku", "7b-guanaco", "gpt-4"): "model_a",
    }
    assert rows.left_out == {"unparsed_reviews": 1, "one_order_only": 1}
    es = next(i for i in rows.info if i.id == "m2")
    assert es.group == "es" and len(es.turns) == 3 and es.turns[0]["content"] == "Hola"
    assert load_table("qlora-oa", tmp_path) is None
    assert len(load_source("qlora-oa", tmp_path, models=["gpt-4", "gpt-3.5"])) == 3
    with pytest.raises(UnknownNameError, match="valid qlora-oa models: 7b-guanaco"):
        load_source("qlora-oa", tmp_path, models=["gpt-5"])


def test_arena_hard_counts_each_game_once(tmp_path):
    _arena_hard(tmp_path)
    bs = load_source("arena-hard-v0.1", tmp_path)
    per = {}
    for b in bs:
        per.setdefault((b.prompt[:10], b.model_b), []).append(b.winner)
    assert per[("Write a qu", "gpt-4o")] == ["model_b", "model_b"]       # 6 rows, 2 games
    assert sorted(per[("Write a qu", "gpt-4o-mini")]) == ["model_a", "model_b"]
    assert per[("Write a vi", "gpt-4o")] == ["tie", "tie"]
    assert per[("Write a vi", "gpt-4o-mini")] == ["model_a", "model_a"]  # 4 rows, 2 games
    assert len(bs) == 2 + 2 + 2 + 2 + 2 + 2
    assert {b.model_a for b in bs} == {"gpt-4-0314"} and load_table("arena-hard-v0.1", tmp_path) is None
    rows = read_extract("arena-hard-v0.1", tmp_path)
    assert [i.group for i in rows.info] == ["Python coding", "Poetry"]


def test_simpleqa_counts_a_as_correct_and_leaves_out_search_runs(tmp_path):
    _simpleqa(tmp_path)
    t = load_table("simpleqa", tmp_path)
    assert t is not None and t.models() == ["geminipro", "gpt-4o", "gpt-4o-mini"]
    assert t.outcomes["gpt-4o"].tolist() == [1.0, 1.0]
    assert t.outcomes["gpt-4o-mini"].tolist() == [0.0, 1.0]  # C (declined) counts as 0
    assert np.isnan(t.outcomes["geminipro"][1])              # not graded on that row
    assert read_extract("simpleqa", tmp_path).left_out == {"runs": 2}


def test_routerarena_keeps_the_template_and_reads_negative_meteor_as_zero(tmp_path):
    _routerarena(tmp_path)
    t = load_table("routerarena", tmp_path)
    assert t is not None and len(t) == 3
    assert t.prompts[0].startswith("Please answer the following question.")
    assert t.outcomes["claude-3-haiku-20240307"].tolist() == [0.0, 0.0, 1.0]
    assert t.outcomes["gemini-2.0-flash-001"].tolist() == [1.0, 0.25, 1.0]
    groups = [i.group for i in read_extract("routerarena", tmp_path).info]
    assert groups == ["OpenTDB", "NarrativeQA", "MMLUPro"]


# ---- each loader: a malformed row is rejected, naming file and line ---------------------------
BAD_ROWS: list[tuple[str, Any, Any, str]] = [
    ("llmrouter", _llmrouter, {"id": "x", "task": "mmlu", "prompt": "q",
                               "scores": {NEMO: 2.0}}, "model .* has 2.0; expected a number"),
    ("llmrouter", _llmrouter, {"id": "x", "task": "mmlu", "prompt": "q", "choices": "AB",
                               "scores": {NEMO: 1}}, "'choices' must be a non-empty list"),
    ("theoremqa", _theoremqa, {"id": "x", "question": "q", "field": "Math",
                               "has_picture": False, "correct": {"GPT4_CoT": "yes"}},
     "run 'GPT4_CoT' has 'yes'; expected true or false"),
    ("theoremqa", _theoremqa, "{not json", "not valid JSON"),
    ("simpleqa", _simpleqa, {"question_id": "x", "question": "q", "topic": "Art",
                             "grade": {"gpt-4o": "D"}}, "run 'gpt-4o' has 'D'"),
    ("simpleqa", _simpleqa, {"question_id": "x", "topic": "Art", "grade": {"gpt-4o": "A"}},
     "missing field 'question'"),
    ("routerarena", _routerarena, {"global_index": "x_1", "task": "x", "prompt": "p",
                                   "metric": "exact_match", "score": {"m": 1.5}},
     "model 'm' has 1.5"),
]


@pytest.mark.parametrize(("name", "make", "row", "message"), BAD_ROWS)
def test_a_malformed_row_names_file_and_line(tmp_path, name, make, row, message):
    path = make(tmp_path)
    line = _append(path, row)
    with pytest.raises(DataError, match=rf"{path.name}:{line}: .*{message}"):
        load_table(name, tmp_path)


@pytest.mark.parametrize(("row", "message"), [
    ({"message_id": "m1", "system_a": "gpt-3.5", "system_b": "gpt-4", "order": "ab",
      "verdict": "maybe"}, "'verdict' must be one of a, b, tie, unparsed"),
    ({"message_id": "nope", "system_a": "gpt-3.5", "system_b": "gpt-4", "order": "ab",
      "verdict": "a"}, "message_id 'nope' is not in prompts.jsonl"),
    ({"message_id": "m2", "system_a": "gpt-3.5", "system_b": "gpt-4", "order": "ab",
      "verdict": "a"}, "a second 'ab' review"),
])
def test_qlora_oa_malformed_review(tmp_path, row, message):
    _, reviews = _qlora_oa(tmp_path)
    line = _append(reviews, row)
    with pytest.raises(DataError, match=rf"reviews\.jsonl:{line}: .*{message}"):
        load_source("qlora-oa", tmp_path)


def test_qlora_oa_malformed_prompt(tmp_path):
    prompts, _ = _qlora_oa(tmp_path)
    line = _append(prompts, {"message_id": "m9", "lang": "en",
                             "turns": [{"role": "assistant", "content": "hi"}]})
    with pytest.raises(DataError, match=rf"prompts\.jsonl:{line}: .*last turn must be"):
        load_source("qlora-oa", tmp_path)


@pytest.mark.parametrize(("row", "message"), [
    ({"question_id": "q1", "model_a": "gpt-4-0314", "model_b": "x", "winner": "model_a",
      "count": 0, "judge": "j", "fork": "f"}, "'count' must be a positive integer"),
    ({"question_id": "q1", "model_a": "gpt-4-0314", "model_b": "x", "winner": "A>>B",
      "count": 1, "judge": "j", "fork": "f"}, "'winner' must be model_a, model_b or tie"),
    ({"question_id": "q9", "model_a": "gpt-4-0314", "model_b": "x", "winner": "tie",
      "count": 1, "judge": "j", "fork": "f"}, "question_id 'q9' is not in question.jsonl"),
    ({"question_id": "q1", "model_a": "gpt-4-0314", "model_b": "gpt-4o", "winner": "tie",
      "count": 1, "judge": "gpt-4o", "fork": "f"}, "more than two games of 'gpt-4o'"),
])
def test_arena_hard_malformed_battle(tmp_path, row, message):
    _, battles = _arena_hard(tmp_path)
    line = _append(battles, row)
    with pytest.raises(DataError, match=rf"battles\.jsonl:{line}: .*{message}"):
        load_source("arena-hard-v0.1", tmp_path)


def test_a_missing_extract_names_its_file(tmp_path):
    with pytest.raises(DataError, match=r"theoremqa data not found at .*correctness\.jsonl"):
        load_table("theoremqa", tmp_path)


# ---- the training-set builders: dedupe, aliases, report ---------------------------------------
def test_the_overlap_rule():
    assert same_question("What  is X?", "what is x?")
    long_q = "Which of the following best explains the rise in the price of bread?"
    assert same_question("Please answer.\n\nQuestion: " + long_q + " Options: ...", long_q)
    assert not same_question("short", "Please answer: short")   # 40 characters at least
    assert matching_pairs(["a b", "zzz"], ["A  B", "q", "a b"]) == [(0, 0), (0, 2)]


def test_the_indexed_matching_pairs_agree_with_the_pairwise_rule():
    # texts from two letters and a space, 30 to 120 characters, with some built as a slice of
    # another (a text inside another, around the 40- and 80-character limits of the rule)
    rng = np.random.default_rng(0)

    def text(n: int) -> str:
        return "".join(rng.choice(list("ab "), size=n))

    base = [text(int(rng.integers(30, 121))) for _ in range(40)]
    a = base[:20] + [b[int(rng.integers(0, 10)):][:int(rng.integers(38, 90))] for b in base[20:]]
    b = base[20:] + [x.upper() + " tail" for x in base[:10]] + [text(50) for _ in range(10)]
    expected = [(i, j) for i in range(len(a)) for j in range(len(b)) if same_question(a[i], b[j])]
    assert any(i != j - 20 and len(a[i]) > 40 for i, j in expected)  # containment is exercised
    assert matching_pairs(a, b) == expected
    assert matching_pairs(b, a) == sorted((j, i) for i, j in expected)
    q41, q40 = "b" * 20 + " " + "a" * 20, "b" * 20 + " " + "a" * 19   # 41 and 40 characters
    assert matching_pairs([q41, q40], ["zz " + q41 + " end"]) == [(0, 0)]


def test_theoremqa_questions_also_in_mmlu_pro_appear_once(tmp_path):
    _theoremqa(tmp_path)
    _mmlu_pro(tmp_path)
    assert {k: len(v) for k, v in cross_source_duplicates(
        ["mmlu-pro", "theoremqa"], tmp_path).items()} == {"theoremqa": 1}
    assert cross_source_duplicates(["theoremqa"], tmp_path) == {}   # alone, nothing to drop
    pairs = shared_questions("theoremqa", "mmlu-pro", tmp_path)
    assert len(pairs) == 1 and pairs[0][1].endswith("A. 11760\nB. 120\nAnswer:")
    data, report = build_training_data(["mmlu-pro", "theoremqa"], data_dir=tmp_path,
                                       decontaminate_threshold=None)
    tq = next(t for t in data.tables if t.source == "theoremqa")
    pro = next(t for t in data.tables if t.source == "mmlu-pro")
    assert len(tq) == 1 and tq.prompts[0].startswith("A stock pays")
    assert len(pro) == 2                                  # the older source keeps its copy
    assert report.deduplicated == {"mmlu-pro": 0, "theoremqa": 1}
    battles, rep2 = build_training_set(["mmlu-pro", "theoremqa"], data_dir=tmp_path,
                                       decontaminate_threshold=None, aliases=None)
    assert {b.prompt for b in battles if b.source == "theoremqa"} == set(tq.prompts)
    assert rep2.deduplicated["theoremqa"] == 1


def test_the_new_alias_table_maps_new_spellings_and_leaves_the_old_one_alone(tmp_path):
    assert ALIAS_PRESETS["gpt4-mixtral"] == {
        "gpt-4": STRONG_MODEL, "gpt-4-0314": STRONG_MODEL,
        "gpt-4o-2024-05-13(early-set)": STRONG_MODEL, "Mixtral-8x7B-Instruct-v0.1": WEAK_MODEL}
    every = resolve_aliases("gpt4-mixtral-all")
    assert every.items() >= ALIAS_PRESETS["gpt4-mixtral"].items()
    assert every["GPT4_CoT"] == every["gpt-4o"] == STRONG_MODEL
    assert every["ChatGPT_CoT"] == every["gpt-3.5"] == GPT35_MODEL == "gpt-3.5-turbo"
    assert "gpt-4o-mini" not in every and "GPT3.5_CoT" not in every  # not GPT-4 / GPT-3.5-Turbo
    _theoremqa(tmp_path)
    _qlora_oa(tmp_path)
    data, report = build_training_data(["theoremqa", "qlora-oa"], data_dir=tmp_path,
                                       aliases="gpt4-mixtral-all", decontaminate_threshold=None)
    assert data.tables[0].models() == sorted([STRONG_MODEL, GPT35_MODEL])
    assert data.battles.models() == sorted(["7b-guanaco", STRONG_MODEL, GPT35_MODEL])
    _, plain = build_training_data(["theoremqa"], data_dir=tmp_path, aliases="gpt4-mixtral",
                                   decontaminate_threshold=None)
    assert plain.models == {"ChatGPT_CoT": 2, "GPT4_CoT": 2}     # the old table leaves them


def test_report_lists_prompts_models_battles_wins_and_ties_per_source(tmp_path):
    _qlora_oa(tmp_path)
    _arena_hard(tmp_path)
    _llmrouter(tmp_path)
    data, report = build_training_data({"qlora-oa": 1.0, "arena-hard-v0.1": 0.5, "llmrouter": 2},
                                       data_dir=tmp_path, aliases=None,
                                       decontaminate_threshold=None)
    q = report.sources["qlora-oa"]
    assert (q["prompts"], q["models"], q["battles"], q["wins"], q["ties"]) == (3, 3, 4, 2, 2)
    a = report.sources["arena-hard-v0.1"]
    assert (a["prompts"], a["models"], a["battles"], a["ties"], a["weight"]) == (2, 4, 12, 3, 0.5)
    llm = report.sources["llmrouter"]
    # pairs: row 1 (ChatQA missing) nemo>mistral; row 2 all tie (3); row 3 three decisive
    assert (llm["prompts"], llm["models"], llm["battles"], llm["wins"], llm["ties"]) == (
        3, 3, 7, 4, 3)
    text = report.format()
    for name in ("qlora-oa", "arena-hard-v0.1", "llmrouter", "deduplicated"):
        assert name in text
    _, rep = build_training_set(["qlora-oa"], data_dir=tmp_path, decontaminate_threshold=None)
    assert rep.sources["qlora-oa"]["battles"] == 4 and rep.sources["qlora-oa"]["ties"] == 2


# ---- pair_outcomes ----------------------------------------------------------------------------
def test_pair_outcomes_for_tables_and_judged_sources(tmp_path):
    _llmrouter(tmp_path)
    _qlora_oa(tmp_path)
    _arena_hard(tmp_path)
    prompts, s, w, g = pair_outcomes("llmrouter", NEMO, MISTRAL, tmp_path)
    assert len(prompts) == 3 and s.tolist() == [1.0, 1.0, 0.75] and w.tolist() == [0.0, 1.0, 0.5]
    assert g == ["mmlu", "gsm8k", "commongen"]
    prompts, s, w, g = pair_outcomes("qlora-oa", "gpt-4", "gpt-3.5", tmp_path)
    assert prompts == ["Write a haiku", "Explica la relatividad", "Sort a list"]
    assert s.tolist() == [1.0, 0.5, 0.5] and (s + w == 1).all() and g == ["en", "es", "en"]
    _, s, _, _ = pair_outcomes("qlora-oa", "gpt-4", "7b-guanaco", tmp_path)
    assert s.tolist() == [0.0]
    # two models against the baseline: each one's share of games won, per prompt
    prompts, s, w, g = pair_outcomes("arena-hard-v0.1", "gpt-4o", "gpt-4o-mini", tmp_path)
    assert s.tolist() == [1.0, 0.5] and w.tolist() == [0.5, 0.0] and g == ["Python coding", "Poetry"]
    # the baseline against one model: direct
    _, s, w, _ = pair_outcomes("arena-hard-v0.1", "gpt-4-0314", "gpt-3.5-turbo-0125", tmp_path)
    assert s.tolist() == [1.0, 0.75] and w.tolist() == [0.0, 0.25]
    with pytest.raises(DataError, match="judged by"):
        pair_outcomes("arena-hard-v0.1", "gpt-4o", "gpt-3.5-turbo-0125", tmp_path)
    with pytest.raises(UnknownNameError, match="valid models"):
        pair_outcomes("llmrouter", NEMO, "gpt-5", tmp_path)
    with pytest.raises(UnknownNameError, match="valid pair sources"):
        pair_outcomes("mt-bench", "a", "b", tmp_path)


def test_every_new_source_is_a_training_source():
    assert set(NEW_SOURCES) <= set(SOURCES)


# ---- the real data (skipped without it) ------------------------------------------------------
def test_real_extracts_match_the_data_readme(data_dir):
    missing = [n for n in NEW_SOURCES if not (data_dir / n).is_dir()]
    if missing:
        pytest.skip(f"the data folder has no {', '.join(missing)}")
    llm = read_extract("llmrouter", data_dir)
    tasks = {t: [i.group for i in llm.info].count(t) for t in {i.group for i in llm.info}}
    assert len(llm.info) == 4596 and tasks == {
        "natural_qa": 550, "trivia_qa": 550, "gsm8k": 500, "commonsense_qa": 500, "math": 497,
        "openbook_qa": 495, "mmlu": 492, "gpqa": 448, "agentverse-logicgrid": 200,
        "commongen": 200, "human_eval": 164}
    tq = read_extract("theoremqa", data_dir)
    assert len(tq.info) + tq.left_out["has_picture"] == 800 and tq.left_out["has_picture"] == 53
    oa = read_extract("qlora-oa", data_dir)
    assert len(oa.info) == 953 and oa.left_out["unparsed_reviews"] == 1482
    assert len(oa.battles) + oa.left_out["one_order_only"] == 40026 // 2
    langs = [i.group for i in oa.info]
    assert (langs.count("en"), langs.count("es"), langs.count("ru")) == (419, 282, 80)
    ah = read_extract("arena-hard-v0.1", data_dir)
    assert len(ah.info) == 499
    rows = [json.loads(x) for x in (data_dir / "arena-hard-v0.1" / "battles.jsonl").open()]
    assert len(rows) == 20846 and sum(r["count"] for r in rows) == 52885
    assert len(read_extract("simpleqa", data_dir).info) == 250
    assert len(read_extract("routerarena", data_dir).info) == 645
    # the README's strong/weak counts
    for source, strong, weak, counts in [
        ("llmrouter", NEMO, MISTRAL, (1264, 227, 3105)),
        ("simpleqa", "gpt-4o", "gpt-4o-mini", (91, 6, 153)),
        ("routerarena", "gemini-2.0-flash-001", "claude-3-haiku-20240307", (163, 51, 431)),
    ]:
        _, s, w, _ = pair_outcomes(source, strong, weak, data_dir)
        assert (int((s > w).sum()), int((s < w).sum()), int((s == w).sum())) == counts
    dups = cross_source_duplicates(["mmlu-pro", "theoremqa", "routerarena"], data_dir)
    assert {k: len(v) for k, v in dups.items()} == {"theoremqa": 604, "routerarena": 63}
