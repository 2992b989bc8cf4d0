"""The shared part of the transformers classifier routers (BERT and causal LLM).

:class:`ClassifierRouter` holds what both routers do the same way:

* the hyperparameters (stored by the constructor, nothing else) and the run-time options
  ``device``, ``progress`` and ``model_dir`` (the base model's folder, a path on the training
  machine), which are not written into checkpoints and can be given at load;
* loading a local transformers model folder (torch and transformers are imported on first
  use, never at module import), putting the model on its device, and the token limit;
* fine-tuning on three-class examples (``training._torch_loop.train_classifier``, imported
  when the router is fitted);
* batched three-class probabilities, with prompts sorted by length;
* the checkpoint: the fine-tuned model and tokenizer in ``model/`` next to ``config.json``,
  the base model's folder *name* (never its path) as provenance.

A subclass says which transformers class it loads (:meth:`~ClassifierRouter._from_pretrained`),
how a batch of prompts becomes class logits, and what it adds (label tokens, a prompt
template).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import CheckpointError, DataError
from ._torch_runtime import LABELS, STRONG_WINS, check_model_dir, predict_in_batches, resolve_device
from .base import Router

if TYPE_CHECKING:  # the data and training kits load when a router is fitted
    from ..records import Battles
    from ..training._torch_loop import Examples, TrainResult

__all__ = ["ClassifierRouter", "MODEL_SUBDIR"]

#: sub-folder of a router checkpoint that holds the fine-tuned model and tokenizer
MODEL_SUBDIR = "model"


class ClassifierRouter(Router):
    """Base class of routers that fine-tune a transformers model into a three-way classifier
    (strong wins / tie / weak wins); the routing score is P(strong wins).

    Subclasses list their hyperparameters in their own ``__init__`` (``get_params`` and
    checkpoints read that signature) and store them with :meth:`_set_params`.

    Attributes:
        model_, tokenizer_, device_: the loaded model, its tokenizer and the device in use.
        max_tokens_: tokens kept per prompt (``max_length``, capped by the model's limits).
        train_result_: losses, epochs and timing of the last :meth:`fit`.
        label_info_: which battles became labels (source, tiers, class counts).
    """

    # the base model's folder is a path on the training machine: not saved (the fine-tuned
    # weights are in the checkpoint); its name is kept as provenance (``base_model``)
    runtime_params = ("device", "progress", "model_dir")
    #: ``base_model`` in the checkpoint when no ``model_dir`` was given
    default_base_model: ClassVar[str | None] = None
    #: what the base model is called in errors ("encoder", "causal LM")
    base_kind: ClassVar[str] = "base model"

    # hyperparameters every classifier router has (set by _set_params)
    model_dir: str | None
    label_source: str
    n_tiers: int
    lr: float
    epochs: int
    batch_size: int
    max_length: int
    seed: int
    val_fraction: float
    patience: int
    max_steps: int | None
    device: str
    progress: bool

    label_info_: dict[str, Any] | None
    train_result_: TrainResult | None

    def _set_params(self, values: Mapping[str, Any]) -> None:
        """Store the constructor's arguments (pass ``locals()``) under their own names,
        the model names included."""
        for name in self._param_names():
            setattr(self, name, values[name])

    # ---- model I/O ----------------------------------------------------------------------------
    def _base_dir(self) -> Path:
        """The folder of the base model to fine-tune."""
        if self.model_dir is None:
            return self._default_base_dir()
        return Path(os.fspath(self.model_dir)).expanduser()

    def _default_base_dir(self) -> Path:
        raise DataError(f"{type(self).__name__} needs model_dir: a local transformers model folder")

    def _from_pretrained(self, path: Path, *, base: bool) -> tuple[Any, Any]:
        """The tokenizer and the model in ``path`` (``base``: the model to fine-tune, else a
        checkpoint's fine-tuned model). ``OSError``/``ValueError`` become a
        :class:`~routellm_core.errors.CheckpointError` naming the folder."""
        raise NotImplementedError

    def _adapt(self, tokenizer: Any, model: Any, path: Path, *, base: bool) -> Any:
        """Adjust a freshly loaded tokenizer and model before they go to the device; returns
        the model."""
        return model

    def _after_load(self) -> None:
        """Derive what scoring needs from the loaded model and tokenizer."""

    def _load_model(self, path: Path, *, base: bool) -> None:
        what = self.base_kind if base else "router checkpoint model"
        check_model_dir(path, what)
        try:
            tokenizer, model = self._from_pretrained(path, base=base)
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot load the {what} in {str(path)!r}: {exc}") from None
        model = self._adapt(tokenizer, model, path, base=base)
        self.device_ = resolve_device(self.device)
        self.model_ = model.to(self.device_).eval()
        self.tokenizer_ = tokenizer
        self._after_load()

    @staticmethod
    def _token_limit(*limits: object) -> int:
        """The smallest of the positive integer limits (others are unknown and skipped)."""
        return int(min(v for v in limits if isinstance(v, int) and v > 0))

    # ---- learning -----------------------------------------------------------------------------
    def _usable(self, examples: Examples) -> Examples:
        """The training examples the model can read (all of them by default)."""
        return examples

    def _training_logits(self) -> Callable[[Any, list[str]], Any]:
        """``(model, prompts) -> (n, 3)`` logits that the training loss is computed on."""
        raise NotImplementedError

    def _fit(self, battles: Battles) -> None:
        from ..training._torch_loop import pair_examples, train_classifier

        base_dir = self._base_dir()
        examples = pair_examples(battles, self.strong_model, self.weak_model,
                                 self.label_source, self.n_tiers)
        self._load_model(base_dir, base=True)
        examples = self._usable(examples)
        self.label_info_ = examples.info
        logging.getLogger(type(self).__module__).info(
            "training %s on %d examples (%s)", self.name, len(examples), examples.info)
        self.train_result_ = train_classifier(
            self.model_, examples, self._training_logits(),
            lr=self.lr, epochs=self.epochs, batch_size=self.batch_size, seed=self.seed,
            val_fraction=self.val_fraction, patience=self.patience, max_steps=self.max_steps,
            progress=self.progress, desc=f"{self.name} router",
        )

    # ---- prediction ---------------------------------------------------------------------------
    def _softmax_in_batches(self, items: Sequence[Any], logits: Callable[[Any, list[Any]], Any],
                            batch_size: int, lengths: Sequence[int] | None = None) -> np.ndarray:
        """Softmax of ``logits(model, batch)`` over length-sorted batches, in input order."""
        import torch

        def batch(chunk: list[Any]) -> np.ndarray:
            return torch.softmax(logits(self.model_, chunk).float(), dim=-1).cpu().numpy()

        return predict_in_batches(items, batch, batch_size, lengths=lengths)

    def predict_proba(self, prompts: list[str]) -> np.ndarray:
        """Class probabilities ``(n, 3)``: strong wins, tie, weak wins."""
        raise NotImplementedError

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return self.predict_proba(prompts)[:, STRONG_WINS]

    # ---- checkpoint I/O -----------------------------------------------------------------------
    def _state_extra(self) -> dict[str, Any]:
        """More checkpoint metadata of the subclass."""
        return {}

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {"model_subdir": MODEL_SUBDIR, "labels": list(LABELS),
                                **self._state_extra()}
        if getattr(self, "label_info_", None) is not None:
            meta["label_info"] = self.label_info_
        result = getattr(self, "train_result_", None)
        if result is not None:
            meta["train_result"] = result.to_dict()
        return meta, {}

    def _config_extra(self) -> dict[str, Any]:
        if self.model_dir is None:
            return {"base_model": self.default_base_model}
        return {"base_model": Path(os.fspath(self.model_dir)).name}

    def _save_extra(self, path: Path) -> None:
        out = path / MODEL_SUBDIR
        self.model_.save_pretrained(str(out), safe_serialization=True)
        self.tokenizer_.save_pretrained(str(out))

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        self._load_model(path / str(meta.get("model_subdir", MODEL_SUBDIR)), base=False)
        self.label_info_ = meta.get("label_info")
        self.train_result_ = None
