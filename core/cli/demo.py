"""``routellm demo``: the main job, offline, on real data.

1. The evaluation table (shipped default router and quick routers vs random) on MT-Bench,
   held-out MMLU and GSM8K, with the curves written to a PNG.
2. and 3. The framework parts, discovered through the ``routellm.demo`` entry-point group
   (``langchain_routellm.demo`` and ``llamaindex_routellm.demo`` register there), so this core
   module never imports LangChain or LlamaIndex itself.
"""

from __future__ import annotations

import argparse
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..costs import DEFAULT_PRICES, PriceTable
from ..costs import parse_price as parse_model_price
from ..errors import DataError, RouteLLMError
from ._args import DATA_DIR_HELP, add_command

__all__ = ["register", "run_demo", "parse_price"]

DEMO_GROUP = "routellm.demo"
#: the demo's parts, in the order they run
PARTS = ("eval", "langchain", "llamaindex")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(sub, "demo")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--routers", default="random,default",
                   help="routers for the evaluation table (see `routellm eval --help`)")
    p.add_argument("--mmlu-sample", type=int, default=2000, metavar="N",
                   help="part 1 evaluates MMLU on a seeded sample of N held-out rows, so a cold "
                   "embedding cache stays within minutes on 2 CPU cores (0: all 12,502 rows)")
    p.add_argument("--out", default="out", help="folder for the plot (default: ./out)")
    p.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT",
                   help="override a price (USD per million input,output tokens); repeatable")
    p.add_argument("--parts", default=",".join(PARTS), metavar="PART[,PART...]",
                   help=f"which parts to run, comma-separated, of: {', '.join(PARTS)} "
                   "(default: all three)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_main)


def parse_price(spec: str) -> tuple[str, tuple[float, float]]:
    """``"gpt-4-1106-preview=10,30"`` -> ``("gpt-4-1106-preview", (10.0, 30.0))``."""
    try:
        model, rest = spec.rsplit("=", 1)
        values = tuple(float(v) for v in rest.split(","))
        # the one rule for prices (routellm_core.costs.parse_price), as in both wrappers
        price = parse_model_price(values[0] if len(values) == 1 else values, model.strip())
        return model.strip(), (price.input, price.output)
    except DataError as exc:
        raise DataError(f"bad --price {spec!r}: {exc}; e.g. gpt-4-1106-preview=10,30") from None
    except ValueError:
        raise DataError(f"bad --price {spec!r}: expected MODEL=INPUT,OUTPUT "
                        "(USD per million tokens), e.g. gpt-4-1106-preview=10,30") from None


def _rule(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}", flush=True)


def run_demo(*, data_dir: str | None = None, routers: str = "random,default", out: str = "out",
             prices: PriceTable = DEFAULT_PRICES, parts: tuple[str, ...] = ("eval", "langchain",
             "llamaindex"), progress: bool = True, mmlu_sample: int = 2000) -> dict[str, Any]:
    """Run the demo parts and return their JSON-able summaries."""
    from ..data.files import resolve_data_dir
    from ..evaluation.evaluate import format_table, plot_results
    from .eval import check_router_names, run_eval

    check_router_names(routers)  # a typo is reported before any data is read
    root = str(resolve_data_dir(data_dir))
    summary: dict[str, Any] = {}
    t_all = time.perf_counter()
    print("RouteLLM demo: learned strong/weak routing on real recorded data, offline, no API key.")
    print(f"data: {root}")
    print("prices (USD per million input/output tokens): " + "; ".join(
        f"{m} {p.input:g}/{p.output:g}" for m, p in prices.prices.items()))

    if "eval" in parts:
        _rule("1. Router quality on the RouteLLM benchmarks (paper protocol: APGR, CPT)")
        t = time.perf_counter()
        results = run_eval(routers, "all", root, "heldout", progress=progress,
                           mmlu_sample=mmlu_sample)
        print(format_table(results), end="")
        if mmlu_sample:
            print(f"(MMLU: a seeded sample of {mmlu_sample:,} held-out rows, to keep a cold run "
                  "short; `routellm eval --benchmark mmlu` or --mmlu-sample 0 uses all 12,502)")
        png = plot_results(results, Path(out) / "demo_curves.png")
        print(f"plot: {png.resolve()}")
        print(f"(part 1 took {time.perf_counter() - t:.1f} s)")
        from ..evaluation.evaluate import results_to_json

        summary["eval"] = results_to_json(results)

    eps = {ep.name: ep for ep in entry_points(group=DEMO_GROUP)}
    titles = {
        "langchain": "2. GSM8K through a LangChain LCEL chain with RouteLLMChat over replayed "
                     "GPT-4 / Mixtral answers",
        "llamaindex": "3. Arena prompts through a LlamaIndex chat engine with RouteLLM over "
                      "replayed answers",
    }
    for name in ("langchain", "llamaindex"):
        if name not in parts:
            continue
        _rule(titles[name])
        ep = eps.get(name)
        if ep is None:
            print(f"skipped: the {name} integration is not installed "
                  f"(pip install 'routellm-integrations[{name}]')")
            continue
        t = time.perf_counter()
        try:
            run = ep.load()
        except ImportError as exc:
            print(f"skipped: the {name} part cannot be imported ({exc}); "
                  f"pip install 'routellm-integrations[{name}]'")
            continue
        summary[name] = run(data_dir=root, prices=prices, progress=progress)
        print(f"(part {name} took {time.perf_counter() - t:.1f} s)")
    total = time.perf_counter() - t_all
    summary["seconds"] = round(total, 1)
    print(f"\ndemo finished in {total:.1f} s")
    return summary


def _main(args: argparse.Namespace) -> int:
    overrides = dict(parse_price(s) for s in args.price)
    prices = DEFAULT_PRICES.with_overrides(overrides) if overrides else DEFAULT_PRICES
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    bad = [p for p in parts if p not in PARTS]
    if bad:
        raise RouteLLMError(f"unknown demo part(s) {bad}; valid parts: {', '.join(PARTS)}")
    run_demo(data_dir=args.data_dir, routers=args.routers, out=args.out, prices=prices,
             parts=parts, progress=not args.no_progress, mmlu_sample=args.mmlu_sample)
    return 0
