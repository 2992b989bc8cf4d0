"""Learning curve with judge labels: APGR of the adapted default against the number of judged pairs.

    nice .venv/bin/python benchmarks/judge_learning_curve.py [--folds 5]
        [--labels 0,50,100,200,500] [--json out/judge_learning_curve.json]

The loop of ``docs/adapt.md`` with an LLM judge instead of a person: for each model pair, a
traffic log holding both answers of every recorded prompt (a served answer and its shadow
answer, as ``TrafficRecorder(shadow_rate=1.0)`` writes them) is judged by a replay judge
(:mod:`routellm_core.evaluation.replay_judge`: GPT-4's recorded verdicts on OpenAssistant
prompts, ``qlora-oa``; the recorded Arena-Hard judgments, ``arena-hard``) through
:func:`~routellm_core.evaluation.judge.judge_log` (both orders; a verdict only when they
agree, else a tie), and ``battles_from_traffic`` turns the feedback into battles, exactly as
``routellm judge`` then ``routellm battles`` would. The k-fold protocol is the one of
``benchmarks/learning_curve.py`` (its ``fold_curve``): for each held-out fold, ``n`` judged
pairs from the other folds adapt the shipped default (and train an irt router alone); APGR on
the held-out fold, where a prompt's outcome is the same judge's both-orders verdict (strong
1, weak 0, tie 0.5 each). The battles name the default's own models, so adapting moves the
default's strong/weak slots to the pair at hand.

"Pays for itself": for each ``n``, the strong-call share the adapted router needs to recover
half the quality gap (CPT(50 %)) is compared with the default's; the judging bill of ``n``
pairs (two calls each, at ``--judge-price``, prompts of the pair's real length and answers of
``--answer-tokens``) divided by the saving per request (that share times the price gap of one
request at ``--strong-price``/``--weak-price``) is the number of routed requests after which
the judged pairs have paid for themselves. A saving smaller than the fold spread (the
standard deviation of CPT(50 %) over folds, at ``n`` or at 0) is reported as no clear saving.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learning_curve import add_curve_arguments, fold_curve, memoised_router  # noqa: E402  (reused, not copied)

#: dataset:strong:weak, the pairs measured by default
PAIRS = ("qlora-oa:gpt-4:vicuna-13b", "qlora-oa:gpt-4:65b-guanaco",
         "arena-hard:gpt-4-0314:gpt-3.5-turbo-0125")


def judged_battles(judge: Any, strong: str, weak: str, bench: Any, folder: Path,
                   as_strong: str, as_weak: str) -> tuple[dict[str, Any], Any]:
    """Record a log of both answers on every prompt of ``bench``, judge it with ``judge``
    (``judge_log``), and read the verdicts back as battles (``battles_from_traffic``): prompt
    -> battle, and the judge's report."""
    from routellm_core.evaluation.judge import judge_log
    from routellm_core.evaluation.traffic import load_traffic
    from routellm_core.routing.recorder import TrafficRecorder
    from routellm_core.training.adapt import battles_from_traffic

    answers = judge.log(strong, weak)
    path = folder / "traffic.jsonl"
    rec = TrafficRecorder(path)
    names = {"strong": strong, "weak": weak}
    for i, p in enumerate(bench.prompts):
        served = "strong" if i % 2 else "weak"  # which side served does not change a verdict
        for route in (served, "weak" if served == "strong" else "strong"):
            row = {"prompt": p, "model": names[route], "answer": answers.answer(names[route], p),
                   "outcome": None, "run_id": f"run-{i}", "route": route, "reason": "router",
                   "strong_model": strong, "weak_model": weak}
            if route != served:
                row["shadow"] = True
            rec.write(row)
    report = judge_log(path, judge)
    battles, _ = battles_from_traffic(load_traffic(path), as_strong=as_strong, as_weak=as_weak)
    by_prompt = {b.prompt: b for b in battles}
    # the log's verdicts are the benchmark's: the same judge, the same rule
    for p, s in zip(bench.prompts, bench.strong_outcomes, strict=True):
        want = "model_a" if s == 1.0 else "model_b" if s == 0.0 else "tie"
        assert by_prompt[p].winner == want, p
    return by_prompt, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", default=",".join(PAIRS),
                    help="dataset:strong:weak,... (datasets: qlora-oa, arena-hard)")
    add_curve_arguments(ap, labels="0,50,100,200,500")
    ap.add_argument("--judge-price", default="2.5,10",
                    help="judge USD per 1M input,output tokens (2.5,10: gpt-4o list price)")
    ap.add_argument("--strong-price", default="10,30", help="strong model USD per 1M tokens")
    ap.add_argument("--weak-price", default="0.6,0.6", help="weak model USD per 1M tokens")
    ap.add_argument("--answer-tokens", type=int, default=400,
                    help="assumed tokens of one answer (the datasets keep no answer texts)")
    ap.add_argument("--json", default=None, type=Path)
    args = ap.parse_args(argv)

    from routellm_core.costs import count_tokens
    from routellm_core.data.battles import Battles
    from routellm_core.data.benchmarks import BenchmarkSet
    from routellm_core.evaluation.judge import DEFAULT_OUTPUT_TOKENS, JUDGE_PROMPT
    from routellm_core.evaluation.replay_judge import replay_judge

    jp, sp, wp = ([float(x) for x in s.split(",")] for s in
                  (args.judge_price, args.strong_price, args.weak_price))
    t_start = time.perf_counter()
    init, irt = memoised_router(Path("default"))
    labels = [int(x) for x in args.labels.split(",")]
    results: dict[str, Any] = {}
    judges: dict[str, Any] = {}
    for spec in args.pairs.split(","):
        dataset, strong, weak = spec.split(":")
        judge = judges.setdefault(dataset, replay_judge(dataset))
        recorded = judge.benchmark(strong, weak)
        # the default's model names, so the battles adapt its strong/weak slots
        bench = BenchmarkSet(spec, recorded.prompts,
                             {irt.strong_model: recorded.strong_outcomes,
                              irt.weak_model: recorded.weak_outcomes},
                             strong=irt.strong_model, weak=irt.weak_model)
        with tempfile.TemporaryDirectory() as tmp:
            by_prompt, report = judged_battles(judge, strong, weak, bench, Path(tmp),
                                               irt.strong_model, irt.weak_model)
        print(report.summary(), file=sys.stderr)

        def battles(b: Any, idx: np.ndarray, by_prompt: dict[str, Any] = by_prompt) -> Battles:
            return Battles([by_prompt[b.prompts[i]] for i in idx])

        r = fold_curve(init, irt, bench, labels, folds=args.folds, seed=args.seed,
                       steps=args.steps, anchor=args.anchor, weight=args.weight,
                       battles=battles, name=spec, t_start=t_start)
        # what judging one pair costs (two calls), at the pair's mean prompt length
        template = count_tokens(JUDGE_PROMPT.format(prompt="", first="", second=""))
        mean_prompt = float(np.mean([count_tokens(p) for p in bench.prompts]))
        call_in = template + mean_prompt + 2 * args.answer_tokens
        per_pair = 2 * (call_in * jp[0] + DEFAULT_OUTPUT_TOKENS * jp[1]) / 1e6
        gap = ((mean_prompt * sp[0] + args.answer_tokens * sp[1])
               - (mean_prompt * wp[0] + args.answer_tokens * wp[1])) / 1e6
        r["judge_usd_per_pair"] = per_pair
        r["strong_minus_weak_usd_per_request"] = gap
        r["break_even_requests"] = {}
        base, base_sd = r["cpt50 adapted"]["0"]
        for n in labels[1:]:
            if str(n) not in r["cpt50 adapted"]:
                continue
            cpt, sd = r["cpt50 adapted"][str(n)]
            saved = (base - cpt) / 100.0  # share of requests no longer sent strong
            # a saving within the fold spread is not counted: it may be noise
            real = saved * 100.0 > max(base_sd, sd)
            r["break_even_requests"][str(n)] = n * per_pair / (saved * gap) if real else None
        r["judge"] = {"pairs": report.pairs, "judged": report.judged,
                      "verdicts": dict(report.verdicts), "disagreements": report.disagreements,
                      "unparseable": report.unparseable}
        results[spec] = r
    results["_settings"] = {**{k: v for k, v in vars(args).items() if k != "json"},
                            "seconds": round(time.perf_counter() - t_start)}
    print_tables(results, labels)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


