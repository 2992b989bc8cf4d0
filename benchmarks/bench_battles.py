"""Speed and memory of the adaptation commands on a large log (prints figures; not a test).

    nice -n 10 .venv/bin/python benchmarks/bench_battles.py [--records 100000] [--keep DIR]

Writes a synthetic traffic log in the recorder's format (``--records`` lines: half served
answers, half their shadow answers, every run labelled in the feedback file with
``correct=``), then runs, each in a fresh process as a user would:

1. ``routellm battles --from-log LOG --out BATTLES --as-strong S --as-weak W`` (the
   shipped router's model names; the default path: decontamination
   against the benchmarks with the static embedder; needs the shared data for the benchmark
   prompts, else ``--decontaminate-against none`` is used and said so);
2. ``routellm train --init default --battles BATTLES --out ROUTER``.

Prints for each: wall time and peak RSS (``wait4``), and whether torch was imported.
Target: each within 60 s and 1 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SUBJECTS = ["the invoice", "a python script", "my garden", "the quarterly report", "a poem",
             "the train timetable", "an email to my landlord", "the chemistry homework",
             "a birthday speech", "the SQL query", "a cover letter", "the recipe",
             "this contract clause", "a workout plan", "the physics problem", "a short story"]
_VERBS = ["summarise", "fix", "explain", "rewrite", "translate", "check", "shorten",
          "improve", "analyse", "plan", "outline", "debug"]
_TAILS = ["for a beginner", "in three bullet points", "step by step", "in formal English",
          "with an example", "and list the risks", "for a ten-year-old", "in under 100 words",
          "and cite the key numbers", "as a table"]


def synthetic_log(path: Path, records: int, seed: int = 0) -> int:
    """A recorder-format log of ``records`` lines (runs of a served and a shadow answer) and
    its feedback file; returns the number of runs."""
    rng = random.Random(seed)
    runs = records // 2
    fb = path.with_name(path.stem + ".feedback.jsonl")
    with path.open("w", encoding="utf-8") as log, fb.open("w", encoding="utf-8") as feedback:
        for i in range(runs):
            prompt = (f"{rng.choice(_VERBS).capitalize()} {rng.choice(_SUBJECTS)} "
                      f"{rng.choice(_TAILS)}; case {i}, budget {rng.randint(1, 10_000)} "
                      f"and deadline day {rng.randint(1, 365)}.")
            route = "strong" if rng.random() < 0.3 else "weak"
            run_id = f"run-{i}"
            for shadow, r in ((False, route), (True, "weak" if route == "strong" else "strong")):
                row = {"prompt": prompt, "model": f"{r}-model", "answer": f"answer {i} ({r})",
                       "outcome": None, "input_tokens": 40, "output_tokens": 120,
                       "run_id": run_id, "route": r, "reason": "router",
                       "score": rng.random(), "threshold": 0.5, "router": "ensemble",
                       "strong_model": "strong-model", "weak_model": "weak-model",
                       "time": 1.7e9 + i}
                if shadow:
                    row["shadow"] = True
                log.write(json.dumps(row) + "\n")
                good = rng.random() < (0.8 if r == "strong" else 0.6)
                feedback.write(json.dumps({"run_id": run_id, "kind": "correct",
                                           "outcome": 1.0 if good else 0.0,
                                           "time": 1.7e9 + i, **({"shadow": True} if shadow
                                                                 else {})}) + "\n")
    return runs


def timed(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run ``cmd``; wall seconds, peak RSS in MB (``wait4``), exit code, output tail."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - t0, usage.ru_maxrss / 1024, proc.returncode,
            "\n".join(out.strip().splitlines()[-6:]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--keep", default=None, help="write the files here (default: a temp dir)")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()

    from routellm_core.data.benchmarks import evaluation_prompts
    from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
    from routellm_core.errors import DataError

    try:
        evaluation_prompts(args.data_dir)
        against = ["--decontaminate-against", "benchmarks"]
    except DataError as exc:
        print(f"no benchmark prompts ({exc}); decontaminating against none")
        against = ["--decontaminate-against", "none"]
    if args.data_dir:
        against += ["--data-dir", args.data_dir]

    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench_battles_"))
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "traffic.jsonl"
    t0 = time.perf_counter()
    runs = synthetic_log(log, args.records)
    print(f"synthetic log: {args.records:,} records ({runs:,} runs, every answer labelled), "
          f"{log.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f} s")
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")

    routellm = [sys.executable, "-m", "routellm_core.cli"]
    probe = ("import sys, runpy; sys.argv = {argv!r}; "
             "import atexit; atexit.register(lambda: print('torch imported:', "
             "'torch' in sys.modules)); runpy.run_module('routellm_core.cli', "
             "run_name='__main__')")
    steps = [
        ("battles", ["routellm", "battles", "--from-log", str(log), "--out",
                     str(folder / "battles.jsonl"), "--as-strong", STRONG_MODEL,
                     "--as-weak", WEAK_MODEL, *against]),
        ("train --init default", ["routellm", "train", "--init", "default", "--battles",
                                  str(folder / "battles.jsonl"), "--out",
                                  str(folder / "router")]),
    ]
    worst = 0.0
    for name, argv in steps:
        cmd = [routellm[0], "-c", probe.format(argv=argv)]
        wall, rss, rc, tail = timed(cmd)
        worst = max(worst, wall)
        print(f"\n== routellm {name}: {wall:.1f} s, peak RSS {rss:.0f} MB (exit {rc})")
        print(tail)
        if rc != 0:
            return rc
    print(f"\ntarget: each step within 60 s and 1 GB on 2 cores; slowest step {worst:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
