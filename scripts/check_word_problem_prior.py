"""Held-out check of the prior's arithmetic word problems (``anchor-401`` to ``anchor-460``).

Trains the default recipe (``configs/default.json``, no calibration) three times: without the
60 word problems, with one half of them, and with the other half; prints how well each ranks
the word problems it did not see (AUC, hard above easy). The rest of the prior and every other
source stay as they are.

Run: ``python scripts/check_word_problem_prior.py`` (three trainings, about 2 minutes on
2 cores once the decontamination embeddings are cached).
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import routellm_core.data.sources as sources
from routellm_core.evaluation.metrics import auc
from routellm_core.routers.base import Router
from routellm_core.training.config import load_config
from routellm_core.training.runs import train_from_config

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ("word problem", "multi-step word problem")
FIRST_ID = 401


def _number(row: dict[str, Any]) -> int:
    return int(str(row["id"]).rsplit("-", 1)[-1])


def main() -> None:
    rows = [json.loads(line) for line in sources.anchors_path().read_text().splitlines()]
    word = [r for r in rows if _number(r) >= FIRST_ID and r["topic"] in TOPICS]
    rest = [r for r in rows if r not in word]
    easy = [r for r in word if r["label"] == "easy"]
    hard = [r for r in word if r["label"] == "hard"]
    halves = (easy[::2] + hard[::2], easy[1::2] + hard[1::2])
    config = load_config(ROOT / "configs" / "default.json")
    config["calibration"] = None
    original = sources.anchors_path

    def train(prior: list[dict[str, Any]]) -> Router:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "prior.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in prior))
            sources.anchors_path = lambda: path
            try:
                return train_from_config(copy.deepcopy(config))
            finally:
                sources.anchors_path = original

    def score(router: Router, items: list[dict[str, Any]]) -> float:
        return auc(router.predict_win_rate([r["prompt"] for r in items]),
                   [r["label"] == "hard" for r in items])

    print(f"{len(word)} word problems ({len(easy)} easy, {len(hard)} hard); "
          f"{len(rest)} other prior prompts")
    none = train(rest)
    print(f"trained without them: AUC {score(none, word):.3f} on all "
          f"({score(none, halves[0]):.3f} / {score(none, halves[1]):.3f} on the halves)")
    for i, (seen, unseen) in enumerate((halves, halves[::-1])):
        print(f"trained with half {i + 1}: AUC {score(train(rest + seen), unseen):.3f} "
              "on the other half")


if __name__ == "__main__":
    main()
