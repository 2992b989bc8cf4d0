"""Reading and writing the pair calibration block of a checkpoint (``Router.save``/``load``).

Kept apart from :mod:`routellm_core.routers.pair` so that ``routers.base`` can use it without an
import cycle; see that module for what the block is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError

__all__ = ["PAIR_CALIBRATION_VERSION", "LOGITS_TENSOR", "write_pair_calibration",
           "read_pair_calibration"]

logger = logging.getLogger("routellm_core.routers.pair")

#: the version of the ``"pair_calibration"`` block of a checkpoint's ``config.json``
PAIR_CALIBRATION_VERSION = 1
#: the tensor holding the per-model logits on the calibration prompts
LOGITS_TENSOR = "pair_calibration_logits"



def write_pair_calibration(router: Any, config: dict[str, Any],
                           tensors: dict[str, np.ndarray]) -> None:
    """Add the router's pair calibration (if any) to a checkpoint being saved (``Router.save``)."""
    cal = getattr(router, "pair_calibration_", None)
    if not cal:
        return
    config["pair_calibration"] = {k: v for k, v in cal.items() if k != "logits"}
    tensors[LOGITS_TENSOR] = np.ascontiguousarray(cal["logits"], dtype=np.float16)


def read_pair_calibration(config: dict[str, Any], tensors: dict[str, np.ndarray],
                          path: Path) -> dict[str, Any] | None:
    """The pair calibration of a checkpoint being loaded (``Router.load``); ``None`` when the
    checkpoint has none (written before it existed) or a block version this library does not
    read (logged: pairs then cannot be calibrated, the checkpoint still routes)."""
    block = config.get("pair_calibration")
    if not block:
        return None
    if not isinstance(block, dict) or block.get("version") != PAIR_CALIBRATION_VERSION:
        version = block.get("version") if isinstance(block, dict) else None
        logger.warning("%s: pair calibration version %r is not read by this library (it reads "
                       "%d); the router cannot calibrate other pairs", path / "config.json",
                       version, PAIR_CALIBRATION_VERSION)
        return None
    if LOGITS_TENSOR not in tensors:
        raise CheckpointError(f"{path}: config.json has a pair_calibration block but the "
                              f"tensors file lacks {LOGITS_TENSOR!r}")
    logits = np.asarray(tensors[LOGITS_TENSOR])
    models = [str(m) for m in block.get("models") or []]
    if logits.ndim != 2 or logits.shape[1] != len(models):
        raise CheckpointError(f"{path}: {LOGITS_TENSOR} has shape {logits.shape} for "
                              f"{len(models)} models in config.json")
    return {**block, "models": models, "logits": logits}
