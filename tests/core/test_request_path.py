"""What a routed request imports: the runtime, never the offline kits, the CLI or torch."""

from __future__ import annotations

import json
import subprocess
import sys

KITS = ("routellm_core.data", "routellm_core.training", "routellm_core.evaluation",
        "routellm_core.evaluation.evaluate", "routellm_core.evaluation.metrics",
        "routellm_core.evaluation.replay", "routellm_core.evaluation.replay_report", "routellm_core.training.adapt",
        "routellm_core.evaluation.ladder_eval", "routellm_core.ranking", "routellm_core.cli.demo",
        "routellm_core.cli.main", "routellm_core.cli.eval", "routellm_core.cli.train",
        "routellm_core.cli.adapt", "routellm_core.cli.ladder", "routellm_core.progress")

CODE = """
import json, sys
from routellm_core import RoutingEngine
engine = RoutingEngine("default", strong_fraction=0.3)
route = engine.decide("Prove that there are infinitely many primes.").route
print(json.dumps({"route": route, "modules": sorted(sys.modules)}))
"""


def test_routing_with_the_default_imports_no_kit_and_no_torch() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True).stdout
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["route"] == "strong"
    loaded = set(doc["modules"])
    assert not loaded & set(KITS), sorted(loaded & set(KITS))
    assert not {"torch", "transformers"} & loaded
