"""Embedders compared by speed and routing quality: MiniLM under torch, MiniLM under ONNX Runtime
(fp32 and int8) and the static embedder distilled from MiniLM.

Speed, each candidate in a fresh subprocess, all at ONE thread:
  * p50 / p99 of embedding one 30-word prompt (200 calls; the static embedder 2,000; a new
    text each call);
  * batch-64 throughput on 256 real Arena prompts (prompts/s);
  * RSS after load (the process's resident memory after loading and one embedding);
  * cold start: import + load + first embedding, timed inside the subprocess;
  * on-disk size of what the embedder reads (weights or table, vocabulary);
  * the 1-minute load average when the candidate started (figures on a busy machine are slower).

Quality: a router is retrained from ``--config`` (default ``configs/default.json``) on each
embedder, on the same training set (decontaminated with MiniLM for every candidate, so only the
embedder differs), and evaluated with the project's evaluation (``routellm eval``'s loaders and
``routellm_core.evaluation.evaluate.evaluate_routers``): APGR on MT-Bench, held-out MMLU (a seeded
``--mmlu-sample`` rows, 0 = all) and GSM8K, beside the seed-averaged random router.

The ONNX models are exported from the packaged MiniLM with torch and quantised (dynamic int8,
per channel) with onnxruntime into a temporary folder; they run with the package's pure-Python
WordPiece tokenizer and the same long-text rule, so the ONNX path imports neither torch nor
transformers. Needs the ``local`` and ``bench`` extras (``pip install -e '.[local,bench]'``).

Run: ``python benchmarks/bench_embedders.py [--config configs/default.json] [--mmlu-sample 2000]
[--only static,minilm-onnx-int8] [--skip-quality]``
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # cold start is timed from here (the child's imports included)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from routellm_core.scoring.embeddings import EmbeddingCache, _CachingMixin  # noqa: E402

CANDIDATES = ("minilm-torch", "minilm-onnx-fp32", "minilm-onnx-int8", "static")
PROMPT = ("Explain how a binary search tree keeps its keys ordered, why inserting keys that are "
          "already sorted makes lookups slow, and which rotations let a red-black tree stay "
          "balanced again.")
assert len(PROMPT.split()) == 30


class OnnxEmbedder(_CachingMixin):
    """all-MiniLM-L6-v2 exported to ONNX, run with onnxruntime: the same tokens (package
    tokenizer, head-and-tail rule), mean pooling, normalisation and embedding cache as
    ``LocalEmbedder``."""

    def __init__(self, path: Path, model_id: str, *, threads: int = 1, batch_size: int = 16,
                 max_length: int = 256, head_tokens: int = 64, cache: bool = True) -> None:
        self.path, self.model_id, self.dim = path, model_id, 384
        self.threads, self.batch_size = threads, batch_size
        self.max_length, self.head_tokens = max_length, head_tokens
        self._session: Any = None
        self._cache = None
        if cache:
            self._cache = EmbeddingCache.shared(f"{model_id}@{max_length}h{head_tokens}", 384)

    def load(self) -> OnnxEmbedder:
        if self._session is None:
            import onnxruntime as ort

            from routellm_core.scoring.embeddings import minilm_model_dir
            from routellm_core.scoring.static_embedding import WordPieceTokenizer

            so = ort.SessionOptions()
            so.intra_op_num_threads = self.threads
            so.inter_op_num_threads = 1
            self._session = ort.InferenceSession(str(self.path), so,
                                                 providers=["CPUExecutionProvider"])
            self._tok = WordPieceTokenizer(minilm_model_dir() / "vocab.txt")
        return self

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        from routellm_core.scoring.static_embedding import keep_head_and_tail

        self.load()
        tok = self._tok
        cls_id, sep_id = tok.vocab["[CLS]"], tok.vocab["[SEP]"]
        rows = [[cls_id, *keep_head_and_tail(tok.encode(t), self.max_length - 2,
                                             self.head_tokens), sep_id] for t in texts]
        order = np.argsort([len(r) for r in rows], kind="stable")
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        for start in range(0, len(rows), self.batch_size):
            idx = order[start:start + self.batch_size]
            width = max(len(rows[i]) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for j, i in enumerate(idx):
                ids[j, :len(rows[i])] = rows[i]
                mask[j, :len(rows[i])] = 1
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


def export_onnx(out_dir: Path) -> dict[str, Path]:
    """MiniLM to ONNX (fp32), then dynamic int8 quantisation (per channel)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from transformers import AutoModel

    from routellm_core.scoring.embeddings import minilm_model_dir

    fp32, pre, int8 = out_dir / "minilm.onnx", out_dir / "minilm-pre.onnx", out_dir / "minilm-int8.onnx"
    if not fp32.is_file():
        model = AutoModel.from_pretrained(str(minilm_model_dir()), local_files_only=True).eval()

        class Hidden(torch.nn.Module):
            def __init__(self, m: Any) -> None:
                super().__init__()
                self.m = m

            def forward(self, a: Any, b: Any, c: Any) -> Any:
                return self.m(input_ids=a, attention_mask=b, token_type_ids=c).last_hidden_state

        ids = torch.tensor([[101, 7592, 2088, 102]])
        names = ["input_ids", "attention_mask", "token_type_ids"]
        torch.onnx.export(Hidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                          str(fp32), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "seq"}
                                        for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)
    if not int8.is_file():
        cwd = os.getcwd()
        os.chdir(out_dir)  # the pre-processing writes scratch files into the working directory
        try:
            quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
            quantize_dynamic(str(pre), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            os.chdir(cwd)
    return {"minilm-onnx-fp32": fp32, "minilm-onnx-int8": int8}


def make_embedder(name: str, onnx: dict[str, Path], *, threads: int = 1, cache: bool = True) -> Any:
    if name == "minilm-torch":
        from routellm_core.scoring.embeddings import LocalEmbedder

        return LocalEmbedder(num_threads=threads, cache=cache)
    if name == "static":
        from routellm_core.scoring.static_embedding import StaticEmbedder

        return StaticEmbedder()
    return OnnxEmbedder(onnx[name], f"onnx:{name}", threads=threads, cache=cache)


def disk_mb(name: str, onnx: dict[str, Path]) -> float:
    from routellm_core.scoring.embeddings import minilm_model_dir
    from routellm_core.scoring.static_embedding import static_model_dir

    if name == "static":
        files = list(static_model_dir().glob("*.safetensors")) + [static_model_dir() / "vocab.txt"]
    elif name == "minilm-torch":
        files = [minilm_model_dir() / "model.safetensors", minilm_model_dir() / "vocab.txt"]
    else:
        files = [onnx[name], minilm_model_dir() / "vocab.txt"]
    return sum(f.stat().st_size for f in files) / 1e6


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(name: str, onnx: dict[str, Path], data_dir: str | None) -> dict[str, Any]:
    """Speed of one candidate, in this (fresh) process."""
    load_avg = os.getloadavg()[0]
    emb = make_embedder(name, onnx, threads=1, cache=False)
    emb.embed([PROMPT])
    cold = time.perf_counter() - _T0
    rss = rss_mb()
    calls = 2000 if name == "static" else 200
    # a new text on every call: the static embedder remembers its last call, and timing one
    # prompt over and over would time that memory
    words = PROMPT.split()
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.permutation(words)) for _ in range(calls + 5)]
    for text in texts[:5]:
        emb.embed([text])
    times = []
    for text in texts[5:]:
        t = time.perf_counter()
        emb.embed([text])
        times.append(time.perf_counter() - t)
    prompts = batch_prompts(data_dir)
    t = time.perf_counter()
    for start in range(0, len(prompts), 64):
        emb.embed(prompts[start:start + 64])
    batch_s = time.perf_counter() - t
    return {
        "p50_ms": 1e3 * float(np.percentile(times, 50)),
        "p99_ms": 1e3 * float(np.percentile(times, 99)),
        "batch64_per_s": len(prompts) / batch_s,
        "rss_mb": rss,
        "cold_s": cold,
        "load_avg": load_avg,
        "heavy_imported": sorted(m for m in ("torch", "transformers") if m in sys.modules),
    }


