"""Train the BERT and causal-LLM classifier routers on the real training data and evaluate them.

Training data: :func:`routellm_core.training.sets.build_training_set` with its defaults
(arena-human, arena-bench-v1, the MMLU golden training split; the ``gpt4-mixtral`` alias
table; prompts within cosine 0.95 of an evaluation prompt dropped). Evaluation: MT-Bench,
held-out MMLU, GSM8K with the paper's protocol (APGR, CPT(50 %), CPT(80 %)); the random
router is the seed-averaged baseline.

Usage (each run prints a markdown table and writes JSON next to the checkpoint)::

    nice -n 10 python benchmarks/quality_classifiers.py --router bert --label-source direct
    nice -n 10 python benchmarks/quality_classifiers.py --router bert --label-source tier
    python scripts/convert_smollm2.py --out /tmp/routellm-clf/smollm2-135m
    nice -n 10 python benchmarks/quality_classifiers.py --router causal_llm \\
        --model-dir /tmp/routellm-clf/smollm2-135m --max-steps 120 --mmlu-limit 2000

Checkpoints go to ``--out`` (default under /tmp); they are large and never belong in git.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--router", choices=("bert", "causal_llm"), required=True)
    ap.add_argument("--label-source", choices=("direct", "tier"), default="tier")
    ap.add_argument("--model-dir", default=None, help="base model folder (bert: default MiniLM)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--max-length", type=int, default=None)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--max-examples", type=int, default=None,
                    help="random subset of the training examples (seeded), for short CPU runs")
    ap.add_argument("--mmlu-limit", type=int, default=None,
                    help="evaluate on a seeded random subset of held-out MMLU of this size")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="checkpoint folder (default /tmp/...)")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)

    import torch

    from routellm_core.data.battles import Battles
    from routellm_core.data.benchmarks import load_gsm8k, load_mmlu, load_mt_bench
    from routellm_core.evaluation.evaluate import evaluate, random_baseline
    from routellm_core.routers import get_router_class
    from routellm_core.scoring.embeddings import LocalEmbedder
    from routellm_core.training._torch_loop import pair_examples
    from routellm_core.training.sets import build_training_set

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    battles, report = build_training_set(data_dir=args.data_dir, embedder=LocalEmbedder())
    print(report.format())
    print(f"training set built in {time.perf_counter() - t0:.1f} s")

    klass = get_router_class(args.router)
    params: dict[str, object] = {"label_source": args.label_source, "seed": args.seed,
                                 "device": args.device}
    for k in ("model_dir", "epochs", "lr", "batch_size", "max_length", "max_steps"):
        v = getattr(args, k)
        if v is not None:
            params[k] = v
    router = klass(**params)  # type: ignore[arg-type]

    if args.max_examples is not None:
        # Subsample the *battles that become labels* so short CPU runs see a fair mix.
        ex = pair_examples(battles, router.strong_model, router.weak_model, args.label_source)
        keep_prompts = set(ex.prompts)
        pool = [b for b in battles if b.prompt in keep_prompts]
        rng = np.random.default_rng(args.seed)
        pick = rng.choice(len(pool), size=min(args.max_examples, len(pool)), replace=False)
        # keep all battles so tiers are computed on the full set, but only picked ones label
        picked = {id(pool[i]) for i in pick}
        rest = [b for b in battles if b.prompt not in keep_prompts]
        battles = Battles(rest + [b for b in pool if id(b) in picked])
    ex = pair_examples(battles, router.strong_model, router.weak_model, args.label_source)
    print(f"label examples ({args.label_source}): {len(ex)}, classes {ex.class_counts()}, "
          f"tiers: {ex.info.get('strong_tier')} vs {ex.info.get('weak_tier')}")

    t1 = time.perf_counter()
    router.fit(battles)
    train_s = time.perf_counter() - t1
    tr = router.train_result_
    print(f"trained in {train_s:.1f} s: steps={tr.steps}, train={tr.n_train}, val={tr.n_val}, "
          f"epoch train losses={np.round(tr.epoch_train_losses, 4).tolist()}, "
          f"val losses={np.round(tr.val_losses, 4).tolist()}")
    out = args.out or Path(f"/tmp/routellm-clf/{args.router}-{args.label_source}")
    router.save(out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"checkpoint {out}: {size / 1e6:.1f} MB")

    benches = {"mt-bench": load_mt_bench(args.data_dir), "mmlu": load_mmlu(args.data_dir),
               "gsm8k": load_gsm8k(args.data_dir)}
    if args.mmlu_limit is not None and args.mmlu_limit < len(benches["mmlu"]):
        rng = np.random.default_rng(1234)
        idx = np.sort(rng.choice(len(benches["mmlu"]), size=args.mmlu_limit, replace=False))
        benches["mmlu"] = benches["mmlu"].subset(idx)
    label = f"{args.router} ({args.label_source})"
    rows = []
    results = {}
    for bname, bench in benches.items():
        t2 = time.perf_counter()
        res = evaluate(router, bench, name=label)
        pred_s = time.perf_counter() - t2
        rnd = random_baseline(bench)
        results[bname] = {"n": len(bench), **res.summary(), "random_apgr": rnd.apgr,
                          "predict_seconds": pred_s,
                          "score_mean": float(np.mean(res.scores)),
                          "score_std": float(np.std(res.scores))}
        rows.append((bname, len(bench), res, rnd, pred_s))
    print()
    print("| benchmark | n | router | APGR | CPT(50%) | CPT(80%) | random APGR |")
    print("|---|---|---|---|---|---|---|")
    for bname, n, res, rnd, _ in rows:
        print(f"| {bname} | {n} | {label} | {res.apgr:.3f} | {res.cpt50:.1f} % | "
              f"{res.cpt80:.1f} % | {rnd.apgr:.3f} |")
    unread = getattr(router, "unreadable_count_", None)
    if unread is not None:
        print(f"unreadable prompts routed strong: {unread}")
    summary = {"router": args.router, "label_source": args.label_source, "params": params,
               "label_examples": len(ex), "classes": ex.class_counts(), "train_seconds": train_s,
               "train": tr.to_dict(), "checkpoint_mb": size / 1e6, "results": results,
               "unreadable": unread, "argv": sys.argv[1:]}
    (out / "quality.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
