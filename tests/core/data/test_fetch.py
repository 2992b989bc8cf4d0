"""``routellm data``: downloads over real HTTP from a local server (127.0.0.1 only), the
extract builders on files in the upstream formats, verify and where."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pytest_socket import enable_socket, socket_allow_hosts

from routellm_core.cli.main import main
from routellm_core.data import fetch as fetch_mod
from routellm_core.data.benchmarks import mmlu_train_rows
from routellm_core.data.fetch import UPSTREAM, build, download, fetch, verify, write_manifest
from routellm_core.errors import DataError


class _Handler(BaseHTTPRequestHandler):
    """Serves ``files`` with ``Range`` support; the first request for a path in ``break_after``
    sends only that many bytes and then drops the connection."""

    files: ClassVar[dict[str, bytes]] = {}
    break_after: ClassVar[dict[str, int]] = {}
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        rng = self.headers.get("Range")
        self.requests.append((self.path, rng))
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body) - start))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        cut = self.break_after.pop(self.path, None)
        if cut is not None:
            self.wfile.write(body[start:start + cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture
def server() -> Iterator[str]:
    """A local HTTP server; sockets may reach 127.0.0.1 only while it runs."""
    _Handler.files, _Handler.break_after, _Handler.requests = {}, {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        enable_socket()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache, and no ../shared/data or $ROUTELLM_DATA_DIR in the lookup."""
    monkeypatch.setenv("ROUTELLM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ROUTELLM_DATA_DIR", raising=False)
    monkeypatch.delenv("ROUTELLM_DATA_MIRROR", raising=False)
    monkeypatch.setattr("routellm_core.data.files._default_candidates",
                        lambda: [tmp_path / "no-shared" / "data"])
    return tmp_path / "cache"


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_download_resumes_a_broken_connection_with_a_range_request(server, tmp_path):
    body = bytes(range(256)) * 2000
    _Handler.files["/f.bin"] = body
    _Handler.break_after["/f.bin"] = 100_000
    out = download(f"{server}/f.bin", tmp_path / "f.bin", _sha(body), progress=False)
    assert out.read_bytes() == body
    # the second request asks only for what is missing (httpx hands over whole 64 KiB chunks,
    # so the resume point is the last complete chunk before the break)
    (_, first), (_, second) = _Handler.requests
    assert first is None and second is not None
    assert 0 < int(second.split("=")[1].rstrip("-")) <= 100_000
    assert not (tmp_path / "f.bin.part").exists()


def test_download_checksum_mismatch_removes_the_file_and_names_both_sums(server, tmp_path):
    _Handler.files["/f.bin"] = b"tampered"
    with pytest.raises(DataError) as e:
        download(f"{server}/f.bin", tmp_path / "f.bin", _sha(b"original"), progress=False)
    assert "checksum mismatch" in str(e.value) and _sha(b"original") in str(e.value)
    assert _sha(b"tampered") in str(e.value)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_download_404_names_the_url(server, tmp_path):
    with pytest.raises(DataError, match=r"/missing\.jsonl failed: HTTP 404"):
        download(f"{server}/missing.jsonl", tmp_path / "m.jsonl", progress=False)
    assert not (tmp_path / "m.jsonl").exists()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sockets_reach_only_loopback_during_the_server_tests(server):
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("10.255.255.1", 80), timeout=0.1)


# ---- fetch and build, end to end through the CLI, with files in the upstream formats ----------

_BATTLES = [
    {"question_id": "q1", "model_a": "gpt-4", "model_b": "vicuna-13b", "winner": "model_a",
     "judge": "arena_user_1", "turn": 1, "anony": True, "language": "English",
     "tstamp": 1682354167.285, "turns": ["Prove it, caf\u00e9."],
     "claude-2": [{"index": 0, "turns": ["a rating"]}]},
    {"question_id": "q2", "model_a": "llama-13b", "model_b": "gpt-4", "winner": "tie",
     "judge": "arena_user_2", "turn": 1, "anony": True, "language": "English",
     "tstamp": 1682356744.168, "turns": ["hi"]},
]


def _serve_arena_human(rows: list[dict[str, Any]]) -> str:
    f = UPSTREAM["arena-human"].files[0]
    path = f"/{f.repo}/{f.commit}/{f.path}"
    _Handler.files[path] = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return path


