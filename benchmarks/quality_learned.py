"""Quality of the learned routers on the held-out benchmarks, and the training-data ablation.

Regenerates the tables of ``docs/results.md`` (sections "Learned routers" and "Ablation:
training sources and aliases")::

    nice -n 10 .venv/bin/python benchmarks/quality_learned.py --json results_learned.json

Every router is trained from a config (see ``docs/training.md``) on the training sources,
decontaminated against the evaluation prompts, and scored on MT-Bench (turn 1), held-out MMLU
and GSM8K with the RouteLLM protocol (``routellm_core.evaluation.evaluate``). Embeddings come from the
shared cache, so a second run costs only the training.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np

from routellm_core.data.benchmarks import load_benchmark
from routellm_core.evaluation.evaluate import evaluate, random_baseline
from routellm_core.routers.base import Router
from routellm_core.scoring.embeddings import LocalEmbedder
from routellm_core.training.config import default_config
from routellm_core.training.runs import train_from_config

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ("mt-bench", "mmlu", "gsm8k")

def variants(base: dict) -> dict[str, dict]:
    """Ablation variants of one config: each source removed, MMLU-Pro down-weighted, aliases off."""
    out = {"base": base}
    for s in list(base["sources"]):
        if len(base["sources"]) > 1:
            c = copy.deepcopy(base)
            del c["sources"][s]
            out[f"without {s}"] = c
    if "mmlu-pro" in base["sources"]:
        c = copy.deepcopy(base)
        c["sources"]["mmlu-pro"]["weight"] = 0.1
        out["mmlu-pro weight 0.1"] = c
    c = copy.deepcopy(base)
    c["aliases"] = "none"
    out["aliases off"] = c
    if base["router"] == "mf":
        c = copy.deepcopy(base)
        c["params"]["ties"] = "drop"
        out["ties dropped"] = c
        # the barely regularised MF first tried: shows what regularisation vs aliases buy
        for aliases in ("gpt4-mixtral", "none"):
            c = copy.deepcopy(base)
            c["params"].update({"epochs": 30, "weight_decay": 1e-5})
            c["aliases"] = aliases
            out[f"weight decay 1e-5, 30 epochs, aliases {aliases}"] = c
    return out


def run(configs: dict[str, dict], benches: dict, emb: LocalEmbedder) -> dict[str, dict]:
    bench_emb = {b: emb.embed(bench.prompts) for b, bench in benches.items()}
    res: dict[str, dict] = {}
    for label, cfg in configs.items():
        t0 = time.perf_counter()
        try:
            router = train_from_config(cfg, embedder=emb)
        except Exception as exc:  # an ablation cell that cannot train is reported, not fatal
            print(f"{label}: cannot train ({type(exc).__name__}: {exc})", file=sys.stderr)
            res[label] = {"error": str(exc)}
            continue
        row: dict[str, object] = {"train_s": round(time.perf_counter() - t0, 1)}
        if "gsm8k" in benches:
            g = benches["gsm8k"]
            s = router.predict_from_embeddings(bench_emb["gsm8k"])
            gain = g.strong_outcomes - g.weak_outcomes
            length = np.asarray([len(p) for p in g.prompts], dtype=np.float64)
            row["gsm8k_corr_score_gain"] = round(float(np.corrcoef(s, gain)[0, 1]), 3)
            row["gsm8k_corr_score_length"] = round(float(np.corrcoef(s, length)[0, 1]), 3)
        rep = router.training_report_
        row["battles"] = int(sum(d["kept"] for d in rep["sources"].values()))
        row["strong_vs_weak"] = rep["strong_vs_weak"]
        row["decontaminated"] = rep["decontaminated"]
        for b, bench in benches.items():
            r = evaluate(router.predict_from_embeddings(bench_emb[b]), bench, name=label)
            row[b] = {"apgr": round(r.apgr, 4), "cpt50": round(r.cpt50, 1),
                      "cpt80": round(r.cpt80, 1)}
        res[label] = row
        print(f"{label:<38} " + "  ".join(
            f"{b} {row[b]['apgr']:.3f}/{row[b]['cpt50']:.1f}%" for b in benches)
            + f"  gsm8k r(score, gain) {row.get('gsm8k_corr_score_gain')}"
            f" r(score, length) {row.get('gsm8k_corr_score_length')}", flush=True)
    return res


def table(res: dict[str, dict], benches: dict) -> str:
    head = "| router / variant | " + " | ".join(
        f"{b} APGR | {b} CPT(50 %) | {b} CPT(80 %)" for b in benches) + " |"
    lines = [head, "|---|" + "---:|" * (3 * len(benches))]
    for label, row in res.items():
        if "error" in row:
            lines.append(f"| {label} | " + " | ".join(["n/a"] * 3 * len(benches)) + " |")
            continue
        cells = []
        for b in benches:
            m = row[b]
            cells += [f"{m['apgr']:.3f}", f"{m['cpt50']:.1f} %", f"{m['cpt80']:.1f} %"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routers", default="sw_ranking,mf,knn")
    ap.add_argument("--ablate", default="mf", help="routers to run the ablation for ('' none)")
    ap.add_argument("--json", default=None, help="write all figures to this JSON file")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    emb = LocalEmbedder()
    benches = {b: load_benchmark(b, args.data_dir) for b in BENCHES}
    out: dict[str, dict] = {"random": {}}
    for b, bench in benches.items():
        r = random_baseline(bench)
        out["random"][b] = {"apgr": round(r.apgr, 4), "cpt50": round(r.cpt50, 1),
                            "cpt80": round(r.cpt80, 1)}
    configs = {}
    for name in [s for s in args.routers.split(",") if s]:
        cfg = default_config(name)
        if args.data_dir:
            cfg["data_dir"] = args.data_dir
        configs[name] = cfg
    g = benches["gsm8k"]
    length = np.asarray([len(p) for p in g.prompts], dtype=np.float64)
    print(f"gsm8k: prompt length as the score gives APGR {evaluate(length, g).apgr:.3f}; "
          "random APGR over 10 single seeds: " + ", ".join(
              f"{evaluate(np.random.default_rng(i).random(len(g)), g).apgr:.3f}"
              for i in range(10)))
    print("== routers ==")
    comparison = {"random": out["random"], **run(configs, benches, emb)}
    shipped = ROOT / "core" / "default_router"
    if (shipped / "config.json").is_file():
        router = Router.load(shipped, embedder=emb)
        row = {}
        for b, bench in benches.items():
            r = evaluate(router.predict_from_embeddings(emb.embed(bench.prompts)), bench)
            row[b] = {"apgr": round(r.apgr, 4), "cpt50": round(r.cpt50, 1),
                      "cpt80": round(r.cpt80, 1)}
        comparison["default (shipped checkpoint)"] = row
    ablation: dict[str, dict] = {}
    for name in [s for s in args.ablate.split(",") if s]:
        print(f"== ablation: {name} ==")
        for label, row in run(variants(configs.get(name) or default_config(name)), benches,
                              emb).items():
            ablation[f"{name}: {label}"] = row
    print("\n## Learned routers\n")
    print(table(comparison, benches))
    if ablation:
        print("\n## Ablation: training sources and aliases\n")
        print(table(ablation, benches))
    if args.json:
        Path(args.json).write_text(json.dumps({"routers": comparison, "ablation": ablation},
                                              indent=2, default=float))
    worst = min((row[b]["apgr"] for k, row in comparison.items()
                 if k != "random" and "error" not in row for b in benches), default=np.nan)
    print(f"\nlowest learned-router APGR on any benchmark: {worst:.3f} (random: ~0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
