"""The router interface, in the scikit-learn spirit, and checkpoint I/O.

* The constructor only stores hyperparameters (and the strong/weak model names).
* ``fit(battles)`` learns and returns ``self``; learned state ends in ``_``.
* ``predict_win_rate(prompts)`` is vectorised: a list of prompts in, a float64 numpy array of
  P(strong model's answer is better) out.
* ``save(dir)`` / ``Router.load(dir)`` use a directory with ``config.json`` (with a format
  version) and ``tensors.safetensors``; nothing is unpickled, no code from the checkpoint runs.

Subclasses implement ``_fit``, ``_predict`` and, when they have learned state,
``_get_state``/``_set_state`` (JSON-able metadata plus named numpy arrays). Routers that work
on prompt embeddings derive from :class:`EmbeddingRouter`.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import CheckpointError, DataError, RouteLLMError
from ..scoring.embeddings import Embedder
from ._pair_state import read_pair_calibration, write_pair_calibration
from .registry import get_router_class

if TYPE_CHECKING:  # the data kit loads when a router is fitted, never to route
    from ..records import Battles, TrainingData

__all__ = [
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "CONFIG_FILE",
    "TENSOR_FILE",
    "Router",
    "EmbeddingRouter",
    "NotFittedError",
    "check_prompts",
]

#: the checkpoint format this library writes. 2: an ``irt`` router may carry a per-model
#: quality scale (``quality_scale_models`` and ``quality_*`` tensors); version 1 checkpoints
#: have none and still load (their quality estimates stay raw).
FORMAT_VERSION = 2
#: the checkpoint formats this library reads
READABLE_VERSIONS = (1, 2)
CONFIG_FILE = "config.json"
TENSOR_FILE = "tensors.safetensors"

R = TypeVar("R", bound="Router")


class NotFittedError(RouteLLMError, RuntimeError):
    """The router was used before ``fit`` (or ``load``)."""


def check_prompts(prompts: Sequence[str] | str) -> list[str]:
    """Validate a batch of prompts: a non-empty sequence of strings."""
    if isinstance(prompts, str):
        raise DataError("predict_win_rate takes a list of prompts, not a single string; "
                        "wrap it: predict_win_rate([prompt])")
    out = list(prompts)
    if not out:
        raise DataError("empty prompt list: pass at least one prompt to score")
    for i, p in enumerate(out):
        if not isinstance(p, str):
            raise DataError(f"prompt {i} is a {type(p).__name__}, expected str")
    return out


class Router:
    """Base class of all routers.

    Args:
        strong_model: name of the strong (expensive) model, as it appears in battles.
        weak_model: name of the weak (cheap) model.

    Attributes:
        name: the registry name (``"random"``, ``"mf"``, ...).
        calibration_: ``None`` or a calibration table (see :mod:`routellm_core.scoring.calibration`).
    """

    name: ClassVar[str] = "base"
    #: whether ``fit`` needs battles (RandomRouter does not)
    needs_fit: ClassVar[bool] = True
    #: whether ``_fit`` takes :class:`~routellm_core.records.TrainingData` with dense outcome
    #: tables (else it gets battles)
    uses_tables: ClassVar[bool] = False
    #: constructor arguments that say how to run, not what was learned (``device``,
    #: ``progress``): not written into checkpoints, and settable at load
    runtime_params: ClassVar[tuple[str, ...]] = ()

    # Learned/loaded state (annotations only: absent until fit/load, as in scikit-learn).
    is_fitted_: bool
    calibration_: dict[str, Any] | None
    #: every known model's logits on the calibration prompts (``routers.pair``), or ``None``
    pair_calibration_: dict[str, Any] | None
    checkpoint_path_: Path
    fit_seconds_: float
    training_report_: dict[str, Any]

    def __init__(self, strong_model: str = STRONG_MODEL, weak_model: str = WEAK_MODEL) -> None:
        self.strong_model = strong_model
        self.weak_model = weak_model

    # ---- hyperparameters ----------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name not in ("self", "embedder") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able), as scikit-learn's ``get_params``."""
        return {n: getattr(self, n) for n in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- learning -----------------------------------------------------------------------------
    def fit(self: R, battles: Battles | TrainingData) -> R:
        """Learn from battles (or :class:`~routellm_core.records.TrainingData`) and return ``self``.

        Routers that read dense outcome tables (``uses_tables``) get the training data as is;
        the others get it as battles (tables expanded into all-pairs battles).
        """
        if self.needs_fit:
            from ..records import Battles, TrainingData

            if isinstance(battles, TrainingData):
                data: Battles | TrainingData = battles if self.uses_tables else battles.to_battles()
            elif isinstance(battles, Battles):
                data = battles
            else:
                data = Battles(battles)
            if len(data) == 0:
                raise DataError(f"cannot fit {type(self).__name__} on an empty training set")
        else:
            data = battles
        self._fit(data)  # type: ignore[arg-type]
        self.is_fitted_ = True
        return self

    def _fit(self, battles: Battles) -> None:
        raise NotImplementedError

    def check_is_fitted(self) -> None:
        if self.needs_fit and not getattr(self, "is_fitted_", False):
            raise NotFittedError(
                f"{type(self).__name__} is not trained: call fit(battles) or load a checkpoint"
            )

    # ---- prediction ---------------------------------------------------------------------------
    def predict_win_rate(self, prompts: Sequence[str]) -> np.ndarray:
        """P(the strong model's answer is better) for each prompt, as a float64 array."""
        texts = check_prompts(prompts)
        self.check_is_fitted()
        out = np.asarray(self._predict(texts), dtype=np.float64).reshape(-1)
        if out.shape[0] != len(texts):
            raise RouteLLMError(
                f"{type(self).__name__} returned {out.shape[0]} scores for {len(texts)} prompts"
            )
        return out

    def _predict(self, prompts: list[str]) -> np.ndarray:
        raise NotImplementedError

    # ---- calibration --------------------------------------------------------------------------
    def threshold_for(self, strong_fraction: float) -> float:
        """Threshold that sends ``strong_fraction`` of calibration prompts to the strong model."""
        from ..scoring.calibration import threshold_from_table

        table = getattr(self, "calibration_", None)
        if not table:
            raise RouteLLMError(
                f"router {self.name!r} has no calibration table, so strong_fraction cannot be "
                "turned into a threshold; run `routellm calibrate --router DIR --prompts FILE` "
                "or pass threshold= directly"
            )
        return threshold_from_table(table, strong_fraction)

    # ---- checkpoint I/O -----------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Learned state as JSON-able metadata and named arrays."""
        return {}, {}

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        """Restore what :meth:`_get_state` returned (``path`` is the checkpoint folder)."""

    def _save_extra(self, path: Path) -> None:
        """Hook for routers with files of their own (e.g. a transformers model folder)."""

    def _config_extra(self) -> dict[str, Any]:
        return {}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the router to the directory ``path`` (created if needed); returns it."""
        self.check_is_fitted()
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        meta, tensors = self._get_state()
        config: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "router": self.name,
            "params": {k: v for k, v in self.get_params().items()
                       if k not in self.runtime_params},
            "state": meta,
            "tensors": sorted(tensors),
            "calibration": getattr(self, "calibration_", None),
            **self._config_extra(),
        }
        # what calibrates any other pair of its models (routers.pair), when stored
        write_pair_calibration(self, config, tensors)
        config["tensors"] = sorted(tensors)
        if tensors:
            from safetensors.numpy import save_file

            save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(p / TENSOR_FILE))
        self._save_extra(p)
        (p / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        return p

    @staticmethod
    def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
        """Read and validate ``config.json`` of a checkpoint directory."""
        p = Path(path)
        if not p.is_dir():
            raise CheckpointError(f"router checkpoint {str(p)!r} is not a directory")
        cfg_path = p / CONFIG_FILE
        if not cfg_path.is_file():
            raise CheckpointError(
                f"{cfg_path} not found: {str(p)!r} is not a router checkpoint "
                "(create one with router.save(dir) or `routellm train`)"
            )
        try:
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{cfg_path} is corrupt: {exc}") from None
        if not isinstance(config, dict) or "router" not in config:
            raise CheckpointError(f"{cfg_path} is corrupt: no 'router' field")
        version = config.get("format_version")
        if version not in READABLE_VERSIONS:
            raise CheckpointError(
                f"{cfg_path} has format_version {version!r}; this library reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}. Retrain the router with this "
                "version (routellm train)."
            )
        return config

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, embedder: Embedder | None = None,
             **runtime: Any) -> Router:
        """Load a router saved with :meth:`save`.

        Called on the base class, the router type is read from the checkpoint; called on a
        subclass, the checkpoint must be of that type.

        Args:
            path: the checkpoint directory.
            embedder: for embedding routers, use this embedder instead of the one recorded in
                the checkpoint (its dimension must match).
            **runtime: the router's run-time options (its ``runtime_params``, such as
                ``device="cpu"`` for a classifier router trained on a GPU).
        """
        p = Path(path)
        config = cls.read_config(p)
        klass: type[Router] = get_router_class(config["router"])
        if cls is not Router and not issubclass(klass, cls):
            raise CheckpointError(
                f"{p} holds a {config['router']!r} router, not a {cls.name!r} router"
            )
        params = dict(config.get("params") or {})
        known = set(klass._param_names())
        unknown = set(params) - known
        if unknown:
            raise CheckpointError(
                f"{p / CONFIG_FILE}: unknown parameters for {klass.name}: {', '.join(sorted(unknown))}"
            )
        bad = set(runtime) - set(klass.runtime_params)
        if bad:
            raise RouteLLMError(
                f"{sorted(bad)} cannot be set when loading a {klass.name!r} router; its run-time "
                f"options are: {', '.join(klass.runtime_params) or 'none'}"
            )
        # checkpoints written before run-time options were left out may still carry them
        router = klass(**{**params, **runtime})
        tensors: dict[str, np.ndarray] = {}
        names = list(config.get("tensors") or [])
        if names:
            tpath = p / TENSOR_FILE
            if not tpath.is_file():
                raise CheckpointError(f"{tpath} is missing (the checkpoint lists tensors {names})")
            from safetensors.numpy import load_file

            try:
                tensors = load_file(str(tpath))
            except Exception as exc:
                raise CheckpointError(f"{tpath} is corrupt: {exc}") from None
            missing = [n for n in names if n not in tensors]
            if missing:
                raise CheckpointError(f"{tpath} lacks tensors {missing}")
        if isinstance(router, EmbeddingRouter):
            router._restore_embedder(config.get("embedder") or {}, embedder, p)
        router._set_state(dict(config.get("state") or {}), tensors, p)
        router.calibration_ = config.get("calibration")
        router.pair_calibration_ = read_pair_calibration(config, tensors, p)
        router.is_fitted_ = True
        router.checkpoint_path_ = p
        return router


class EmbeddingRouter(Router):
    """A router that scores prompts from their embeddings.

    Args:
        strong_model, weak_model: see :class:`Router`.
        embedder: the embedding model (default: :class:`~routellm_core.scoring.embeddings.LocalEmbedder`,
            created on first use). Not a hyperparameter: the checkpoint records its id and
            dimension instead.
    """

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        embedder: Embedder | None = None,
    ) -> None:
        super().__init__(strong_model, weak_model)
        self.embedder = embedder

    def get_embedder(self) -> Embedder:
        if self.embedder is None:
            from ..scoring.embeddings import LocalEmbedder

            self.embedder = LocalEmbedder()
        return self.embedder

    def embed(self, prompts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.get_embedder().embed(list(prompts)), dtype=np.float32)

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return self.predict_from_embeddings(self.embed(prompts))

    def predict_from_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Scores from precomputed prompt embeddings (shape ``(n, dim)``)."""
        self.check_is_fitted()
        e = np.asarray(embeddings, dtype=np.float32)
        dim = getattr(self, "embedding_dim_", None)
        if dim is not None and (e.ndim != 2 or e.shape[1] != dim):
            raise RouteLLMError(
                f"{self.name} router was trained on {dim}-d embeddings, got shape {e.shape}"
            )
        return self._predict_embeddings(e)

    def _predict_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _config_extra(self) -> dict[str, Any]:
        emb = self.get_embedder()
        return {"embedder": {"model_id": emb.model_id, "dim": int(emb.dim)}}

    def _restore_embedder(
        self, info: dict[str, Any], embedder: Embedder | None, path: Path
    ) -> None:
        want_id, want_dim = info.get("model_id"), info.get("dim")
        if embedder is not None:
            if want_dim is not None and int(embedder.dim) != int(want_dim):
                raise CheckpointError(
                    f"router checkpoint {path} was trained on {want_dim}-d embeddings "
                    f"({want_id}), but the embedder given has dimension {embedder.dim} "
                    f"({embedder.model_id}). Use an embedder of the same model, or retrain the "
                    "router on this embedder (routellm train)."
                )
            self.embedder = embedder
            return
        from ..scoring.embeddings import CONCAT_PREFIX, MINILM_ID, ConcatEmbedder

        if want_id is None or want_id == MINILM_ID:
            self.embedder = None  # the default LocalEmbedder, created lazily
            return
        parts = (want_id[len(CONCAT_PREFIX):].split("+")
                 if isinstance(want_id, str) and want_id.startswith(CONCAT_PREFIX) else [want_id])
        made = [_embedder_for_id(part, want_dim if len(parts) == 1 else None) for part in parts]
        if any(e is None for e in made):
            raise CheckpointError(
                f"router checkpoint {path} was trained on embeddings from {want_id!r}, which "
                "cannot be created offline here; pass that embedder: Router.load(dir, embedder=...)"
            )
        embedders = [e for e in made if e is not None]
        self.embedder = embedders[0] if len(embedders) == 1 else ConcatEmbedder(embedders)


def _embedder_for_id(model_id: Any, dim: Any) -> Embedder | None:
    """The embedder a checkpoint's ``model_id`` names, when it can be made offline (the
    shipped tables, hashing, a local MiniLM folder); ``None`` otherwise."""
    from ..scoring.embeddings import MINILM_ID, HashingEmbedder, LocalEmbedder
    from ..scoring.static_embedding import STATIC_ID, StaticEmbedder

    if not isinstance(model_id, str):
        return None
    if model_id == MINILM_ID:
        return LocalEmbedder()
    if model_id == STATIC_ID:
        return StaticEmbedder()  # the shipped table, read on first use
    # imported only past the default's table: loading the default need not read the module
    from ..scoring.multilingual_embedding import MULTILINGUAL_ID, MultilingualStaticEmbedder

    if model_id == MULTILINGUAL_ID:
        return MultilingualStaticEmbedder()
    if model_id.startswith("hashing-"):
        return HashingEmbedder(dim=int(dim or model_id.split("-")[1]))
    if model_id.startswith("local:"):
        return LocalEmbedder(model_id[len("local:"):])
    return None
