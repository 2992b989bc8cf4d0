"""Training configs: the JSON that ``routellm train --config`` reads.

* :class:`TrainingConfig`: the config as a typed model (its JSON schema is in
  ``docs/training.md``); :func:`default_config`: a router's default config.
* :func:`validate_config` / :func:`load_config`: check a config and fill its defaults; errors
  name the bad key and the valid ones.
* :func:`config_hash`: a short stable hash of a validated config (the training cache's key).
* :data:`ALIAS_PRESETS` and :func:`resolve_aliases`: the model alias tables a config names.

Example:
    >>> cfg = default_config("knn")
    >>> cfg["router"], cfg["embedder"]
    ('knn', 'local')
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..data.sources import CALIBRATION_SETS, SOURCES
from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import DataError, RouteLLMError, unknown_name

if TYPE_CHECKING:
    from ..scoring.embeddings import Embedder

__all__ = [
    "TrainingConfig",
    "SourceConfig",
    "TRAINABLE_ROUTERS",
    "ALIAS_PRESETS",
    "GPT35_MODEL",
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


_GPT4_MIXTRAL: dict[str, str] = {
    "gpt-4": STRONG_MODEL,
    "gpt-4-0314": STRONG_MODEL,
    "gpt-4o-2024-05-13(early-set)": STRONG_MODEL,
    "Mixtral-8x7B-Instruct-v0.1": WEAK_MODEL,
}

#: the canonical GPT-3.5 name of ``"gpt4-mixtral-all"`` (as arena-human and arena-bench-v1
#: spell it)
GPT35_MODEL = "gpt-3.5-turbo"

#: Named alias tables.
#:
#: * ``"gpt4-mixtral"`` (the shipped default's): every GPT-4 spelling of the original sources
#:   (including GPT-4o in MMLU-Pro) is the strong model, MMLU-Pro's Mixtral-8x7B-Instruct
#:   spelling the weak model.
#: * ``"gpt4-mixtral-all"``: the same, plus the spellings of the newer extracts: GPT-4-class
#:   models (theoremqa ``GPT4_CoT``, qlora-oa ``gpt-4``, arena-hard ``gpt-4-0314``,
#:   ``gpt-4-0613``, ``gpt-4o``, ``gpt-4o-2024-08-06``, simpleqa ``gpt-4o``) become the strong
#:   model, and GPT-3.5-Turbo (theoremqa ``ChatGPT_CoT``, qlora-oa ``gpt-3.5``, arena-hard
#:   ``gpt-3.5-turbo-0125``) becomes ``gpt-3.5-turbo``. None of these names occurs in an
#:   original source, so on those it does what ``"gpt4-mixtral"`` does. Left distinct on
#:   purpose: ``gpt-4o-mini`` (a small model), the ``_guided`` decoding variants, theoremqa's
#:   ``GPT3.5_CoT`` (text-davinci-003, not GPT-3.5-Turbo), and every other model.
#: * ``"none"`` keeps every name distinct.
ALIAS_PRESETS: dict[str, dict[str, str]] = {
    "none": {},
    "gpt4-mixtral": dict(_GPT4_MIXTRAL),
    "gpt4-mixtral-all": {
        **_GPT4_MIXTRAL,
        "GPT4_CoT": STRONG_MODEL,
        "gpt-4-0613": STRONG_MODEL,
        "gpt-4o": STRONG_MODEL,
        "gpt-4o-2024-08-06": STRONG_MODEL,
        "ChatGPT_CoT": GPT35_MODEL,
        "gpt-3.5": GPT35_MODEL,
        "gpt-3.5-turbo-0125": GPT35_MODEL,
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
            "text_features": True, "seed": 0,
            # the per-model quality scale the cost ladder compares (docs/ladder.md)
            "quality_folds": 3},
    # The classifier defaults are the short CPU runs measured in docs/results.md; raise
    # max_steps (or drop it for full epochs) on a GPU.
    # the shipped default: IRT 0.6 + MF 0.4, chosen on the transfer validation of
    # docs/results.md ("How the default was chosen")
    "ensemble": {
        "members": [
            {"router": "irt", "embedder": "static",
             "params": {"dim": 8, "hidden": 128, "epochs": 300, "lr": 0.02, "l2": 1e-3,
                        "model_l2": 1e-4, "text_features": True, "score": "gain", "seed": 0,
                        # the ladder's per-model quality scale; the two-model score is the
                        # same with or without it (docs/results.md, fourth round)
                        "quality_folds": 3}},
            {"router": "mf", "embedder": "static", "battle_models": MMLU_PRO_MODELS,
             "params": {"dim": 64, "epochs": 10, "lr": 3e-3, "weight_decay": 1e-2,
                        "noise": 0.01, "seed": 0}},
        ],
        "weights": [0.6, 0.4],
    },
    "bert": {"label_source": "tier", "max_length": 128, "max_steps": 80, "seed": 0},
    "causal_llm": {"label_source": "tier", "max_length": 256, "batch_size": 8, "lr": 5e-5,
                   "max_steps": 30, "seed": 0},
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


# --------------------------------------------------------------------------------------------
# The config as typed models
# --------------------------------------------------------------------------------------------
def _names(kind: str, valid: Sequence[str]) -> Any:
    """A string that must be one of ``valid`` (an error lists them); an enum in the schema."""

    def check(value: str) -> str:
        if value not in valid:
            raise unknown_name(kind, value, valid)
        return value

    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string",
                                                                 "enum": list(valid)})]


def _positive(value: float) -> float:
    if not value > 0:
        raise DataError(f"weight must be positive, got {value}")
    return value


def _router_default(description: str) -> Any:
    """A field whose default depends on the router: filled in before validation (see
    :func:`default_config`), so the schema shows no default."""

    def drop_default(schema: dict[str, Any]) -> None:
        schema.pop("default", None)

    return Field(default=None, description=description, json_schema_extra=drop_default)


if TYPE_CHECKING:
    RouterName = str
    SourceName = str
    AliasPreset = str
    CalibrationSet = str
    Weight = float
else:
    RouterName = _names("trainable router", TRAINABLE_ROUTERS)
    SourceName = _names("training source", SOURCES)
    AliasPreset = _names("alias preset", ALIAS_PRESETS)
    CalibrationSet = _names("calibration prompt set", CALIBRATION_SETS)
    Weight = Annotated[float, AfterValidator(_positive)]


class SourceConfig(BaseModel):
    """One training source's entry in ``sources``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "description": "One training source's entry in `sources`. Unknown keys are errors."})

    weight: Weight = Field(1.0, description="multiplies the weight of every battle (or table "
                           "row) of the source; must be positive")
    models: list[str] | None = Field(default=None, description="the models to keep (for example "
                                     "of the all-pairs sources MMLU-Pro and arena-bench-v1), as "
                                     "spelled in the source (before aliases); null: all")
    exclude_domains: list[str] = Field(default_factory=list, description="mmlu-train only: MMLU "
                                       "domains to leave out")


