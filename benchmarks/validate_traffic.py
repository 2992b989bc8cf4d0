"""Validation over every kind of traffic: each part of the training data left out in turn.

The fourth round of the default's choice (``docs/results.md``, "Fourth round"). Every part is
a kind of traffic (chat judged by GPT-4, hard Arena prompts, exam questions by subject,
arithmetic word problems, competition maths, STEM theorems, short facts, mixed tasks,
non-English chat); a router is trained without it (and without its twins in other sources:
the same question in another template) and scored on it, with the paper's APGR for the model
pairs the part has labels for. The score is the router's routed score (its default-pair
score, what a user gets). A full fit scores the difficulty check, in English and in every
translated language shipped with it.

MT-Bench, GSM8K test and held-out MMLU are never read here.

Run: ``python benchmarks/validate_traffic.py [--only NAME ...] [--save DIR]`` (one training
set build and about 18 fits per candidate: a few minutes for an IRT or MF router, about
twice that for a blend, on 2 cores once the decontamination embeddings are cached).
``--scores DIR`` re-reports saved scores without training.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from validate_transfer import CATEGORIES, Sets, _apgr  # benchmarks/ is on sys.path

from routellm_core.data.benchmarks import load_difficulty
from routellm_core.data.overlap import OVERLAPS, shared_questions
from routellm_core.data.pairs import pair_outcomes
from routellm_core.defaults import STRONG_MODEL, WEAK_MODEL
from routellm_core.evaluation.metrics import auc
from routellm_core.training.config import load_config
from routellm_core.training.runs import train_holdouts

LLMROUTER_PAIR = ("llama-3.1-nemotron-51b-instruct", "mistral-7b-instruct-v0.3")


@dataclass
class Part:
    """One held-out part: its prompts and, per scored pair, (strong, weak) outcome arrays
    aligned with the prompts (NaN where a pair has no label)."""

    name: str
    kind: str
    prompts: list[str]
    pairs: list[tuple[np.ndarray, np.ndarray, str]] = field(default_factory=list)

    def apgr(self, scores: np.ndarray) -> float:
        return float(np.mean([_apgr(scores, s, w, metric) for s, w, metric in self.pairs]))


def _aligned(prompts: Sequence[str], labelled: Sequence[tuple[list[str], np.ndarray, np.ndarray]],
             metric: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    pos = {p: i for i, p in enumerate(prompts)}
    out = []
    for ps, s, w in labelled:
        sa, wa = np.full(len(prompts), np.nan), np.full(len(prompts), np.nan)
        for p, a, b in zip(ps, s, w, strict=True):
            if p in pos:
                sa[pos[p]], wa[pos[p]] = a, b
        out.append((sa, wa, metric))
    return out


def _new_part(name: str, kind: str, source: str, pairs: Sequence[tuple[str, str]],
              metric: str, keep: Callable[[str], bool] = lambda g: True) -> Part:
    labelled = []
    for strong, weak in pairs:
        ps, s, w, groups = pair_outcomes(source, strong, weak)
        m = [keep(g) for g in groups]
        labelled.append(([p for p, k in zip(ps, m, strict=True) if k], s[m], w[m]))
    prompts = list(dict.fromkeys(p for ps, _, _ in labelled for p in ps))
    return Part(name, kind, prompts, _aligned(prompts, labelled, metric))


def build_parts() -> list[Part]:
    """The thirteen parts of ``docs/results.md`` (the MMLU-Pro categories as five)."""
    old = Sets()
    s = old.arena.outcomes[STRONG_MODEL]
    weaker = [w for m, w in old.arena.outcomes.items()
              if m != STRONG_MODEL and np.nanmean(s) - np.nanmean(w) >= 1 / 9]
    parts = [
        Part("arena-bench-v1", "chat", list(old.arena.prompts),
             [(s, w, "grade") for w in weaker]),
        Part("vicuna-bench", "everyday chat", old.vicuna_prompts,
             [(a, b, "grade") for a, b in old.vicuna_pairs]),
        _new_part("qlora-oa en", "open chat", "qlora-oa",
                  [("gpt-4", "gpt-3.5"), ("gpt-4", "13b-guanaco")], "grade", lambda g: g == "en"),
        _new_part("qlora-oa other languages", "non-English chat", "qlora-oa",
                  [("gpt-4", "gpt-3.5"), ("gpt-4", "13b-guanaco")], "grade", lambda g: g != "en"),
        _new_part("arena-hard-v0.1", "hard chat", "arena-hard-v0.1",
                  [("gpt-4-0314", "gpt-3.5-turbo-0125"), ("gpt-4o", "gpt-4o-mini")], "grade"),
        Part("mmlu-train", "exam", list(old.mmlu.prompts),
             [(old.mmlu.outcomes[STRONG_MODEL], old.mmlu.outcomes[WEAK_MODEL], "accuracy")]),
    ]
    for c in CATEGORIES:
        m = old.category == c
        parts.append(Part(f"mmlu-pro {c}", "exam by subject",
                          [p for p, k in zip(old.pro.prompts, m, strict=True) if k],
                          [(old.pro.outcomes[STRONG_MODEL][m], old.pro.outcomes[WEAK_MODEL][m],
                            "accuracy")]))
    parts += [
        _new_part("llmrouter gsm8k", "word problems", "llmrouter", [LLMROUTER_PAIR], "accuracy",
                  lambda g: g == "gsm8k"),
        _new_part("llmrouter math", "competition maths", "llmrouter", [LLMROUTER_PAIR],
                  "accuracy", lambda g: g == "math"),
        _new_part("llmrouter other tasks", "QA, code, reasoning", "llmrouter", [LLMROUTER_PAIR],
                  "accuracy", lambda g: g not in ("gsm8k", "math")),
        _new_part("theoremqa", "STEM", "theoremqa", [("GPT4_CoT", "ChatGPT_CoT")], "accuracy"),
        _new_part("simpleqa", "short facts", "simpleqa", [("gpt-4o", "gpt-4o-mini")], "accuracy"),
        _new_part("routerarena", "mixed tasks", "routerarena",
                  [("gemini-2.0-flash-001", "claude-3-haiku-20240307")], "accuracy"),
    ]
    return parts


def twin_map() -> dict[str, set[str]]:
    """Each prompt that asks the same question as a prompt of another source -> those prompts."""
    twins: dict[str, set[str]] = {}
    for newer, olders in OVERLAPS.items():
        for older in olders:
            for a, b in shared_questions(newer, older):
                twins.setdefault(a, set()).add(b)
                twins.setdefault(b, set()).add(a)
    return twins


def holdout_of(part: Part, twins: dict[str, set[str]]) -> set[str]:
    held = set(part.prompts)
    for p in part.prompts:
        held |= twins.get(p, set())
    return held


#: the figure columns of the report, in order: one per part (MMLU-Pro's five categories as
#: their mean)
def figures(parts: list[Part], scores: dict[str, np.ndarray]) -> dict[str, float]:
    out: dict[str, float] = {}
    pro = []
    for part in parts:
        v = part.apgr(scores[part.name])
        if part.name.startswith("mmlu-pro "):
            pro.append(v)
            if len(pro) == len(CATEGORIES):
                out["mmlu-pro (5 categories)"] = float(np.mean(pro))
        else:
            out[part.name] = v
    out["transfer"] = float(np.mean(list(out.values())))
    return out


def difficulty_aucs(router_scores: Callable[[list[str]], np.ndarray]) -> dict[str, float]:
    """The difficulty check's AUC in English and in each shipped translation."""
    out = {}
    for lang, check in _difficulty_sets().items():
        out[f"AUC {lang}"] = auc(router_scores(list(check.prompts)),
                                 [lab == "hard" for lab in check.extra["label"]])
    return out


