"""The static embedder distilled from MiniLM: tokenizer, shipped table, routing without torch."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from routellm_core.data.battles import Battle, Battles
from routellm_core.errors import RouteLLMError, UnknownNameError
from routellm_core.routers.base import Router
from routellm_core.routers.knn import KNNRouter
from routellm_core.scoring.static_embedding import (
    STATIC_ID,
    StaticEmbedder,
    WordPieceTokenizer,
    keep_head_and_tail,
    static_model_dir,
)
from routellm_core.training.config import make_embedder

WORDS = ("the quick brown fox jumps over lazy dog integral derivative matrix eigenvalue "
         "photosynthesis Mitochondria résumé naïve café Zürich façade coöperate São Paulo "
         "don't it's e-mail C++ x86_64 3.14159 1,000,000 $5 50% #hashtag @user URL:http://a.b/c "
         "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis "
         "Ελληνικά русский язык עברית العربية हिन्दी 日本語 中文字符 한국어 ไทย emoji😀 👍🏽 "
         "ﬁnance ①②③ ½ ™ ß ẞ İstanbul Ǆ ŉ ﬀ µ Å Ω ℌ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 tab\there new\nline "
         "nbsp\u00a0space zero\u200bwidth soft\u00adhyphen ctrl\x07bell nul\x00char "
         "replacement\ufffdchar vertical\x0btab formfeed\x0cpage line\u2028sep para\u2029sep "
         "private\ue000use ideographic\u3000space combining e\u0301 a\u0308 n\u0303 "
         "((nested)) [brackets] {braces} <tags> «quotes» „German“ ‘single’ — – … · • ¿¡").split(" ")


#: Latin-1 and Latin Extended, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, general
#: punctuation, currency, letter-like symbols, CJK punctuation, kana, CJK ideographs, Hangul,
#: emoji, control characters. (Characters added in recent Unicode versions are left out: the
#: tokenizers library's Unicode tables are older than Python's.)
BLOCKS = [(0x80, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x5D0, 0x5EA), (0x620, 0x6FF),
          (0x900, 0x97F), (0xE00, 0xE5B), (0x2000, 0x2064), (0x20A0, 0x20B9), (0x2100, 0x218B),
          (0x3000, 0x303F), (0x3041, 0x30FF), (0x4E00, 0x9FCC), (0xAC00, 0xD7A3),
          (0x1F300, 0x1F5FF), (0x0, 0x1F)]


def varied_texts(n: int = 300, seed: int = 0) -> list[str]:
    """Seeded texts mixing scripts, accents, punctuation, control characters and long words."""
    rng = random.Random(seed)
    out = ["", " ", "\n\t", "Hello, World!", "x" * 150, "a" * 99 + "b", "ALL CAPS TEXT"]
    for _ in range(n):
        k = rng.randint(1, 40)
        seps = (" ", " ", " ", "", "\n", ", ", ". ", "-", "/")
        text = "".join(rng.choice(WORDS) + rng.choice(seps) for _ in range(k))
        if rng.random() < 0.3:  # random characters of long-established Unicode blocks
            lo, hi = rng.choice(BLOCKS)
            text += "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 8)))
        out.append(text)
    return out


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    return StaticEmbedder().load()


def test_tokenizer_matches_transformers(static: StaticEmbedder) -> None:
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from routellm_core.scoring.embeddings import minilm_model_dir

    try:
        model_dir = minilm_model_dir()
    except RouteLLMError as exc:
        pytest.skip(str(exc))
    hf = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    ours = static.tokenizer
    texts = varied_texts()
    assert len(texts) > 300
    bad = [(t, hf.tokenize(t), ours.tokenize(t)) for t in texts
           if hf(t, add_special_tokens=False)["input_ids"] != ours.encode(t)]
    assert not bad, f"{len(bad)} of {len(texts)} texts differ, first: {bad[0]!r}"


def test_tokenizer_rules_by_hand() -> None:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", ",", "!",
             "cafe", "日", "本", "a"]
    tok = WordPieceTokenizer(vocab)
    assert tok.tokenize("Unaffable, HELLO!") == ["un", "##aff", "##able", ",", "hello", "!"]
    assert tok.tokenize("Café日本") == ["cafe", "日", "本"]  # accents stripped, CJK split
    assert tok.tokenize("unknownword a") == ["[UNK]", "a"]  # one unknown piece: the whole word
    assert tok.encode("a\x00\x07a") == [1]  # control characters deleted: "aa" is unknown
    assert tok.tokenize("a" * 101) == ["[UNK]"]  # too long
    with pytest.raises(RouteLLMError, match="no unknown token"):
        WordPieceTokenizer(["a", "b"])


def test_static_embedder_shape_norm_similarity(static: StaticEmbedder) -> None:
    texts = ["What is the capital of France?", "Which city is the capital of France?",
             "Write a haiku about autumn leaves.", ""]
    v = static.embed(texts)
    assert v.shape == (4, static.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v[:3], axis=1), 1.0, rtol=1e-5)
    assert not v[3].any()  # no known token: zeros
    assert v[0] @ v[1] > v[0] @ v[2]
    np.testing.assert_array_equal(v[:1], static.embed(texts[:1]))  # batch-independent
    assert static.embed([]).shape == (0, static.dim)
    assert static.model_id == STATIC_ID
    special = {static.tokenizer.vocab[t] for t in ("[CLS]", "[SEP]", "[UNK]")}
    assert not special & set(static.token_ids("[CLS] qwxzqwxz [SEP]"))


def test_shipped_table_provenance_and_size() -> None:
    folder = static_model_dir()
    table = folder / "embeddings.safetensors"
    assert table.stat().st_size < 12_000_000
    emb = StaticEmbedder()
    assert emb.dim == 128 and emb._table is None  # the dimension comes from the header alone
    emb.load()
    assert emb.metadata["model_id"] == STATIC_ID
    assert emb.metadata["dim"] == "128" and emb.metadata["weighting"] == "none"
    assert (folder / "README.md").read_text(encoding="utf-8").count("Apache") >= 1
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert "static_model/*.safetensors" in pyproject and "static_model/*.txt" in pyproject


def test_corrupt_table_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "sm"
    shutil.copytree(static_model_dir(), folder)
    table = folder / "embeddings.safetensors"
    table.write_bytes(table.read_bytes()[:1000])
    with pytest.raises(RouteLLMError, match=r"embeddings\.safetensors is corrupt.*distill_static"):
        StaticEmbedder(folder).embed(["hello"])
    (folder / "vocab.txt").unlink()
    with pytest.raises(RouteLLMError, match=r"vocab\.txt is missing"):
        StaticEmbedder(folder).load()


def test_keep_head_and_tail() -> None:
    assert keep_head_and_tail([1, 2, 3], 5, 2) == [1, 2, 3]
    assert keep_head_and_tail(list(range(10)), 5, 2) == [0, 1, 7, 8, 9]
    assert keep_head_and_tail(list(range(10)), 4, 4) == [0, 1, 2, 3]
    assert keep_head_and_tail(list(range(10)), 3, 0) == [7, 8, 9]
    with pytest.raises(ValueError):
        keep_head_and_tail([1], 2, 3)
    with pytest.raises(ValueError, match="head_tokens"):
        StaticEmbedder(max_tokens=8, head_tokens=9)


def test_make_embedder_static() -> None:
    assert isinstance(make_embedder("static"), StaticEmbedder)
    with pytest.raises(UnknownNameError, match="static"):
        make_embedder("statik")


BATTLES = Battles(
    [Battle(f"Prove the theorem about prime numbers, case {i}", "s", "w", "model_a")
     for i in range(6)]
    + [Battle(f"Say hello to my friend number {i}", "s", "w", "model_b") for i in range(6)]
)


@pytest.fixture(scope="module")
def static_router_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("static_router")
    KNNRouter("s", "w", StaticEmbedder(), k=3).fit(BATTLES).save(path)
    return path


def test_checkpoint_restores_the_static_embedder(static_router_dir: Path) -> None:
    config = json.loads((static_router_dir / "config.json").read_text())
    assert config["embedder"] == {"model_id": STATIC_ID, "dim": 128}
    router = Router.load(static_router_dir)
    assert isinstance(router.embedder, StaticEmbedder)
    s = router.predict_win_rate(["Prove the theorem about prime numbers", "Say hello to him"])
    assert s[0] > s[1]


def test_routing_with_a_static_router_imports_no_torch(static_router_dir: Path) -> None:
    code = (
        "import sys\n"
        "from routellm_core import RoutingEngine\n"
        f"engine = RoutingEngine({str(static_router_dir)!r}, threshold=0.5)\n"
        "engine.warmup()\n"
        "d = engine.decide('Prove the theorem about prime numbers for every case.')\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "print(d.route, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["strong", "[]"], proc.stdout


def test_nfd_accents_are_stripped(static: StaticEmbedder) -> None:
    composed = "café résumé"
    decomposed = unicodedata.normalize("NFD", composed)
    assert static.token_ids(composed) == static.token_ids(decomposed) == static.token_ids(
        "cafe resume")


def test_decontamination_embedder_choice() -> None:
    from routellm_core.errors import DataError
    from routellm_core.scoring.embeddings import HashingEmbedder, LocalEmbedder
    from routellm_core.training.config import default_config, validate_config
    from routellm_core.training.decontamination import decontamination_embedder

    hashing = HashingEmbedder(16)
    assert decontamination_embedder(None, hashing) is hashing
    # the static embedder's cosines are inflated: decontaminate with MiniLM unless told otherwise
    assert isinstance(decontamination_embedder(None, StaticEmbedder()), LocalEmbedder)
    assert isinstance(decontamination_embedder("static", hashing), StaticEmbedder)
    cfg = {**default_config("knn"), "embedder": "static", "decontaminate_embedder": "hashing-64"}
    assert validate_config(cfg)["decontaminate_embedder"] == "hashing-64"
    with pytest.raises(UnknownNameError, match="embedder"):
        validate_config({**cfg, "decontaminate_embedder": "minilm"})
    with pytest.raises(DataError, match="decontaminate_embedder"):
        validate_config({**cfg, "decontaminate_embedder": 3})


def test_long_texts_keep_the_final_question(static: StaticEmbedder) -> None:

    spec = importlib.util.spec_from_file_location(
        "_emb_tests", Path(__file__).with_name("test_embeddings.py"))
    assert spec is not None and spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    ctx = helpers.long_context()
    texts = [f"{ctx}\n\n{q}" for q in helpers.QUESTIONS]
    assert len(static.tokenizer.encode(texts[0])) > 2000
    a, b = static.embed(texts)
    assert a @ b < 0.999
    ids = static.token_ids(texts[1])
    assert len(ids) == static.max_tokens
    assert ids[:static.head_tokens] == static.tokenizer.encode(texts[1])[:static.head_tokens]
    assert ids[-3:] == static.tokenizer.encode(texts[1])[-3:]  # "converges."
    # a router on these embeddings scores the two questions differently
    router: Router = KNNRouter("s", "w", StaticEmbedder(), k=len(BATTLES)).fit(BATTLES)
    s = router.predict_win_rate(texts)
    assert s[0] != s[1]


def test_the_last_small_call_is_remembered_and_not_shared_by_reference(
        static: StaticEmbedder) -> None:
    a = static.embed(["Prove that there are infinitely many primes."])
    b = static.embed(["Prove that there are infinitely many primes."])
    np.testing.assert_array_equal(a, b)
    b[:] = 0  # a caller changing its result does not change what the next call gets
    np.testing.assert_array_equal(static.embed(["Prove that there are infinitely many primes."]), a)
    other = static.embed(["hi"])
    assert not np.array_equal(other, a)
    big = [f"prompt {i}" for i in range(100)]  # a batch is not remembered
    static.embed(big)
    assert static._last is not None and static._last[0] == ("hi",)
