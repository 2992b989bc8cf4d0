"""Finding the data directory and reading its files.

* :func:`resolve_data_dir`: the folder that holds the RouteLLM data (``../shared/data`` next to
  the checkout by default).
* :func:`read_jsonl`, :func:`read_prompt_file`: JSON lines and prompt files, with errors that
  name the file and line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["DATA_ENV", "resolve_data_dir", "read_jsonl", "read_prompt_file"]


DATA_ENV = "ROUTELLM_DATA_DIR"


def _default_candidates() -> list[Path]:
    here = Path(__file__).resolve()
    # ``core/`` sits at the repository root, so the checkout's parent holds ``shared/``.
    candidates = [here.parents[2].parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    out: list[Path] = []
    for c in candidates:
        if c not in out:
            out.append(c)
    return out


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find the data directory.

    Order: the explicit argument, else ``$ROUTELLM_DATA_DIR``, else ``../shared/data`` next to
    the checkout (or next to the working directory).

    Raises:
        DataError: when no candidate exists; the message lists every path tried.
    """
    tried: list[str] = []
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if p.is_dir():
            return p
        raise DataError(
            f"data directory {str(p)!r} (from the data_dir argument / --data-dir) does not exist"
        )
    env = os.environ.get(DATA_ENV)
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return p
        tried.append(f"${DATA_ENV}={p}")
    for c in _default_candidates():
        if c.is_dir():
            return c
        tried.append(str(c))
    raise DataError(
        "no data directory found; tried: "
        + "; ".join(tried)
        + f". Pass --data-dir / data_dir=, or set ${DATA_ENV} to the folder holding "
        "routellm-evals/, arena-bench-v1/, arena-human/ and mmlu-pro/."
    )


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; malformed lines raise DataError."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


def read_prompt_file(path: str | Path) -> list[str]:
    """Prompts from a ``.jsonl`` file (``"prompt"`` field) or a text file (one per line)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"prompt file {str(p)!r} does not exist")
    if p.suffix == ".jsonl":
        out = []
        for lineno, obj in read_jsonl(p):
            if not isinstance(obj.get("prompt"), str):
                raise DataError(f'{p}:{lineno}: expected a string field "prompt"')
            out.append(obj["prompt"])
    else:
        out = [line.rstrip("\n") for line in p.read_text(encoding="utf-8").splitlines()]
        out = [x for x in out if x.strip()]
    if not out:
        raise DataError(f"prompt file {str(p)!r} holds no prompts")
    return out
