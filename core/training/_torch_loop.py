"""Fine-tuning the transformers-based classifier routers (BERT and causal LLM).

* :func:`pair_examples`: turn battles into three-class training examples for one strong/weak
  pair, from the direct strong-vs-weak battles or from the battles between the strong model's
  rating tier and the weak model's tier (as the RouteLLM paper labels its classifier data).
* :func:`train_classifier`: a plain-torch loop (AdamW, seeded shuffling, a validation split by
  prompt, early stopping on validation loss, best weights restored, tqdm progress bar).

The routers import this module when they are fitted; what they need to load and score (the
labels, the device, batched inference) is in ``routellm_core.routers._torch_runtime``. torch
is imported inside the functions, never at module import.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import DataError
from ..records import Battles
from ..routers._torch_runtime import LABELS, STRONG_WINS, TIE, WEAK_WINS

__all__ = [
    "LABEL_SOURCES",
    "Examples",
    "pair_examples",
    "TrainResult",
    "train_classifier",
]

logger = logging.getLogger(__name__)

LABEL_SOURCES = ("direct", "tier")


@dataclass
class Examples:
    """Three-class training examples: one per battle that involves the pair (or the tiers)."""

    prompts: list[str]
    labels: np.ndarray  # int64, values in {0, 1, 2}
    weights: np.ndarray  # float32
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, idx: Sequence[int] | np.ndarray) -> Examples:
        ix = np.asarray(idx, dtype=np.int64)
        return Examples([self.prompts[i] for i in ix], self.labels[ix], self.weights[ix],
                        dict(self.info))

    def class_counts(self) -> dict[str, int]:
        return {name: int(np.sum(self.labels == i)) for i, name in enumerate(LABELS)}


def _label(winner: str, strong_is_a: bool) -> int:
    if winner == "tie":
        return TIE
    a_won = winner == "model_a"
    return STRONG_WINS if a_won == strong_is_a else WEAK_WINS


def pair_examples(
    battles: Battles,
    strong_model: str,
    weak_model: str,
    label_source: str = "tier",
    n_tiers: int = 10,
) -> Examples:
    """Training examples for the strong/weak pair.

    Args:
        battles: the training battles.
        strong_model, weak_model: the pair being routed.
        label_source: ``"direct"``: only battles between exactly these two models;
            ``"tier"``: battles between any model of the strong model's tier and any model of
            the weak model's tier (tiers from global Bradley-Terry ratings over all battles,
            :func:`routellm_core.scoring.ranking.assign_tiers`); this includes the direct battles.
        n_tiers: number of rating tiers for ``"tier"``.

    Raises:
        DataError: unknown ``label_source``, a model absent from the battles, the two models in
            one tier, or no battle left.
    """
    if label_source not in LABEL_SOURCES:
        raise DataError(
            f"unknown label_source {label_source!r}; valid label_sources: {', '.join(LABEL_SOURCES)}"
        )
    if strong_model == weak_model:
        raise DataError(f"strong_model and weak_model are both {strong_model!r}")
    info: dict[str, Any] = {"label_source": label_source}
    if label_source == "direct":
        strong_set, weak_set = {strong_model}, {weak_model}
    else:
        from ..scoring.ranking import assign_tiers, bradley_terry_ratings

        ratings = bradley_terry_ratings(battles)
        for m in (strong_model, weak_model):
            if m not in ratings:
                raise DataError(
                    f"model {m!r} appears in no training battle, so it has no tier; check the "
                    "model names (or their alias table) or use label_source='direct'"
                )
        tiers = assign_tiers(ratings, n_tiers=n_tiers)
        ts, tw = tiers[strong_model], tiers[weak_model]
        if ts == tw:
            raise DataError(
                f"{strong_model!r} and {weak_model!r} fall in the same rating tier ({ts} of "
                f"{n_tiers}); tier labels cannot tell them apart. Use more tiers (n_tiers) or "
                "label_source='direct'"
            )
        strong_set = {m for m, t in tiers.items() if t == ts}
        weak_set = {m for m, t in tiers.items() if t == tw}
        info.update(strong_tier=sorted(strong_set), weak_tier=sorted(weak_set), n_tiers=n_tiers)
    prompts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for b in battles:
        if b.model_a in strong_set and b.model_b in weak_set:
            strong_is_a = True
        elif b.model_b in strong_set and b.model_a in weak_set:
            strong_is_a = False
        else:
            continue
        prompts.append(b.prompt)
        labels.append(_label(b.winner, strong_is_a))
        weights.append(b.weight)
    if not prompts:
        raise DataError(
            f"no training battle between {sorted(strong_set)} and {sorted(weak_set)} "
            f"(label_source={label_source!r}); add battles of this pair or check the model names"
        )
    ex = Examples(prompts, np.asarray(labels, dtype=np.int64), np.asarray(weights, np.float32), info)
    ex.info["class_counts"] = ex.class_counts()
    return ex


def _split_by_prompt(ex: Examples, val_fraction: float, seed: int) -> tuple[Examples, Examples]:
    """Validation split by prompt hash: no prompt on both sides, stable for a seed."""
    if val_fraction <= 0.0 or len(set(ex.prompts)) < 2:
        return ex, ex.subset([])
    salt = str(seed).encode()
    is_val = np.asarray([
        int.from_bytes(hashlib.blake2b(p.encode("utf-8"), digest_size=8, key=salt).digest(),
                       "little") / 2.0**64 < val_fraction
        for p in ex.prompts
    ])
    if is_val.all() or not is_val.any():
        return ex, ex.subset([])
    return ex.subset(np.flatnonzero(~is_val)), ex.subset(np.flatnonzero(is_val))


@dataclass
class TrainResult:
    """What :func:`train_classifier` measured."""

    step_losses: list[float]
    epoch_train_losses: list[float]
    val_losses: list[float]
    best_val_loss: float | None
    best_epoch: int
    stopped_early: bool
    steps: int
    seconds: float
    n_train: int
    n_val: int

    def to_dict(self) -> dict[str, Any]:
        """Every field but the per-step losses, in declaration order: what a checkpoint's
        metadata records."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "step_losses"}


