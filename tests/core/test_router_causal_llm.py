"""CausalLLMRouter on a tiny random-initialised Llama with a BPE tokenizer trained here."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from routellm_core.data.battles import Battle, Battles  # noqa: E402
from routellm_core.errors import CheckpointError, DataError  # noqa: E402
from routellm_core.routers.base import Router  # noqa: E402
from routellm_core.routers.causal_llm import LABEL_TOKENS, CausalLLMRouter  # noqa: E402

pytestmark = pytest.mark.disable_socket

STRONG, WEAK = "big", "small"
TOPIC_A = "integral derivative theorem proof equation matrix eigenvalue lemma".split()
TOPIC_B = "poem story haiku song lyric rhyme novel verse".split()
FILLER = "please explain write about the a of and".split()
INSTRUCTION = "who wins"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # On a shared 2-core machine torch's spinning worker threads made tiny steps ~100x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_prompt(rng: random.Random, topic: list[str]) -> str:
    words = rng.sample(topic, 3) + rng.sample(FILLER, 3)
    rng.shuffle(words)
    return " ".join(words)


def planted_battles(n: int, seed: int) -> Battles:
    """Topic A: the strong model wins; topic B: the weak model wins."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = i % 2 == 0
        strong_first = rng.random() < 0.5
        ma, mb = (STRONG, WEAK) if strong_first else (WEAK, STRONG)
        winner = "model_a" if a == strong_first else "model_b"
        out.append(Battle(make_prompt(rng, TOPIC_A if a else TOPIC_B), ma, mb, winner))
    return Battles(out)


def build_llama_dir(root: Path, chat_template: str | None = None) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    corpus = [" ".join(TOPIC_A + TOPIC_B + FILLER + INSTRUCTION.split())] * 4 + [
        "Query Answer : user assistant system zzz 12345"
    ]
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(
        corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>", "<pad>"])
    )
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", bos_token="<s>",
                                  eos_token="</s>", pad_token="<pad>", model_max_length=64)
    if chat_template is not None:
        tok.chat_template = chat_template
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                      num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                      max_position_embeddings=64, tie_word_embeddings=True,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      pad_token_id=tok.pad_token_id)
    path = root / ("tiny-llama-chat" if chat_template else "tiny-llama")
    LlamaForCausalLM(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_llama_dir(tmp_path_factory.mktemp("lm"))


def tiny_router(model_dir: Path, **kw: object) -> CausalLLMRouter:
    params: dict[str, object] = dict(
        strong_model=STRONG, weak_model=WEAK, model_dir=str(model_dir), instruction=INSTRUCTION,
        label_source="direct", lr=3e-3, epochs=8, batch_size=16, max_length=32, seed=0,
        val_fraction=0.2, patience=3, device="cpu", progress=False,
    )
    params.update(kw)
    return CausalLLMRouter(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted(llama_dir: Path) -> CausalLLMRouter:
    return tiny_router(llama_dir).fit(planted_battles(240, seed=1))


HELD_OUT_A = [make_prompt(random.Random(100 + i), TOPIC_A) for i in range(10)]
HELD_OUT_B = [make_prompt(random.Random(200 + i), TOPIC_B) for i in range(10)]


def test_training_reduces_loss_and_learns_planted_signal(fitted: CausalLLMRouter) -> None:
    losses = fitted.train_result_.step_losses
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    pa = fitted.predict_win_rate(HELD_OUT_A)
    pb = fitted.predict_win_rate(HELD_OUT_B)
    assert pa.min() > pb.max()
    assert pa.mean() > 0.7 and pb.mean() < 0.3


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


def test_save_load_round_trip_gives_identical_scores(fitted: CausalLLMRouter,
                                                     tmp_path: Path) -> None:
    prompts = HELD_OUT_A + HELD_OUT_B
    fitted.save(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model" / "model.safetensors").is_file()
    assert not list((tmp_path / "ckpt").rglob("*.bin"))
    loaded = Router.load(tmp_path / "ckpt")
    assert isinstance(loaded, CausalLLMRouter)
    np.testing.assert_array_equal(loaded.predict_win_rate(prompts), fitted.predict_win_rate(prompts))


def test_batch_scores_match_one_by_one(fitted: CausalLLMRouter) -> None:
    prompts = HELD_OUT_B[:3] + ["proof", "the poem of a song about the rhyme and a story novel"]
    batch = fitted.predict_win_rate(prompts)
    single = np.array([fitted.predict_win_rate([p])[0] for p in prompts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


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


def test_bad_model_directories(llama_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-weights"
    empty.mkdir()
    (empty / "config.json").write_text((llama_dir / "config.json").read_text())
    with pytest.raises(CheckpointError, match="no-weights.*no weights"):
        tiny_router(empty).fit(planted_battles(20, seed=2))
    with pytest.raises(DataError, match="needs model_dir"):
        CausalLLMRouter(strong_model=STRONG, weak_model=WEAK).fit(planted_battles(20, seed=2))


def test_template_longer_than_max_length_is_a_clear_error(llama_dir: Path) -> None:
    r = tiny_router(llama_dir, instruction=" ".join(["who wins"] * 40), max_steps=1)
    with pytest.raises(DataError, match="max_length"):
        r.fit(planted_battles(20, seed=3))


def test_chat_template_is_used_when_present(tmp_path: Path) -> None:
    template = (
        "{% for m in messages %}<s>{{ m['role'] }} : {{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant :{% endif %}"
    )
    path = build_llama_dir(tmp_path, chat_template=template)
    r = tiny_router(path, max_steps=3, epochs=1).fit(planted_battles(48, seed=4))
    prefix = r.tokenizer_.decode(r.prefix_ids_)
    assert "system" in prefix and "who wins" in prefix and "user" in prefix
    assert "assistant" in r.tokenizer_.decode(r.suffix_ids_)
    probs = r.predict_proba(HELD_OUT_A[:3])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
