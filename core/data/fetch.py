"""Getting the public data: download it from its upstream sources, build the extracts, verify.

The project reads the data folder described in ``docs/data.md`` (the extracts of eleven public
sources). A user without ``../shared/data`` gets the same folder in three steps, which the
``routellm data`` command runs:

* :func:`fetch`: download the upstream files (pinned commits, see :data:`UPSTREAM`) into
  ``<user cache>/upstream``, resuming a broken download (HTTP ``Range``), with a progress bar,
  checking each file's SHA-256 where it is pinned;
* :func:`build`: write the extracts from the upstream files into ``<user cache>/data``
  (:func:`~routellm_core.data.files.user_data_dir`, the last place the data lookup tries);
* :func:`verify`: compare a folder with the SHA-256 of every extract file
  (``manifest.json``, shipped in the package; computed from the reference data folder with
  :func:`write_manifest`).

Upstream URLs are ``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``, with
the repositories, commits and paths named by the data README. They were derived from that
README, not downloaded: this machine reaches no host but package registries, so the real fetch
was never run here; the tests serve files in the upstream formats from a local HTTP server.
``$ROUTELLM_DATA_MIRROR`` (or ``mirror=``) replaces the ``https://raw.githubusercontent.com``
prefix, for a mirror or the tests.

An offline kit: nothing on the routing path imports it; ``httpx`` is imported when a download
starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import DataError, unknown_name
from .files import read_jsonl, user_data_dir
from .overlap import _norm

__all__ = [
    "GITHUB_RAW",
    "MIRROR_ENV",
    "UpstreamFile",
    "Source",
    "UPSTREAM",
    "upstream_dir",
    "download",
    "fetch",
    "build",
    "verify",
    "VerifyReport",
    "load_manifest",
    "write_manifest",
    "sha256_file",
]

GITHUB_RAW = "https://raw.githubusercontent.com"
MIRROR_ENV = "ROUTELLM_DATA_MIRROR"
_MANIFEST = Path(__file__).resolve().parent / "manifest.json"
_CHUNK = 1 << 16
#: files of the data folder that no upstream source holds (this project's own MMLU training
#: split): pinned, so a copy is checked, but their absence is reported, not a failure
NOT_BUILT = frozenset({"routellm-evals/mmlu/golden_train_split.jsonl"})


@dataclass(frozen=True)
class UpstreamFile:
    """One file of an upstream repository at a pinned commit.

    Attributes:
        repo: ``owner/name`` on GitHub.
        commit: the commit (as the data README names it).
        path: the file's path in the repository.
        sha256: its SHA-256 where it is known (files the data folder keeps exactly as
            published); ``None`` where only the extract built from it is pinned.
    """

    repo: str
    commit: str
    path: str
    sha256: str | None = None

    def url(self, mirror: str | None = None) -> str:
        base = (mirror or os.environ.get(MIRROR_ENV) or GITHUB_RAW).rstrip("/")
        return f"{base}/{self.repo}/{self.commit}/{quote(self.path)}"

    def local(self, root: Path) -> Path:
        """Where :func:`fetch` puts it under ``root``."""
        return root / self.repo / self.commit / self.path


@dataclass(frozen=True)
class Source:
    """A folder of the data directory: the upstream files it is built from, and its builder."""

    name: str
    licence: str
    files: tuple[UpstreamFile, ...]
    builder: Callable[[Source, Path, Path], list[str]] | None = field(default=None, repr=False)
    note: str = ""
    #: sources whose upstream files this one's builder also reads (the evaluation data, for
    #: decontamination); fetch downloads them too
    needs: tuple[str, ...] = ()


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def load_manifest() -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256": ..., "bytes": ...}}`` of every file of the data folder."""
    return json.loads(_MANIFEST.read_text(encoding="utf-8"))["files"]  # type: ignore[no-any-return]


def write_manifest(folder: str | os.PathLike[str], out: str | os.PathLike[str] = _MANIFEST) -> int:
    """Write the manifest of ``folder`` (every file but README.md); returns the file count.

    The shipped manifest was written with
    ``python -c "from routellm_core.data.fetch import write_manifest; write_manifest('../shared/data')"``.
    """
    root = Path(folder)
    files = {
        p.relative_to(root).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }
    Path(out).write_text(json.dumps({"format": 1, "files": files}, indent=1) + "\n",
                         encoding="utf-8")
    return len(files)


def upstream_dir() -> Path:
    """``<user cache>/upstream``: where :func:`fetch` keeps the upstream files."""
    return user_data_dir().parent / "upstream"


# ---- downloading ------------------------------------------------------------------------------


