"""Alternatives to the default measured on validation data only (docs/results.md, "How the
default was chosen"): the routing score as the weak model's failure probability, blends of the
IRT default with MF (the previous default's recipe on the same embedder), and pairwise chat
validation on the vicuna-bench reviews and the Arena human votes.

Run: ``python benchmarks/validate_alternatives.py`` (about 15 trainings; 10-15 minutes on 2
cores once the decontamination embeddings are cached).

* Part 1: 5-fold out-of-fold scores on MMLU-Pro, the MMLU training split and arena-bench-v1
  (APGR, GPT-4 vs Mixtral) plus a full fit for the difficulty AUC, for IRT (gain and weak-failure
  scores) and MF; blends ``w * z(IRT) + (1 - w) * z(MF)`` of standardised scores.
* Part 2: 5-fold over the vicuna-bench and Arena human prompts; AUC of each router's pair score
  ``score_pair(prompt, model_a, model_b)`` against the judged winner (ties left out).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from routellm_core.data.benchmarks import load_difficulty
from routellm_core.data.files import read_jsonl, resolve_data_dir
from routellm_core.defaults import STRONG_MODEL as S
from routellm_core.defaults import WEAK_MODEL as W
from routellm_core.evaluation.metrics import auc
from routellm_core.training.config import ALIAS_PRESETS, load_config
from routellm_core.training.runs import train_from_config

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("select_default", HERE / "select_default.py")
assert _spec is not None and _spec.loader is not None
_sel = importlib.util.module_from_spec(_spec)
sys.modules["select_default"] = _sel
_spec.loader.exec_module(_sel)


def configs() -> dict[str, dict]:
    irt = load_config(HERE.parent / "configs" / "default.json")
    mf = _sel._mf_static()
    for c in (irt, mf):
        c["calibration"] = None
    return {"irt": irt, "mf": mf}


def part1() -> None:
    tables = _sel.validation_tables()
    prompts = sorted({p for t in tables.values() for p in t.prompts})
    fold_of = dict(zip(prompts, np.random.default_rng(0).integers(0, 5, len(prompts)),
                       strict=True))
    check = load_difficulty()
    hard = [lab == "hard" for lab in check.extra["label"]]
    oof: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    diff: dict[str, dict[str, np.ndarray]] = {}
    for name, cfg in configs().items():
        res = {k: {"gain": np.full(len(t), np.nan), "weakfail": np.full(len(t), np.nan)}
               for k, t in tables.items()}
        for f in range(5):
            r = train_from_config(cfg, holdout=[p for p in prompts if fold_of[p] == f])
            for k, t in tables.items():
                idx = [i for i, p in enumerate(t.prompts) if fold_of[p] == f]
                ps = [t.prompts[i] for i in idx]
                if name == "irt":
                    q = r.predict_quality(ps, [S, W])  # type: ignore[attr-defined]
                    res[k]["gain"][idx] = q[:, 0] - q[:, 1]
                    res[k]["weakfail"][idx] = 1 - q[:, 1]
                else:
                    res[k]["gain"][idx] = res[k]["weakfail"][idx] = r.predict_win_rate(ps)
        full = train_from_config(cfg)
        if name == "irt":
            q = full.predict_quality(check.prompts, [S, W])  # type: ignore[attr-defined]
            diff[name] = {"gain": q[:, 0] - q[:, 1], "weakfail": 1 - q[:, 1]}
        else:
            s = full.predict_win_rate(check.prompts)
            diff[name] = {"gain": s, "weakfail": s}
        oof[name] = res

    def z(x: np.ndarray) -> np.ndarray:
        return (x - np.nanmean(x)) / np.nanstd(x)

    metric = {"mmlu-pro": "accuracy", "mmlu-train": "accuracy", "arena-bench-v1": "grade"}
    print("| IRT score | IRT weight in blend | MMLU-Pro | MMLU train split | arena-bench-v1 | "
          "difficulty AUC |")
    print("|---|---:|---:|---:|---:|---:|")
    for how in ("gain", "weakfail"):
        for w in (0.0, 0.25, 0.5, 0.75, 1.0):
            row = []
            for k, t in tables.items():
                s = w * z(oof["irt"][k][how]) + (1 - w) * z(oof["mf"][k]["gain"])
                row.append(_sel._apgr(s, t.outcomes[S], t.outcomes[W], metric[k]))
            row.append(auc(w * z(diff["irt"][how]) + (1 - w) * z(diff["mf"]["gain"]), hard))
            print(f"| {how} | {w:.2f} | " + " | ".join(f"{x:.3f}" for x in row) + " |",
                  flush=True)


def part2() -> None:
    root = resolve_data_dir(None)
    reviews = [o for _, o in read_jsonl(root / "vicuna-bench" / "reviews.jsonl")
               if str(o["judge"]).startswith("gpt-4")]
    votes = [o for _, o in read_jsonl(root / "arena-human" / "battles.jsonl")
             if o["winner"] in ("model_a", "model_b")]
    alias = ALIAS_PRESETS["gpt4-mixtral"]
    prompts = sorted({r["prompt"] for r in reviews} | {r["prompt"] for r in votes})
    fold_of = dict(zip(prompts, np.random.default_rng(1).integers(0, 5, len(prompts)),
                       strict=True))
    for name, cfg in configs().items():
        out = {}
        for label, rows in (("vicuna-bench reviews", reviews), ("Arena human votes", votes)):
            out[label] = np.full(len(rows), np.nan)
        for f in range(5):
            r = train_from_config(cfg, holdout=[p for p in prompts if fold_of[p] == f])
            known = set(getattr(r, "models_", []))
            for label, rows in (("vicuna-bench reviews", reviews), ("Arena human votes", votes)):
                for i, x in enumerate(rows):
                    a, b = alias.get(x["model_a"], x["model_a"]), alias.get(x["model_b"], x["model_b"])
                    if fold_of[x["prompt"]] == f and a in known and b in known and a != b:
                        out[label][i] = r.score_pair([x["prompt"]], a, b)[0]  # type: ignore[attr-defined]
        parts = []
        for label, rows in (("vicuna-bench reviews", reviews), ("Arena human votes", votes)):
            y = np.array([x["winner"] == "model_a" for x in rows])
            ok = np.array([x["winner"] != "tie" for x in rows]) & ~np.isnan(out[label])
            parts.append(f"{label}: pairwise AUC {auc(out[label][ok], y[ok]):.3f} "
                         f"(n = {int(ok.sum())})")
        print(f"{name}: " + "; ".join(parts), flush=True)


if __name__ == "__main__":
    part1()
    part2()
    print(json.dumps({"done": True}))