def _difficulty_sets() -> dict[str, Any]:
    try:
        from routellm_core.data.benchmarks import difficulty_languages
    except ImportError:  # no translations shipped
        return {"en": load_difficulty()}
    return {lang: load_difficulty(lang=lang) for lang in difficulty_languages()}  # type: ignore[call-arg]


def readme_checks(predict: Callable[[list[str]], np.ndarray]) -> bool:
    """The project's own checks at strong_fraction=0.3 with the calibration the full fit
    would ship: the README example strong, three plainly easy prompts weak."""
    from routellm_core.data.sources import calibration_prompts
    from routellm_core.scoring.calibration import threshold_for_fraction

    thr = threshold_for_fraction(predict(list(calibration_prompts("mix"))), 0.3)
    s = predict(["Prove that there are infinitely many primes.", "hi", "Thanks, that's all!",
                 "What is the capital of France?"])
    return bool(s[0] >= thr and np.all(s[1:] < thr))


def _variants(router: Any) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """The router's score and, for a blend, each member's own score (a member of a blend is
    trained exactly as it would be alone, on the same data, so "irt alone" and "mf alone" come
    from the blend's fits at no extra cost)."""
    out: dict[str, Callable[[list[str]], np.ndarray]] = {"": router.predict_win_rate}
    for m in getattr(router, "members_", []):
        out[f", {m.name} member alone"] = m.predict_win_rate
    return out