class TrainingConfig(BaseModel):
    """The training config: what ``routellm train --config`` reads (``docs/training.md``).

    Only ``router`` is required. The defaults of ``params``, ``sources``, ``embedder`` and
    ``calibration`` depend on the router (:func:`default_config`); ``params`` given in a config
    are merged over the router's default params. An unknown key, at the top or in a source's
    entry, is an error that names it and the valid keys.

    :meth:`to_dict` gives the config as written with the router's defaults filled in, the JSON
    form that :func:`validate_config` returns and :func:`config_hash` hashes.

    Example:
        >>> cfg = TrainingConfig.from_config({"router": "knn", "sources": ["arena-human"]})
        >>> cfg.embedder, cfg.source_specs()["arena-human"].weight
        ('local', 1.0)
        >>> TrainingConfig.from_config({"router": "knn", "epochs": 3})
        Traceback (most recent call last):
        ...
        routellm_core.errors.DataError: unknown config keys ['epochs']; valid keys: ['aliases', 'calibration', 'data_dir', 'decontaminate', 'decontaminate_embedder', 'embedder', 'params', 'router', 'seed', 'sources', 'strong_model', 'weak_model']
    """

    model_config = ConfigDict(extra="forbid", title="RouteLLM training config", json_schema_extra={
        "description": "What `routellm train --config FILE` reads. Only `router` is required; "
        "the defaults of params, sources, embedder and calibration depend on the router, and "
        "params are merged over the router's defaults. Unknown keys are errors."})

    router: RouterName = Field(description="the router to train")
    params: dict[str, Any] = _router_default(
        "the router's hyperparameters (its constructor's keyword arguments), merged over the "
        "router's defaults")
    strong_model: str = Field(STRONG_MODEL, description="the strong model's name, as the "
                              "training data (after aliases) spell it")
    weak_model: str = Field(WEAK_MODEL, description="the weak model's name, as the training "
                            "data (after aliases) spell it")
    sources: list[SourceName] | dict[SourceName, SourceConfig | Weight | None] = (
        _router_default("the training sources: a list of names, or an object {name: entry}, "
                        "where an entry is an object, a weight, or null (weight 1); default: "
                        "every source for irt and ensemble, otherwise arena-human, "
                        "arena-bench-v1, mmlu-train and six MMLU-Pro models"))
    aliases: AliasPreset | dict[str, str] | None = Field(
        "gpt4-mixtral", description="model alias table: a preset name or an object {name: "
        "canonical name}; null keeps every name distinct")
    embedder: str = _router_default(
        "the embedder: \"static\" (numpy only), \"local\" (MiniLM, torch) or "
        "\"hashing-<dim>\"; default: static for irt and ensemble, otherwise local")
    decontaminate: float | Literal[False] | None = Field(
        0.95, description="drop training prompts this similar (cosine) to an evaluation prompt; "
        "null or false: keep every prompt")
    decontaminate_embedder: str | None = Field(
        None, description="the embedder decontamination compares with (a name as for "
        "embedder); null: the training embedder, or MiniLM when that is static")
    seed: int = Field(0, description="the seed of a router that takes one when its params, "
                      "the router's defaults included, name none")
    calibration: CalibrationSet | None = (
        _router_default("the prompt set the calibration table is computed on; null: no "
                        "table; default: mix for irt and ensemble, otherwise arena-bench-v1"))
    data_dir: str | None = Field(None, description="the data directory (default: "
                                 "$ROUTELLM_DATA_DIR, ../shared/data, the user cache)")

    _json: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _with_router_defaults(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, TrainingConfig):
            return data
        if not isinstance(data, Mapping):
            raise DataError("a training config must be a JSON object")
        router = data.get("router")
        if router not in TRAINABLE_ROUTERS:
            if set(data) - set(cls.model_fields):
                return handler(data)  # unknown keys are reported first, as they always were
            raise unknown_name("trainable router", router, TRAINABLE_ROUTERS)
        merged = default_config(router)
        merged.update({k: copy.deepcopy(v) for k, v in data.items() if k != "params"})
        merged["params"] = {**merged["params"], **dict(data.get("params") or {})}
        if isinstance(merged.get("data_dir"), os.PathLike):
            merged["data_dir"] = os.fspath(merged["data_dir"])
        model = handler(merged)
        model._json = merged
        return model

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, value: Any) -> Any:
        _source_specs(value)
        return value

    @field_validator("decontaminate_embedder")
    @classmethod
    def _check_decontaminate_embedder(cls, value: str | None) -> str | None:
        if value is not None:
            make_embedder(value)  # an unknown name fails here, not after loading the data
        return value

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | TrainingConfig) -> TrainingConfig:
        """Validate a config (a mapping, as read from JSON) and fill the router's defaults.

        Raises:
            DataError: an unknown key, a value of the wrong type, a bad source entry; the
                message names the key and what is valid.
            UnknownNameError: an unknown router, training source, alias preset, calibration
                set or embedder name.
        """
        try:
            return cls.model_validate(config)
        except ValidationError as exc:
            raise _config_error(exc) from None

    def to_dict(self) -> dict[str, Any]:
        """The config as written, with the router's defaults filled in (JSON-able)."""
        return copy.deepcopy(self._json)

    def source_specs(self) -> dict[str, SourceConfig]:
        """``sources`` in one shape: name -> :class:`SourceConfig`."""
        return _source_specs(self.sources)


