"""Embedders and the on-disk cache."""

import multiprocessing as mp
import os

import numpy as np
import pytest

from routellm_core.embeddings import EmbeddingCache, HashingEmbedder, LocalEmbedder, l2_normalize


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


def test_damaged_shard_is_ignored(tmp_path):
    c = EmbeddingCache("m", 2, root=tmp_path)
    c.put(["a"], np.ones((1, 2), np.float32))
    (c.dir / "junk.npz").write_bytes(b"not a zip")
    got, missing = EmbeddingCache("m", 2, root=tmp_path).get(["a"])
    assert missing == [] and got[0, 0] == 1.0


def _writer(root, k):
    c = EmbeddingCache("m", 3, root=root)
    texts = [f"t{k}-{i}" for i in range(50)]
    c.put(texts, np.full((50, 3), k, np.float32))


def test_concurrent_writers_do_not_corrupt(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), k)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    c = EmbeddingCache("m", 3, root=tmp_path)
    texts = [f"t{k}-{i}" for k in range(4) for i in range(50)]
    got, missing = c.get(texts)
    assert missing == []
    assert got[50 * 3 + 7, 0] == 3.0


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


def test_cache_sees_shards_written_after_its_first_scan(tmp_path):
    reader = EmbeddingCache("m", 2, root=tmp_path)
    reader.put(["a"], np.ones((1, 2), np.float32))
    assert reader.get(["b"])[1] == [0]  # scanned: "b" unknown
    EmbeddingCache("m", 2, root=tmp_path).put(["b"], np.full((1, 2), 2.0, np.float32))
    st = reader.dir.stat()  # make the folder's change visible even on coarse timestamps
    os.utime(reader.dir, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    got, missing = reader.get(["b"])
    assert missing == [] and got[0, 0] == 2.0


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
