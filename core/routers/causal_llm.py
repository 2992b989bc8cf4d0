"""The causal-LLM classifier router: a small instruction model answers with a label token.

The query is placed into an instruction prompt (through the tokenizer's chat template when it
has one); the model is fine-tuned to emit one of three added special tokens,
``[[STRONG]]`` (the strong model's answer wins), ``[[TIE]]`` or ``[[WEAK]]``, as the next token.
The routing score is the softmax over the three label tokens' logits at that answer position,
read directly from one forward pass (no generation): P(strong better) = P(``[[STRONG]]``); a
tie counts as "not better", as in :mod:`~routellm_core.routers.bert`.

Long queries are truncated from the end, inside the prompt, so the instruction and the answer
position always survive. If probabilities cannot be read for a prompt (an empty query, a
template longer than ``max_length``, non-finite logits) the router answers "strong" (score 1.0:
the safe choice), logs a warning and counts it in ``unreadable_count_``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..defaults import STRONG_MODEL, WEAK_MODEL
from ..errors import CheckpointError, DataError
from ._classifier import MODEL_SUBDIR, ClassifierRouter
from ._torch_runtime import LABELS

if TYPE_CHECKING:
    from ..training._torch_loop import Examples

__all__ = ["CausalLLMRouter", "LABEL_TOKENS", "DEFAULT_INSTRUCTION", "MODEL_SUBDIR"]

logger = logging.getLogger(__name__)

#: the added special tokens, in the order of the classes in ``LABELS``
LABEL_TOKENS = ("[[STRONG]]", "[[TIE]]", "[[WEAK]]")
DEFAULT_INSTRUCTION = (
    "A strong and a weak language model will both answer the user query below. Predict whose "
    "answer will be better. Reply with exactly one token: [[STRONG]] if the strong model's "
    "answer will be better, [[TIE]] if they will be equally good, [[WEAK]] if the weak model's "
    "answer will be better."
)
_QUERY_SLOT = "\x00QUERY\x00"


class CausalLLMRouter(ClassifierRouter):
    """Causal-LM classifier router on any local ``AutoModelForCausalLM`` directory.

    Args:
        strong_model, weak_model: the model pair (names as in the battles).
        model_dir: the causal LM directory to fine-tune (required to train), e.g. the folder
            written by ``scripts/convert_smollm2.py``.
        instruction: the instruction text placed before the query.
        label_source, n_tiers: which battles become labels, see
            :class:`~routellm_core.routers.bert.BertRouter`.
        lr, epochs, batch_size, seed, val_fraction, patience, max_steps, device, progress:
            training settings, as for :class:`~routellm_core.routers.bert.BertRouter`.
        max_length: tokens of the whole prompt (instruction + query); the query is truncated to
            fit, the instruction never.

    ``device``, ``progress`` and ``model_dir`` are run-time options: not saved in checkpoints,
    settable at load (their shared base, ``routers._classifier.ClassifierRouter``).

    Attributes:
        unreadable_count_: prompts answered "strong" because no probability could be read.
        train_result_, label_info_: as for the BERT router.

    The base model's tokenizer does not need the label tokens: :meth:`fit` adds them (and
    grows the embedding matrix). A *checkpoint* whose tokenizer lacks them is rejected with a
    :class:`~routellm_core.errors.CheckpointError`.

    Example:
        >>> from routellm_core.routers.causal_llm import CausalLLMRouter
        >>> router = CausalLLMRouter(model_dir="~/.cache/routellm/smollm2-135m-instruct",
        ...                          max_steps=200)            # doctest: +SKIP
        >>> router.fit(battles).predict_win_rate(["Write a haiku about tea."])  # doctest: +SKIP
        array([0.38])
    """

    name = "causal_llm"
    base_kind = "causal LM"

    instruction: str

    def __init__(
        self,
        strong_model: str = STRONG_MODEL,
        weak_model: str = WEAK_MODEL,
        model_dir: str | None = None,
        instruction: str = DEFAULT_INSTRUCTION,
        label_source: str = "tier",
        n_tiers: int = 10,
        lr: float = 2e-5,
        epochs: int = 1,
        batch_size: int = 8,
        max_length: int = 512,
        seed: int = 0,
        val_fraction: float = 0.1,
        patience: int = 1,
        max_steps: int | None = None,
        device: str = "auto",
        progress: bool = True,
    ) -> None:
        self._set_params(locals())

    # ---- model I/O ----------------------------------------------------------------------------
    def _default_base_dir(self) -> Path:
        raise DataError(
            "CausalLLMRouter needs model_dir: a local causal LM folder, for example the one "
            "written by `python scripts/convert_smollm2.py --out DIR`"
        )

    def _from_pretrained(self, path: Path, *, base: bool) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True,
                                                     dtype=torch.float32)
        return tok, model

    def _adapt(self, tok: Any, model: Any, path: Path, *, base: bool) -> Any:
        ids = self._label_ids(tok)
        if ids is None:
            if not base:
                raise CheckpointError(
                    f"the tokenizer in {str(path)!r} lacks the label tokens "
                    f"{', '.join(LABEL_TOKENS)}; this folder was not written by "
                    "CausalLLMRouter.save. Retrain the router (routellm train --router causal_llm)"
                )
            # A base model never has them: add them and grow the embeddings (mean-initialised).
            from tokenizers import AddedToken

            tok.add_tokens([AddedToken(t, special=True, normalized=False, single_word=False)
                            for t in LABEL_TOKENS], special_tokens=True)
            model.resize_token_embeddings(len(tok))
            ids = self._label_ids(tok)
            if ids is None:
                raise CheckpointError(f"could not add the label tokens to the tokenizer in {path}")
        if tok.pad_token_id is None:
            # Padding is on the right and only the answer position is read, so any id will do.
            tok.pad_token = tok.eos_token if tok.eos_token is not None else LABEL_TOKENS[1]
        self.label_ids_ = ids
        return model

    def _after_load(self) -> None:
        self._prepare_template()
        self.unreadable_count_ = 0

    @staticmethod
    def _label_ids(tok: Any) -> list[int] | None:
        vocab = tok.get_vocab()
        if not all(t in vocab for t in LABEL_TOKENS):
            return None
        ids = [int(vocab[t]) for t in LABEL_TOKENS]
        # each label must encode to exactly its own single id
        for t, i in zip(LABEL_TOKENS, ids):
            if tok.encode(t, add_special_tokens=False) != [i]:
                return None
        return ids

    def _prepare_template(self) -> None:
        """Split the instruction prompt around the query into fixed prefix and suffix ids."""
        tok = self.tokenizer_
        if getattr(tok, "chat_template", None):
            messages = [
                {"role": "system", "content": self.instruction},
                {"role": "user", "content": _QUERY_SLOT},
            ]
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            bos: list[int] = []
        else:
            text = f"{self.instruction}\n\nQuery: {_QUERY_SLOT}\n\nAnswer:"
            bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
        if not isinstance(text, str) or text.count(_QUERY_SLOT) != 1:
            raise DataError("the tokenizer's chat template did not place the query exactly once")
        prefix, suffix = text.split(_QUERY_SLOT)
        self.prefix_ids_ = bos + tok.encode(prefix, add_special_tokens=False)
        self.suffix_ids_ = tok.encode(suffix, add_special_tokens=False)
        self.max_tokens_ = self._token_limit(
            self.max_length, getattr(self.model_.config, "max_position_embeddings", None))
        self.query_budget_ = self.max_tokens_ - len(self.prefix_ids_) - len(self.suffix_ids_)

    def _encode(self, prompt: str) -> list[int] | None:
        """Prompt token ids ending at the answer position, or ``None`` when unreadable."""
        if self.query_budget_ < 1:
            return None
        q = self.tokenizer_.encode(prompt, add_special_tokens=False)[: self.query_budget_]
        if not q:
            return None
        return self.prefix_ids_ + q + self.suffix_ids_

    # ---- the label-token head ---------------------------------------------------------------
    def _hidden_at_answer(self, model: Any, seqs: list[list[int]]) -> Any:
        import torch

        pad = int(self.tokenizer_.pad_token_id)
        n, width = len(seqs), max(len(s) for s in seqs)
        ids = torch.full((n, width), pad, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for i, s in enumerate(seqs):  # right padding: positions are 0..len-1 as when alone
            ids[i, : len(s)] = torch.as_tensor(s)
            mask[i, : len(s)] = 1
        ids, mask = ids.to(self.device_), mask.to(self.device_)
        # The decoder body only: the vocabulary projection is applied at one position per row.
        hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
        last = torch.as_tensor([len(s) - 1 for s in seqs], device=self.device_)
        return hidden[torch.arange(n, device=self.device_), last]

    def _vocab_logits(self, model: Any, seqs: list[list[int]]) -> Any:
        return model.get_output_embeddings()(self._hidden_at_answer(model, seqs))

    def _label_logits(self, model: Any, seqs: list[list[int]]) -> Any:
        return self._vocab_logits(model, seqs)[:, self.label_ids_]

    # ---- learning -----------------------------------------------------------------------------
    def _usable(self, examples: Examples) -> Examples:
        keep = [i for i, p in enumerate(examples.prompts) if self._encode(p) is not None]
        if not keep:
            raise DataError(
                "no training prompt fits: every query is empty or the instruction template is "
                f"longer than max_length={self.max_length} tokens; raise max_length"
            )
        if len(keep) < len(examples):
            logger.warning("skipping %d training prompts that are empty after tokenisation",
                           len(examples) - len(keep))
            examples = examples.subset(keep)
        return examples

    def _training_logits(self) -> Callable[[Any, list[str]], Any]:
        import torch

        label_ids = torch.as_tensor(self.label_ids_)

        def class_logits(model: Any, prompts: list[str]) -> Any:
            # Train the token to be *emitted*: full-vocabulary cross-entropy, expressed as the
            # label logits minus the log-partition over the whole vocabulary (same gradients as
            # a language-model loss on the label token).
            logits = self._vocab_logits(model, [self._encode(p) for p in prompts])  # type: ignore[misc]
            logz = torch.logsumexp(logits.float(), dim=-1, keepdim=True)
            return logits[:, label_ids.to(logits.device)].float() - logz

        return class_logits

    # ---- prediction ---------------------------------------------------------------------------
    def predict_proba(self, prompts: list[str]) -> np.ndarray:
        """Softmax over the label tokens ``(n, 3)``: strong wins, tie, weak wins.

        Unreadable prompts get ``[1, 0, 0]`` ("strong") and are counted in
        ``unreadable_count_``.
        """
        self.check_is_fitted()
        seqs = [self._encode(p) for p in prompts]
        bad = [i for i, s in enumerate(seqs) if s is None]
        ok = [i for i, s in enumerate(seqs) if s is not None]
        out = np.zeros((len(prompts), len(LABELS)), dtype=np.float64)
        if ok:
            ok_seqs: list[list[int]] = [seqs[i] for i in ok]  # type: ignore[misc]
            probs = self._softmax_in_batches(ok_seqs, self._label_logits, self.batch_size,
                                             lengths=[len(s) for s in ok_seqs])
            finite = np.isfinite(probs).all(axis=1)
            for j, i in enumerate(ok):
                if finite[j]:
                    out[i] = probs[j]
                else:
                    bad.append(i)
        if bad:
            self.unreadable_count_ = getattr(self, "unreadable_count_", 0) + len(bad)
            logger.warning(
                "causal_llm router: no label probabilities for %d of %d prompts (empty query or "
                "non-finite logits); routed them to the strong model (%d so far)",
                len(bad), len(prompts), self.unreadable_count_,
            )
            out[bad] = [1.0, 0.0, 0.0]
        return out

    # ---- checkpoint I/O -----------------------------------------------------------------------
    def _state_extra(self) -> dict[str, Any]:
        return {"label_tokens": list(LABEL_TOKENS)}
