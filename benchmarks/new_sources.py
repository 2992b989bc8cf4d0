"""The six newer training extracts as read: rows, what each reader leaves out, the cross-source
dedupe, and strong/weak counts for the pairs users route (``docs/training.md``, "The newer
sources").

Reads training data only (no MT-Bench, GSM8K or held-out MMLU). Takes about ten seconds (the
dedupe compares every pair of question texts).

Run: ``python benchmarks/new_sources.py [--data-dir DIR]``
"""

from __future__ import annotations

import argparse

from routellm_core.data.extracts import NEW_SOURCES, read_extract
from routellm_core.data.files import resolve_data_dir
from routellm_core.data.overlap import OVERLAPS, cross_source_duplicates
from routellm_core.data.pairs import pair_outcomes

#: (source, strong, weak): the pairs of issue 20, spelled as in each source
PAIRS = [
    ("llmrouter", "llama-3.1-nemotron-51b-instruct", "mistral-7b-instruct-v0.3"),
    ("theoremqa", "GPT4_CoT", "ChatGPT_CoT"),
    ("qlora-oa", "gpt-4", "gpt-3.5"),
    ("qlora-oa", "gpt-4", "7b-guanaco"),
    ("arena-hard-v0.1", "gpt-4o", "gpt-4o-mini"),
    ("arena-hard-v0.1", "gpt-4-0314", "gpt-3.5-turbo-0125"),
    ("simpleqa", "gpt-4o", "gpt-4o-mini"),
    ("routerarena", "gemini-2.0-flash-001", "claude-3-haiku-20240307"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    root = resolve_data_dir(args.data_dir)

    print("| source | rows | distinct prompts | models | battles | left out |")
    print("|---|---|---|---|---|---|")
    for name in NEW_SOURCES:
        rows = read_extract(name, root)
        models = len(rows.outcomes) or len(rows.battles.models())
        left = ", ".join(f"{k} {v}" for k, v in rows.left_out.items()) or "-"
        print(f"| {name} | {len(rows.info)} | {len(set(rows.prompts))} | {models} | "
              f"{len(rows.battles) or '-'} | {left} |")

    names = sorted({*OVERLAPS, *(o for others in OVERLAPS.values() for o in others)})
    dups = cross_source_duplicates(names, root)
    print("\nDropped when the older source is in the same training set:")
    for name, others in OVERLAPS.items():
        print(f"  {name} (yields to {', '.join(others)}): {len(dups.get(name, ()))} prompts")

    print("\n| source | strong | weak | prompts | strong higher | weak higher | equal | "
          "strong mean | weak mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for source, strong, weak in PAIRS:
        prompts, s, w, _ = pair_outcomes(source, strong, weak, root)
        print(f"| {source} | {strong} | {weak} | {len(prompts)} | {int((s > w).sum())} | "
              f"{int((s < w).sum())} | {int((s == w).sum())} | {s.mean():.3f} | {w.mean():.3f} |")


if __name__ == "__main__":
    main()
