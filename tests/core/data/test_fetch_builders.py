"""The mmlu-pro, theoremqa and llmrouter builders: every rule of the data README on small
fixture files in the upstream formats, and round trips that rebuild the reference extracts
byte for byte from files written in those formats (skipped without the real data)."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from routellm_core.data import fetch as fetch_mod
from routellm_core.data.fetch import UPSTREAM, build, verify
from routellm_core.errors import DataError

_QUIET = {"log": lambda s: None}
_GSM8K_Q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many."
_MMLU_Q = "Which of these planets has the largest number of known moons in the solar system?"


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _stage_tiny_evals(up: Path) -> None:
    """Every routellm-evals file, nearly empty: one GSM8K and one MMLU question to drop."""
    for f in UPSTREAM["routellm-evals"].files:
        p = f.local(up)
        if f.path.endswith("gsm8k_responses.csv"):
            body = f"prompt\n{json.dumps(_GSM8K_Q)}\n"
        elif f.path.endswith("mmlu_astronomy.csv"):
            body = f'prompt\n"{_MMLU_Q}\nA. Mars\nB. Saturn"\n'
        elif f.path.endswith(".csv"):
            body = "prompt\n"
        else:
            body = ""
        _write(p, body)


def _stage_evals(data_dir: Path, up: Path) -> None:
    for f in UPSTREAM["routellm-evals"].files:
        _write(f.local(up),
               (data_dir / "routellm-evals" / f.path[len("routellm/evals/"):]).read_bytes())


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


# ---- mmlu-pro ---------------------------------------------------------------------------------


def _mmlu_pro_row(qid: int, src: str, pred: str | None, answer: str = "B") -> dict[str, Any]:
    return {"question_id": qid, "question": f"question {qid} \u00e9", "options": ["x", "y", "z"],
            "answer": answer, "answer_index": 1, "cot_content": "", "category": "physics",
            "src": src, "pred": pred, "response": "The answer is (B)."}


def _stage_mmlu_pro(up: Path, results: dict[str, list[dict[str, Any]]]) -> None:
    """``results``: {model name: rows}; zipped models get one zip (rows split over two
    category files, plus a summary the builder must skip), the folder runs one file per
    category (the first holds the rows, the others are empty arrays)."""
    folders = {v: k for k, v in fetch_mod._MMLU_PRO_FOLDERS.items()}
    for f in UPSTREAM["mmlu-pro"].files:
        model = fetch_mod._mmlu_pro_model(f.path)
        rows = results.get(model, [])
        p = f.local(up)
        if model in folders:
            first = f.path.endswith(f"/{fetch_mod._MMLU_PRO_CATEGORIES[0]}_result.json")
            _write(p, json.dumps(rows if first else []))
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr(f"{model}/physics_result.json", json.dumps(rows[:1]))
            zf.writestr(f"{model}/math_result.json", json.dumps(rows[1:]))
            zf.writestr(f"{model}/physics_summary.json", json.dumps({"acc": 0.5}))


def test_mmlu_pro_drops_ori_mmlu_rows_and_scores_pred_against_answer(tmp_path):
    up = tmp_path / "up"
    base = [_mmlu_pro_row(7, "stemez-Physics", "B"), _mmlu_pro_row(3, "ori_mmlu-astronomy", "B"),
            _mmlu_pro_row(5, "theoremQA-Math", "C")]
    results = {m: base for m in fetch_mod._MMLU_PRO_ZIPPED}
    results["gpt-4o-2024-05-13(early-set)"] = [
        _mmlu_pro_row(5, "theoremQA-Math", "B"), _mmlu_pro_row(7, "stemez-Physics", None)]
    _stage_mmlu_pro(up, results)
    build(["mmlu-pro"], up, tmp_path / "out", **_QUIET)
    text = (tmp_path / "out" / "mmlu-pro" / "correctness.jsonl").read_text(encoding="utf-8")
    assert "\\u00e9" in text  # written with non-ASCII escaped, as the reference extract
    rows = _rows(tmp_path / "out" / "mmlu-pro" / "correctness.jsonl")
    assert [r["question_id"] for r in rows] == [5, 7]  # ori_mmlu dropped, ordered by id
    assert list(rows[0]) == ["question_id", "question", "options", "answer", "category", "src",
                             "correct"]
    five, seven = rows
    assert five["correct"]["gpt-4o-2024-05-13(early-set)"] == 1
    assert five["correct"]["Yi-34B"] == 0
    assert seven["correct"]["gpt-4o-2024-05-13(early-set)"] == 0  # no prediction: wrong
    assert seven["correct"]["Yi-34B"] == 1
    assert list(seven["correct"]) == sorted(seven["correct"])
    assert seven["correct"]["deepseek-chat-v2(early-set)"] is None  # no row: null
    assert len(seven["correct"]) == 31


def test_mmlu_pro_names_a_zip_that_is_not_one(tmp_path):
    up = tmp_path / "up"
    _stage_mmlu_pro(up, {})
    bad = UPSTREAM["mmlu-pro"].files[0].local(up)
    bad.write_text("<html>not found</html>")
    with pytest.raises(DataError, match=r"model_outputs_DeepSeek-Coder-V2_5shots\.zip: not a zip"):
        build(["mmlu-pro"], up, tmp_path / "out", **_QUIET)


def test_mmlu_pro_pins_31_models_over_two_commits():
    files = UPSTREAM["mmlu-pro"].files
    models = {fetch_mod._mmlu_pro_model(f.path) for f in files}
    assert len(models) == 31
    assert {f.commit for f in files} == {"f418b116", "ff991b5b"}
    assert all(f.commit == "ff991b5b" for f in files if "/gpt4o/" in f.path)


def test_mmlu_pro_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    ref = _rows(data_dir / "mmlu-pro" / "correctness.jsonl")
    results: dict[str, list[dict[str, Any]]] = {}
    for r in ref:
        for model, ok in r["correct"].items():
            if ok is None:  # the model has no row for the question
                continue
            results.setdefault(model, []).append({
                **{k: r[k] for k in ("question_id", "question", "options", "answer")},
                "answer_index": 0, "cot_content": "", "category": r["category"],
                "src": r["src"], "pred": r["answer"] if ok else None, "response": ""})
    leak = {**results["Yi-34B"][0], "question_id": 1, "src": "ori_mmlu-astronomy"}
    results = {m: [leak, *rows] for m, rows in results.items()}
    _stage_mmlu_pro(up, results)
    build(["mmlu-pro"], up, tmp_path / "out", **_QUIET)
    report = verify(tmp_path / "out", ["mmlu-pro"])
    assert report.passed, report.lines()


# ---- theoremqa --------------------------------------------------------------------------------


def _tq_question(qid: str, text: str, picture: str | None = None) -> dict[str, Any]:
    return {"Question": text, "Answer": 3.5, "Answer_type": "float", "Picture": picture,
            "source": "textbook", "id": qid, "theorem": "t", "subfield": "Calculus",
            "field": "Math"}


def _stage_theoremqa(up: Path, questions: list[dict[str, Any]],
                     runs: dict[str, list[dict[str, Any]]]) -> None:
    test, *files = UPSTREAM["theoremqa"].files
    _write(test.local(up), json.dumps(questions, indent=2))
    for f in files:
        rows = runs.get(fetch_mod._theoremqa_run(f.path) or "", [])
        _write(f.local(up), json.dumps(rows, indent=2))


def test_theoremqa_joins_the_runs_on_id_and_keys_them_by_prefix_and_method(tmp_path):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    questions = [_tq_question("b/2.json", "What is the integral of x from 0 to 1 in \u00b0?"),
                 _tq_question("a/1.json", "Find the angle in the figure.", "images/a.png")]
    runs = {"GPT4_CoT": [{"id": "a/1.json", "correct": True},
                         {"id": "b/2.json", "correct": False}],
            "GPT4_PoT": [{"id": "b/2.json", "correct": True, "question": "an older wording"}]}
    _stage_theoremqa(up, questions, runs)
    build(["theoremqa"], up, tmp_path / "out", **_QUIET)
    path = tmp_path / "out" / "theoremqa" / "correctness.jsonl"
    assert "\u00b0" in path.read_text(encoding="utf-8")  # plain UTF-8
    rows = _rows(path)
    assert [r["id"] for r in rows] == ["b/2.json", "a/1.json"]  # theoremqa_test.json's order
    assert rows[0] == {"id": "b/2.json", "question": questions[0]["Question"], "answer": 3.5,
                       "answer_type": "float", "field": "Math", "subfield": "Calculus",
                       "has_picture": False,
                       "correct": {"GPT4_CoT": False, "GPT4_PoT": True}}
    assert rows[1]["has_picture"] is True
    assert rows[1]["correct"] == {"GPT4_CoT": True}  # a run without the question: no key


def test_theoremqa_run_keys_and_the_random_guess_run_left_out():
    runs = {fetch_mod._theoremqa_run(f.path) for f in UPSTREAM["theoremqa"].files[1:]}
    assert len(runs) == 16
    assert {"GPT4_CoT", "GPT4_PoT", "anthropic_instant-v1_CoT", "starchat_PoT"} <= runs
    assert fetch_mod._theoremqa_run("outputs/random_guess.jsonl.corrected") is None


def test_theoremqa_skips_a_left_out_run_listed_among_the_files(tmp_path, monkeypatch):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    src = UPSTREAM["theoremqa"]
    guess = fetch_mod.UpstreamFile(*fetch_mod._THEOREMQA, "outputs/random_guess.jsonl.corrected")
    monkeypatch.setitem(UPSTREAM, "theoremqa",
                        fetch_mod.Source(src.name, src.licence, (*src.files, guess), src.builder,
                                         needs=src.needs))
    _stage_theoremqa(up, [_tq_question("a/1.json", "Is 7 prime?")], {})
    _write(guess.local(up), json.dumps([{"id": "a/1.json", "correct": True}]))
    build(["theoremqa"], up, tmp_path / "out", **_QUIET)
    assert _rows(tmp_path / "out" / "theoremqa" / "correctness.jsonl")[0]["correct"] == {}


def test_theoremqa_drops_an_evaluation_question_and_names_a_corrupt_run(tmp_path):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    _stage_theoremqa(up, [_tq_question("a/1.json", _GSM8K_Q), _tq_question("b/2.json", "Q?")],
                     {})
    build(["theoremqa"], up, tmp_path / "out", **_QUIET)
    assert [r["id"] for r in _rows(tmp_path / "out" / "theoremqa" / "correctness.jsonl")] == [
        "b/2.json"]
    broken = UPSTREAM["theoremqa"].files[3].local(up)
    broken.write_text('[\n  {"id": "a",\n  oops\n]')
    with pytest.raises(DataError, match=r"\.jsonl\.corrected:3: not valid JSON"):
        build(["theoremqa"], up, tmp_path / "out", **_QUIET)


def test_theoremqa_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    ref = _rows(data_dir / "theoremqa" / "correctness.jsonl")
    questions = [{"Question": r["question"], "Answer": r["answer"],
                  "Answer_type": r["answer_type"],
                  "Picture": "images/x.png" if r["has_picture"] else None, "source": "",
                  "id": r["id"], "theorem": "", "subfield": r["subfield"], "field": r["field"]}
                 for r in ref]
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in ref:
        for run, ok in r["correct"].items():
            runs.setdefault(run, []).append({"id": r["id"], "question": "older wording",
                                             "prediction": 1, "correct": ok})
    _stage_theoremqa(up, questions, runs)
    build(["theoremqa"], up, tmp_path / "out", **_QUIET)
    report = verify(tmp_path / "out", ["theoremqa"])
    assert report.passed, report.lines()


# ---- llmrouter --------------------------------------------------------------------------------


def _scores(x: float) -> dict[str, float]:
    return {"qwen2.5-7b-instruct": x, "llama-3.1-8b-instruct": 1.0 - x}


def _stage_llmrouter(up: Path, train: list[tuple[str, dict[str, float]]],
                     test: list[tuple[str, dict[str, float]]],
                     queries: dict[str, list[dict[str, Any]]]) -> None:
    by_name = {Path(f.path).name: f.local(up) for f in UPSTREAM["llmrouter"].files}
    for name, rows in (("train.json", train), ("test.json", test)):
        _write(by_name[name], json.dumps([{"question": q, "scores": s} for q, s in rows],
                                         indent=2))
    for split in ("train", "test"):
        _write(by_name[f"default_query_{split}.jsonl"],
               "".join(json.dumps(r) + "\n" for r in queries[split]))


def _query(text: str, task: str, choices: Any = None) -> dict[str, Any]:
    return {"task_name": task, "query": text, "ground_truth": "A", "metric": "em_mc",
            "choices": choices, "task_id": None}


def test_llmrouter_joins_tasks_keeps_overlap_once_and_drops_left_out_and_eval_rows(tmp_path):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    dup = "Which gas do plants take in? \u2013 pick one"
    train = [("Who wrote\u2028Hamlet?", _scores(1.0)), ("Write a sorting function.", _scores(0.0)),
             (dup, _scores(1.0)), (dup, _scores(0.0)), ("Reverse a list in Python.", _scores(1.0)),
             ("Which is a mammal?", _scores(1.0)), ("Shared code task.", _scores(1.0))]
    test = [(_GSM8K_Q, _scores(1.0)), ("Shared code task.", _scores(0.0)),
            ("Name a prime \u2013 any.", _scores(0.5)), (_MMLU_Q, _scores(1.0))]
    queries = {
        "train": [_query("Who wrote\u2028Hamlet?", "trivia_qa"),
                  _query("Write a sorting function.", "human_eval"),
                  _query(dup, "mmlu", "{'text': ['CO2', 'O2'], 'labels': ['A', 'B']}"),
                  _query(dup, "arc_challenge", {"text": ["CO2", "O2"], "labels": ["A", "B"]}),
                  _query("Reverse a list in Python.", "mbpp"),
                  _query("Which is a mammal?", "commonsense_qa",
                         {"text": ["cat", "trout"], "label": ["A", "B"]}),
                  _query("Shared code task.", "human_eval")],
        "test": [_query(_GSM8K_Q, "gsm8k"), _query("Shared code task.", "human_eval"),
                 _query("Name a prime \u2013 any.", "math"), _query(_MMLU_Q, "mmlu")],
    }
    _stage_llmrouter(up, train, test, queries)
    build(["llmrouter"], up, tmp_path / "out", **_QUIET)
    path = tmp_path / "out" / "llmrouter" / "scores.jsonl"
    text = path.read_text(encoding="utf-8")
    assert "\u2013" in text and "\\u2028" in text  # UTF-8, line separators kept escaped
    rows = _rows(path)
    assert rows[0]["prompt"] == "Who wrote\u2028Hamlet?"
    assert [(r["id"], r["task"], r["split"]) for r in rows] == [
        ("train/0", "trivia_qa", "train"), ("train/1", "human_eval", "train"),
        ("train/5", "commonsense_qa", "train"), ("train/6", "human_eval", "both"),
        ("test/2", "math", "test")]
    assert rows[3]["scores"] == _scores(1.0)  # the overlap keeps the train.json scores
    assert rows[2]["choices"] == ["cat", "trout"]
    assert "choices" not in rows[0]
    assert list(rows[2]) == ["id", "task", "split", "prompt", "choices", "scores"]


def test_llmrouter_resolves_a_text_filed_under_two_tasks_by_position(tmp_path):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    same = "Pick the odd one out."
    queries = {"train": [_query(same, "mmlu"), _query("x?", "math"), _query(same, "gpqa")],
               "test": []}
    _stage_llmrouter(up, [(same, _scores(1.0)), ("x?", _scores(0.0)), (same, _scores(0.0))], [],
                     queries)
    build(["llmrouter"], up, tmp_path / "out", **_QUIET)
    rows = _rows(tmp_path / "out" / "llmrouter" / "scores.jsonl")
    assert [(r["id"], r["task"]) for r in rows] == [
        ("train/0", "mmlu"), ("train/1", "math"), ("train/2", "gpqa")]


def test_llmrouter_names_a_prompt_without_a_task(tmp_path):
    up = tmp_path / "up"
    _stage_tiny_evals(up)
    _stage_llmrouter(up, [("Lost prompt?", _scores(1.0))], [], {"train": [], "test": []})
    with pytest.raises(DataError, match=r"train\.json: row 0: its question is in no query file"):
        build(["llmrouter"], up, tmp_path / "out", **_QUIET)


def test_llmrouter_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    ref = _rows(data_dir / "llmrouter" / "scores.jsonl")
    size = {s: 1 + max(int(r["id"].split("/")[1]) for r in ref if r["id"].startswith(s))
            for s in ("train", "test")}
    scored: dict[str, list[Any]] = {s: [None] * size[s] for s in size}
    queries: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    for r in ref:
        split, i = r["id"].split("/")
        scored[split][int(i)] = (r["prompt"], r["scores"])
    for split, rows in scored.items():
        for i, row in enumerate(rows):
            if row is None:  # a left-out (mbpp) row fills each index the extract skips
                rows[i] = (f"left-out {split} row {i}", _scores(0.0))
    choices = {r["prompt"]: r.get("choices") for r in ref}
    tasks = {r["prompt"]: r["task"] for r in ref}
    for split in ("train", "test"):
        for text, _ in scored[split]:
            task = tasks.get(text, "mbpp")
            ch = choices.get(text)
            queries[split].append(_query(text, task, {"text": ch, "labels": []} if ch else None))
    test_rows = list(scored["test"])
    for r in ref:
        if r["split"] == "both":  # in test.json too, with other scores
            test_rows.append((r["prompt"], _scores(0.5)))
            queries["test"].append(_query(r["prompt"], r["task"]))
    with (data_dir / "routellm-evals" / "gsm8k" / "gsm8k_responses.csv").open(newline="") as fh:
        leaked = next(csv.DictReader(fh))["prompt"]
    test_rows.append((leaked, _scores(1.0)))
    queries["test"].append(_query(leaked, "gsm8k"))
    _stage_llmrouter(up, scored["train"], test_rows, queries)
    build(["llmrouter"], up, tmp_path / "out", **_QUIET)
    report = verify(tmp_path / "out", ["llmrouter"])
    assert report.passed, report.lines()
