"""Training runs: a config to a trained, calibrated router.

* :func:`build_router`: an untrained router from a config.
* :func:`train_from_config`: build the training set, fit the router, compute its calibration
  table.
* :func:`get_or_train`: the same, cached in the user cache directory by config hash.

Example:
    >>> from routellm_core.training.config import default_config
    >>> router = train_from_config(default_config("knn"))   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.sources import calibration_prompts
from ..errors import DataError
from ..records import Battles, TrainingData
from .config import TrainingConfig, config_hash, default_config, make_embedder
from .decontamination import decontamination_embedder
from .sets import build_training_data, build_training_set

if TYPE_CHECKING:
    from ..routers.base import Router
    from ..scoring.embeddings import Embedder
    from .progress import Progress
    from .sets import TrainingReport

__all__ = ["build_router", "train_from_config", "train_holdouts", "get_or_train"]

logger = logging.getLogger(__name__)


def build_router(config: Mapping[str, Any] | TrainingConfig,
                 embedder: Embedder | None = None) -> Router:
    """An untrained router from a config.

    The config's ``seed`` seeds the router when the config's own ``params`` name no seed (for
    a :class:`~routellm_core.training.config.TrainingConfig`, its params are the router's
    defaults merged with the config's).
    """
    from ..routers import get_router_class

    cfg = TrainingConfig.from_config(config)
    given = config.params if isinstance(config, TrainingConfig) else config.get("params") or {}
    klass = get_router_class(cfg.router)
    params = dict(cfg.params)
    if "seed" in klass._param_names() and "seed" not in given:
        params["seed"] = cfg.seed
    from ..routers.base import EmbeddingRouter

    if cfg.router == "causal_llm" and not params.get("model_dir"):
        raise DataError(
            "the causal_llm router needs params.model_dir, a local causal LM directory; make one "
            "offline with `python scripts/convert_smollm2.py --out DIR` (docs/classifiers.md)"
        )
    try:
        if issubclass(klass, EmbeddingRouter):
            emb = embedder if embedder is not None else make_embedder(cfg.embedder)
            return klass(cfg.strong_model, cfg.weak_model, emb, **params)  # type: ignore[call-arg]
        return klass(cfg.strong_model, cfg.weak_model, **params)  # type: ignore[call-arg]
    except TypeError as exc:
        raise DataError(f"bad params for router {cfg.router!r}: {exc}") from None


def train_from_config(
    config: Mapping[str, Any] | TrainingConfig,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    embedder: Embedder | None = None,
    verbose: bool = False,
    progress: Progress | None = None,
    holdout: Collection[str] = (),
) -> Router:
    """Build the training set, train the router, and compute its calibration table.

    Args:
        config: a training config: a mapping as read from JSON (see
            :func:`~routellm_core.training.config.default_config`, ``docs/training.md``) or a
            :class:`~routellm_core.training.config.TrainingConfig`.
        data_dir: overrides ``config["data_dir"]``.
        embedder: overrides ``config["embedder"]`` (tests pass a HashingEmbedder).
        verbose: print the training-set report.
        progress: print the stages and show progress bars (the command line).
        holdout: prompts to leave out of training, from every source (validation splits:
            ``benchmarks/quality_pairs.py`` holds out MMLU-Pro questions and arena-bench-v1
            folds this way).

    Returns:
        The fitted router; ``router.training_report_`` holds the report (as a dict, see
        :meth:`TrainingReport.to_dict`).
    """
    from ..routers.pair import pair_calibration
    from ..scoring.calibration import calibration_table

    cfg = TrainingConfig.from_config(config)
    data_dir = data_dir if data_dir is not None else cfg.data_dir
    router = build_router(cfg, embedder)
    data, report = _training_data(cfg, router, data_dir, embedder, progress)
    if holdout:
        data = _without(data, holdout)
    if verbose:
        print(report.format())
    t0 = time.perf_counter()
    if progress is not None:
        what = "battles" if isinstance(data, Battles) else "outcomes and battles"
        progress.stage(f"training {router.name} on {len(data):,} {what}")
        progress.fit(router, data)
    else:
        router.fit(data)
    router.fit_seconds_ = time.perf_counter() - t0
    if cfg.calibration:
        prompts = calibration_prompts(cfg.calibration, data_dir)
        if progress is not None:
            progress.stage(f"calibrating on {len(prompts):,} {cfg.calibration} prompts")
        router.calibration_ = calibration_table(router, prompts, cfg.calibration)
        # and what any other known pair's table follows from (routers.pair)
        router.pair_calibration_ = pair_calibration(router, prompts, cfg.calibration)
    router.training_report_ = report.to_dict()
    return router


def _training_data(cfg: TrainingConfig, router: Router, data_dir: str | os.PathLike[str] | None,
                   embedder: Embedder | None, progress: Progress | None,
                   ) -> tuple[Battles | TrainingData, TrainingReport]:
    """The config's training set (sources read, aliased, decontaminated) and its report."""
    if progress is not None:
        progress.stage("building the training set (loading and decontaminating the sources)")
    # classifier routers embed nothing themselves; decontamination still needs embeddings
    get_emb = getattr(router, "get_embedder", None)
    emb = get_emb() if get_emb is not None else (embedder or make_embedder(cfg.embedder))
    dec = cfg.decontaminate
    if dec not in (None, False):
        emb = decontamination_embedder(cfg.decontaminate_embedder, emb)
    build = build_training_data if router.uses_tables else build_training_set
    return build(
        cfg.source_specs(),
        data_dir=data_dir,
        aliases=cfg.aliases,
        embedder=emb,
        decontaminate_threshold=None if dec in (None, False) else float(dec),
        strong_model=cfg.strong_model,
        weak_model=cfg.weak_model,
    )


def _without(data: Battles | TrainingData, holdout: Collection[str]) -> Battles | TrainingData:
    """``data`` with every battle and outcome row of the ``holdout`` prompts dropped."""
    drop = set(holdout)
    if isinstance(data, TrainingData):
        return TrainingData(data.battles.filter(lambda b: b.prompt not in drop),
                            [t.subset(lambda p: p not in drop) for t in data.tables])
    return data.filter(lambda b: b.prompt not in drop)


def train_holdouts(
    config: Mapping[str, Any] | TrainingConfig,
    holdouts: Mapping[str, Collection[str]],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    embedder: Embedder | None = None,
) -> dict[str, Router]:
    """One router per hold-out, each trained on the config's training set less those prompts.

    The training set is built once (reading and decontaminating the sources is most of a
    short training's time), so a validation that leaves many parts out in turn costs one build
    and one fit per part. A hold-out that shares no prompt with the training set gets the
    router fitted on everything (one fit, shared). No calibration table is computed.

    Args:
        config: a training config (see :func:`train_from_config`).
        holdouts: ``{name: prompts to leave out}``; the name ``""`` or an empty collection
            means "leave nothing out".
        data_dir: overrides ``config["data_dir"]``.
        embedder: overrides ``config["embedder"]``.

    Returns:
        ``{name: fitted router}``, in the order of ``holdouts``.
    """
    cfg = TrainingConfig.from_config(config)
    data_dir = data_dir if data_dir is not None else cfg.data_dir
    unused: Router | None = build_router(cfg, embedder)
    assert unused is not None
    data, report = _training_data(cfg, unused, data_dir, embedder, None)
    trained = set(data.prompts())
    full: Router | None = None
    out: dict[str, Router] = {}
    for name, held in holdouts.items():
        drop = set(held) & trained
        if not drop and full is not None:
            out[name] = full
            continue
        # the first router is reused; later ones are new (a router's fit may keep state)
        router, unused = (unused, None) if unused is not None else (build_router(cfg, embedder), None)
        t0 = time.perf_counter()
        router.fit(_without(data, drop) if drop else data)
        router.fit_seconds_ = time.perf_counter() - t0
        router.training_report_ = report.to_dict()
        if not drop:
            full = router
        out[name] = router
    return out


def _packaged_inputs_tag(cfg: TrainingConfig) -> str:
    """A cache-key suffix for training inputs shipped in the package: the everyday prior can
    change between releases while the config stays the same, and a router cached from the old
    prior must not be reused (``""`` when the config does not read it)."""
    import hashlib

    from ..data.sources import anchors_path

    if "everyday-anchors" not in cfg.source_specs():
        return ""
    return "-prior" + hashlib.sha256(anchors_path().read_bytes()).hexdigest()[:8]


def get_or_train(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    config: Mapping[str, Any] | TrainingConfig | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Router:
    """Load the router trained with ``name``'s default config from the cache, or train it.

    The checkpoint lives in ``<cache>/routers/<name>-<config hash>`` (plus a hash of the
    shipped everyday prior when the config reads it), so a second call (or ``routellm eval
    --router mf`` run twice) loads instead of training, and a new release's prior retrains.

    Args:
        name: one of :data:`TRAINABLE_ROUTERS` (``bert`` trains for minutes on CPU;
            ``causal_llm`` needs ``config`` with ``params.model_dir``).
        data_dir: the data directory.
        config: a config to use instead of the default.
        cache_dir: cache root (default :func:`~routellm_core.scoring.embeddings.default_cache_dir`).
        progress: stages and progress bars while training (the command line).
    """
    from ..routers.base import Router
    from ..scoring.embeddings import default_cache_dir

    cfg = TrainingConfig.from_config(config if config is not None else default_config(name))
    if cfg.router != name:
        raise DataError(f"config trains {cfg.router!r}, not {name!r}")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / "routers" / f"{name}-{config_hash(cfg)}{_packaged_inputs_tag(cfg)}"
    if (path / "config.json").is_file():
        try:
            return Router.load(path)
        except Exception as exc:  # a stale or damaged cache entry only costs a retrain
            logger.warning("retraining %s: cached checkpoint %s unusable (%s)", name, path, exc)
    embedder = progress.attach(make_embedder(cfg.embedder)) if progress is not None else None
    router = train_from_config(cfg, data_dir, embedder=embedder, progress=progress)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    router.save(tmp)
    try:
        os.replace(tmp, path)
    except OSError:  # another process won the race; its checkpoint is equivalent
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return router