def run(config: dict[str, Any], parts: list[Part], twins: dict[str, set[str]]
        ) -> tuple[dict[str, dict[str, np.ndarray]], Any]:
    """Scores of every part, per variant (see :func:`_variants`), and the full fit."""
    holdouts: dict[str, set[str]] = {"": set()}
    holdouts.update({p.name: holdout_of(p, twins) for p in parts})
    routers = train_holdouts(config, holdouts)
    scores: dict[str, dict[str, np.ndarray]] = {}
    for p in parts:
        for v, predict in _variants(routers[p.name]).items():
            scores.setdefault(v, {})[p.name] = predict(p.prompts)
    return scores, routers[""]


def _shipped() -> dict[str, Any]:
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "default.json")
    return cfg


def _all_sources() -> dict[str, Any]:
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "all-sources.json")
    return cfg


#: the newer sources' pair models: the MF member of ``all-sources.json`` keeps the default's six
#: MMLU-Pro models (plus the routed pair), so it learns nothing from the newer outcome tables
NEW_PAIR_MODELS = ["gpt-3.5-turbo", "gpt-4o-mini", "llama-3.1-nemotron-51b-instruct",
                   "mistral-7b-instruct-v0.3", "llama-3.1-8b-instruct", "gemini-2.0-flash-001",
                   "claude-3-haiku-20240307"]


def _mf_wide() -> dict[str, Any]:
    cfg = _all_sources()
    mf = next(m for m in cfg["params"]["members"] if m["router"] == "mf")
    mf["battle_models"] = [*mf["battle_models"], *NEW_PAIR_MODELS]
    return cfg


def _multilingual() -> dict[str, Any]:
    """All sources, every member on the English table and the multilingual one side by side
    (``static+static-multilingual``), the IRT member with script-aware surface features."""
    cfg = _all_sources()
    for m in cfg["params"]["members"]:
        m["embedder"] = "static+static-multilingual"
        if m["router"] == "irt":
            m["params"]["text_features"] = "script-aware"
    cfg["embedder"] = "static+static-multilingual"
    cfg["decontaminate_embedder"] = "local"  # as "static" does, so the same prompts are dropped
    return cfg


#: a blend's members are also reported alone (see :func:`_variants`)
CANDIDATES: dict[str, Callable[[], dict[str, Any]]] = {
    "shipped default (old sources)": _shipped,
    "blend on all sources": _all_sources,
    "blend on all sources, mf on the newer pairs too": _mf_wide,
    "blend on all sources, English + multilingual tables, script-aware features": _multilingual,
}