def train_classifier(
    model: Any,
    examples: Examples,
    class_logits: Callable[[Any, list[str]], Any],
    *,
    lr: float,
    epochs: int,
    batch_size: int,
    seed: int,
    val_fraction: float,
    patience: int,
    weight_decay: float = 0.01,
    max_steps: int | None = None,
    progress: bool = True,
    desc: str = "training",
) -> TrainResult:
    """Fine-tune ``model`` so ``class_logits(model, prompts)`` predicts the examples' labels.

    Loss: weighted cross-entropy over the three classes (``class_logits`` returns a
    ``(batch, 3)`` tensor). After each epoch the validation loss is measured; training stops
    after ``patience`` epochs without improvement, and the best epoch's weights are restored.

    Args:
        model: a torch module already on its device.
        examples: the labelled prompts.
        class_logits: ``(model, prompts) -> logits`` of shape ``(len(prompts), 3)``.
        lr, epochs, batch_size, seed, weight_decay: the optimisation settings (AdamW).
        val_fraction: share of distinct prompts held out for early stopping (0 disables it).
        patience: epochs without validation improvement before stopping.
        max_steps: stop after this many optimiser steps in total (``None``: no limit).
        progress: show a tqdm bar.
    """
    import time

    import torch
    from tqdm.auto import tqdm

    if epochs < 1 or batch_size < 1:
        raise DataError(f"epochs and batch_size must be at least 1, got {epochs}, {batch_size}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    train, val = _split_by_prompt(examples, val_fraction, seed)
    device = next(model.parameters()).device
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr,
                            weight_decay=weight_decay)
    gen = np.random.default_rng(seed)
    n_batches = math.ceil(len(train) / batch_size)
    total = n_batches * epochs if max_steps is None else min(n_batches * epochs, max_steps)
    step_losses: list[float] = []
    epoch_losses: list[float] = []
    val_losses: list[float] = []
    best_val, best_epoch, best_state, bad = math.inf, -1, None, 0
    stopped_early = False
    steps = 0
    t0 = time.perf_counter()
    bar = tqdm(total=total, desc=desc, unit="batch", disable=not progress, leave=False)

    def batch_loss(ex: Examples) -> Any:
        logits = class_logits(model, ex.prompts).float()
        y = torch.as_tensor(ex.labels, device=device)
        w = torch.as_tensor(ex.weights, device=device)
        per = torch.nn.functional.cross_entropy(logits, y, reduction="none")
        return (per * w).sum() / w.sum().clamp(min=1e-12)

    try:
        for epoch in range(epochs):
            model.train()
            order = gen.permutation(len(train))
            run, seen = 0.0, 0
            for start in range(0, len(train), batch_size):
                if max_steps is not None and steps >= max_steps:
                    break
                batch = train.subset(order[start : start + batch_size])
                loss = batch_loss(batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                steps += 1
                lv = float(loss.detach())
                step_losses.append(lv)
                run += lv * len(batch)
                seen += len(batch)
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{lv:.4f}")
            epoch_losses.append(run / max(seen, 1))
            if len(val):
                vl = evaluate_loss(model, val, class_logits, batch_size)
                val_losses.append(vl)
                bar.set_postfix(epoch=epoch + 1, val_loss=f"{vl:.4f}")
                if vl < best_val - 1e-6:
                    best_val, best_epoch, bad = vl, epoch, 0
                    best_state = copy.deepcopy({k: v.detach().cpu() for k, v in
                                                model.state_dict().items()})
                else:
                    bad += 1
                    if bad >= patience:
                        stopped_early = epoch < epochs - 1
                        break
            else:
                best_epoch = epoch
            if max_steps is not None and steps >= max_steps:
                break
    finally:
        bar.close()
    if best_state is not None and best_epoch < len(epoch_losses) - 1:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        step_losses=step_losses,
        epoch_train_losses=epoch_losses,
        val_losses=val_losses,
        best_val_loss=None if not val_losses else best_val,
        best_epoch=best_epoch,
        stopped_early=stopped_early,
        steps=steps,
        seconds=time.perf_counter() - t0,
        n_train=len(train),
        n_val=len(val),
    )


def evaluate_loss(model: Any, ex: Examples, class_logits: Callable[[Any, list[str]], Any],
                  batch_size: int) -> float:
    """Weighted mean cross-entropy of ``model`` on ``ex`` (no gradients)."""
    import torch

    model.eval()
    total, wsum = 0.0, 0.0
    with torch.inference_mode():
        for start in range(0, len(ex), batch_size):
            b = ex.subset(np.arange(start, min(start + batch_size, len(ex))))
            logits = class_logits(model, b.prompts).float()
            y = torch.as_tensor(b.labels, device=logits.device)
            per = torch.nn.functional.cross_entropy(logits, y, reduction="none").cpu().numpy()
            total += float(np.sum(per * b.weights))
            wsum += float(np.sum(b.weights))
    model.train()
    return total / max(wsum, 1e-12)
