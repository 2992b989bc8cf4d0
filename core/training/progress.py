"""Feedback for long command-line work: stage lines and progress bars over prompts.

``routellm train``, ``eval`` and ``calibrate`` embed and score thousands of prompts; without
feedback they look hung. :class:`Progress` prints one line per stage (with the elapsed time)
and shows tqdm bars on standard error, so standard output stays clean for ``--json``.

* :meth:`Progress.attach` gives an embedder a bar over prompts: a large batch is embedded in
  chunks; the vectors are the same.
* :func:`run_in_chunks` scores or embeds a list in chunks and reports each chunk (used by
  :func:`~routellm_core.evaluation.evaluate.evaluate`).
* :meth:`Progress.fit` trains a router, with a bar over optimizer steps for routers whose
  training loop is plain torch without a bar of its own (``mf``).

It lives in the training kit, not the command line's: training runs
(:mod:`routellm_core.training.runs`) and evaluation (:mod:`routellm_core.evaluation.evaluate`)
report through it too, and a kit may import only the kits below it (``cli`` is the top,
``training`` is below ``evaluation``); the runtime never needs it. Its old path
``routellm_core.progress`` still resolves (``routellm_core._moved``).

Example:
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> progress = Progress()
    >>> progress.attach(HashingEmbedder(dim=8)).embed(["hello"]).shape
    (1, 8)
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ..records import Battles, TrainingData
    from ..routers.base import Router
    from ..scoring.embeddings import Embedder

__all__ = ["Progress", "run_in_chunks", "CHUNK"]

E = TypeVar("E", bound="Embedder")

#: prompts per chunk: a multiple of the local embedder's batch size (16), so chunks taken in
#: length order batch the texts exactly as one call over all of them would
CHUNK = 512

#: routers trained by a plain torch loop without a bar of their own (bert and causal_llm have
#: one); their optimizer steps get a bar: epochs x batches
_STEP_BAR_ROUTERS = frozenset({"mf", "irt"})


def run_in_chunks(
    fn: Callable[[list[str]], Any],
    texts: Sequence[str],
    update: Callable[[int], Any],
    *,
    chunk: int = CHUNK,
) -> np.ndarray:
    """``fn(texts)`` computed chunk by chunk, calling ``update(n)`` after each chunk.

    Texts are taken in order of length (as the local embedder batches them), and the results
    put back in the original order, so the output equals ``fn(texts)``.

    Args:
        fn: maps a list of texts to an array with one row (or value) per text.
        texts: the texts.
        update: receives the number of texts done in each chunk.
        chunk: texts per call of ``fn``.
    """
    texts = list(texts)
    order = np.argsort([len(t) for t in texts], kind="stable")
    out: np.ndarray | None = None
    for start in range(0, len(texts), chunk):
        idx = order[start : start + chunk]
        part = np.asarray(fn([texts[i] for i in idx]))
        if out is None:
            out = np.zeros((len(texts), *part.shape[1:]), dtype=part.dtype)
        out[idx] = part
        update(len(idx))
    if out is None:
        return np.asarray(fn(texts))
    return out


class Progress:
    """Stage lines and progress bars on standard error.

    Args:
        enabled: ``False`` prints nothing (library use, ``--no-progress``).
        stream: where to write (default: standard error).
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream
        self._t0 = time.perf_counter()

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def stage(self, message: str) -> None:
        """Print ``message`` as the start of a stage, with the time elapsed so far."""
        if self.enabled:
            elapsed = time.perf_counter() - self._t0
            print(f"[{elapsed:6.1f} s] {message}", file=self._out(), flush=True)

    def bar(self, total: int | None, desc: str, unit: str = "prompt") -> Any:
        """A tqdm bar (disabled when this object is)."""
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, disable=not self.enabled,
                    file=self._out(), leave=False, dynamic_ncols=True, mininterval=0.5)

    def attach(self, embedder: E) -> E:
        """Show a bar over prompts whenever ``embedder`` embeds more than :data:`CHUNK` texts
        at once; returns ``embedder`` itself.

        The embedder's ``embed`` is replaced on this instance only (so ``isinstance`` checks,
        ``model_id`` and ``dim`` are untouched): a large batch is embedded chunk by chunk
        (:func:`run_in_chunks`), with the same vectors. Does nothing when disabled, or on an
        object whose attributes cannot be set.
        """
        if not self.enabled or getattr(embedder, "_routellm_progress", None) is not None:
            return embedder
        inner = embedder.embed
        label = f"embedding ({getattr(embedder, 'model_id', type(embedder).__name__)})"

        def embed(texts: Sequence[str]) -> np.ndarray:
            texts = list(texts)
            if len(texts) <= CHUNK:
                return np.asarray(inner(texts))
            bar = self.bar(len(texts), label)
            try:
                return run_in_chunks(inner, texts, bar.update)
            finally:
                bar.close()

        try:
            embedder.embed = embed  # type: ignore[method-assign]
            embedder._routellm_progress = self  # type: ignore[attr-defined]
        except (AttributeError, TypeError):  # __slots__ or a frozen object: no bar
            pass
        return embedder

    def fit(self, router: Router, battles: Battles | TrainingData) -> Router:
        """``router.fit(battles)``; for routers trained by a plain torch loop (``mf``), with a
        bar over optimizer steps."""
        if not self.enabled or router.name not in _STEP_BAR_ROUTERS:
            return router.fit(battles)
        epochs = getattr(router, "epochs", None)
        batch = getattr(router, "batch_size", None)
        if isinstance(epochs, int) and batch is None:
            total: int | None = epochs  # full-batch training (irt): one step per epoch
        else:
            total = (int(epochs) * math.ceil(len(battles) / int(batch))
                     if isinstance(epochs, int) and isinstance(batch, int) and batch > 0 else None)
        with self.optimizer_steps(total, f"training {router.name}"):
            return router.fit(battles)

    @contextmanager
    def optimizer_steps(self, total: int | None, desc: str) -> Iterator[None]:
        """Inside the block, every torch optimizer step advances a bar (a global torch hook,
        removed on exit)."""
        if not self.enabled:
            yield
            return
        try:
            from torch.optim.optimizer import register_optimizer_step_post_hook
        except ImportError:  # no torch: no step bar
            yield
            return
        bar = self.bar(total, desc, unit="step")
        handle = register_optimizer_step_post_hook(lambda *args, **kwargs: bar.update(1))
        try:
            yield
        finally:
            handle.remove()
            bar.close()