def download(url: str, dest: Path, sha256: str | None = None, *, retries: int = 3,
             progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest``, resuming a partial download, checking the SHA-256.

    The bytes go to ``dest.part`` first; a broken connection is retried (``retries`` times)
    from where it stopped with an HTTP ``Range`` request (a server that ignores ``Range``
    sends the whole file again, which is then written from the start). ``dest`` appears only
    once the whole file is there and its checksum (when given) matches.

    Raises:
        DataError: on an HTTP error status (naming the URL and the status), when the retries
            are spent, or on a checksum mismatch (the partial file is removed).
    """
    try:
        import httpx
    except ImportError:
        raise DataError("downloading the data needs httpx: "
                        "pip install 'routellm-integrations[data]'") from None
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error: Exception | None = None
    for _attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with httpx.stream("GET", url, headers=headers, timeout=timeout,
                              follow_redirects=True) as resp:
                if resp.status_code == 416 and have:
                    # the part file already holds the whole file
                    break
                if resp.status_code >= 400:
                    raise DataError(f"download of {url} failed: HTTP {resp.status_code} "
                                    f"{resp.reason_phrase}")
                resumed = resp.status_code == 206
                mode = "ab" if resumed else "wb"
                total = resp.headers.get("Content-Length")
                size = (int(total) + (have if resumed else 0)) if total else None
                with part.open(mode) as fh, tqdm(
                    total=size, initial=have if resumed else 0, unit="B", unit_scale=True,
                    desc=dest.name, disable=not progress, leave=False,
                ) as bar:
                    for block in resp.iter_bytes(_CHUNK):
                        fh.write(block)
                        bar.update(len(block))
            if size is not None and part.stat().st_size < size:
                raise httpx.ReadError("connection closed before the end of the file")
            break
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            last_error = exc
            continue
    else:
        raise DataError(f"download of {url} failed after {retries + 1} tries: {last_error}; "
                        "run the command again to resume")
    if sha256 is not None:
        got = sha256_file(part)
        if got != sha256:
            part.unlink()
            raise DataError(f"checksum mismatch for {url}: expected SHA-256 {sha256}, got {got}; "
                            "the download was removed (run the command again, or check the "
                            "mirror)")
    part.replace(dest)
    return dest


def fetch(sources: Sequence[str] | None = None, dest: str | os.PathLike[str] | None = None, *,
          mirror: str | None = None, progress: bool = True,
          log: Callable[[str], None] = print) -> dict[str, list[Path]]:
    """Download the upstream files of ``sources`` (default: all) into ``dest``.

    Files already there with the pinned checksum (or, unpinned, already complete) are kept.

    Returns:
        ``{source: [downloaded paths]}``.
    """
    root = Path(dest) if dest is not None else upstream_dir()
    out: dict[str, list[Path]] = {}
    picked = _pick(sources)
    names = {s.name for s in picked}
    picked = [UPSTREAM[n] for s in picked for n in s.needs if n not in names] + picked
    for src in picked:
        if src.name in out:
            continue
        log(f"{src.name}: {len(src.files)} file(s) from "
            + ", ".join(sorted({f'{f.repo}@{f.commit}' for f in src.files})))
        paths = []
        for f in src.files:
            target = f.local(root)
            if target.is_file() and (f.sha256 is None or sha256_file(target) == f.sha256):
                paths.append(target)
                continue
            paths.append(download(f.url(mirror), target, f.sha256, progress=progress))
        out[src.name] = paths
    return out


# ---- verifying --------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What :func:`verify` found: files that match, differ, are missing, or are not pinned."""

    folder: Path
    ok: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_built: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatched and not self.missing

    def lines(self) -> list[str]:
        out = [f"{self.folder}: {len(self.ok)} file(s) match the pinned SHA-256"]
        out += [f"  MISMATCH {p}" for p in self.mismatched]
        out += [f"  MISSING  {p}" for p in self.missing]
        out += [f"  not pinned (ignored) {p}" for p in self.unknown]
        out += [f"  absent, not built from upstream (this project's own file: docs/data.md) {p}"
                for p in self.not_built]
        return out


def verify(folder: str | os.PathLike[str], sources: Sequence[str] | None = None) -> VerifyReport:
    """Compare ``folder`` with the shipped manifest (only ``sources`` when given)."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"cannot verify {str(root)!r}: not a directory")
    names = {s.name for s in _pick(sources)}
    manifest = {p: v for p, v in load_manifest().items() if p.split("/", 1)[0] in names}
    report = VerifyReport(root)
    for rel, meta in sorted(manifest.items()):
        p = root / rel
        if not p.is_file():
            (report.not_built if rel in NOT_BUILT else report.missing).append(rel)
        elif p.stat().st_size != meta["bytes"] or sha256_file(p) != meta["sha256"]:
            report.mismatched.append(rel)
        else:
            report.ok.append(rel)
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if (p.is_file() and p.name != "README.md" and rel not in manifest
                and rel.split("/", 1)[0] in names):
            report.unknown.append(rel)
    return report


# ---- building ---------------------------------------------------------------------------------


def build(sources: Sequence[str] | None = None, upstream: str | os.PathLike[str] | None = None,
          out: str | os.PathLike[str] | None = None, *,
          log: Callable[[str], None] = print) -> dict[str, list[str]]:
    """Write the extracts of ``sources`` (default: all) from the fetched upstream files.

    Each source is written to a temporary folder and moved into ``out`` only when it is
    complete, so an interrupted build leaves no half-written source behind.

    Returns:
        ``{source: [relative paths written]}``.

    Raises:
        DataError: when an upstream file is missing (run ``routellm data fetch``), malformed
            (naming the file and line), or a source has no builder yet.
    """
    up = Path(upstream) if upstream is not None else upstream_dir()
    dest = Path(out) if out is not None else user_data_dir()
    dest.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[str]] = {}
    picked = _pick(sources)
    if not sources:
        for src in picked:
            if src.builder is None:
                log(f"{src.name}: not built ({src.note}); get {src.name}/ from a checkout's "
                    "../shared/data")
        picked = [s for s in picked if s.builder is not None]
    for src in picked:
        if src.builder is None:
            raise DataError(f"no builder for {src.name!r} yet ({src.note}); build the others "
                            f"with --source, or get {src.name}/ from a checkout's ../shared/data")
        for f in (*src.files, *(g for n in src.needs for g in UPSTREAM[n].files)):
            if not f.local(up).is_file():
                raise DataError(f"{src.name}: upstream file {str(f.local(up))!r} is missing; "
                                f"run `routellm data fetch --source {src.name}` first")
        tmp = dest / f".{src.name}.building"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        files = src.builder(src, up, tmp)
        final = dest / src.name
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
        log(f"{src.name}: wrote {len(files)} file(s) to {final}")
        written[src.name] = files
    return written


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]], *, ascii_only: bool = True) -> None:
    """One JSON object per line, as the reference extracts were written: the older ones with
    non-ASCII characters escaped (``ascii_only``), the six newer ones in plain UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            line = json.dumps(row, ensure_ascii=ascii_only)
            if not ascii_only:
                # the characters str.splitlines() breaks a line at stay escaped, as in the
                # reference extracts (llmrouter has two), so any line reader sees one row
                line = line.translate(_LINE_BREAKS)
            fh.write(line + "\n")


_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def _copy_as_published(src: Source, up: Path, out: Path, strip: str) -> list[str]:
    """Copy every upstream file of ``src`` whose checksum is pinned, under its path minus
    ``strip`` (these files are kept exactly as published)."""
    written = []
    for f in src.files:
        if f.sha256 is None:
            continue
        rel = f.path[len(strip):]
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f.local(up), out / rel)
        written.append(rel)
    return written


def _build_routellm_evals(src: Source, up: Path, out: Path) -> list[str]:
    # The MMLU training split (golden_train_split.jsonl) is this project's, not upstream's,
    # and lives only in the project's data folder: the data rule keeps every copy of that
    # folder out of the repository. Without it, held-out MMLU cannot be told apart from the
    # training rows (load_mmlu says so); everything else builds.
    return _copy_as_published(src, up, out, "routellm/evals/")


