"""A static embedder distilled from all-MiniLM-L6-v2: a table lookup and a mean, numpy only.

Every WordPiece token of MiniLM's vocabulary was run through all-MiniLM-L6-v2 once (as
``[CLS] token [SEP]``, mean-pooled like the model's own pooling), the vectors were reduced by
PCA and weighted by an estimate of token frequency (the model2vec recipe); the table ships in
this package (``routellm_core/static_model/``) and ``scripts/distill_static.py`` rebuilds it.
Embedding a prompt is: BERT-uncased WordPiece tokenisation in pure Python, the mean of the
prompt's token vectors, L2 normalisation. No torch, no transformers, no download.

* :class:`WordPieceTokenizer`: BERT's uncased tokenizer (clean text, CJK characters as words,
  lower-case, strip accents, split punctuation, greedy longest-match WordPiece), matching the
  ``transformers`` tokenizer of all-MiniLM-L6-v2 (tested on several hundred texts).
* :class:`StaticEmbedder`: the embedder (``model_id`` :data:`STATIC_ID`), an
  :class:`~routellm_core.scoring.embeddings.Embedder` like the others.
* :func:`keep_head_and_tail`: the long-text rule shared with the MiniLM embedder.

Long texts: a text of more than ``max_tokens`` WordPiece tokens keeps its first ``head_tokens``
tokens and its last ``max_tokens - head_tokens`` tokens (default: the first 64 and the last
192), so both the start of a conversation or a RAG context and the latest question decide the
embedding.

Example:
    >>> from routellm_core.scoring.static_embedding import StaticEmbedder
    >>> StaticEmbedder().embed(["What is 2+2?"]).shape       # doctest: +SKIP
    (1, 128)
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import RouteLLMError

__all__ = [
    "STATIC_ID",
    "STATIC_MODEL_DIR",
    "TABLE_FILE",
    "VOCAB_FILE",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_HEAD_TOKENS",
    "WordPieceTokenizer",
    "StaticEmbedder",
    "keep_head_and_tail",
    "static_model_dir",
    "read_table",
]

#: model id recorded in the checkpoints of routers trained on the shipped static embedder
STATIC_ID = "static:minilm-l6-distilled-v1"
#: name of the folder inside ``routellm_core`` that holds the table and the vocabulary
STATIC_MODEL_DIR = "static_model"
TABLE_FILE = "embeddings.safetensors"
VOCAB_FILE = "vocab.txt"
#: tokens kept per text (without special tokens); longer texts keep their head and tail
DEFAULT_MAX_TOKENS = 256
#: tokens kept from the start of a long text; the rest of the budget goes to its end
DEFAULT_HEAD_TOKENS = 64
#: calls of up to this many texts are remembered (the last one only): a routed request
MEMO_TEXTS = 64

T = TypeVar("T")
#: tokens that carry no vector (special tokens and the unknown token)
_NO_VECTOR = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")


def static_model_dir() -> Path:
    """Folder of the shipped static model (``routellm_core/static_model``)."""
    return Path(__file__).resolve().parents[1] / STATIC_MODEL_DIR


def keep_head_and_tail(items: Sequence[T], max_items: int, head: int) -> list[T]:
    """The long-text rule: all of ``items`` if there are at most ``max_items``, else the first
    ``head`` and the last ``max_items - head`` of them.

    The start of a text (a system prompt, the first turn, the top of a RAG context) and its end
    (the latest question) are what decide how hard the request is; the middle is dropped.

    Args:
        items: token ids (or tokens) of one text.
        max_items: how many to keep at most (positive).
        head: how many of them come from the start (``0 <= head <= max_items``).
    """
    if max_items <= 0 or not 0 <= head <= max_items:
        raise ValueError(f"need max_items > 0 and 0 <= head <= max_items, got {max_items}, {head}")
    if len(items) <= max_items:
        return list(items)
    tail = max_items - head
    return list(items[:head]) + (list(items[-tail:]) if tail else [])


# ---------------------------------------------------------------------------------------------
# BERT uncased tokenisation
# ---------------------------------------------------------------------------------------------
# As the ``tokenizers`` implementation behind transformers' (fast) BERT tokenizer: control
# means the categories Cc, Cf, Co and Cs except tab/newline/return (unassigned code points are
# kept), whitespace means Unicode White_Space.
def _is_whitespace(ch: str) -> bool:
    return ch.isspace()


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B920 <= cp <= 0x2CEAF  # sic: the tokenizers library's range
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


# ASCII control characters that BERT deletes (tab, newline and carriage return are whitespace)
_ASCII_DELETE = {c: None for c in (*range(0, 9), 11, 12, *range(14, 32), 127)}
_ASCII_PUNCT = frozenset(chr(c) for c in range(128) if _is_punctuation(chr(c)))


class WordPieceTokenizer:
    """BERT-uncased tokenisation (basic tokenisation, then greedy longest-match WordPiece).

    Basic tokenisation, as BERT's: delete NUL, U+FFFD and control characters and map
    whitespace to spaces; put spaces around CJK ideographs; strip accents (NFD, drop
    non-spacing marks) and lower-case; split on whitespace; split every punctuation character
    into a token of its own. Each word is then cut greedily into the longest vocabulary
    pieces (continuations prefixed ``##``); a word that cannot be cut, or is longer than
    ``max_chars_per_word`` characters, becomes ``[UNK]``.

    Character classes come from Python's :mod:`unicodedata`; the ``tokenizers`` library
    behind transformers uses older Unicode tables, so characters assigned in recent Unicode
    versions (a few hundred rare marks and ideographs) can tokenise differently. Both give
    ``[UNK]`` or nothing for them, which carries no vector here.

    Args:
        vocab: the vocabulary, one token per line in id order (a ``vocab.txt``) or a list.
        unk_token: the unknown token.
        max_chars_per_word: longer words become ``unk_token``.
    """

    def __init__(
        self,
        vocab: str | Path | Sequence[str],
        *,
        unk_token: str = "[UNK]",
        max_chars_per_word: int = 100,
    ) -> None:
        if isinstance(vocab, (str, Path)):
            path = Path(vocab)
            try:
                tokens = path.read_text(encoding="utf-8").split("\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise RouteLLMError(f"cannot read the vocabulary {path} ({exc})") from None
            if tokens and tokens[-1] == "":
                tokens.pop()
        else:
            tokens = list(vocab)
        self.vocab: dict[str, int] = {}
        for i, tok in enumerate(tokens):
            self.vocab.setdefault(tok, i)
        self.ids_to_tokens = tokens
        if unk_token not in self.vocab:
            raise RouteLLMError(f"the vocabulary has no unknown token {unk_token!r}")
        self.unk_token = unk_token
        self.unk_id = self.vocab[unk_token]
        self.max_chars_per_word = max_chars_per_word
        self._word_cache: dict[str, tuple[int, ...]] = {}
        self._cache_limit = 200_000

    def __len__(self) -> int:
        return len(self.ids_to_tokens)

    # ---- basic tokenisation --------------------------------------------------------------
    def basic_tokenize(self, text: str) -> list[str]:
        """Words and punctuation marks of ``text``: cleaned, lower-cased, accents stripped."""
        if text.isascii():
            text = text.translate(_ASCII_DELETE).lower()
            out: list[str] = []
            for word in text.split():
                if word.isalnum():
                    out.append(word)
                    continue
                # the split below repeats the general path's on purpose: inline, with a set
                # lookup, it is about a fifth faster on English text than a shared helper
                start = 0
                for i, ch in enumerate(word):
                    if ch in _ASCII_PUNCT:
                        if i > start:
                            out.append(word[start:i])
                        out.append(ch)
                        start = i + 1
                if start < len(word):
                    out.append(word[start:])
            return out
        chars: list[str] = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                chars.append(" ")
            elif _is_cjk(cp):
                chars.extend((" ", ch, " "))
            else:
                chars.append(ch)
        text = unicodedata.normalize("NFD", "".join(chars))
        text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
        words: list[str] = []
        for word in text.split(" "):
            if not word:
                continue
            start = 0
            for i, ch in enumerate(word):
                if _is_punctuation(ch):
                    if i > start:
                        words.append(word[start:i])
                    words.append(ch)
                    start = i + 1
            if start < len(word):
                words.append(word[start:])
        return words

    # ---- WordPiece -----------------------------------------------------------------------
    def word_ids(self, word: str) -> tuple[int, ...]:
        """WordPiece ids of one basic token (greedy longest match; ``[UNK]`` if impossible)."""
        hit = self._word_cache.get(word)
        if hit is not None:
            return hit
        ids: tuple[int, ...]
        if len(word) > self.max_chars_per_word:
            ids = (self.unk_id,)
        else:
            vocab = self.vocab
            pieces: list[int] = []
            start, n = 0, len(word)
            while start < n:
                end = n
                found = -1
                while start < end:
                    sub = word[start:end] if start == 0 else "##" + word[start:end]
                    j = vocab.get(sub)
                    if j is not None:
                        found = j
                        break
                    end -= 1
                if found < 0:
                    pieces = [self.unk_id]
                    break
                pieces.append(found)
                start = end
            ids = tuple(pieces)
        if len(self._word_cache) < self._cache_limit:
            self._word_cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, without ``[CLS]``/``[SEP]`` and without truncation."""
        out: list[int] = []
        for word in self.basic_tokenize(text):
            out.extend(self.word_ids(word))
        return out

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of ``text`` (strings), as ``transformers``' ``tokenize``."""
        return [self.ids_to_tokens[i] for i in self.encode(text)]


# ---------------------------------------------------------------------------------------------
# The embedder
# ---------------------------------------------------------------------------------------------
_SHARED_LOCK = threading.Lock()
# folder -> (tokenizer, table, metadata): every StaticEmbedder of one folder shares one copy
_SHARED: dict[str, tuple[Any, np.ndarray, dict[str, str]]] = {}


def read_table(table_path: Path, fix: str) -> tuple[np.ndarray, dict[str, str]]:
    """The ``embeddings`` tensor of a static table (as float32) and its header metadata; an
    unreadable file raises a :class:`RouteLLMError` that names it and ends with ``fix``."""
    try:
        from safetensors import safe_open

        with safe_open(str(table_path), framework="numpy") as fh:
            meta = dict(fh.metadata() or {})
            table = fh.get_tensor("embeddings")
            # an int8 table carries one float scale per row (half the size of float16)
            scales = fh.get_tensor("scales") if "scales" in fh.keys() else None
    except Exception as exc:
        raise RouteLLMError(
            f"the static embedding table {table_path} is corrupt or unreadable ({exc}); {fix}"
        ) from None
    if scales is not None:
        if table.ndim != 2 or scales.shape != (table.shape[0],):
            raise RouteLLMError(f"the static embedding table {table_path} has scales of shape "
                                f"{scales.shape} for a table of shape {table.shape}; {fix}")
        table = table.astype(np.float32) * scales.astype(np.float32)[:, None]
    if table.ndim != 2:
        raise RouteLLMError(f"the static embedding table {table_path} has shape {table.shape}, "
                            f"not (tokens, dim); {fix}")
    return np.ascontiguousarray(table, dtype=np.float32), meta


def _read_model(folder: Path) -> tuple[WordPieceTokenizer, np.ndarray, dict[str, str]]:
    table_path, vocab_path = folder / TABLE_FILE, folder / VOCAB_FILE
    fix = ("reinstall routellm-integrations (pip install --force-reinstall "
           "routellm-integrations) or rebuild it with scripts/distill_static.py")
    for p in (table_path, vocab_path):
        if not p.is_file():
            raise RouteLLMError(f"the static embedding model file {p} is missing; {fix}")
    table, meta = read_table(table_path, fix)
    tokenizer = WordPieceTokenizer(vocab_path)
    if table.ndim != 2 or table.shape[0] != len(tokenizer):
        raise RouteLLMError(
            f"the static embedding table {table_path} has shape {table.shape}, but the "
            f"vocabulary {vocab_path} has {len(tokenizer)} tokens; {fix}"
        )
    return tokenizer, table, meta


class StaticEmbedder:
    """Static token embeddings distilled from all-MiniLM-L6-v2: mean of token vectors, numpy only.

    The table is read on the first :meth:`embed` (or :meth:`load`), not at construction; every
    embedder of the same folder in a process shares one copy (~16 MB as float32). Special
    tokens and ``[UNK]`` carry no vector; a text with no known token embeds to zeros.

    Args:
        model_dir: a folder with ``embeddings.safetensors`` and ``vocab.txt``; default: the
            table shipped in this package (``model_id`` :data:`STATIC_ID`).
        max_tokens: WordPiece tokens kept per text; a longer text keeps its first
            ``head_tokens`` and its last ``max_tokens - head_tokens`` tokens
            (:func:`keep_head_and_tail`).
        head_tokens: tokens kept from the start of a long text.

    Example:
        >>> emb = StaticEmbedder()
        >>> v = emb.embed(["What is 2+2?", "Prove Fermat's last theorem."])  # doctest: +SKIP
        >>> v.shape, v.dtype                                      # doctest: +SKIP
        ((2, 128), dtype('float32'))
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        head_tokens: int = DEFAULT_HEAD_TOKENS,
    ) -> None:
        if max_tokens <= 0 or not 0 <= head_tokens <= max_tokens:
            raise ValueError(
                f"need max_tokens > 0 and 0 <= head_tokens <= max_tokens, got "
                f"max_tokens={max_tokens}, head_tokens={head_tokens}"
            )
        self.model_dir = Path(model_dir) if model_dir is not None else static_model_dir()
        self.max_tokens = max_tokens
        self.head_tokens = head_tokens
        self.model_id = STATIC_ID if model_dir is None else f"static:{self.model_dir.resolve()}"
        self._dim: int | None = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._table: np.ndarray | None = None
        self.metadata: dict[str, str] = {}
        self._skip: frozenset[int] = frozenset()
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    @property
    def dim(self) -> int:
        """Embedding dimension (read from the table's header without loading the table)."""
        if self._dim is None:
            if self._table is not None:
                self._dim = int(self._table.shape[1])
            else:
                self._dim = self._read_dim()
        return self._dim

    def _read_dim(self) -> int:
        path = self.model_dir / TABLE_FILE
        try:
            with path.open("rb") as fh:
                n = int.from_bytes(fh.read(8), "little")
                if not 0 < n < 10_000_000:
                    raise ValueError(f"header size {n}")
                header = json.loads(fh.read(n))
            return int(header["embeddings"]["shape"][1])
        except FileNotFoundError:
            raise RouteLLMError(
                f"the static embedding model file {path} is missing; reinstall "
                "routellm-integrations or rebuild it with scripts/distill_static.py"
            ) from None
        except Exception as exc:
            raise RouteLLMError(
                f"the static embedding table {path} is corrupt or unreadable ({exc}); reinstall "
                "routellm-integrations or rebuild it with scripts/distill_static.py"
            ) from None

    def load(self) -> StaticEmbedder:
        """Read the table and the vocabulary now (otherwise on the first :meth:`embed`)."""
        if self._table is None:
            key = f"{type(self).__name__}:{self.model_dir.resolve()}"
            with _SHARED_LOCK:
                if key not in _SHARED:
                    _SHARED[key] = self._read_folder(self.model_dir)
                self._tokenizer, table, meta = _SHARED[key]
            self.metadata = dict(meta)
            self._skip = self._no_vector_ids(self._tokenizer)
            self._dim = int(table.shape[1])
            self._table = table
        return self

    def _read_folder(self, folder: Path) -> tuple[Any, np.ndarray, dict[str, str]]:
        """Tokenizer, table and metadata of a model folder (a subclass reads another kind)."""
        return _read_model(folder)

    def _no_vector_ids(self, tokenizer: Any) -> frozenset[int]:
        """Token ids that carry no vector (special tokens and the unknown token)."""
        vocab = tokenizer.vocab
        return frozenset(vocab[t] for t in _NO_VECTOR if t in vocab)

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        """The WordPiece tokenizer (loads the model)."""
        self.load()
        assert self._tokenizer is not None
        return self._tokenizer

    def token_ids(self, text: str) -> list[int]:
        """The ids that embed ``text``: WordPiece ids after the long-text rule, without
        special tokens and ``[UNK]``."""
        tok = self.tokenizer
        skip = self._skip
        ids = [i for i in tok.encode(text) if i not in skip]
        return keep_head_and_tail(ids, self.max_tokens, self.head_tokens)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: a float32 array ``(len(texts), dim)`` with unit-norm rows (zeros for
        a text without a known token).

        The last small call (up to :data:`MEMO_TEXTS` texts) is remembered, so routers that
        share this embedder (the members of an ensemble) tokenise a routed prompt once.
        """
        self.load()
        assert self._table is not None
        table = self._table
        texts = list(texts)
        key = tuple(texts) if len(texts) <= MEMO_TEXTS else None
        last = self._last  # one read: another thread may replace it
        if key is not None and last is not None and last[0] == key:
            return last[1].copy()
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self.token_ids(text)
            if ids:
                v = table[ids].mean(axis=0)
                norm = float(np.sqrt(v @ v))
                if norm > 0:
                    out[i] = v / norm
        if key is not None:
            self._last = (key, out.copy())
        return out

    def __repr__(self) -> str:
        return f"StaticEmbedder(model_id={self.model_id!r})"
