"""A tiny data directory in the layout of ../shared/data, for offline training tests."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

S, W = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"
MATH = "integral derivative equation solve algebra matrix proof theorem calculus prime".split()
POEM = "poem sonnet ocean rhyme love story haiku song flower moon".split()


OTHERS = ["Meta-Llama-3_1-70B-Instruct", "Qwen1.5-72B-Chat", "gemini-1.5-pro-002",
          "Mistral-7B-Instruct-v0.2"]


def _p(rng: random.Random, vocab: list[str], n: int = 8) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _csv(path: Path, rows: list[dict], cols: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def make_tiny_data(root: Path, seed: int = 0) -> Path:
    """Strong wins math, weak wins poems, in every source; returns ``root``."""
    rng = random.Random(seed)
    ev = root / "routellm-evals"
    # MMLU: 40 rows, the first 20 are the golden training split
    rows = []
    for i in range(40):
        m = i % 2 == 0
        rows.append({"prompt": _p(rng, MATH if m else POEM) + "\nA. x\nB. y\nAnswer:",
                     W: str(not m), S: str(m)})
    _csv(ev / "mmlu/responses/mmlu_tiny.csv", rows, ["prompt", W, S])
    _jsonl(ev / "mmlu/golden_train_split.jsonl", [{"domain": "tiny", "row": i} for i in range(20)])
    _jsonl(ev / "mmlu/contaminated_prompts.jsonl", [])
    g = [{"prompt": _p(rng, MATH), W: "False", S: "True"} for _ in range(10)]
    _csv(ev / "gsm8k/gsm8k_responses.csv", g, ["prompt", W, S])
    _jsonl(ev / "gsm8k/contaminated_prompts.jsonl", [])
    qs = [{"question_id": i, "turns": [_p(rng, POEM), _p(rng, MATH)]} for i in range(6)]
    _jsonl(ev / "mt_bench/question.jsonl", qs)
    _jsonl(ev / "mt_bench/judgements.jsonl",
           [{"question_id": q["question_id"], "model": m, "turn": t, "score": 8}
            for q in qs for m in (S, W) for t in (1, 2)])
    _jsonl(ev / "mt_bench/contaminated_prompts.jsonl", [])
    # arena-bench-v1: 30 prompts, 3 models graded
    abq, scores = [], []
    for i in range(30):
        m = i % 2 == 0
        abq.append({"question_id": f"q{i}", "turns": [_p(rng, MATH if m else POEM)]})
        scores += [{"question_id": f"q{i}", "model": S, "score": 9 if m else 5},
                   {"question_id": f"q{i}", "model": W, "score": 4 if m else 8},
                   {"question_id": f"q{i}", "model": "claude-1", "score": None if i == 3 else 6}]
    _jsonl(root / "arena-bench-v1/question.jsonl", abq)
    _jsonl(root / "arena-bench-v1/judge_scores.jsonl", scores)
    # arena-human: gpt-4 vs others (no Mixtral, as in the real data)
    hb = []
    for i in range(30):
        m = i % 2 == 0
        hb.append({"question_id": i, "prompt": _p(rng, MATH if m else POEM), "model_a": "gpt-4",
                   "model_b": "vicuna-13b",
                   "winner": "model_a" if m else ("tie (bothbad)" if i % 3 else "model_b")})
    _jsonl(root / "arena-human/battles.jsonl", hb)
    # mmlu-pro: GPT-4o vs Mixtral-Instruct spellings
    mp = []
    for i in range(30):
        m = i % 2 == 0
        mp.append({"question_id": i, "question": _p(rng, MATH if m else POEM),
                   "options": ["1", "2", "3"], "answer": "A", "category": "x", "src": "y",
                   "correct": {"gpt-4o-2024-05-13(early-set)": int(m),
                               "Mixtral-8x7B-Instruct-v0.1": int(not m), "Yi-6B": 0,
                               # the other models of the default MMLU-Pro selection
                               **{x: rng.randint(0, 1) for x in OTHERS}}})
    _jsonl(root / "mmlu-pro/correctness.jsonl", mp)
    # vicuna-bench: pairwise reviews, one judged by a weaker judge (left out by training)
    vb = []
    for i in range(10):
        m = i % 2 == 0
        for judge in ("gpt-4 (2023-03/04, FastChat reviewer gpt-4-0328-*)", "gpt-3.5-turbo"):
            vb.append({"question_id": i, "category": "x", "prompt": _p(rng, MATH if m else POEM),
                       "model_a": "gpt-3.5-turbo:20230327", "model_b": "vicuna-13b:v1",
                       "score_a": 9.0 if m else 7.0, "score_b": 6.0 if m else 7.0,
                       "winner": "model_a" if m else "tie", "judge": judge, "path": "x"})
    _jsonl(root / "vicuna-bench/reviews.jsonl", vb)
    return root