def _build_arena_bench(src: Source, up: Path, out: Path) -> list[str]:
    written = _copy_as_published(src, up, out, "data/arena-bench-v1/")
    judgments = sorted((f for f in src.files if "/model_judgment/" in f.path),
                       key=lambda f: Path(f.path).name)
    rows = []
    for f in judgments:
        path = f.local(up)
        for lineno, obj in read_jsonl(path):
            try:
                score = obj["score"]
                rows.append({"question_id": obj["question_id"], "model": obj["model"],
                             # the judge's unparseable outputs are stored as -1 or null upstream
                             "score": float(score) if isinstance(score, (int, float))
                             and score >= 1 else None})
            except KeyError as exc:
                raise DataError(f"{path}:{lineno}: missing field {exc}") from None
    _write_jsonl(out / "judge_scores.jsonl", rows)
    return [*written, "judge_scores.jsonl"]


def _build_arena_human(src: Source, up: Path, out: Path) -> list[str]:
    path = src.files[0].local(up)
    rows = []
    for lineno, obj in read_jsonl(path):
        try:
            rows.append({"question_id": obj["question_id"], "prompt": obj["turns"][0],
                         "model_a": obj["model_a"], "model_b": obj["model_b"],
                         "winner": obj["winner"], "language": obj["language"],
                         "tstamp": obj["tstamp"]})
        except (KeyError, IndexError) as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc}") from None
    _write_jsonl(out / "battles.jsonl", rows)
    return ["battles.jsonl"]


def _simpleqa_model(path: str) -> str:
    """``simple_qa_250_<model>_results.jsonl`` (one run is ``simple_qa_250-<model>_...``)."""
    return Path(path).name[len("simple_qa_250_"):-len("_results.jsonl")]


def _build_simpleqa(src: Source, up: Path, out: Path) -> list[str]:
    import ast

    inputs, *results = src.files
    grades: dict[str, dict[str, str]] = {}
    # the runs in file-name order, as the reference extract lists them
    for f in sorted(results, key=lambda f: Path(f.path).name):
        model = _simpleqa_model(f.path)
        path = f.local(up)
        for lineno, obj in read_jsonl(path):
            try:
                grades.setdefault(str(obj["question_id"]), {})[model] = obj["grade"]
            except KeyError as exc:
                raise DataError(f"{path}:{lineno}: missing field {exc}") from None
    rows = []
    path = inputs.local(up)
    for lineno, obj in read_jsonl(path):
        try:
            qid = str(obj["question_id"])
            # upstream stores the metadata as a Python literal inside a string
            meta = ast.literal_eval(obj["metadata"])
            rows.append({"question_id": qid, "question": obj["prompt"], "answer": obj["label"],
                         "topic": meta["topic"], "answer_type": meta["answer_type"],
                         "grade": grades.get(qid, {})})
        except (KeyError, ValueError, SyntaxError) as exc:
            raise DataError(f"{path}:{lineno}: cannot read the question ({exc})") from None
    _write_jsonl(out / "grades.jsonl", rows, ascii_only=False)
    return ["grades.jsonl"]


class _Decontaminator:
    """The data README's overlap rule (:func:`~routellm_core.data.overlap.same_question`)
    against the evaluation data: the GSM8K prompts, the question part of every MMLU prompt
    (before the choices) and every MT-Bench turn, read from the fetched routellm-evals files.

    Indexed, because the pairwise rule over 15,000 evaluation texts takes tens of seconds per
    source: equal heads are a set lookup, an evaluation text inside a prompt is found through
    its first 41 characters (every window of the prompt is looked up), a prompt inside an
    evaluation text by one search of the joined texts.
    """

    _K = 41  # "over 40 characters"

    def __init__(self, up: Path) -> None:
        import csv

        texts: list[str] = []
        for f in UPSTREAM["routellm-evals"].files:
            path = f.local(up)
            if path.name == "gsm8k_responses.csv" or "/responses/mmlu_" in f.path:
                with path.open(encoding="utf-8", newline="") as fh:
                    for row in csv.DictReader(fh):
                        prompt = row.get("prompt") or ""
                        if "/responses/mmlu_" in f.path:
                            prompt = prompt.split("\nA. ", 1)[0]
                        texts.append(prompt)
            elif f.path.endswith("mt_bench/question.jsonl"):
                for _, obj in read_jsonl(path):
                    texts.extend(str(t) for t in obj.get("turns", []))
        self._texts = sorted({_norm(t) for t in texts} - {""})
        self._heads = {t[:80] for t in self._texts}
        self._by_start: dict[str, list[str]] = {}
        for t in self._texts:
            if len(t) >= self._K:
                self._by_start.setdefault(t[:self._K], []).append(t)
        self._joined = "\x00".join(self._texts)

    def hit(self, text: str) -> bool:
        t = _norm(text)
        if t[:80] in self._heads:
            return True
        if len(t) > 40 and t in self._joined:
            return True
        k = self._K
        for i in range(len(t) - k + 1):
            for e in self._by_start.get(t[i:i + k], ()):
                if t.startswith(e, i):
                    return True
        return False


def _build_routerarena(src: Source, up: Path, out: Path) -> list[str]:
    decon = _Decontaminator(up)
    runs = []
    for f in src.files:
        model = Path(f.path).stem
        path = f.local(up)
        rows = {}
        for lineno, obj in read_jsonl(path):
            try:
                ev = obj["evaluation_result"]
                rows[str(obj["global_index"])] = (obj["question"], ev["metric"], ev["score"],
                                                  ev["inference_cost"])
            except (KeyError, TypeError) as exc:
                raise DataError(f"{path}:{lineno}: missing field {exc}") from None
        runs.append((model, rows))
    first_model, first = runs[0]
    out_rows = []
    for gid, (prompt, metric, _, _) in first.items():
        if not all(gid in rows for _, rows in runs) or decon.hit(prompt):
            continue
        out_rows.append({"global_index": gid, "task": gid.rsplit("_", 1)[0], "prompt": prompt,
                         "metric": metric,
                         "score": {m: rows[gid][2] for m, rows in runs},
                         "cost": {m: rows[gid][3] for m, rows in runs}})
    _write_jsonl(out / "scores.jsonl", out_rows, ascii_only=False)
    return ["scores.jsonl"]


