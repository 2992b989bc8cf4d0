"""Progress feedback for long command-line work (issue 15, item 13)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from routellm_core.data.benchmarks import BenchmarkSet
from routellm_core.evaluation.evaluate import evaluate, evaluate_routers
from routellm_core.routers.base import Router
from routellm_core.scoring.embeddings import HashingEmbedder
from routellm_core.training.progress import Progress, run_in_chunks


class LengthRouter(Router):
    """Scores a prompt by its length; records the batch sizes it was asked for."""

    name = "length"
    needs_fit = False

    def __init__(self) -> None:
        super().__init__("s", "w")
        self.batches: list[int] = []

    def _predict(self, prompts):
        self.batches.append(len(prompts))
        return np.array([min(len(p) / 100.0, 1.0) for p in prompts])


def bench(n: int) -> BenchmarkSet:
    rng = np.random.default_rng(0)
    prompts = [f"prompt {i} " + "x" * int(rng.integers(0, 90)) for i in range(n)]
    return BenchmarkSet("toy", prompts, {"s": rng.random(n).round(), "w": rng.random(n).round()},
                        strong="s", weak="w")


def test_run_in_chunks_equals_one_call_and_reports_each_chunk():
    texts = [("word " * (i % 37)) + str(i) for i in range(1300)]
    emb = HashingEmbedder(dim=32)
    done: list[int] = []
    out = run_in_chunks(emb.embed, texts, done.append, chunk=512)
    assert np.array_equal(out, emb.embed(texts))
    assert done == [512, 512, 276]


def test_attached_embedder_shows_a_bar_over_prompts_and_keeps_its_identity():
    stream = io.StringIO()
    emb = HashingEmbedder(dim=16)
    texts = [f"text number {i}" for i in range(1200)]
    expected = HashingEmbedder(dim=16).embed(texts)
    same = Progress(stream=stream).attach(emb)
    assert same is emb and isinstance(same, HashingEmbedder) and emb.model_id == "hashing-16"
    assert np.array_equal(emb.embed(texts), expected)
    assert "embedding (hashing-16)" in stream.getvalue() and "/1200" in stream.getvalue()
    stream.truncate(0)
    emb.embed(texts[:10])  # small batches (routing) show nothing
    assert stream.getvalue().strip("\x00") == ""


def test_stage_lines_and_disabled_progress():
    stream = io.StringIO()
    Progress(stream=stream).stage("loading")
    assert stream.getvalue().endswith("s] loading\n")
    quiet = io.StringIO()
    Progress(enabled=False, stream=quiet).stage("loading")
    assert quiet.getvalue() == ""


def test_evaluation_scores_in_chunks_with_a_bar_over_prompts(capsys):
    b = bench(1100)
    router = LengthRouter()
    plain = evaluate(router, b)
    done: list[int] = []
    chunked = evaluate(router, b, progress=done.append)
    assert sum(done) == len(b) and len(done) == 3
    assert np.array_equal(plain.scores, chunked.scores) and plain.apgr == chunked.apgr
    evaluate_routers({"length": router, "random": None}, {"toy": b}, progress=True)
    err = capsys.readouterr().err
    assert "evaluating" in err and "/2200" in err and "prompt" in err  # not "0/2 run"


class KeepBar(Progress):
    """Keeps the last bar it made, to read its count after it closed."""

    def bar(self, total, desc, unit="prompt"):
        self.last = super().bar(total, desc, unit)
        return self.last


def test_optimizer_steps_advance_a_bar():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    progress = KeepBar(stream=io.StringIO())
    with progress.optimizer_steps(3, "training mf"):
        for _ in range(3):
            opt.zero_grad()
            (p.sum() ** 2).backward()
            opt.step()
    opt.step()  # after the block the hook is gone
    assert (progress.last.n, progress.last.total, progress.last.unit) == (3, 3, "step")
