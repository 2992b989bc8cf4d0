"""The multilingual static embedder: its SentencePiece unigram tokenizer, its table reader and
errors, the script-aware surface features, and the names that select them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from routellm_core.errors import RouteLLMError, UnknownNameError
from routellm_core.scoring.embeddings import embedder_from_spec
from routellm_core.scoring.multilingual_embedding import (
    METASPACE,
    MULTILINGUAL_ID,
    MultilingualStaticEmbedder,
    UnigramTokenizer,
    multilingual_model_dir,
)
from routellm_core.scoring.text_features import (
    FEATURE_NAMES,
    SCRIPT_AWARE_FEATURE_NAMES,
    text_features,
)

M = METASPACE


def test_viterbi_picks_the_most_probable_segmentation() -> None:
    # "▁abc": one piece "▁abc" (-5) beats "▁a" + "bc" (-1 + -3 = -4)? no: -4 > -5, so two pieces
    tok = UnigramTokenizer([f"{M}abc", f"{M}a", "bc", "b", "c"], [-5.0, -1.0, -3.0, -2.5, -2.5],
                           {})
    assert tok.tokenize("abc") == [f"{M}a", "bc"]
    # make the whole word likelier than any split
    tok = UnigramTokenizer([f"{M}abc", f"{M}a", "bc", "b", "c"], [-3.5, -1.0, -3.0, -2.5, -2.5],
                           {})
    assert tok.tokenize("abc") == [f"{M}abc"]
    # an uncovered character is an unknown token (-1), with the pieces around it kept
    assert tok.encode("abxc") == [1, 3, -1, 4]


def test_normalisation_and_whitespace_follow_the_teacher() -> None:
    # the teacher maps a full-width comma to ',' and a tab to a space, and deletes U+0001
    tok = UnigramTokenizer([f"{M}a", ",", f"{M}b"], [-1.0, -1.0, -1.0],
                           {0xFF0C: [0x2C], 0x9: [0x20], 0x1: []})
    assert tok.tokenize("a\uff0c\t\x01 b") == [f"{M}a", ",", f"{M}b"]
    assert tok.words("  a  b ") == [f"{M}a", f"{M}b"]


def _write_folder(folder: Path, pieces: list[tuple[str, float]], table: np.ndarray) -> Path:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pieces.tsv").write_text("".join(f"{p}\t{s}\n" for p, s in pieces),
                                       encoding="utf-8")
    (folder / "normalizer.json").write_text(json.dumps({"65292": [44]}), encoding="utf-8")
    save_file({"embeddings": table.astype(np.float16)}, str(folder / "embeddings.safetensors"))
    return folder


def test_a_table_folder_embeds_by_mean_of_piece_vectors(tmp_path) -> None:
    table = np.asarray([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    folder = _write_folder(tmp_path / "m", [(f"{M}素数", -2.0), (f"{M}hi", -1.0), ("，", -9)],
                           table)
    emb = MultilingualStaticEmbedder(folder)
    assert emb.dim == 3 and emb.model_id.startswith("static-multilingual:")
    v = emb.embed(["素数 hi", "hi", "???"])
    assert np.allclose(v[0], [2 ** -0.5, 2 ** -0.5, 0])  # the mean, unit norm
    assert np.allclose(v[1], [0, 1, 0])
    assert np.allclose(v[2], 0)  # unknown characters only: zeros
    # the long-text rule keeps the head and the tail
    short = MultilingualStaticEmbedder(folder, max_tokens=2, head_tokens=1)
    assert short.token_ids("hi 素数 素数 hi") == [1, 1]


def test_a_broken_folder_names_the_file(tmp_path) -> None:
    folder = _write_folder(tmp_path / "m", [(f"{M}a", -1.0)], np.ones((2, 3), np.float32))
    with pytest.raises(RouteLLMError, match=r"has 2 rows, but .*pieces.tsv has 1 pieces"):
        MultilingualStaticEmbedder(folder).embed(["a"])
    (folder / "pieces.tsv").write_text(f"{M}a\tnot-a-number\n", encoding="utf-8")
    with pytest.raises(RouteLLMError, match=r"pieces.tsv:1: could not convert"):
        MultilingualStaticEmbedder(folder).embed(["a"])
    (folder / "normalizer.json").unlink()
    with pytest.raises(RouteLLMError, match=r"normalizer.json is missing"):
        MultilingualStaticEmbedder(folder).embed(["a"])


def test_names_select_the_multilingual_embedder_and_list_it() -> None:
    emb = embedder_from_spec("static-multilingual")
    assert isinstance(emb, MultilingualStaticEmbedder) and emb.model_id == MULTILINGUAL_ID
    with pytest.raises(UnknownNameError, match="static-multilingual"):
        embedder_from_spec("multilingual")


@pytest.mark.skipif(not (multilingual_model_dir() / "embeddings.safetensors").exists(),
                    reason="the multilingual table is not built in this checkout")
def test_the_shipped_table_gives_no_script_a_region_of_its_own() -> None:
    emb = MultilingualStaticEmbedder().load()
    table, pieces = emb._table, emb.tokenizer.pieces
    assert table is not None and table.shape == (len(pieces), 128)
    typical = float(np.linalg.norm(table, axis=1).mean())
    # the pieces of each script were centred on their own mean before the PCA, so no script's
    # mean vector stands out (uncentred: 0.58, 0.39, 0.30 and 0.18 of a row's length)
    for first, last in ((0x4E00, 0x9FFF), (0x0600, 0x06FF), (0x0400, 0x04FF), (0x61, 0x7A)):
        rows = [i for i, p in enumerate(pieces)
                if any(first <= ord(c) <= last for c in p.lstrip(M))]
        assert len(rows) > 100
        assert float(np.linalg.norm(table[rows].mean(axis=0))) < 0.15 * typical


def test_script_aware_features_measure_every_script_on_one_scale() -> None:
    texts = ["Prove that there are infinitely many primes.", "证明素数有无穷多个。",
             "素数が無限に存在することを証明してください。", "هل هذا صحيح؟"]
    v1 = text_features(texts)
    sa = text_features(texts, "script-aware")
    assert sa.shape == v1.shape == (4, len(FEATURE_NAMES)) == (4, len(SCRIPT_AWARE_FEATURE_NAMES))
    # v1: the Chinese prompt has one "word"; script-aware: 9 Han characters x 0.63 words
    assert v1[1, 1] == pytest.approx(np.log1p(1))
    assert sa[1, 1] == pytest.approx(np.log1p(9 * 0.63), rel=1e-5)
    # each Han character counts as 3.6 Latin ones (the full stop as one); kana makes a text
    # Japanese (2.6 each): 21 kana and kanji and a full stop
    assert sa[1, 0] == pytest.approx(np.log1p(9 * 3.6 + 1), rel=1e-5)
    assert sa[2, 0] == pytest.approx(np.log1p(21 * 2.6 + 1), rel=1e-5)
    # the Arabic question mark counts as a question mark
    assert v1[3, 7] == 0 and sa[3, 7] == pytest.approx(np.log1p(1))
    # English text is measured as before
    assert np.array_equal(sa[0], v1[0])
    with pytest.raises(UnknownNameError, match="script-aware"):
        text_features(texts, "v2")


def test_concatenated_embedders_keep_each_part_and_unit_norm() -> None:
    from routellm_core.scoring.embeddings import ConcatEmbedder, HashingEmbedder

    a, b = HashingEmbedder(dim=16), HashingEmbedder(dim=8)
    both = embedder_from_spec("hashing-16+hashing-8")
    assert isinstance(both, ConcatEmbedder)
    assert both.dim == 24 and both.model_id == "concat:hashing-16+hashing-8"
    v = both.embed(["one prompt", "another one"])
    np.testing.assert_allclose(v[:, :16], a.embed(["one prompt", "another one"]) / np.sqrt(2),
                               rtol=1e-6)
    np.testing.assert_allclose(v[:, 16:], b.embed(["one prompt", "another one"]) / np.sqrt(2),
                               rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="at least two"):
        ConcatEmbedder([a])
