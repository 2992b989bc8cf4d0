"""configs/all-sources.json is the shipped default's recipe plus the six newer sources, and the
new alias table changes nothing on the original sources (so configs/default.json trains on
what it trained on before)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from routellm_core.data.extracts import NEW_SOURCES
from routellm_core.data.sources import ORIGINAL_SOURCES, SOURCES
from routellm_core.training.config import load_config
from routellm_core.training.sets import build_training_data

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def test_all_sources_is_the_default_recipe_plus_the_new_sources():
    default = load_config(CONFIGS / "default.json")
    every = load_config(CONFIGS / "all-sources.json")
    assert set(every["sources"]) == set(SOURCES)
    for name, entry in default["sources"].items():
        assert every["sources"][name] == entry
    assert every["aliases"] == "gpt4-mixtral-all" and default["aliases"] == "gpt4-mixtral"
    rest = {k for k in default if k not in ("sources", "aliases")}
    assert {k: every[k] for k in rest} == {k: default[k] for k in rest}
    # no newer source counts for more prompts than it has at weight 1 (and none is zero)
    assert all(0 < every["sources"][n]["weight"] <= 1.0 for n in NEW_SOURCES)


def test_the_new_alias_table_does_what_the_old_one_does_on_the_original_sources(data_dir):
    sources = {n: 1.0 for n in ORIGINAL_SOURCES}
    old, _ = build_training_data(sources, data_dir=data_dir, aliases="gpt4-mixtral",
                                 decontaminate_threshold=None)
    new, _ = build_training_data(sources, data_dir=data_dir, aliases="gpt4-mixtral-all",
                                 decontaminate_threshold=None)
    assert list(old.battles) == list(new.battles)
    assert [t.source for t in old.tables] == [t.source for t in new.tables]
    for a, b in zip(old.tables, new.tables, strict=True):
        assert a.prompts == b.prompts and a.models() == b.models()
        for m in a.models():
            np.testing.assert_array_equal(a.outcomes[m], b.outcomes[m])
