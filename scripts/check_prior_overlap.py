"""How close the everyday prior comes to the difficulty check (MiniLM cosine similarity).

The prior (``core/data/priors/everyday.jsonl``) was written apart from the difficulty check
(``core/difficulty/prompts.jsonl``); prompts of the prior at cosine >= 0.85 to a check prompt
were removed once (18 of 400). This script prints the closest pairs and fails when one at or
above the threshold has come back, so the check stays a held-out test of the prior.

Run: ``python scripts/check_prior_overlap.py [--threshold 0.85]`` (needs the ``local`` extra).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from routellm_core.data.benchmarks import load_difficulty
from routellm_core.data.sources import anchors_path
from routellm_core.scoring.embeddings import LocalEmbedder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threshold", type=float, default=0.85)
    args = ap.parse_args()
    prior = [json.loads(line)["prompt"] for line in anchors_path().read_text().splitlines()]
    check = load_difficulty().prompts
    emb = LocalEmbedder()
    sims = emb.embed(check) @ emb.embed(prior).T
    best = sims.max(axis=1)
    for i in np.argsort(-best)[:5]:
        j = int(sims[i].argmax())
        print(f"{best[i]:.3f}  {check[i][:60]!r}  ~  {prior[j][:60]!r}")
    n = int((best >= args.threshold).sum())
    print(f"{len(prior)} prior prompts, {len(check)} check prompts; pairs at cosine >= "
          f"{args.threshold}: {n}")
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