def test_fetch_build_verify_where_through_the_cli(server, cache, tmp_path, monkeypatch, capsys):
    _serve_arena_human(_BATTLES)
    assert main(["data", "where"]) == 1
    assert "routellm data fetch && routellm data build" in capsys.readouterr().out

    assert main(["data", "fetch", "--source", "arena-human", "--mirror", server,
                 "--no-progress"]) == 0
    assert main(["data", "build", "--source", "arena-human"]) == 0
    built = cache / "data" / "arena-human" / "battles.jsonl"
    rows = [json.loads(line) for line in built.read_text().splitlines()]
    assert rows[0] == {"question_id": "q1", "prompt": "Prove it, caf\u00e9.", "model_a": "gpt-4",
                       "model_b": "vicuna-13b", "winner": "model_a", "language": "English",
                       "tstamp": 1682354167.285}
    assert [r["winner"] for r in rows] == ["model_a", "tie"]

    capsys.readouterr()
    assert main(["data", "where"]) == 0
    out = capsys.readouterr().out
    assert f"data: {cache / 'data'}" in out and "why: the user cache" in out

    # the pinned checksums: this fixture is not the real file, so verify fails and says which
    assert main(["data", "verify", "--source", "arena-human"]) == 1
    assert "MISMATCH arena-human/battles.jsonl" in capsys.readouterr().out
    # against a manifest of the built folder it passes
    manifest = tmp_path / "manifest.json"
    write_manifest(cache / "data", manifest)
    monkeypatch.setattr(fetch_mod, "_MANIFEST", manifest)
    assert main(["data", "verify", "--source", "arena-human"]) == 0


def test_fetch_keeps_complete_files_and_resumes_a_broken_one(server, cache):
    path = _serve_arena_human(_BATTLES * 3000)  # > 4 chunks of 64 KiB
    size = len(_Handler.files[path])
    _Handler.break_after[path] = size // 3
    fetch(["arena-human"], mirror=server, progress=False, log=lambda s: None)
    ranges = [r for _, r in _Handler.requests]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1] is not None
    fetch(["arena-human"], mirror=server, progress=False, log=lambda s: None)
    assert len(_Handler.requests) == 2  # already there: not downloaded again


def test_fetch_404_and_unknown_source_are_clear_errors(server, cache, capsys):
    assert main(["data", "fetch", "--source", "arena-human", "--mirror", server,
                 "--no-progress"]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["data", "fetch", "--source", "arena-humans"]) == 2
    err = capsys.readouterr().err
    assert "unknown data source 'arena-humans'" in err and "arena-human" in err


def test_build_without_fetch_names_the_missing_file_and_the_command(cache):
    with pytest.raises(DataError, match="routellm data fetch --source arena-human"):
        build(["arena-human"], log=lambda s: None)


def test_build_names_the_file_and_line_of_a_malformed_upstream_row(cache):
    f = UPSTREAM["arena-human"].files[0]
    p = f.local(cache / "upstream")
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(_BATTLES[0]) + "\n" + json.dumps({"question_id": "x"}) + "\n")
    with pytest.raises(DataError, match=r"question_original\.jsonl:2: missing field"):
        build(["arena-human"], log=lambda s: None)
    assert not (cache / "data" / "arena-human").exists()


def test_a_source_without_builder_is_named_not_silently_skipped(cache, monkeypatch):
    src = UPSTREAM["mmlu-pro"]
    monkeypatch.setitem(UPSTREAM, "mmlu-pro",
                        fetch_mod.Source(src.name, src.licence, src.files, None, note="a note"))
    with pytest.raises(DataError, match=r"no builder for 'mmlu-pro' yet \(a note\)"):
        build(["mmlu-pro"], log=lambda s: None)
    logged: list[str] = []
    with pytest.raises(DataError, match="upstream file"):  # the others are still built
        build(log=logged.append)
    assert any(line.startswith("mmlu-pro: not built (a note)") for line in logged)


