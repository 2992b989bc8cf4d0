"""How the static embedder's dimension and weighting were chosen: a probe on training data only.

For each candidate table (PCA dimension x frequency weighting, built exactly as
``scripts/distill_static.py`` builds the shipped one, float16 included) and for MiniLM itself
as the reference, embed the prompts of two TRAINING sources and measure how well a linear
(ridge) probe and a kNN probe predict "the strong model is needed" (strong correct and weak
wrong) on held-out folds (5-fold cross-validation, seeded):

* MMLU-Pro (``mmlu-pro/correctness.jsonl``, 5,222 questions): GPT-4o vs Mixtral-8x7B-Instruct;
* the MMLU golden training split (1,534 rows): GPT-4 vs Mixtral.

MT-Bench, GSM8K and the held-out MMLU rows are never read. Prints the mean held-out AUC per
candidate (ridge: best of a small penalty grid, the same grid for every candidate).

Run: ``python benchmarks/probe_static.py [--raw /tmp/minilm_tokens.npy] [--no-minilm]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import distill_static  # noqa: E402

from routellm_core.data.benchmarks import load_mmlu  # noqa: E402
from routellm_core.data.files import resolve_data_dir  # noqa: E402
from routellm_core.data.sources import mmlu_pro_prompt  # noqa: E402
from routellm_core.scoring.embeddings import minilm_model_dir  # noqa: E402
from routellm_core.scoring.static_embedding import StaticEmbedder  # noqa: E402

STRONG_PRO, WEAK_PRO = "gpt-4o-2024-05-13(early-set)", "Mixtral-8x7B-Instruct-v0.1"
PENALTIES = (0.3, 1.0, 3.0, 10.0, 30.0)


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties averaged)."""
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def folds(n: int, k: int = 5, seed: int = 0) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i::k] for i in range(k)]


def probe(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean held-out AUC of a ridge probe (best penalty) and of a 25-NN probe."""
    parts = folds(len(y))
    ridge = {lam: [] for lam in PENALTIES}
    knn = []
    for f in parts:
        train = np.setdiff1d(np.arange(len(y)), f)
        xt, yt = x[train], y[train].astype(np.float64)
        mu = xt.mean(0)
        xc = xt - mu
        for lam in PENALTIES:
            w = np.linalg.solve(xc.T @ xc + lam * np.eye(x.shape[1]), xc.T @ (yt - yt.mean()))
            ridge[lam].append(auc(y[f], (x[f] - mu) @ w))
        sims = x[f] @ xt.T
        top = np.argpartition(-sims, 25, axis=1)[:, :25]
        knn.append(auc(y[f], yt[top].mean(1)))
    return max(float(np.mean(v)) for v in ridge.values()), float(np.mean(knn))


def load_sets(data_dir: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    prompts, labels = [], []
    with (data_dir / "mmlu-pro" / "correctness.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            c = row["correct"]
            if STRONG_PRO not in c or WEAK_PRO not in c:
                continue
            prompts.append(mmlu_pro_prompt(row["question"], row["options"]))
            labels.append(int(c[STRONG_PRO] == 1 and c[WEAK_PRO] == 0))
    train = load_mmlu(data_dir, split="train")
    y_mmlu = ((train.strong_outcomes == 1) & (train.weak_outcomes == 0)).astype(int)
    return {"mmlu-pro": (prompts, np.asarray(labels)), "mmlu-train": (train.prompts, y_mmlu)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", type=Path, default=Path(tempfile.gettempdir()) / "minilm_tokens.npy",
                    help="384-d token vectors (computed with MiniLM and saved here if absent)")
    ap.add_argument("--dims", default="64,128,192,256")
    ap.add_argument("--weightings", default="none,zipf,sif")
    ap.add_argument("--no-minilm", action="store_true", help="skip the MiniLM reference row")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()

    sets = load_sets(resolve_data_dir(args.data_dir))
    for name, (p, y) in sets.items():
        print(f"{name}: {len(p)} prompts, {y.mean():.1%} 'strong needed'")
    model_dir = minilm_model_dir()
    vocab = distill_static.read_vocab(model_dir / "vocab.txt")
    if args.raw.is_file():
        raw = np.load(args.raw)
    else:
        raw = distill_static.token_vectors(model_dir)
        np.save(args.raw, raw)
    static = StaticEmbedder()
    ids = {name: [static.token_ids(t) for t in p] for name, (p, _) in sets.items()}

    print("\n| embedder | dim | weighting | MMLU-Pro ridge | MMLU-Pro kNN | MMLU-train ridge | "
          "MMLU-train kNN |")
    print("|---|---|---|---|---|---|---|")
    for dim in (int(d) for d in args.dims.split(",")):
        for weighting in args.weightings.split(","):
            table = distill_static.build_table(raw, vocab, dim, weighting)[0].astype(np.float32)
            row = []
            for name, (_, y) in sets.items():
                x = np.zeros((len(y), dim), dtype=np.float32)
                for i, t in enumerate(ids[name]):
                    if t:
                        v = table[t].mean(0)
                        x[i] = v / max(float(np.linalg.norm(v)), 1e-12)
                row.extend(probe(x, y))
            print(f"| static | {dim} | {weighting} | " + " | ".join(f"{a:.3f}" for a in row) + " |",
                  flush=True)
    if not args.no_minilm:
        from routellm_core.scoring.embeddings import LocalEmbedder

        emb = LocalEmbedder()
        row = []
        for _, (p, y) in sets.items():
            row.extend(probe(emb.embed(p), y))
        print("| MiniLM (torch) | 384 | - | " + " | ".join(f"{a:.3f}" for a in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
