"""The layering, as it runs: routing a prompt imports the runtime only.

Each check runs in a fresh interpreter and lists ``sys.modules`` after routing. None of the
offline kits (``routellm_core.data``, ``.training``, ``.evaluation``) nor the command line
(``.cli``) may be loaded, nor torch, transformers or pydantic (the shipped default and the
routers below score with numpy). The checks route with the shipped default, with saved
routers of two other kinds loaded from their folders, and through both framework wrappers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routellm_core.data.battles import Battle, Battles
from routellm_core.routers.knn import KNNRouter
from routellm_core.routers.mf import MatrixFactorizationRouter
from routellm_core.scoring.embeddings import HashingEmbedder

#: packages no routed call may import (nor any of their modules)
KITS = ("routellm_core.data", "routellm_core.training", "routellm_core.evaluation",
        "routellm_core.cli")
#: runtime modules that routing with the default does not need either (the SW-ranking and
#: kNN routers import ranking, the Bradley-Terry fits; progress is for the command line)
UNNEEDED = ("routellm_core.training.progress", "routellm_core.scoring.ranking")
HEAVY = ("torch", "transformers", "pydantic")

PROMPT = "Prove that there are infinitely many primes."
REPORT = "print(json.dumps({'route': route, 'modules': sorted(sys.modules)}))"


def _route(code: str) -> tuple[str, set[str]]:
    """Run ``code`` (which sets ``route``) in a fresh interpreter; the route and the modules
    it loaded."""
    script = f"import json, sys\n{code}\n{REPORT}\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    doc = json.loads(out.strip().splitlines()[-1])
    return doc["route"], set(doc["modules"])


def _kits(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == k or m.startswith(k + ".") for k in KITS))


def _assert_runtime_only(loaded: set[str], *, unneeded: tuple[str, ...] = UNNEEDED) -> None:
    assert "routellm_core.routing.engine" in loaded  # the check looked at a real routed call
    assert not _kits(loaded), _kits(loaded)
    assert not loaded & {*unneeded, *HEAVY}, sorted(loaded & {*unneeded, *HEAVY})


def test_routing_with_the_default_imports_no_kit_and_no_torch() -> None:
    route, loaded = _route(
        "from routellm_core import RoutingEngine\n"
        "engine = RoutingEngine('default', strong_fraction=0.3)\n"
        f"route = engine.decide({PROMPT!r}).route"
    )
    assert route == "strong"
    _assert_runtime_only(loaded)


@pytest.fixture(scope="module")
def saved_routers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A kNN and an MF router, fitted on a few battles and saved (fitting imports the data
    kit and, for MF, torch: in this process, not in the one that routes)."""
    hard = ["prove the theorem", "derive the integral", "prove it by induction",
            "derive the bound"]
    easy = ["say hello", "name a colour", "say thanks", "name a fruit"]
    battles = Battles([Battle(p, "big", "small", "model_a") for p in hard]
                      + [Battle(p, "big", "small", "model_b") for p in easy])
    root = tmp_path_factory.mktemp("routers")
    out = {}
    for name, router in (
        ("knn", KNNRouter("big", "small", HashingEmbedder(64), k=3)),
        ("mf", MatrixFactorizationRouter("big", "small", HashingEmbedder(64), dim=4,
                                         epochs=20, lr=0.05)),
    ):
        out[name] = router.fit(battles).save(root / name)
    return out


@pytest.mark.parametrize("kind", ["knn", "mf"])
def test_routing_with_a_loaded_router_of_another_kind_imports_no_kit(
        saved_routers: dict[str, Path], kind: str) -> None:
    route, loaded = _route(
        "from routellm_core.routing.engine import RoutingEngine\n"
        f"engine = RoutingEngine({str(saved_routers[kind])!r}, threshold=0.5)\n"
        f"route = engine.decide({PROMPT!r}).route"
    )
    assert route in ("strong", "weak")
    assert f"routellm_core.routers.{kind}" in loaded
    _assert_runtime_only(loaded, unneeded=("routellm_core.training.progress",))


WRAPPER_CALLS = {
    "langchain": (
        "from langchain_core.language_models.fake_chat_models import FakeListChatModel\n"
        "from langchain_routellm import RouteLLMChat\n"
        "llm = RouteLLMChat(strong=FakeListChatModel(responses=['s']),\n"
        "                   weak=FakeListChatModel(responses=['w']), strong_fraction=0.3)\n"
        f"route = llm.invoke({PROMPT!r}).response_metadata['routellm']['route']"
    ),
    "llamaindex": (
        "from llama_index.core.llms import MockLLM\n"
        "from llamaindex_routellm import RouteLLM\n"
        "llm = RouteLLM(strong=MockLLM(max_tokens=3), weak=MockLLM(max_tokens=3),\n"
        "               strong_fraction=0.3)\n"
        f"route = llm.complete({PROMPT!r}).additional_kwargs['routellm']['route']"
    ),
}


@pytest.mark.parametrize("framework", sorted(WRAPPER_CALLS))
def test_a_routed_wrapper_call_imports_no_kit(framework: str) -> None:
    """The frameworks bring pydantic themselves; the wrapper's call path adds no kit."""
    route, loaded = _route(WRAPPER_CALLS[framework])
    assert route == "strong"
    assert not _kits(loaded), _kits(loaded)
    assert not loaded & {*UNNEEDED, "torch", "transformers"}


def test_the_check_sees_a_kit_when_one_is_loaded() -> None:
    _, loaded = _route("import routellm_core.evaluation.metrics\nroute = None")
    assert _kits(loaded) == ["routellm_core.evaluation", "routellm_core.evaluation.metrics"]