def _source_specs(sources: Any) -> dict[str, SourceConfig]:
    if isinstance(sources, (list, tuple)):
        sources = {s: None for s in sources}
    if not isinstance(sources, Mapping) or not sources:
        raise DataError("sources must be a non-empty list of names or object {name: {weight: ..}}")
    out: dict[str, SourceConfig] = {}
    for name, spec in sources.items():
        if name not in SOURCES:
            raise unknown_name("training source", name, SOURCES)
        if isinstance(spec, SourceConfig):
            entry = spec
        elif spec is None or isinstance(spec, (int, float)) and not isinstance(spec, bool):
            entry = SourceConfig(weight=1.0 if spec is None else float(spec))
        else:
            entry = SourceConfig.model_validate(spec)
        if entry.exclude_domains and name != "mmlu-train":
            raise DataError(f"source {name!r}: exclude_domains applies to mmlu-train only")
        out[name] = entry
    return out


def normalise_sources(sources: Any) -> dict[str, SourceConfig]:
    """``sources`` as a config writes them (a list of names, or {name: entry}) in one shape,
    checked: name -> :class:`SourceConfig`."""
    try:
        return _source_specs(sources)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _hint(bad: Sequence[str], valid: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when the one unknown key looks like a typo of a valid one."""
    close = difflib.get_close_matches(bad[0], list(valid), n=1) if len(bad) == 1 else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def _config_error(exc: ValidationError) -> RouteLLMError:
    """One clear error from pydantic's, in the order the keys are checked: unknown keys, then
    our own checks (which raise library errors: their type and message are kept), then
    unknown keys in a source's entry, then a value of the wrong type."""
    errors = exc.errors()
    top = sorted({str(e["loc"][0]) for e in errors
                  if e["type"] == "extra_forbidden" and len(e["loc"]) == 1})
    if top:
        return DataError(f"unknown config keys {top}{_hint(top, TrainingConfig.model_fields)}; "
                         f"valid keys: {sorted(TrainingConfig.model_fields)}")

    def source_of(err: Any) -> str | None:
        return next((str(x) for x in err["loc"] if x in SOURCES), None)

    for err in errors:
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, RouteLLMError):
            name = source_of(err)
            if name is not None and not str(cause).startswith("source "):
                return type(cause)(f"source {name!r}: {cause}")
            return cause
    for err in errors:
        if err["type"] == "extra_forbidden":
            name = source_of(err) or "?"
            bad = sorted({str(e["loc"][-1]) for e in errors
                          if e["type"] == "extra_forbidden" and source_of(e) == source_of(err)})
            return DataError(f"source {name!r}: unknown keys {bad}"
                             f"{_hint(bad, SourceConfig.model_fields)} "
                             f"(valid: {', '.join(SourceConfig.model_fields)})")
    err = errors[0]
    where = str(err["loc"][0]) if err["loc"] else "the config"
    return DataError(f"training config key {where!r}: {err['msg']} (got {err.get('input')!r})")


def validate_config(config: Mapping[str, Any] | TrainingConfig) -> dict[str, Any]:
    """Check a config and fill defaults; errors name the bad key.

    Returns the JSON form (:meth:`TrainingConfig.to_dict`); :meth:`TrainingConfig.from_config`
    gives the typed config.
    """
    return TrainingConfig.from_config(config).to_dict()


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


def config_hash(config: Mapping[str, Any] | TrainingConfig) -> str:
    """Short stable hash of a validated config (for cache folder names)."""
    blob = json.dumps(validate_config(config), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def make_embedder(spec: str | Embedder) -> Embedder:
    """An embedder from its config name, or an embedder instance as is.

    Names: ``"local"`` (all-MiniLM-L6-v2 under torch), ``"static"`` (the static table
    distilled from it and shipped in the package, numpy only:
    :class:`~routellm_core.scoring.static_embedding.StaticEmbedder`), ``"static-multilingual"`` (a
    table distilled from multilingual-e5-small, shipped too:
    :class:`~routellm_core.scoring.multilingual_embedding.MultilingualStaticEmbedder`),
    ``"hashing-<dim>"``.
    """
    from ..scoring.embeddings import embedder_from_spec

    return embedder_from_spec(spec)
