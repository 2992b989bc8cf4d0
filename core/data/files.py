"""Finding the data directory and reading its files.

* :func:`resolve_data_dir`: the folder that holds the RouteLLM data; :func:`find_data_dir` owns
  the lookup order (``--data-dir``, ``$ROUTELLM_DATA_DIR``, ``../shared/data`` beside the
  checkout, the user cache) and says why a folder was chosen.
* :func:`read_jsonl`, :func:`read_prompt_file`: JSON lines and prompt files, with errors that
  name the file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..records import read_jsonl

__all__ = [
    "DATA_ENV",
    "GET_DATA_COMMAND",
    "DataDirChoice",
    "find_data_dir",
    "resolve_data_dir",
    "user_data_dir",
    "read_jsonl",
    "read_prompt_file",
]


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


def user_data_dir() -> Path:
    """Where ``routellm data build`` writes the extracts: ``<user cache>/data``.

    The user cache is ``$ROUTELLM_CACHE_DIR`` or the platform's cache folder for ``routellm``
    (``~/.cache/routellm`` on Linux, via platformdirs).
    """
    from ..scoring.embeddings import default_cache_dir

    return default_cache_dir() / "data"


@dataclass(frozen=True)
class DataDirChoice:
    """The outcome of the data-folder lookup: the folder, why it was chosen, what was tried.

    Attributes:
        path: the folder chosen, or ``None`` when no candidate exists.
        reason: the rule that chose it (``"--data-dir"``, ``"$ROUTELLM_DATA_DIR"``,
            ``"../shared/data beside the checkout"``, ``"the user cache"``), or why none did.
        tried: ``(candidate, why it was skipped)`` for each candidate looked at before it.
    """

    path: Path | None
    reason: str
    tried: tuple[tuple[str, str], ...] = ()


def find_data_dir(data_dir: str | os.PathLike[str] | None = None) -> DataDirChoice:
    """Apply the lookup order and say what it found, without raising when nothing is found.

    Order (the first that applies wins):

    1. ``data_dir`` (``--data-dir``): must exist, else an error;
    2. ``$ROUTELLM_DATA_DIR`` when set (and not empty): must exist, else an error (a typo
       there must not silently fall through to another folder);
    3. ``../shared/data`` beside the checkout (or beside the working directory);
    4. the user cache, ``<user cache>/data``, filled by ``routellm data fetch`` and
       ``routellm data build`` (see :func:`user_data_dir`).

    Raises:
        DataError: when an explicit folder (argument or variable) does not exist.
    """
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if p.is_dir():
            return DataDirChoice(p, "--data-dir (the data_dir argument)")
        raise DataError(
            f"data directory {str(p)!r} (from the data_dir argument / --data-dir) does not exist"
        )
    env = os.environ.get(DATA_ENV)
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return DataDirChoice(p, f"${DATA_ENV}")
        raise DataError(
            f"data directory {str(p)!r} (from ${DATA_ENV}) does not exist; fix the variable or "
            f"unset it (`unset {DATA_ENV}`) to use the default lookup"
        )
    tried: list[tuple[str, str]] = []
    for c in _default_candidates():
        if c.is_dir():
            return DataDirChoice(c, "../shared/data beside the checkout", tuple(tried))
        tried.append((str(c), "../shared/data: not there"))
    cache = user_data_dir()
    if cache.is_dir():
        return DataDirChoice(cache, "the user cache (routellm data build)", tuple(tried))
    tried.append((str(cache), "user cache: not there (run `routellm data fetch` then "
                  "`routellm data build`)"))
    return DataDirChoice(None, "no candidate exists", tuple(tried))


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find the data directory (the lookup order is :func:`find_data_dir`'s).

    Raises:
        DataError: when an explicit folder does not exist, or when no candidate exists; the
            message lists every path tried and the one command that gets the data.
    """
    choice = find_data_dir(data_dir)
    if choice.path is not None:
        return choice.path
    raise DataError(
        "no data directory found; tried: "
        + "; ".join(path for path, _ in choice.tried)
        + f". Get the public data with `{GET_DATA_COMMAND}` (downloads it and builds the "
        f"extracts into {str(user_data_dir())!r}), or pass --data-dir / data_dir=, or set "
        f"${DATA_ENV} to the folder holding routellm-evals/, arena-bench-v1/, arena-human/ "
        "and mmlu-pro/."
    )


#: the one command that gets the data for a user who has none
GET_DATA_COMMAND = "routellm data fetch && routellm data build"


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