_QLORA_SYSTEMS = {  # system name -> its generation-file stem in the review file names
    "7b-guanaco": "7b-guanaco-oa-generations-topp0.9-temp0.7",
    "13b-guanaco": "13b-guanaco-oa-generations-topp0.9-temp0.7",
    "30b-guanaco": "30b-guanaco-oa-generations-topp0.9-temp0.7",
    "65b-guanaco": "65b-guanaco-oa-generations-topp0.9-temp0.7",
    "vicuna-13b": "vicuna-13b-oa-generations",
    "gpt-3.5": "gpt-3.5-oa-generations",
    "gpt-4": "gpt-4-oa-generations",
}
_QLORA_REVIEWS = "eval/ratings-gpt4/oa/"


def _qlora_review_file(first: str, second: str) -> str:
    """The review file of ``first`` (shown as Assistant 1) against ``second``."""
    return (f"{_QLORA_REVIEWS}{_QLORA_SYSTEMS[first]}-vs-{_QLORA_SYSTEMS[second]}"
            "-gpt-4-reviewer-threeclass.jsonl")


def _qlora_turns(text: str) -> list[dict[str, str]]:
    """``### Human: ... ### Assistant: ... ### Assistant:`` -> the turns before the last
    (empty) assistant turn."""
    import re

    parts = re.split(r"### (Human|Assistant):", text)
    turns = [{"role": "user" if role == "Human" else "assistant", "content": body.strip()}
             for role, body in zip(parts[1::2], parts[2::2])]
    if turns and turns[-1]["role"] == "assistant" and not turns[-1]["content"]:
        turns.pop()
    return turns


def _build_qlora_oa(src: Source, up: Path, out: Path) -> list[str]:
    questions, *reviews = src.files
    path = questions.local(up)
    prompts = []
    for lineno, obj in read_jsonl(path):
        try:
            prompts.append({"message_id": obj["message_id"], "lang": obj["lang"],
                            "turns": _qlora_turns(obj["input"])})
        except KeyError as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc}") from None
    _write_jsonl(out / "prompts.jsonl", prompts, ascii_only=False)
    by_stem = {stem: name for name, stem in _QLORA_SYSTEMS.items()}
    verdicts = {1: "first", 2: "second", 3: "tie"}
    rows = []
    for f in sorted(reviews, key=lambda f: f.path):
        first_stem, second_stem = (Path(f.path).name[:-len("-gpt-4-reviewer-threeclass.jsonl")]
                                   .split("-vs-"))
        first, second = by_stem[first_stem], by_stem[second_stem]
        a, b = sorted((first, second))
        order = "ab" if first == a else "ba"
        path = f.local(up)
        for lineno, obj in read_jsonl(path):
            try:
                v = verdicts.get(obj["score"], "unparsed")
            except KeyError as exc:
                raise DataError(f"{path}:{lineno}: missing field {exc}") from None
            if v in ("first", "second"):
                shown_first_won = v == "first"
                v = "a" if shown_first_won == (order == "ab") else "b"
            rows.append({"message_id": obj["message_id"], "system_a": a, "system_b": b,
                         "order": order, "verdict": v})
    path = out / "reviews.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
    return ["prompts.jsonl", "reviews.jsonl"]


#: the three forks whose battle files arena-hard-v0.1 collapses, in the extract's order, with
#: the judge of each
_ARENA_HARD_FORKS = (
    ("Myashka/arena-hard-auto", "cc9c5834", "data/arena_hard_battles.jsonl", "gpt-4-1106-preview"),
    ("zeppombal/arena-hard-auto", "c9c6b17f", "data/arena_hard_battles.jsonl",
     "gpt-4-1106-preview"),
    ("danielwetzel/arena-hard-auto", "67a821c9", "data/arena-hard-v0.1_battles.jsonl", "gpt-4o"),
)
#: zeppombal's battles of these models copy the upstream judgments that Myashka's fork also
#: holds; they are kept once, under Myashka
_ARENA_HARD_DUPLICATES = ("zeppombal/arena-hard-auto", ("gpt-3.5-turbo-0125", "gpt-4-0613"))


def _build_arena_hard(src: Source, up: Path, out: Path) -> list[str]:
    decon = _Decontaminator(up)
    questions, *forks = src.files
    path = questions.local(up)
    kept = []
    for lineno, obj in read_jsonl(path):
        try:
            # the v0.1 file has been published as question_id/cluster/turns and as
            # uid/subcategory/prompt
            qid = obj["uid"] if "uid" in obj else obj["question_id"]
            prompt = obj["prompt"] if "prompt" in obj else obj["turns"][0]["content"]
            cluster = obj["cluster"] if "cluster" in obj else obj["subcategory"]
        except (KeyError, IndexError, TypeError) as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc}") from None
        if not decon.hit(prompt):
            kept.append({"question_id": qid, "cluster": cluster, "prompt": prompt})
    _write_jsonl(out / "question.jsonl", kept, ascii_only=False)
    keep = {q["question_id"] for q in kept}
    judges = {f"{repo}@{commit}": judge for repo, commit, _, judge in _ARENA_HARD_FORKS}
    rows = []
    for f in forks:
        counts: dict[tuple[str, str, str, str], int] = {}
        path = f.local(up)
        for lineno, obj in read_jsonl(path):
            try:
                key = (str(obj["question_id"]), obj["model_a"], obj["model_b"], obj["winner"])
            except KeyError as exc:
                raise DataError(f"{path}:{lineno}: missing field {exc}") from None
            if key[0] not in keep or (f.repo == _ARENA_HARD_DUPLICATES[0]
                                      and key[2] in _ARENA_HARD_DUPLICATES[1]):
                continue
            counts[key] = counts.get(key, 0) + 1  # dicts keep the first appearance's order
        rows += [{"question_id": q, "model_a": a, "model_b": b, "winner": w, "count": n,
                  "judge": judges[f"{f.repo}@{f.commit}"], "fork": f.repo}
                 for (q, a, b, w), n in counts.items()]
    path = out / "battles.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
    return ["question.jsonl", "battles.jsonl"]


