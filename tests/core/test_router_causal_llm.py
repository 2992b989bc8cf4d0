"""CausalLLMRouter on a tiny random-initialised Llama with a BPE tokenizer trained here.

What both classifier routers share (learning, checkpoints, run-time options) is tested on both
in test_router_classifier.py."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from routellm_test_tiny_classifiers import (  # noqa: E402
    HELD_OUT_A,
    HELD_OUT_B,
    STRONG,
    WEAK,
    build_llama_dir,
    causal_router,
    planted_battles,
)

from routellm_core.errors import CheckpointError, DataError  # noqa: E402
from routellm_core.routers.base import Router  # noqa: E402
from routellm_core.routers.causal_llm import LABEL_TOKENS, CausalLLMRouter  # noqa: E402

pytestmark = [pytest.mark.disable_socket, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture
def fitted(fitted_causal_llm: CausalLLMRouter) -> CausalLLMRouter:
    return fitted_causal_llm


def test_label_token_probabilities_sum_to_one(fitted: CausalLLMRouter) -> None:
    probs = fitted.predict_proba(HELD_OUT_A + HELD_OUT_B)
    assert probs.shape == (20, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    # the score is the [[STRONG]] probability of the softmax over the three label logits
    seq = fitted._encode(HELD_OUT_A[0])
    with torch.inference_mode():
        full = fitted.model_(torch.as_tensor([seq])).logits[0, -1]
    expect = torch.softmax(full[fitted.label_ids_], dim=-1)[0].item()
    assert fitted.predict_win_rate(HELD_OUT_A[:1])[0] == pytest.approx(expect, abs=1e-5)


def test_long_prompt_is_truncated_inside_the_template(fitted: CausalLLMRouter) -> None:
    long = " ".join(["theorem proof"] * 400)
    seq = fitted._encode(long)
    assert seq is not None and len(seq) == fitted.max_tokens_
    assert seq[-len(fitted.suffix_ids_):] == fitted.suffix_ids_  # the answer position survives
    s = fitted.predict_win_rate([long, "poem"])
    assert np.isfinite(s).all()


def test_empty_prompt_routes_strong_and_is_counted(fitted: CausalLLMRouter,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    before = fitted.unreadable_count_
    with caplog.at_level(logging.WARNING):
        s = fitted.predict_win_rate(["", HELD_OUT_B[0]])
    assert s[0] == 1.0 and s[1] < 0.5
    assert fitted.unreadable_count_ == before + 1
    assert "strong model" in caplog.text


def test_base_tokenizer_without_label_tokens_gets_them_added(fitted: CausalLLMRouter,
                                                             llama_dir: Path) -> None:
    vocab = fitted.tokenizer_.get_vocab()
    assert all(t in vocab for t in LABEL_TOKENS)
    assert fitted.model_.get_input_embeddings().weight.shape[0] == len(fitted.tokenizer_)
    # the base folder is left untouched
    base = json.loads((llama_dir / "tokenizer.json").read_text())
    assert not any(t["content"] in LABEL_TOKENS for t in base["added_tokens"])


def test_checkpoint_tokenizer_without_label_tokens_is_rejected(fitted: CausalLLMRouter,
                                                               llama_dir: Path,
                                                               tmp_path: Path) -> None:
    fitted.save(tmp_path / "ckpt")
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(llama_dir / f, tmp_path / "ckpt" / "model" / f)
    with pytest.raises(CheckpointError, match="lacks the label tokens"):
        Router.load(tmp_path / "ckpt")


def test_training_needs_a_base_model_folder() -> None:
    with pytest.raises(DataError, match="needs model_dir"):
        CausalLLMRouter(strong_model=STRONG, weak_model=WEAK).fit(planted_battles(20, seed=2))


def test_template_longer_than_max_length_is_a_clear_error(llama_dir: Path) -> None:
    r = causal_router(llama_dir, instruction=" ".join(["who wins"] * 40), max_steps=1)
    with pytest.raises(DataError, match="max_length"):
        r.fit(planted_battles(20, seed=3))


def test_chat_template_is_used_when_present(tmp_path: Path) -> None:
    template = (
        "{% for m in messages %}<s>{{ m['role'] }} : {{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant :{% endif %}"
    )
    path = build_llama_dir(tmp_path, chat_template=template)
    r = causal_router(path, max_steps=3, epochs=1).fit(planted_battles(48, seed=4))
    prefix = r.tokenizer_.decode(r.prefix_ids_)
    assert "system" in prefix and "who wins" in prefix and "user" in prefix
    assert "assistant" in r.tokenizer_.decode(r.suffix_ids_)
    probs = r.predict_proba(HELD_OUT_A[:3])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