def test_every_source_of_the_data_readme_is_in_the_catalogue():
    assert set(UPSTREAM) == {"routellm-evals", "arena-bench-v1", "arena-human", "mmlu-pro",
                             "vicuna-bench", "llmrouter", "theoremqa", "qlora-oa",
                             "arena-hard-v0.1", "simpleqa", "routerarena"}
    manifest_sources = {p.split("/", 1)[0] for p in fetch_mod.load_manifest()}
    assert manifest_sources == set(UPSTREAM)


# ---- the lookup order -------------------------------------------------------------------------


def test_a_wrong_data_env_is_an_error_not_ignored(cache, tmp_path, monkeypatch, capsys):
    (tmp_path / "no-shared" / "data").mkdir(parents=True)  # a folder the lookup would use
    monkeypatch.setenv("ROUTELLM_DATA_DIR", str(tmp_path / "typo"))
    assert main(["eval", "--router", "random", "--benchmark", "mt-bench", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "typo" in err and "$ROUTELLM_DATA_DIR" in err and "does not exist" in err


def test_the_missing_data_error_gives_the_one_command(cache, capsys):
    assert main(["eval", "--router", "random", "--benchmark", "mt-bench", "--no-progress"]) == 2
    assert "routellm data fetch && routellm data build" in capsys.readouterr().err


def test_router_typo_is_reported_before_any_data_is_read(cache, monkeypatch, capsys):
    def no_data(*a: Any, **k: Any) -> None:
        raise AssertionError("data was read")

    monkeypatch.setattr("routellm_core.cli.eval.load_benchmarks", no_data)
    assert main(["eval", "--router", "gpt5"]) == 2
    assert "unknown router 'gpt5'" in capsys.readouterr().err
    assert main(["demo", "--routers", "gpt5", "--no-progress"]) == 2
    assert "unknown router 'gpt5'" in capsys.readouterr().err


# ---- the builders reproduce the pinned extracts byte for byte (needs the real data) -----------


def test_arena_human_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    f = UPSTREAM["arena-human"].files[0]
    p = f.local(up)
    p.parent.mkdir(parents=True)
    with p.open("w") as fh:
        for _, row in fetch_mod.read_jsonl(data_dir / "arena-human" / "battles.jsonl"):
            prompt = row.pop("prompt")
            fh.write(json.dumps({**row, "judge": "arena_user", "turn": 1, "anony": True,
                                 "turns": [prompt]}) + "\n")
    build(["arena-human"], up, tmp_path / "out", log=lambda s: None)
    assert verify(tmp_path / "out", ["arena-human"]).passed


def test_arena_bench_builder_reproduces_the_pinned_judge_scores(data_dir, tmp_path):
    src = UPSTREAM["arena-bench-v1"]
    up = tmp_path / "up"
    for f in src.files:
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        if f.sha256 is not None:
            p.write_bytes((data_dir / "arena-bench-v1" / f.path.split("arena-bench-v1/")[1])
                          .read_bytes())
    by_file: dict[str, list[dict[str, Any]]] = {}
    for _, row in fetch_mod.read_jsonl(data_dir / "arena-bench-v1" / "judge_scores.jsonl"):
        name = row["model"].split("/")[-1]
        score = -1 if row["score"] is None else row["score"]
        by_file.setdefault(name, []).append({"question_id": row["question_id"],
                                             "model": row["model"], "judgment": "...",
                                             "score": score})
    for f in src.files:
        if "/model_judgment/" in f.path:
            rows = by_file[Path(f.path).stem]
            f.local(up).write_text("".join(json.dumps(r) + "\n" for r in rows))
    build(["arena-bench-v1"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["arena-bench-v1"])
    assert report.passed, report.lines()


def test_the_reference_folder_matches_the_shipped_manifest(data_dir):
    report = verify(data_dir)
    assert report.passed, report.lines()
    assert len(report.ok) == len(fetch_mod.load_manifest())



def _stage_evals(data_dir: Path, up: Path) -> None:
    """The routellm-evals upstream files, which the data folder keeps exactly as published."""
    for f in UPSTREAM["routellm-evals"].files:
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes((data_dir / "routellm-evals" / f.path[len("routellm/evals/"):]).read_bytes())


def test_routerarena_builder_reproduces_the_pinned_extract_and_drops_eval_prompts(
        data_dir, tmp_path):
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    rows = [r for _, r in fetch_mod.read_jsonl(data_dir / "routerarena" / "scores.jsonl")]
    gsm8k = data_dir / "routellm-evals" / "gsm8k" / "gsm8k_responses.csv"
    import csv

    with gsm8k.open(newline="") as fh:
        leaked = next(csv.DictReader(fh))["prompt"]
    for f in UPSTREAM["routerarena"].files:
        model = Path(f.path).stem
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("w") as fh:
            for r in rows[:3] + [{**rows[0], "global_index": "GSM8K_1",
                                  "prompt": f"Please solve.\n\nQuestion: {leaked}"}] + rows[3:]:
                fh.write(json.dumps({
                    "global_index": r["global_index"], "question": r["prompt"],
                    "llm_selected": model, "generated_answer": "...",
                    "evaluation_result": {"score": r["score"][model], "metric": r["metric"],
                                          "inference_cost": r["cost"][model]}}) + "\n")
    build(["routerarena"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["routerarena"])
    assert report.passed, report.lines()  # the GSM8K question was dropped, nothing else


def test_simpleqa_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    rows = [r for _, r in fetch_mod.read_jsonl(data_dir / "simpleqa" / "grades.jsonl")]
    inputs, *results = UPSTREAM["simpleqa"].files
    p = inputs.local(up)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(json.dumps({
        "question_id": r["question_id"], "prompt": r["question"], "label": r["answer"],
        "metadata": repr({"topic": r["topic"], "answer_type": r["answer_type"], "urls": []}),
    }) + "\n" for r in rows))
    for f in results:
        model = fetch_mod._simpleqa_model(f.path)
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        graded = [r for r in rows if model in r["grade"]][::-1]  # upstream order differs
        p.write_text("".join(json.dumps({"question_id": r["question_id"],
                                         "grade": r["grade"][model]}) + "\n" for r in graded))
    build(["simpleqa"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["simpleqa"])
    assert report.passed, report.lines()


def test_qlora_oa_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    questions, *reviews = UPSTREAM["qlora-oa"].files
    assert len(reviews) == 42
    p = questions.local(up)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w") as fh:
        for _, row in fetch_mod.read_jsonl(data_dir / "qlora-oa" / "prompts.jsonl"):
            text = " ".join(f"### {'Human' if t['role'] == 'user' else 'Assistant'}: {t['content']}"
                            for t in row["turns"]) + " ### Assistant:"
            fh.write(json.dumps({"input": text, "output": "...", "message_id": row["message_id"],
                                 "lang": row["lang"], "category": "generic"}) + "\n")
    by_file: dict[str, list[dict[str, Any]]] = {}
    score = {"tie": 3, "unparsed": -1}
    for _, r in fetch_mod.read_jsonl(data_dir / "qlora-oa" / "reviews.jsonl"):
        first, second = ((r["system_a"], r["system_b"]) if r["order"] == "ab"
                         else (r["system_b"], r["system_a"]))
        winner_shown_first = (r["verdict"] == "a") == (r["order"] == "ab")
        s = score.get(r["verdict"], 1 if winner_shown_first else 2)
        by_file.setdefault(fetch_mod._qlora_review_file(first, second), []).append(
            {"review_id": "x", "message_id": r["message_id"], "text": "...", "score": s})
    for f in reviews:
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(r) + "\n" for r in by_file[f.path]))
    build(["qlora-oa"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["qlora-oa"])
    assert report.passed, report.lines()


def test_routellm_evals_build_reproduces_the_pinned_folder(data_dir, tmp_path):
    # the upstream files are kept as published, so their pinned checksums are the extract's;
    # the MMLU training split is this project's: not built, reported absent, not a failure
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    assert all(f.sha256 for f in UPSTREAM["routellm-evals"].files)
    build(["routellm-evals"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["routellm-evals"])
    assert report.passed and len(report.ok) == 63, report.lines()
    assert report.not_built == ["routellm-evals/mmlu/golden_train_split.jsonl"]
    with pytest.raises(DataError, match="this project's split"):
        mmlu_train_rows(tmp_path / "out")


def test_arena_hard_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    questions, *forks = UPSTREAM["arena-hard-v0.1"].files
    qs = [q for _, q in fetch_mod.read_jsonl(data_dir / "arena-hard-v0.1" / "question.jsonl")]
    import csv

    with (data_dir / "routellm-evals" / "gsm8k" / "gsm8k_responses.csv").open(newline="") as fh:
        leaked = next(csv.DictReader(fh))["prompt"]
    p = questions.local(up)
    p.parent.mkdir(parents=True, exist_ok=True)
    upstream_qs = qs[:2] + [{"question_id": "leak", "cluster": "x", "prompt": leaked}] + qs[2:]
    p.write_text("".join(json.dumps({"uid": q["question_id"], "category": "arena-hard-v0.1",
                                     "subcategory": q["cluster"], "prompt": q["prompt"]}) + "\n"
                         for q in upstream_qs))
    battles = [b for _, b in fetch_mod.read_jsonl(data_dir / "arena-hard-v0.1" / "battles.jsonl")]
    for f in forks:
        lines = []
        for b in battles:
            if b["fork"] == f.repo:
                lines += [{k: b[k] for k in ("question_id", "model_a", "model_b", "winner")}]
                lines += [lines[-1]] * (b["count"] - 1)
        if f.repo.startswith("zeppombal"):  # the copies of Myashka's judgments are dropped
            lines += [{k: b[k] for k in ("question_id", "model_a", "model_b", "winner")}
                      for b in battles if b["fork"].startswith("Myashka")
                      and b["model_b"] in ("gpt-4-0613", "gpt-3.5-turbo-0125")][:50]
        lines.insert(1, {"question_id": "leak", "model_a": "gpt-4-0314", "model_b": "m",
                         "winner": "model_a"})
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in lines))
    build(["arena-hard-v0.1"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["arena-hard-v0.1"])
    assert report.passed, report.lines()


def test_the_indexed_overlap_rule_agrees_with_same_question(data_dir, tmp_path):
    from routellm_core.data.overlap import same_question

    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    decon = fetch_mod._Decontaminator(up)
    mmlu = next(t for t in decon._texts if len(t) > 100)
    texts = [r["prompt"] for _, r in fetch_mod.read_jsonl(data_dir / "routerarena" / "scores.jsonl")]
    probes = texts[::120] + [
        f"Please answer.\n\nQuestion: {mmlu.upper()}\n\nOptions: ...",  # contained, other case
        mmlu[:85] + " but then something else entirely",                # same first 80
        mmlu[5:60],                                                     # inside an eval text
        "hi", "", "What is the capital of France?",
    ]
    for probe in probes:
        expected = any(same_question(probe, e) for e in decon._texts)
        assert decon.hit(probe) == expected, probe[:120]
    assert decon.hit(probes[-6]) and decon.hit(probes[-5]) and decon.hit(probes[-4])


def test_vicuna_bench_builder_reproduces_the_pinned_extract(data_dir, tmp_path):
    up = tmp_path / "up"
    _stage_evals(data_dir, up)
    questions, *reviews = UPSTREAM["vicuna-bench"].files
    rows = [r for _, r in fetch_mod.read_jsonl(data_dir / "vicuna-bench" / "reviews.jsonl")]
    qs = {r["question_id"]: (r["category"], r["prompt"]) for r in rows}
    mt = json.loads((data_dir / "routellm-evals" / "mt_bench" / "question.jsonl")
                    .read_text().splitlines()[0])["turns"][0]
    qs[67] = ("writing", mt)  # a word-for-word MT-Bench question is dropped
    p = questions.local(up)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(json.dumps({"question_id": q, "text": t, "category": c}) + "\n"
                         for q, (c, t) in sorted(qs.items())))
    for f in reviews:
        mine = [r for r in rows if r["path"] == f.path]
        lines = [{"review_id": "x", "question_id": r["question_id"], "answer1_id": "a",
                  "answer2_id": "b", "reviewer_id": 1, "metadata": {}, "text": "...",
                  "score": [r["score_a"], r["score_b"]]} for r in mine]
        lines.insert(1, {**lines[0], "question_id": 67})
        lines.insert(2, {**lines[0], "question_id": 61, "score": [-1, -1]})
        p = f.local(up)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(r) + "\n" for r in lines))
    build(["vicuna-bench"], up, tmp_path / "out", log=lambda s: None)
    report = verify(tmp_path / "out", ["vicuna-bench"])
    assert report.passed, report.lines()
