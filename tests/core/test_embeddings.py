"""Embedders and the on-disk cache."""

import multiprocessing as mp
from pathlib import Path

import numpy as np
import pytest

from routellm_core.scoring.embeddings import (
    EmbeddingCache,
    HashingEmbedder,
    LocalEmbedder,
    l2_normalize,
)


def test_hashing_embedder_normalised_and_similar_texts_close():
    e = HashingEmbedder(dim=64)
    v = e.embed(["the cat sat on the mat", "the cat sat on a mat", "quantum chromodynamics"])
    assert v.shape == (3, 64) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    np.testing.assert_array_equal(e.embed(["x y"]), HashingEmbedder(dim=64).embed(["x y"]))


def test_l2_normalize_zero_row():
    out = l2_normalize(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(out, [[0, 0], [0.6, 0.8]])


def test_cache_round_trip_and_reload(tmp_path):
    c = EmbeddingCache("m", 4, root=tmp_path)
    vecs = np.arange(8, dtype=np.float32).reshape(2, 4)
    c.put(["a", "b"], vecs)
    got, missing = EmbeddingCache("m", 4, root=tmp_path).get(["b", "z", "a"])
    assert missing == [1]
    np.testing.assert_array_equal(got[0], vecs[1])
    np.testing.assert_array_equal(got[2], vecs[0])
    # another model id or dimension does not see these entries
    assert EmbeddingCache("other", 4, root=tmp_path).get(["a"])[1] == [0]


def _writer(root, k, start, n_batches):
    c = EmbeddingCache("m", 3, root=root)
    start.wait(30)
    for b in range(n_batches):  # many small transactions, interleaved with the other writer
        texts = [f"t{k}-{b}-{i}" for i in range(20)]
        c.put(texts, np.full((20, 3), k, np.float32))


def test_two_processes_writing_at_once(tmp_path):
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), k, start, 40)) for k in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    c = EmbeddingCache("m", 3, root=tmp_path)
    texts = [f"t{k}-{b}-{i}" for k in range(2) for b in range(40) for i in range(20)]
    got, missing = c.get(texts)
    assert missing == []
    np.testing.assert_array_equal(got[:, 0], np.repeat([0.0, 1.0], 800))
    assert c.count() == 1600
    assert list(tmp_path.iterdir()) != [] and not list(tmp_path.glob("*.npz"))


def test_corrupt_cache_file_is_ignored_and_rebuilt(tmp_path, caplog):
    c = EmbeddingCache("m", 2, root=tmp_path)
    c.put(["a"], np.ones((1, 2), np.float32))
    c.close()
    c.path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{c.path}{suffix}").unlink(missing_ok=True)
    fresh = EmbeddingCache("m", 2, root=tmp_path)
    with caplog.at_level("WARNING", logger="routellm_core.scoring.embeddings"):
        got, missing = fresh.get(["a"])
    assert missing == [0]  # the corrupt file's content is gone, not an error
    assert "unreadable" in caplog.text and str(c.path) in caplog.text
    fresh.put(["b"], np.full((1, 2), 2.0, np.float32))
    assert fresh.get(["b"])[1] == []  # rebuilt and usable
    assert c.path.read_bytes()[:15] == b"SQLite format 3"


def test_size_bound_evicts_least_recently_used(tmp_path):
    bound = 200_000
    c = EmbeddingCache("m", 64, root=tmp_path, max_bytes=bound, touch_interval=0.0)
    c.put(["keep me"], np.ones((1, 64), np.float32))
    for b in range(40):  # 40 x 20 vectors of 256 bytes: about 4x the bound
        c.put([f"x{b}-{i}" for i in range(20)], np.zeros((20, 64), np.float32))
        c.get(["keep me"])  # used again: not the oldest
    assert c.size_bytes() <= bound
    assert 100 < c.count() < 800
    assert c.get(["keep me"])[1] == []
    assert c.get(["x0-0"])[1] == [0]  # the oldest unused rows went first
    assert c.get(["x39-19"])[1] == []
    with pytest.raises(ValueError):
        EmbeddingCache("m", 4, root=tmp_path, max_bytes=0)