def speed(name: str, onnx: dict[str, Path], data_dir: str | None) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", name, "--onnx-dir",
            str(next(iter(onnx.values())).parent) if onnx else ""]
    if data_dir:
        args += ["--data-dir", data_dir]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["disk_mb"] = disk_mb(name, onnx)
    return out


def quality(name: str, onnx: dict[str, Path], config: str, benches: dict[str, Any]
            ) -> dict[str, Any]:
    from routellm_core.evaluation.evaluate import evaluate_routers
    from routellm_core.training.config import load_config
    from routellm_core.training.runs import train_from_config

    cfg = load_config(config)
    cfg["decontaminate_embedder"] = "local"  # the same training set for every candidate
    emb = make_embedder(name, onnx, threads=2)
    t = time.perf_counter()
    router = train_from_config(cfg, embedder=emb)
    train_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = router.save(Path(tmp) / "router")
        ckpt_mb = sum(f.stat().st_size for f in ckpt.iterdir()) / 1e6
    res = evaluate_routers({"random": None, name: router}, benches)
    auc = res["difficulty"].routers[name].auc if "difficulty" in res else None
    return {"train_s": train_s, "ckpt_mb": ckpt_mb, "auc": auc,
            **{b: r.routers[name].apgr for b, r in res.items() if b != "difficulty"},
            **{f"random-{b}": r.routers["random"].apgr for b, r in res.items()},
            "n": {b: r.n for b, r in res.items()}}


