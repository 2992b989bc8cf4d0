"""How the torch-free embedders decontaminate (prints figures; not a test).

    nice -n 10 .venv/bin/python benchmarks/probe_decontamination.py [--embedder static]

``routellm battles`` drops a prompt whose cosine similarity to an evaluation prompt (MT-Bench,
GSM8K, held-out MMLU) reaches a threshold. MiniLM at 0.95 is the training rule; the battles
command uses the static embedder by default (no torch). This prints, per threshold:

* **caught**: the share of lightly edited copies of evaluation prompts (one word in twenty
  upper-cased or given a plural ``s``; 2,000 prompts, seed 0) that are dropped: a
  decontamination that misses them lets a benchmark prompt through;
* **over-dropped**: the share of the distinct prompts of the MMLU golden *training* split
  (other questions in the held-out questions' style) that are dropped although they are not
  copies.

Needs the shared data (the benchmark prompts).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np


def best_similarity(queries: np.ndarray, pool: np.ndarray, chunk: int = 4096) -> np.ndarray:
    best = np.full(len(queries), -1.0, dtype=np.float32)
    for s in range(0, len(pool), chunk):
        best = np.maximum(best, (queries @ pool[s : s + chunk].T).max(axis=1))
    return best


def edit(prompt: str, rng: random.Random) -> str:
    words = prompt.split()
    for _ in range(max(1, len(words) // 20)):
        i = rng.randrange(len(words))
        words[i] = words[i].upper() if rng.random() < 0.5 else words[i] + "s"
    return " ".join(words)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedder", default="static", help="static, hashing-<dim> or local")
    ap.add_argument("--thresholds", default="0.9,0.95,0.97,0.98,0.99")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()

    from routellm_core.data.benchmarks import evaluation_prompts, load_mmlu
    from routellm_core.scoring.embeddings import embedder_from_spec

    ev = evaluation_prompts(args.data_dir)
    pool = list(dict.fromkeys(p for ps in ev.values() for p in ps))
    other = [p for p in dict.fromkeys(load_mmlu(args.data_dir, split="train").prompts)
             if p not in set(pool)]
    rng = random.Random(0)
    copies = [edit(p, rng) for p in rng.sample(pool, 2000)]
    emb = embedder_from_spec(args.embedder)
    t0 = time.perf_counter()
    e_pool = np.asarray(emb.embed(pool), dtype=np.float32)
    secs = time.perf_counter() - t0
    caught = best_similarity(np.asarray(emb.embed(copies), dtype=np.float32), e_pool)
    over = best_similarity(np.asarray(emb.embed(other), dtype=np.float32), e_pool)
    print(f"{args.embedder}: {len(pool):,} evaluation prompts embedded in {secs:.1f} s; "
          f"{len(copies):,} edited copies; {len(other):,} distinct MMLU training prompts")
    print("threshold | caught (edited copies) | over-dropped (distinct prompts)")
    for t in (float(x) for x in args.thresholds.split(",")):
        print(f"{t:9.2f} | {np.mean(caught >= t):22.1%} | {np.mean(over >= t):31.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
