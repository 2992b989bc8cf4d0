"""Training configs: the JSON that ``routellm train --config`` reads.

* :func:`default_config`: a router's default config (the format is in ``docs/training.md``).
* :func:`validate_config` / :func:`load_config`: check a config and fill its defaults; errors
  name the bad key.
* :func:`config_hash`: a short stable hash of a validated config (the training cache's key).
* :data:`ALIAS_PRESETS` and :func:`resolve_aliases`: the model alias tables a config names.

Example:
    >>> cfg = default_config("knn")
    >>> cfg["router"], cfg["embedder"]
    ('knn', 'local')
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.sources import CALIBRATION_SETS, SOURCES
from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, unknown_name

if TYPE_CHECKING:
    from ..embeddings import Embedder

__all__ = [
    "TRAINABLE_ROUTERS",
    "ALIAS_PRESETS",
    "MMLU_PRO_MODELS",
    "resolve_aliases",
    "normalise_sources",
    "default_config",
    "validate_config",
    "load_config",
    "config_hash",
    "make_embedder",
]


#: routers the training kit can train
TRAINABLE_ROUTERS = ("sw_ranking", "mf", "knn", "irt", "ensemble", "bert", "causal_llm")


#: Named alias tables. ``"gpt4-mixtral"`` treats every GPT-4 spelling (including GPT-4o in
#: MMLU-Pro) as the strong model and the Mixtral-8x7B-Instruct spelling of MMLU-Pro as the weak
#: model; ``"none"`` keeps every name distinct.
ALIAS_PRESETS: dict[str, dict[str, str]] = {
    "none": {},
    "gpt4-mixtral": {
        "gpt-4": STRONG_MODEL,
        "gpt-4-0314": STRONG_MODEL,
        "gpt-4o-2024-05-13(early-set)": STRONG_MODEL,
        "Mixtral-8x7B-Instruct-v0.1": WEAK_MODEL,
    },
}


def resolve_aliases(aliases: str | Mapping[str, str] | None) -> dict[str, str]:
    """An alias table from a preset name (:data:`ALIAS_PRESETS`), a mapping, or ``None``."""
    if aliases is None:
        return {}
    if isinstance(aliases, str):
        if aliases not in ALIAS_PRESETS:
            raise unknown_name("alias preset", aliases, ALIAS_PRESETS)
        return dict(ALIAS_PRESETS[aliases])
    if not isinstance(aliases, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
    ):
        raise DataError("aliases must be a preset name or a JSON object {name: canonical name}")
    return dict(aliases)


def normalise_sources(sources: Any) -> dict[str, dict[str, Any]]:
    if isinstance(sources, (list, tuple)):
        sources = {s: {} for s in sources}
    if not isinstance(sources, Mapping) or not sources:
        raise DataError("sources must be a non-empty list of names or object {name: {weight: ..}}")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in sources.items():
        if name not in SOURCES:
            raise unknown_name("training source", name, SOURCES)
        if isinstance(spec, (int, float)):
            spec = {"weight": float(spec)}
        spec = dict(spec or {})
        bad = set(spec) - {"weight", "models", "exclude_domains"}
        if bad:
            raise DataError(f"source {name!r}: unknown keys {sorted(bad)} "
                            "(valid: weight, models, exclude_domains)")
        if spec.get("exclude_domains") and name != "mmlu-train":
            raise DataError(f"source {name!r}: exclude_domains applies to mmlu-train only")
        w = float(spec.get("weight", 1.0))
        if not w > 0:
            raise DataError(f"source {name!r}: weight must be positive, got {w}")
        out[name] = {"weight": w, "models": spec.get("models"),
                     "exclude_domains": list(spec.get("exclude_domains") or ())}
    return out


#: MMLU-Pro models in the default training set: the GPT-4o / Mixtral-Instruct pair (aliased onto
#: the evaluation pair by ``"gpt4-mixtral"``) and four models between them in strength. All 31
#: models would be 2.4 million battles and let MMLU-Pro outweigh every other source.
MMLU_PRO_MODELS = [
    "gpt-4o-2024-05-13(early-set)",
    "Mixtral-8x7B-Instruct-v0.1",
    "Meta-Llama-3_1-70B-Instruct",
    "Qwen1.5-72B-Chat",
    "gemini-1.5-pro-002",
    "Mistral-7B-Instruct-v0.2",
]


_DEFAULT_SOURCES: dict[str, Any] = {
    "arena-human": {"weight": 1.0},
    "arena-bench-v1": {"weight": 1.0},
    "mmlu-train": {"weight": 1.0},
    "mmlu-pro": {"weight": 1.0, "models": MMLU_PRO_MODELS},
}


#: The IRT router reads every model's outcome, so MMLU-Pro keeps all 31 models (one prompt
#: counts once however many models answered it), and it learns from the vicuna-bench reviews
#: and the everyday prior too (``docs/training.md``).
#: routers whose default config reads outcome tables, the static embedder and the mix
_TABLE_ROUTERS = ("irt", "ensemble")


_IRT_SOURCES: dict[str, Any] = {
    "arena-human": {"weight": 1.0},
    "arena-bench-v1": {"weight": 1.0},
    "mmlu-train": {"weight": 1.0},
    "mmlu-pro": {"weight": 1.0},
    "vicuna-bench": {"weight": 1.0},
    "everyday-anchors": {"weight": 5.0},
}


_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "mf": {"dim": 64, "epochs": 10, "lr": 3e-3, "weight_decay": 1e-2, "noise": 0.01, "seed": 0},
    "sw_ranking": {"gamma": 10.0, "n_tiers": 10},
    "knn": {"k_candidates": [5, 10, 20, 50, 100, 200], "label_mode": "direct", "seed": 0},
    # chosen on validation splits of the training sources and the difficulty check
    # (docs/results.md, "How the default was chosen")
    "irt": {"dim": 8, "hidden": 128, "epochs": 300, "lr": 0.02, "l2": 1e-3, "model_l2": 1e-4,
            "text_features": True, "seed": 0},
    # The classifier defaults are the short CPU runs measured in docs/results.md; raise
    # max_steps (or drop it for full epochs) on a GPU.
    # the 75/25 blend measured in docs/results.md ("How the default was chosen"): ties IRT
    # alone on validation, so it is an option, not the default
    "ensemble": {
        "members": [
            {"router": "irt", "embedder": "static",
             "params": {"dim": 8, "hidden": 128, "epochs": 300, "lr": 0.02, "l2": 1e-3,
                        "model_l2": 1e-4, "text_features": True, "seed": 0}},
            {"router": "mf", "embedder": "static", "battle_models": MMLU_PRO_MODELS,
             "params": {"dim": 64, "epochs": 10, "lr": 3e-3, "weight_decay": 1e-2,
                        "noise": 0.01, "seed": 0}},
        ],
        "weights": [0.75, 0.25],
    },
    "bert": {"label_source": "tier", "max_length": 128, "max_steps": 80, "seed": 0},
    "causal_llm": {"label_source": "tier", "max_length": 256, "batch_size": 8, "lr": 5e-5,
                   "max_steps": 30, "seed": 0},
}


_CONFIG_KEYS = {
    "router", "params", "strong_model", "weak_model", "sources", "aliases", "embedder",
    "decontaminate", "decontaminate_embedder", "seed", "calibration", "data_dir",
}


def default_config(router: str) -> dict[str, Any]:
    """The default training config of a router (see ``docs/training.md`` for the format)."""
    if router not in TRAINABLE_ROUTERS:
        raise unknown_name("trainable router", router, TRAINABLE_ROUTERS)
    return {
        "router": router,
        "params": copy.deepcopy(_DEFAULT_PARAMS[router]),
        "strong_model": STRONG_MODEL,
        "weak_model": WEAK_MODEL,
        "sources": copy.deepcopy(_IRT_SOURCES if router in _TABLE_ROUTERS else _DEFAULT_SOURCES),
        "aliases": "gpt4-mixtral",
        "embedder": "static" if router in _TABLE_ROUTERS else "local",
        "decontaminate": 0.95,
        "seed": 0,
        "calibration": "mix" if router in _TABLE_ROUTERS else "arena-bench-v1",
    }


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Check a config and fill defaults; errors name the bad key."""
    if not isinstance(config, Mapping):
        raise DataError("a training config must be a JSON object")
    bad = set(config) - _CONFIG_KEYS
    if bad:
        raise DataError(f"unknown config keys {sorted(bad)}; valid keys: {sorted(_CONFIG_KEYS)}")
    router = config.get("router")
    if router not in TRAINABLE_ROUTERS:
        raise unknown_name("trainable router", router, TRAINABLE_ROUTERS)
    cfg = default_config(router)
    cfg.update({k: copy.deepcopy(v) for k, v in config.items() if k != "params"})
    cfg["params"] = {**cfg["params"], **dict(config.get("params") or {})}
    normalise_sources(cfg["sources"])
    resolve_aliases(cfg["aliases"])
    dec_emb = cfg.get("decontaminate_embedder")
    if dec_emb is not None:
        if not isinstance(dec_emb, str):
            raise DataError("decontaminate_embedder must be an embedder name such as \"local\" "
                            "or null (the training embedder)")
        make_embedder(dec_emb)  # an unknown name fails here, not after loading the data
    if cfg["calibration"] is not None and cfg["calibration"] not in CALIBRATION_SETS:
        raise unknown_name("calibration prompt set", cfg["calibration"], CALIBRATION_SETS)
    return cfg


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON training config file and validate it."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"config file {str(p)!r} does not exist")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{p}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return validate_config(raw)


def config_hash(config: Mapping[str, Any]) -> str:
    """Short stable hash of a validated config (for cache folder names)."""
    blob = json.dumps(validate_config(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def make_embedder(spec: str | Embedder) -> Embedder:
    """An embedder from its config name, or an embedder instance as is.

    Names: ``"local"`` (all-MiniLM-L6-v2 under torch), ``"static"`` (the static table
    distilled from it and shipped in the package, numpy only:
    :class:`~routellm_core.static_embedding.StaticEmbedder`), ``"hashing-<dim>"``.
    """
    from ..embeddings import embedder_from_spec

    return embedder_from_spec(spec)