_VICUNA_TABLE = "fastchat/eval/table/"
#: the review files the extract reads: (folder, answer-1 model, answer-2 model); the judge is
#: gpt-3.5-turbo in the gpt-3.5-turbo_review_* folders, GPT-4 in the others
_VICUNA_REVIEWS = tuple(
    (folder, first, second)
    for folder, second in (
        ("gpt-3.5-turbo_review_vicuna-13b-20230322-new-hp-fp16", "vicuna-13b-20230322-new-hp-fp16"),
        ("vicuna-13b-20230322-clean-lang", "vicuna-13b-20230322-clean-lang"),
        ("vicuna-13b-20230322-new-hp-fp16", "vicuna-13b-20230322-new-hp-fp16"),
        ("vicuna-7b-20230322-fp16", "vicuna-7b-20230322-fp16"),
    )
    for first in ("alpaca-13b", "bard", "gpt35",
                  "llama-13b" if folder.startswith("gpt-3.5") or "clean-lang" in folder
                  else "llama")
)
#: the answer files' model_id of each name in the review file names
_VICUNA_MODEL_IDS = {
    "alpaca-13b": "alpaca-13b:v1", "bard": "bard:20230327", "gpt35": "gpt-3.5-turbo:20230327",
    "llama": "llama-13b:v1", "llama-13b": "llama-13b:v1",
    "vicuna-13b-20230322-new-hp-fp16": "vicuna-13b:20230322-new-hp-fp16",
    "vicuna-13b-20230322-clean-lang": "vicuna-13b:20230322-clean-lang",
    "vicuna-7b-20230322-fp16": "vicuna-7b:20230322-fp16",
}
_VICUNA_GPT4_JUDGE = "gpt-4 (2023-03/04, FastChat reviewer gpt-4-0328-*)"


def _vicuna_review_path(folder: str, first: str, second: str) -> str:
    prefix = "gpt-3.5-turbo_" if folder.startswith("gpt-3.5-turbo_") else ""
    return f"{_VICUNA_TABLE}review/{folder}/{prefix}review_{first}_{second}.jsonl"