def test_cache_bound_from_the_environment(tmp_path, monkeypatch):
    from routellm_core.errors import RouteLLMError

    monkeypatch.setenv("ROUTELLM_CACHE_MAX_MB", "2.5")
    assert EmbeddingCache("m", 4, root=tmp_path).max_bytes == 2_500_000
    monkeypatch.setenv("ROUTELLM_CACHE_MAX_MB", "lots")
    with pytest.raises(RouteLLMError, match="ROUTELLM_CACHE_MAX_MB"):
        EmbeddingCache("m", 4, root=tmp_path)


def test_cache_unwritable_root_only_costs_recomputation(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = EmbeddingCache("m", 2, root=blocker)  # a file where the folder should be
    with caplog.at_level("WARNING", logger="routellm_core.scoring.embeddings"):
        c.put(["a"], np.ones((1, 2), np.float32))
        assert c.get(["a"])[1] == [0]
    assert "disabled" in caplog.text


class _Counting(HashingEmbedder):
    calls = 0

    def _embed_uncached(self, texts):
        type(self).calls += len(texts)
        return super()._embed_uncached(texts)


def test_caching_mixin_skips_known_texts(tmp_path):
    e = _Counting(dim=8)
    e._cache = EmbeddingCache(e.model_id, 8, root=tmp_path)
    texts = [f"prompt {i}" for i in range(20)]
    first = e.embed(texts)
    n = _Counting.calls
    second = e.embed(texts)
    assert _Counting.calls == n  # nothing recomputed
    np.testing.assert_array_equal(first, second)


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("torch")
    try:
        return LocalEmbedder(cache=False).load()
    except Exception as exc:  # the [local] extra is not installed
        pytest.skip(f"local embedding model unavailable: {exc}")


def test_local_embedder_real_model(minilm):
    texts = ["What is the capital of France?", "Paris is the capital of France.",
             "Write a haiku about autumn leaves falling slowly in the evening wind."]
    v = minilm.embed(texts)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    # batching and length-sorting do not change the result
    one_by_one = np.vstack([minilm.embed([t]) for t in texts])
    np.testing.assert_allclose(v, one_by_one, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)
    # a second embedder of the same weights reuses the loaded model instead of reading it again
    assert LocalEmbedder(cache=False).load()._model is minilm._model


def test_shared_cache_is_one_object_per_folder(tmp_path):
    a = EmbeddingCache.shared("m", 4, root=tmp_path)
    assert EmbeddingCache.shared("m", 4, root=tmp_path) is a
    assert EmbeddingCache.shared("m", 8, root=tmp_path) is not a


def long_context(words: int = 2000, seed: int = 0) -> str:
    """A seeded 2,000-word shared context (a RAG document or a long first turn)."""
    import random

    rng = random.Random(seed)
    vocab = ("the committee reviewed regional logistics supply chain report quarterly revenue "
             "warehouse shipping delays customers invoices policy staff training budget audit "
             "forecast inventory contract vendor").split()
    return " ".join(rng.choice(vocab) for _ in range(words)) + "."


QUESTIONS = ("Question: what is 2 + 2?",
             "Question: prove that every bounded monotone sequence of real numbers converges.")


def test_local_embedder_long_text_keeps_head_and_tail(minilm):
    ctx = long_context()
    a, b = minilm.embed([f"{ctx}\n\n{q}" for q in QUESTIONS])
    assert a @ b < 0.999  # the final question counts, not only the first 256 tokens
    enc = minilm._encode([f"{ctx}\n\n{QUESTIONS[0]}"])
    assert enc["input_ids"].shape == (1, minilm.max_length)
    # the rule is head + tail: a change in the middle of the context changes nothing ...
    words = ctx.split(" ")
    words[1000] = "zebra"
    middle = minilm.embed([" ".join(words) + f"\n\n{QUESTIONS[0]}"])[0]
    np.testing.assert_allclose(middle, a, atol=1e-6)
    # ... and a change at the start does
    start = minilm.embed(["Zebra " + ctx + f"\n\n{QUESTIONS[0]}"])[0]
    assert start @ a < 0.99999
    with pytest.raises(ValueError, match="head_tokens"):
        LocalEmbedder(max_length=16, head_tokens=15, cache=False)