def rank_check(folder: Path) -> None:
    """Each saved candidate (and blend member) on the reporting sets, next to its transfer
    figure, and the Spearman rank correlation between transfer and each reporting figure.
    Run only after the choice: these are the reporting sets."""
    from routellm_core.data.benchmarks import load_gsm8k, load_mmlu, load_mt_bench
    from routellm_core.evaluation.evaluate import evaluate
    from routellm_core.routers import load_router

    benches = {"MT-Bench": load_mt_bench(), "MMLU": load_mmlu(split="heldout"),
               "GSM8K": load_gsm8k()}
    table = []
    for row_file in sorted(folder.glob("*/row*.json")):
        row = json.loads(row_file.read_text())
        router = load_router(str(row_file.parent / "router"))
        member = row_file.stem.removeprefix("row")
        if member:
            idx = [m.name for m in router.members_].index(member.split("_")[1])
            router = router.members_[idx]
        figs = {b: evaluate(router.predict_win_rate(list(bench.prompts)), bench).apgr
                for b, bench in benches.items()}
        table.append((row["candidate"], row["transfer"], figs))
        print(f"{row['candidate']}: transfer {row['transfer']:.3f}, "
              + ", ".join(f"{b} {v:.3f}" for b, v in figs.items()), flush=True)

    def ranks(x: Sequence[float]) -> np.ndarray:
        return np.argsort(np.argsort(np.asarray(x))).astype(float)

    t = ranks([r[1] for r in table])
    for b in benches:
        v = ranks([r[2][b] for r in table])
        rho = float(np.corrcoef(t, v)[0, 1]) if len(table) > 2 else float("nan")
        print(f"Spearman(transfer, {b}) over {len(table)} candidates: {rho:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="candidate names to run")
    ap.add_argument("--config", nargs="*", default=(), metavar="NAME=PATH",
                    help="extra candidates from training config files")
    ap.add_argument("--save", default=None, help="write each candidate's scores here (npz)")
    ap.add_argument("--list", action="store_true", help="list the parts and their sizes")
    ap.add_argument("--rank-check", default=None, metavar="DIR",
                    help="after the choice: score every saved candidate (a --save folder) on "
                         "MT-Bench, held-out MMLU and GSM8K and print how well transfer ranked "
                         "them (Spearman)")
    args = ap.parse_args()
    if args.rank_check:
        rank_check(Path(args.rank_check))
        return
    cands = dict(CANDIDATES)
    for spec in args.config:
        name, _, path = spec.partition("=")
        cands[name] = lambda path=path: load_config(path)
    parts = build_parts()
    if args.list:
        for p in parts:
            n = [int(np.sum(~np.isnan(s))) for s, _, _ in p.pairs]
            print(f"{p.name:28s} {p.kind:22s} {len(p.prompts):5d} prompts, labelled {n}")
        return
    twins = twin_map()
    rows = {}
    names = args.only or list(cands)
    for name in names:
        cfg = cands[name]()
        cfg["calibration"] = None
        t0 = time.perf_counter()
        by_variant, full = run(cfg, parts, twins)
        if args.save:
            out = Path(args.save) / name.replace(" ", "_").replace("/", "-")
            full.save(out / "router")
        full_variants = _variants(full)
        for v, scores in by_variant.items():
            row = figures(parts, scores)
            row.update(difficulty_aucs(full_variants[v]))
            row["checks"] = float(readme_checks(full_variants[v]))
            rows[name + v] = row
            if args.save:
                (out / f"row{v.replace(' ', '_').replace(',', '')}.json").write_text(
                    json.dumps({"candidate": name + v, **row}, indent=1))
            if args.save:
                np.savez(out / f"scores{v.replace(' ', '_').replace(',', '')}.npz",
                         **{k.replace(" ", "_"): a for k, a in scores.items()})
            print(f"[{time.perf_counter() - t0:.0f} s] {name + v}: "
                  + json.dumps({k: round(x, 3) for k, x in row.items()}), flush=True)
            print("  MMLU-Pro by category: " + ", ".join(
                f"{p.name[9:]} {p.apgr(scores[p.name]):.3f}" for p in parts
                if p.name.startswith("mmlu-pro ")), flush=True)
    cols = list(next(iter(rows.values())))
    print("| candidate | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for n, r in rows.items():
        print(f"| {n} | " + " | ".join(f"{r[c]:.3f}" for c in cols) + " |")


if __name__ == "__main__":
    main()
