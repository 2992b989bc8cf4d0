"""What the transformers-based classifier routers (BERT and causal LLM) need to load and score.

* :data:`LABELS`: the three classes, in the order of the classifier's outputs.
* :func:`resolve_device` and :func:`check_model_dir`: the device and the model folder, checked
  when a router builds or loads its model.
* :func:`predict_in_batches`: batched inference under ``torch.inference_mode`` with the
  prompts sorted by length so every batch is padded only to its own longest prompt.

Fine-tuning (the labels from battles, the torch training loop) is a training kit and loads
only when a router is fitted. torch is imported inside the functions, never at module import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError, DataError

__all__ = [
    "LABELS",
    "STRONG_WINS",
    "TIE",
    "WEAK_WINS",
    "resolve_device",
    "check_model_dir",
    "predict_in_batches",
]

#: class index -> outcome name; P(strong better) is the probability of class 0
LABELS = ("strong_wins", "tie", "weak_wins")
STRONG_WINS, TIE, WEAK_WINS = 0, 1, 2

_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; others pass through."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DataError(f"device={device!r} but no CUDA GPU is visible; use device='auto' or 'cpu'")
    return device


def check_model_dir(path: str | Path, what: str) -> Path:
    """A local transformers model directory with a config and weights, or a CheckpointError."""
    p = Path(path).expanduser()
    if not p.is_dir():
        raise CheckpointError(f"{what} directory {str(p)!r} does not exist")
    if not (p / "config.json").is_file():
        raise CheckpointError(
            f"{what} directory {str(p)!r} has no config.json; pass a transformers model folder "
            "(one written by save_pretrained)"
        )
    if not any((p / f).is_file() for f in _WEIGHT_FILES):
        raise CheckpointError(
            f"{what} directory {str(p)!r} has no weights (expected one of "
            f"{', '.join(_WEIGHT_FILES)}); copy the model's weights there or pass another folder"
        )
    return p


def predict_in_batches(
    prompts: Sequence[Any],
    batch_probs: Callable[[list[Any]], np.ndarray],
    batch_size: int,
    lengths: Sequence[int] | None = None,
) -> np.ndarray:
    """Run ``batch_probs`` on length-sorted batches and return rows in the input order.

    ``prompts`` are strings (sorted by character length) or any items with ``lengths`` given.

    Sorting by length keeps padding small; each batch is padded only to its own longest prompt.
    """
    import torch

    n = len(prompts)
    key = lengths if lengths is not None else [len(p) for p in prompts]
    order = np.argsort(np.asarray(key), kind="stable")
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            probs = np.asarray(batch_probs([prompts[i] for i in idx]), dtype=np.float64)
            if out is None:
                out = np.zeros((n, probs.shape[1]), dtype=np.float64)
            out[idx] = probs
    assert out is not None
    return out