def _build_vicuna_bench(src: Source, up: Path, out: Path) -> list[str]:
    questions, *reviews = src.files
    # two questions are word for word MT-Bench questions: dropped
    mt_bench: set[str] = set()
    for f in UPSTREAM["routellm-evals"].files:
        if f.path.endswith("mt_bench/question.jsonl"):
            for _, obj in read_jsonl(f.local(up)):
                mt_bench.update(_norm(str(t)) for t in obj.get("turns", []))
    path = questions.local(up)
    texts: dict[int, tuple[str, str]] = {}
    for lineno, obj in read_jsonl(path):
        try:
            if _norm(obj["text"]) not in mt_bench:
                texts[int(obj["question_id"])] = (obj["category"], obj["text"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}:{lineno}: cannot read the question ({exc})") from None
    names = {_vicuna_review_path(*r): r for r in _VICUNA_REVIEWS}
    rows = []
    for f in sorted(reviews, key=lambda f: f.path):
        folder, first, second = names[f.path]
        judge = "gpt-3.5-turbo" if folder.startswith("gpt-3.5-turbo_") else _VICUNA_GPT4_JUDGE
        path = f.local(up)
        for lineno, obj in read_jsonl(path):
            try:
                qid = int(obj["question_id"])
                score_a, score_b = obj["score"]
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{path}:{lineno}: cannot read the review ({exc})") from None
            if qid not in texts or min(score_a, score_b) < 0:  # -1: the judge gave no score
                continue
            category, text = texts[qid]
            winner = "model_a" if score_a > score_b else "model_b" if score_b > score_a else "tie"
            rows.append({"question_id": qid, "category": category, "prompt": text,
                         "model_a": _VICUNA_MODEL_IDS[first],
                         "model_b": _VICUNA_MODEL_IDS[second], "score_a": score_a,
                         "score_b": score_b, "winner": winner, "judge": judge, "path": f.path})
    _write_jsonl(out / "reviews.jsonl", rows)
    return ["reviews.jsonl"]


# ---- mmlu-pro, theoremqa, llmrouter -------------------------------------------------------------

_MMLU_PRO_HEAD = ("TIGER-AI-Lab/MMLU-Pro", "f418b116")
_MMLU_PRO_GPT4O = ("TIGER-AI-Lab/MMLU-Pro", "ff991b5b")
_MMLU_PRO_CATEGORIES = (
    "biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
    "history", "law", "math", "other", "philosophy", "physics", "psychology")
#: the models whose 5-shot outputs eval_results/ holds as one zip each (HEAD)
_MMLU_PRO_ZIPPED = (
    "DeepSeek-Coder-V2 Llama-2-13b-hf Llama-2-70b-hf Llama-2-7b-hf Meta-Llama-3-70B "
    "Meta-Llama-3-8B Meta-Llama-3_1-70B-Instruct Meta-Llama-3_1-70B Meta-Llama-3_1-8B-Instruct "
    "Meta-Llama-3_1-8B Mistral-7B-Instruct-v0.1 Mistral-7B-Instruct-v0.2 Mistral-7B-v0.1 "
    "Mistral-7B-v0.2-hf Mixtral-8x7B-Instruct-v0.1 Mixtral-8x7B-v0.1 Phi-3-mini-4k-instruct "
    "Qwen1.5-110B Qwen1.5-72B-Chat Qwen1.5-7B-Chat Yi-34B Yi-6B Yi-6b-Chat c4ai-command-r-v01 "
    "gemini-1.5-flash-002 gemini-1.5-pro-002 gemma-7b jamba-1.5-large mathstral-7B"
).split()
#: the early runs kept as one ``<category>_result.json`` per category in a folder, with the
#: model name the extract gives them
_MMLU_PRO_FOLDERS = {"gpt4o": "gpt-4o-2024-05-13(early-set)",
                     "deepseek": "deepseek-chat-v2(early-set)"}


def _mmlu_pro_files() -> tuple[UpstreamFile, ...]:
    zips = [UpstreamFile(*_MMLU_PRO_HEAD, f"eval_results/model_outputs_{m}_5shots.zip")
            for m in _MMLU_PRO_ZIPPED]
    folders = [UpstreamFile(*(_MMLU_PRO_GPT4O if d == "gpt4o" else _MMLU_PRO_HEAD),
                            f"eval_results/{d}/{c}_result.json")
               for d in _MMLU_PRO_FOLDERS for c in _MMLU_PRO_CATEGORIES]
    return (*zips, *folders)


def _mmlu_pro_model(path: str) -> str:
    """The model an eval_results/ file holds, as the extract names it."""
    name = Path(path).name
    if name.startswith("model_outputs_") and name.endswith("_5shots.zip"):
        return name[len("model_outputs_"):-len("_5shots.zip")]
    return _MMLU_PRO_FOLDERS[Path(path).parent.name]


def _read_json_array(data: bytes, where: str) -> list[dict[str, Any]]:
    """A JSON array of objects (how MMLU-Pro and TheoremQA publish results), or, as a
    fallback, one object per line; a corrupt file names itself (and the line)."""
    text = data.decode("utf-8")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.lstrip().startswith("{"):
            raise DataError(f"{where}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        parsed = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    parsed.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise DataError(f"{where}:{lineno}: not valid JSON ({err.msg})") from None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(o, dict) for o in parsed):
        raise DataError(f"{where}: expected a JSON array of objects")
    return parsed


def _mmlu_pro_results(path: Path) -> Iterable[tuple[str, list[dict[str, Any]]]]:
    """``(where, rows)`` of every per-category result file in a zip or a result file."""
    if path.suffix != ".zip":
        yield str(path), _read_json_array(path.read_bytes(), str(path))
        return
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            members = sorted(
                n for n in zf.namelist()
                if n.endswith(".json") and "summary" not in Path(n).name
                and not Path(n).name.startswith("._") and "__MACOSX" not in n)
            if not members:
                raise DataError(f"{path}: no per-category result file (*_result.json) inside")
            for n in members:
                yield f"{path}!{n}", _read_json_array(zf.read(n), f"{path}!{n}")
    except zipfile.BadZipFile:
        raise DataError(f"{path}: not a zip file (a broken download? delete it and run "
                        "`routellm data fetch --source mmlu-pro` again)") from None


def _build_mmlu_pro(src: Source, up: Path, out: Path) -> list[str]:
    questions: dict[int, dict[str, Any]] = {}
    correct: dict[int, dict[str, int]] = {}
    for f in sorted(src.files, key=lambda f: _mmlu_pro_model(f.path)):
        model = _mmlu_pro_model(f.path)
        for where, rows in _mmlu_pro_results(f.local(up)):
            for i, obj in enumerate(rows):
                try:
                    # the ori_mmlu-* rows are MMLU test questions: left out (decontamination)
                    if str(obj["src"]).startswith("ori_mmlu"):
                        continue
                    qid = int(obj["question_id"])
                    if qid not in questions:
                        questions[qid] = {"question_id": qid, "question": obj["question"],
                                          "options": obj["options"], "answer": obj["answer"],
                                          "category": obj["category"], "src": obj["src"]}
                    hit = obj.get("pred") is not None and obj["pred"] == obj["answer"]
                except (KeyError, TypeError, ValueError) as exc:
                    raise DataError(f"{where}: row {i}: cannot read the result ({exc})") from None
                correct.setdefault(qid, {})[model] = int(hit)
    # every model is named in every row: null where its files hold no row for the question
    models = sorted({_mmlu_pro_model(f.path) for f in src.files})
    rows_out = [{**questions[q], "correct": {m: correct[q].get(m) for m in models}}
                for q in sorted(questions)]
    _write_jsonl(out / "correctness.jsonl", rows_out)
    return ["correctness.jsonl"]


_THEOREMQA = ("wenhuchen/TheoremQA", "0f6bbb06")
#: the run files of outputs/ (file names at the pinned commit, as far as they could be
#: established: docs/data.md); random_guess.jsonl.corrected is left out by the README
_THEOREMQA_RUNS = (
    "ChatGPT_s0_e-1_05_13_10_25", "ChatGPT_PoT_s0_e-1_05_13_10_25", "GPT3.5_s0_e-1_05_13_11_04",
    "GPT3.5_PoT_s0_e-1_05_20_00_02", "GPT3_s0_e-1_05_13_11_04", "GPT3_PoT_s0_e-1_05_20_20_02",
    "GPT4_s0_e-1_06_15_22_38", "GPT4_PoT_s0_e-1_06_15_22_59", "alpaca_s0_e-1_05_15_02_19",
    "anthropic_instant-v1_s0_e-1_05_27_09_42", "anthropic_v1_s0_e-1_05_12_23_41",
    "anthropic_v1_PoT_s0_e-1_05_13_23_19", "anthropic_v2_s0_e-1_08_02_00_15",
    "pythia_s0_e-1_05_17_00_17", "starchat_PoT_s0_e-1_05_17_22_57", "vicuna_s0_e-1_05_16_19_54",
)
_THEOREMQA_LEFT_OUT = frozenset({"random_guess"})


def _theoremqa_run(path: str) -> str | None:
    """``<file prefix>_<method>`` of a run file (PoT when the prefix says so, else CoT);
    ``None`` for a run the extract leaves out."""
    stem = Path(path).name.split(".jsonl", 1)[0]
    prefix = stem.split("_s0_", 1)[0]
    if prefix in _THEOREMQA_LEFT_OUT:
        return None
    return prefix if prefix.endswith("_PoT") else f"{prefix}_CoT"


def _build_theoremqa(src: Source, up: Path, out: Path) -> list[str]:
    decon = _Decontaminator(up)
    test, *runs = src.files
    correct: dict[str, dict[str, bool]] = {}
    for f in runs:
        run = _theoremqa_run(f.path)
        if run is None:
            continue
        path = f.local(up)
        for i, obj in enumerate(_read_json_array(path.read_bytes(), str(path))):
            try:
                correct.setdefault(str(obj["id"]), {})[run] = bool(obj["correct"])
            except KeyError as exc:
                raise DataError(f"{path}: row {i}: missing field {exc}") from None
    path = test.local(up)
    rows = []
    for i, obj in enumerate(_read_json_array(path.read_bytes(), str(path))):
        try:
            qid = str(obj["id"])
            row = {"id": qid, "question": obj["Question"], "answer": obj["Answer"],
                   "answer_type": obj["Answer_type"], "field": obj["field"],
                   "subfield": obj["subfield"], "has_picture": bool(obj.get("Picture"))}
        except KeyError as exc:
            raise DataError(f"{path}: row {i}: missing field {exc}") from None
        if decon.hit(row["question"]):
            continue
        rows.append({**row, "correct": dict(sorted(correct.get(qid, {}).items()))})
    _write_jsonl(out / "correctness.jsonl", rows, ascii_only=False)
    return ["correctness.jsonl"]


_LLMROUTER = ("ulab-uiuc/LLMRouter", "4e7a7969")
#: tasks kept out of training by decision of the project (data README); a text filed under
#: one of them is left out under every task
_LLMROUTER_LEFT_OUT = frozenset({"agentverse-mgsm", "mbpp", "arc_challenge"})


def _llmrouter_choices(value: Any, where: str) -> list[str] | None:
    """The option texts of a query row's ``choices`` (a dict, or its Python repr as a string,
    both published), ``None`` for a task without options."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str):
        import ast

        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise DataError(f"{where}: cannot read choices {value[:60]!r}") from None
    texts = value.get("text") if isinstance(value, dict) else value
    if not isinstance(texts, list):
        raise DataError(f"{where}: choices without a 'text' list")
    return [str(t) for t in texts] or None


def _llmrouter_tasks(path: Path) -> list[tuple[str, str, list[str] | None]]:
    """``(query, task, choices)`` of every row of a query file, in order."""
    out = []
    for lineno, obj in read_jsonl(path):
        try:
            out.append((obj["query"], obj["task_name"],
                        _llmrouter_choices(obj.get("choices"), f"{path}:{lineno}")))
        except KeyError as exc:
            raise DataError(f"{path}:{lineno}: missing field {exc}") from None
    return out


def _llmrouter_join(scored: list[dict[str, Any]], queries: list[tuple[str, str, list[str] | None]],
                    where: str) -> list[tuple[str, list[str] | None]]:
    """The task (and choices) of each preprocessed row: the query row with the same text; a
    text filed more than once takes the next such row at or after the last one used (the
    preprocessed file follows the query file's order)."""
    at: dict[str, list[int]] = {}
    for j, (text, _, _) in enumerate(queries):
        at.setdefault(text, []).append(j)
    out = []
    last = 0
    for i, obj in enumerate(scored):
        spots = at.get(obj["question"])
        if not spots:
            raise DataError(f"{where}: row {i}: its question is in no query file "
                            "(data/example_data/query_data/default_query_*.jsonl)")
        j = next((s for s in spots if s >= last), spots[-1])
        last = j + 1
        out.append((queries[j][1], queries[j][2]))
    return out


def _build_llmrouter(src: Source, up: Path, out: Path) -> list[str]:
    decon = _Decontaminator(up)
    by_name = {Path(f.path).name: f.local(up) for f in src.files}
    queries = (_llmrouter_tasks(by_name["default_query_train.jsonl"])
               + _llmrouter_tasks(by_name["default_query_test.jsonl"]))
    left_out = {text for text, task, _ in queries if task in _LLMROUTER_LEFT_OUT}
    splits = {}
    for split in ("train", "test"):
        path = by_name[f"{split}.json"]
        scored = _read_json_array(path.read_bytes(), str(path))
        for i, obj in enumerate(scored):
            if not isinstance(obj.get("question"), str) or not isinstance(obj.get("scores"), dict):
                raise DataError(f"{path}: row {i}: expected 'question' (text) and 'scores' "
                                "({model: score})")
        splits[split] = (scored, _llmrouter_join(scored, queries, str(path)))
    train_texts = {obj["question"] for obj in splits["train"][0]}
    test_texts = {obj["question"] for obj in splits["test"][0]}
    rows = []
    for split in ("train", "test"):
        scored, tasks = splits[split]
        for i, (obj, (task, choices)) in enumerate(zip(scored, tasks)):
            text = obj["question"]
            if split == "test" and text in train_texts:
                continue  # kept once, as the train.json row (with its scores)
            if task in _LLMROUTER_LEFT_OUT or text in left_out or decon.hit(text):
                continue
            row: dict[str, Any] = {
                "id": f"{split}/{i}", "task": task,
                "split": "both" if split == "train" and text in test_texts else split,
                "prompt": text}
            if choices:
                row["choices"] = choices
            row["scores"] = obj["scores"]
            rows.append(row)
    _write_jsonl(out / "scores.jsonl", rows, ascii_only=False)
    return ["scores.jsonl"]


# ---- the catalogue ----------------------------------------------------------------------------

_MMLU_DOMAINS = (
    "abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology "
    "college_chemistry college_computer_science college_mathematics college_medicine "
    "college_physics computer_security conceptual_physics econometrics electrical_engineering "
    "elementary_mathematics formal_logic global_facts high_school_biology high_school_chemistry "
    "high_school_computer_science high_school_european_history high_school_geography "
    "high_school_government_and_politics high_school_macroeconomics high_school_mathematics "
    "high_school_microeconomics high_school_physics high_school_psychology "
    "high_school_statistics high_school_us_history high_school_world_history human_aging "
    "human_sexuality international_law jurisprudence logical_fallacies machine_learning "
    "management marketing medical_genetics miscellaneous moral_disputes moral_scenarios "
    "nutrition philosophy prehistory professional_accounting professional_law "
    "professional_medicine professional_psychology public_relations security_studies sociology "
    "us_foreign_policy virology world_religions"
).split()

_ARENA_ANSWERS = (
    "Llama-2-70b-chat Mistral-7B-Instruct-v0.1 Mixtral-8x7B-Instruct-v0.1 Starling-LM-7B-alpha "
    "claude-1 claude-2.1 claude-instant-1 gpt-3.5-turbo-1106 gpt-3.5-turbo gpt-4-0314 "
    "gpt-4-1106-preview openchat_3.5 palm-2-chat-bison-001 vicuna-13b-v1.5 vicuna-33b-v1.3 "
    "vicuna-7b-v1.5"
).split()
_ARENA_JUDGED = [m for m in _ARENA_ANSWERS if m not in ("vicuna-13b-v1.5", "vicuna-7b-v1.5")]

_SIMPLEQA_RUNS = (
    "gpt-4o gpt-4o-mini claude-3.5-sonnet gemini-v1.5-pro gemini-v1.5-flash llama31-405b "
    "llama31-70b geminipro claude-3.5-sonnet-agent gpt-4o-agent gpt-4o-agent_serp "
    "gemini-v1.5-pro-agent gpt-4o-mini-agent gpt-4o-mini-agent_serp llama31-70b-agent "
    "llama31-405b-agent gemini-v1.5-flash-agent-ablation geminipro-agent gemini-v1.5-flash-agent "
    "llama-3.1-sonar-huge-128k-online llama-3.1-sonar-large-128k-online"
).split()


def _pinned(source: str, path: str) -> str | None:
    """The SHA-256 of a file the data folder keeps exactly as published (from the manifest)."""
    meta = load_manifest().get(f"{source}/{path}")
    return None if meta is None else str(meta["sha256"])


def _catalogue() -> dict[str, Source]:
    routellm = ("lm-sys/RouteLLM", "0b64fdaf")
    evals = [f"mmlu/responses/mmlu_{d}.csv" for d in _MMLU_DOMAINS] + [
        "mmlu/contaminated_prompts.jsonl", "gsm8k/gsm8k_responses.csv",
        "gsm8k/contaminated_prompts.jsonl", "mt_bench/question.jsonl",
        "mt_bench/judgements.jsonl", "mt_bench/contaminated_prompts.jsonl"]
    arena = ("lmarena/arena-hard-auto", "ac4ad9a93a452cb256e83fe6d89957676c64f19b")
    ab = "data/arena-bench-v1/"
    arena_bench = [UpstreamFile(*arena, ab + "question.jsonl", _pinned("arena-bench-v1", "question.jsonl"))]
    arena_bench += [UpstreamFile(*arena, f"{ab}model_answer/{m}.jsonl",
                                 _pinned("arena-bench-v1", f"model_answer/{m}.jsonl"))
                    for m in _ARENA_ANSWERS]
    arena_bench += [UpstreamFile(*arena, f"{ab}model_judgment/{m}.jsonl") for m in _ARENA_JUDGED]
    fastchat_pr = ("lm-sys/FastChat", "59079ec1")
    sources = [
        Source("routellm-evals", "Apache-2.0 (MMLU and GSM8K questions: MIT)",
               tuple(UpstreamFile(*routellm, f"routellm/evals/{p}", _pinned("routellm-evals", p))
                     for p in evals),
               _build_routellm_evals),
        Source("arena-bench-v1", "Apache-2.0", tuple(arena_bench), _build_arena_bench),
        Source("arena-human", "Apache-2.0 (prompts: Chatbot Arena conversations release)",
               (UpstreamFile("lm-sys/FastChat", "396a8b2f2f06c18300e1efa364a981262b339b8c",
                             "fastchat/llm_judge/data/arena_hard_1k/question_original.jsonl"),),
               _build_arena_human),
        Source("simpleqa", "Apache-2.0 (SimpleQA questions: MIT)",
               (UpstreamFile(*fastchat_pr, "evaluation/eval_inputs/simple_qa_250.jsonl"),
                *(UpstreamFile(*fastchat_pr, "evaluation/eval_results/simple_qa_250"
                               f"{'-' if m.endswith('-ablation') else '_'}{m}_results.jsonl")
                  for m in _SIMPLEQA_RUNS)),
               _build_simpleqa),
        Source("arena-hard-v0.1", "Apache-2.0",
               (UpstreamFile("lmarena/arena-hard-auto", "196f6b82",
                             "data/arena-hard-v0.1/question.jsonl"),
                *(UpstreamFile(repo, commit, path) for repo, commit, path, _ in _ARENA_HARD_FORKS)),
               _build_arena_hard, needs=("routellm-evals",)),
        Source("llmrouter", "MIT",
               tuple(UpstreamFile(*_LLMROUTER, p) for p in (
                   "data/dcrouter_preprocessed/train.json",
                   "data/dcrouter_preprocessed/test.json",
                   "data/example_data/query_data/default_query_train.jsonl",
                   "data/example_data/query_data/default_query_test.jsonl")),
               _build_llmrouter, needs=("routellm-evals",)),
        Source("routerarena", "Apache-2.0",
               tuple(UpstreamFile("RouteWorks/RouterArena", "4714a9ad", f"cached_results/{m}.jsonl")
                     for m in ("claude-3-haiku-20240307", "gemini-2.0-flash-001")),
               _build_routerarena, needs=("routellm-evals",)),
        Source("theoremqa", "MIT",
               (UpstreamFile(*_THEOREMQA, "theoremqa_test.json"),
                *(UpstreamFile(*_THEOREMQA, f"outputs/{r}.jsonl.corrected")
                  for r in _THEOREMQA_RUNS)),
               _build_theoremqa, needs=("routellm-evals",)),
        Source("qlora-oa", "MIT (prompts: OpenAssistant OASST1, Apache-2.0)",
               (UpstreamFile("artidoro/qlora", "7f4e95a6", "eval/prompts/oa_questions.jsonl"),
                *(UpstreamFile("artidoro/qlora", "7f4e95a6", _qlora_review_file(x, y))
                  for x in _QLORA_SYSTEMS for y in _QLORA_SYSTEMS if x != y)),
               _build_qlora_oa),
        Source("mmlu-pro", "Apache-2.0 repository (dataset card: MIT)", _mmlu_pro_files(),
               _build_mmlu_pro),
        Source("vicuna-bench", "Apache-2.0",
               (UpstreamFile("lm-sys/FastChat", "6ed0394d", f"{_VICUNA_TABLE}question.jsonl"),
                *(UpstreamFile("lm-sys/FastChat", "6ed0394d", _vicuna_review_path(*r))
                  for r in _VICUNA_REVIEWS)),
               _build_vicuna_bench, needs=("routellm-evals",)),
    ]
    return {s.name: s for s in sources}


UPSTREAM: dict[str, Source] = _catalogue()


def _pick(sources: Sequence[str] | None) -> list[Source]:
    if not sources:
        return list(UPSTREAM.values())
    out = []
    for name in sources:
        if name not in UPSTREAM:
            raise unknown_name("data source", name, UPSTREAM)
        out.append(UPSTREAM[name])
    return out