def print_tables(results: dict[str, Any], labels: list[int]) -> None:
    def cell(d: dict[str, Any], n: int) -> str:
        return f"{d[str(n)][0]:.3f} ± {d[str(n)][1]:.3f}" if str(n) in d else "-"

    print("| pair (prompts) | router | " + " | ".join(str(n) for n in labels) + " |")
    print("|" + "---|" * (len(labels) + 2))
    for name, r in results.items():
        if name.startswith("_"):
            continue
        m, s = r["random"]
        print(f"| {name} ({r['n']}) | random | {m:.3f} ± {s:.3f} |" + " |" * (len(labels) - 1))
        print(f"| {name} | adapted default | " + " | ".join(cell(r["adapted"], n) for n in labels)
              + " |")
        print(f"| {name} | judge labels only | " + " | ".join(
            cell(r["in-domain only"], n) for n in labels) + " |")
    print()
    print("| pair | CPT(50 %) of the adapted default, % strong calls | judging cost per pair "
          "| requests to break even at n = " + ", ".join(str(n) for n in labels[1:]) + " |")
    print("|---|---|---|---|")
    for name, r in results.items():
        if name.startswith("_"):
            continue
        cpt = ", ".join(f"{r['cpt50 adapted'][str(n)][0]:.1f} ± {r['cpt50 adapted'][str(n)][1]:.1f}"
                        if str(n) in r["cpt50 adapted"] else "-" for n in labels)
        be = ", ".join(("-" if str(n) not in r["cpt50 adapted"] else "no clear saving")
                       if r["break_even_requests"].get(str(n)) is None
                       else f"{r['break_even_requests'][str(n)]:,.0f}" for n in labels[1:])
        print(f"| {name} | {cpt} | ${r['judge_usd_per_pair']:.4f} | {be} |")
    st = results["_settings"]
    print(f"({st['folds']} folds; mean ± sd over folds; {st['seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())
