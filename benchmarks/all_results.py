"""The results table of docs/results.md in one command: every router on every benchmark.

    python benchmarks/all_results.py [--routers random,sw_ranking,mf,knn,irt,ensemble,bert,default]
                                     [--plot docs/img/results.png] [--no-pairs]

* APGR on MT-Bench, held-out MMLU (all 12,502 rows) and GSM8K, the difficulty check's AUC,
  and the realised share of strong calls at the calibrated ``strong_fraction=0.3`` on each
  (``routellm eval`` does the same per benchmark; trainable names are trained with their
  default config on first use and cached; ``bert`` trains for several minutes on CPU);
* other model pairs (``benchmarks/quality_pairs.py``) for the routers that score any pair of
  known models (``irt``/``default`` and ``mf`` with the pairs' models added);
* the difficulty check's AUC in each of its languages (English and the five translations);
* the pairs users route today (``benchmarks/quality_user_pairs.py``: gpt-4o vs gpt-4o-mini,
  GPT-4 vs GPT-3.5, Gemini-2.0-Flash vs Claude-3-Haiku, five-fold by prompt; ``--no-user-pairs``
  skips it, ``--user-pairs-no-train`` scores only the shipped default and random);
* the quality curves as a PNG.

The fourth round's traffic validation, which chose the default, is a separate command
(``benchmarks/validate_traffic.py``): it trains about 18 routers per candidate.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from routellm_core.cli.eval import run_eval
from routellm_core.evaluation.evaluate import format_table, plot_results
from routellm_core.training.config import load_config

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routers", default="random,sw_ranking,mf,knn,irt,ensemble,bert,default")
    ap.add_argument("--plot", default="docs/img/results.png")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--no-pairs", action="store_true", help="skip the other-pairs table")
    ap.add_argument("--no-user-pairs", action="store_true",
                    help="skip the pairs users route today (quality_user_pairs.py)")
    ap.add_argument("--user-pairs-no-train", action="store_true",
                    help="pairs users route today: only the shipped default and random")
    args = ap.parse_args()
    results = run_eval(args.routers, "all", args.data_dir, progress=False)
    print(format_table(results, markdown=True))
    names = [n.strip() for n in args.routers.split(",")]
    bench_names = ["mt-bench", "mmlu", "gsm8k"]
    print("| router | " + " | ".join(f"{b} APGR" for b in bench_names)
          + " | difficulty AUC | " + " | ".join(f"{b} strong@0.3" for b in bench_names) + " |")
    print("|---|" + "---:|" * (2 * len(bench_names) + 1))
    for n in names:
        row = [f"{results[b].routers[n].apgr:.3f}" for b in bench_names]
        auc = results["difficulty"].routers[n].auc
        row.append("-" if auc is None else f"{auc:.3f}")
        for b in bench_names:
            share = results[b].routers[n].share_at
            row.append("-" if share is None else f"{100 * share:.0f} %")
        print(f"| {n} | " + " | ".join(row) + " |")
    by_lang = {n: results["difficulty"].routers[n].by_lang or {} for n in names}
    langs = sorted({lang for v in by_lang.values() for lang in v}, key=lambda x: (x != "en", x))
    if langs:
        print("| router | " + " | ".join(f"AUC {lang}" for lang in langs) + " |")
        print("|---|" + "---:|" * len(langs))
        for n in names:
            print(f"| {n} | " + " | ".join(
                f"{by_lang[n][lang]['auc']:.3f}" if lang in by_lang[n] else "-"
                for lang in langs) + " |")
    if args.plot:
        print(f"plot: {plot_results(results, args.plot)}")
    if not args.no_pairs:
        spec = importlib.util.spec_from_file_location("quality_pairs", HERE / "quality_pairs.py")
        assert spec is not None and spec.loader is not None
        pairs = importlib.util.module_from_spec(spec)
        sys.modules["quality_pairs"] = pairs
        spec.loader.exec_module(pairs)
        from routellm_core.data.files import resolve_data_dir

        root = resolve_data_dir(args.data_dir)
        base = load_config(HERE.parent / "configs" / "default.json")
        other = {"default": pairs.run(base, root, "default"),
                 "mf (+ pair models)": pairs.run(pairs._mf_config(base), root, "mf")}
        keys = list(next(iter(other.values())))
        print("| pair | " + " | ".join(other) + " |")
        print("|---|" + "---:|" * len(other))
        for k in keys:
            print(f"| {k} | " + " | ".join(f"{other[n][k]:.3f}" for n in other) + " |")
    if not args.no_user_pairs:
        import subprocess

        cmd = [sys.executable, str(HERE / "quality_user_pairs.py")]
        if args.data_dir:
            cmd += ["--data-dir", args.data_dir]
        if args.user_pairs_no_train:
            cmd.append("--no-train")
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
