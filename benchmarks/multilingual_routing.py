"""How a router routes prompts that are not in English: the criterion, and the outcome.

The criterion (what a multilingual representation is chosen on) reads the OpenAssistant
prompts of ``qlora-oa`` (OASST1 validation split, 15 languages; not a training source of the
routers compared here): English and non-English prompts come from the same crowd and the same
kinds of requests, so a router that handles every language alike should

* send about the same share of each language's prompts strong as of the English ones, at the
  threshold calibrated for ``strong_fraction=0.3`` ("level gap": the mean absolute
  difference, over the languages with at least 20 prompts, of that share and the English
  share; lower is better), and
* rank the non-English prompts by how much GPT-4 beats GPT-3.5 on them as well as it ranks the
  English ones ("AUC en / other": hard = GPT-4 preferred to GPT-3.5 in both answer orders,
  judged by GPT-4; higher is better; the judge's data are noisy, so this is a weak signal).

The outcome, reported and chosen on by nothing: the AUC of each language of the difficulty
check (``routellm eval --benchmark difficulty`` prints the same figures), and the time to
embed one new prompt with the router's embedder (p50 over 200 prompts of the check).

    python benchmarks/multilingual_routing.py --router default --router DIR [--router DIR ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from routellm_core.data.benchmarks import load_difficulty
from routellm_core.data.files import resolve_data_dir
from routellm_core.evaluation.evaluate import auc_by_language
from routellm_core.evaluation.metrics import auc
from routellm_core.routers import load_router

FRACTION = 0.3
MIN_PROMPTS = 20


def oa_prompts(data_dir: str | None) -> tuple[list[str], list[str], list[str]]:
    """(message id, language, last user turn) of every qlora-oa prompt."""
    root = resolve_data_dir(data_dir) / "qlora-oa"
    ids, langs, texts = [], [], []
    for line in (root / "prompts.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        ids.append(row["message_id"])
        langs.append(row["lang"].split("-")[0])
        texts.append(row["turns"][-1]["content"])
    return ids, langs, texts


def oa_hard(data_dir: str | None) -> dict[str, bool]:
    """Per prompt with both orders judged: GPT-4 preferred to GPT-3.5 in both."""
    root = resolve_data_dir(data_dir) / "qlora-oa"
    votes: dict[str, dict[str, str]] = defaultdict(dict)
    for line in (root / "reviews.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if {r["system_a"], r["system_b"]} == {"gpt-3.5", "gpt-4"} and r["verdict"] != "unparsed":
            winner = {"a": r["system_a"], "b": r["system_b"]}.get(r["verdict"], "tie")
            votes[r["message_id"]][r["order"]] = winner
    return {m: v.get("ab") == v.get("ba") == "gpt-4" for m, v in votes.items() if len(v) == 2}


def criterion(router, data_dir: str | None) -> dict[str, float]:
    ids, langs, texts = oa_prompts(data_dir)
    scores = router.predict_win_rate(texts)
    strong = scores >= router.threshold_for(FRACTION)
    code = np.asarray(langs)
    share = {lang: float(strong[code == lang].mean()) for lang in sorted(set(langs))
             if (code == lang).sum() >= MIN_PROMPTS}
    others = [abs(s - share["en"]) for lang, s in share.items() if lang != "en"]
    hard = oa_hard(data_dir)
    keep = np.asarray([m in hard for m in ids])
    y = np.asarray([hard.get(m, False) for m in ids])
    en = keep & (code == "en")
    other = keep & (code != "en")
    out = {"OA level gap": float(np.mean(others)), "OA AUC en": auc(scores[en], y[en]),
           "OA AUC other": auc(scores[other], y[other])}
    out.update({f"OA share {lang}": s for lang, s in share.items()})
    return out


def outcome(router) -> dict[str, float]:
    check = load_difficulty(lang="all")
    scores = router.predict_win_rate(check.prompts)
    by = auc_by_language(scores, check.extra["label"], check.extra["lang"],
                         scores >= router.threshold_for(FRACTION))
    out = {f"AUC {lang}": row["auc"] for lang, row in by.items()}
    out.update({f"hard strong {lang}": row["share_hard"] for lang, row in by.items()})
    out.update({f"easy strong {lang}": row["share_easy"] for lang, row in by.items()})
    texts = [f"{p} ({i})" for i, p in enumerate(check.prompts[::7][:200])]
    times = []
    for t in texts:
        t0 = time.perf_counter()
        router.predict_win_rate([t])
        times.append(time.perf_counter() - t0)
    out["route p50 ms"] = 1000 * float(np.median(times))
    out["max RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--router", action="append", required=True,
                    help="'default' or a router checkpoint folder (repeat)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    rows = {}
    for spec in args.router:
        router = load_router(spec)
        rows[spec] = {**criterion(router, args.data_dir), **outcome(router)}
    keys = list(dict.fromkeys(k for r in rows.values() for k in r))
    width = max(len(s) for s in rows) + 2
    print(f"{'':<30}" + "".join(f"{Path(s).name:>{width}}" for s in rows))
    for k in keys:
        cells = "".join(f"{rows[s].get(k, float('nan')):>{width}.3f}" for s in rows)
        print(f"{k:<30}{cells}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
