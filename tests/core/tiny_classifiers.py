"""Tiny random-initialised transformers models for the classifier-router tests (offline, fast).

A 2-layer BERT with a WordPiece tokenizer and a 2-layer Llama with a BPE tokenizer, both
trained here on a few words; battles where one topic is won by the strong model and the
other by the weak model; the routers' test settings. Importable as
``routellm_test_tiny_classifiers`` (registered by ``tests/core/conftest.py``).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from routellm_core.data.battles import Battle, Battles

STRONG, WEAK = "big", "small"
TOPIC_A = "integral derivative theorem proof equation matrix eigenvalue lemma".split()
TOPIC_B = "poem story haiku song lyric rhyme novel verse".split()
FILLER = "please explain write about the a of and".split()
INSTRUCTION = "who wins"


def make_prompt(rng: random.Random, topic: list[str]) -> str:
    words = rng.sample(topic, 3) + rng.sample(FILLER, 3)
    rng.shuffle(words)
    return " ".join(words)


HELD_OUT_A = [make_prompt(random.Random(100 + i), TOPIC_A) for i in range(10)]
HELD_OUT_B = [make_prompt(random.Random(200 + i), TOPIC_B) for i in range(10)]


def planted_battles(n: int, seed: int) -> Battles:
    """Topic A: the strong model wins; topic B: the weak model wins (sides alternate)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = i % 2 == 0
        p = make_prompt(rng, TOPIC_A if a else TOPIC_B)
        strong_first = rng.random() < 0.5
        ma, mb = (STRONG, WEAK) if strong_first else (WEAK, STRONG)
        winner = "model_a" if a == strong_first else "model_b"
        out.append(Battle(p, ma, mb, winner, "planted"))
    return Battles(out)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """On a shared 2-core machine torch's spinning worker threads made each tiny step ~100x
    slower; one thread keeps these tests at a few seconds."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_bert_dir(root: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    # A fixed vocabulary rather than a trained one: the WordPiece trainer breaks ties in an
    # order that changes from run to run, and the tests should see the same ids every time.
    words = sorted(set(TOPIC_A + TOPIC_B + FILLER + "zzz long words 12345".split()))
    chars = sorted({c for w in words for c in w} | set(string.ascii_letters + string.digits))
    tokens = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + chars
              + [f"##{c}" for c in chars] + list(string.punctuation))
    vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    tk = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tk.token_to_id("[CLS]")), ("[SEP]", tk.token_to_id("[SEP]"))],
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=32,
    )
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=tk.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=32)
    path = root / "tiny-bert"
    BertModel(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


def build_llama_dir(root: Path, chat_template: str | None = None) -> Path:
    import torch
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


#: the test settings both routers train with (fast, on the CPU, no progress bar)
_SETTINGS: dict[str, Any] = dict(
    strong_model=STRONG, weak_model=WEAK, label_source="direct", lr=3e-3, epochs=8,
    batch_size=16, max_length=32, seed=0, val_fraction=0.2, patience=3, device="cpu",
    progress=False,
)


def bert_router(model_dir: Path, **kw: Any) -> Any:
    from routellm_core.routers.bert import BertRouter

    return BertRouter(**{**_SETTINGS, "model_dir": str(model_dir), **kw})


def causal_router(model_dir: Path, **kw: Any) -> Any:
    from routellm_core.routers.causal_llm import CausalLLMRouter

    return CausalLLMRouter(**{**_SETTINGS, "model_dir": str(model_dir),
                              "instruction": INSTRUCTION, **kw})