def batch_prompts(data_dir: str | None) -> list[str]:
    from routellm_core.data.benchmarks import arena_bench_questions

    return list(arena_bench_questions(data_dir).values())[:256]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "configs" /
                                            "default.json"))
    ap.add_argument("--mmlu-sample", type=int, default=2000,
                    help="held-out MMLU rows evaluated (seeded sample; 0 = all)")
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--onnx-dir", default=None, help="reuse exported ONNX models from here")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        onnx = {}
        if args.onnx_dir:
            d = Path(args.onnx_dir)
            onnx = {"minilm-onnx-fp32": d / "minilm.onnx", "minilm-onnx-int8": d / "minilm-int8.onnx"}
        print(json.dumps(child(args.child, onnx, args.data_dir)))
        return 0

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for n in names:
        if n not in CANDIDATES:
            ap.error(f"unknown candidate {n!r}; valid: {', '.join(CANDIDATES)}")
    tmp = tempfile.TemporaryDirectory(prefix="bench_embedders_")
    onnx_dir = Path(args.onnx_dir) if args.onnx_dir else Path(tmp.name)
    onnx = export_onnx(onnx_dir) if any(n.startswith("minilm-onnx") for n in names) else {}
    print(f"machine: {os.cpu_count()} CPUs; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; speed at 1 thread", flush=True)

    rows: dict[str, dict[str, Any]] = {}
    for n in names:
        rows[n] = speed(n, onnx, args.data_dir)
        r = rows[n]
        print(f"{n}: p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms, batch-64 "
              f"{r['batch64_per_s']:.0f}/s, RSS {r['rss_mb']:.0f} MB, cold {r['cold_s']:.2f} s, "
              f"disk {r['disk_mb']:.1f} MB, load avg {r['load_avg']:.2f}, "
              f"torch/transformers imported: {r['heavy_imported'] or 'no'}", flush=True)

    if not args.skip_quality:
        from routellm_core.cli.eval import load_benchmarks

        benches = load_benchmarks(["mt-bench", "mmlu", "gsm8k", "difficulty"], args.data_dir,
                                  "heldout", args.mmlu_sample)
        sample = (f" (MMLU: a seeded sample of {args.mmlu_sample} held-out rows)"
                  if args.mmlu_sample else " (MMLU: every held-out row)")
        print(f"\nquality: config {args.config}; benchmarks "
              + ", ".join(f"{k} {len(v)} prompts" for k, v in benches.items()) + sample,
              flush=True)
        for n in names:
            rows[n].update(quality(n, onnx, args.config, benches))
            r = rows[n]
            print(f"{n}: APGR MT-Bench {r['mt-bench']:.3f}, MMLU {r['mmlu']:.3f}, GSM8K "
                  f"{r['gsm8k']:.3f}, difficulty AUC {r['auc']:.3f} (trained in {r['train_s']:.0f} s, checkpoint "
                  f"{r['ckpt_mb']:.2f} MB)", flush=True)
        first = rows[names[0]]
        print(f"random: APGR MT-Bench {first['random-mt-bench']:.3f}, MMLU "
              f"{first['random-mmlu']:.3f}, GSM8K {first['random-gsm8k']:.3f}")

    print("\n| embedder | p50 1 prompt (ms) | p99 (ms) | batch-64 (/s) | RSS after load (MB) | "
          "cold start (s) | on disk (MB) | load avg | APGR MT-Bench | APGR MMLU | APGR GSM8K | "
          "difficulty AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, r in rows.items():
        q = (f"{r['mt-bench']:.3f} | {r['mmlu']:.3f} | {r['gsm8k']:.3f} | {r['auc']:.3f}"
             if "mmlu" in r else "- | - | - | -")
        print(f"| {n} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['batch64_per_s']:,.0f} | "
              f"{r['rss_mb']:.0f} | {r['cold_s']:.2f} | {r['disk_mb']:.1f} | "
              f"{r['load_avg']:.2f} | {q} |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
