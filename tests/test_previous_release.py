"""Pickles written by the previous release (0.1.0, main at 0bd4fa5) load and keep working.

``tests/fixtures/release_0_1_0.pkl`` was written with that release's code: two-model and
ladder engines, both wrappers in both modes (with their statistics and sticky memory), a
``Battles`` record from its old module path, and a statistics snapshot. The engine, the
settings, the statistics and the battle records have since moved (``choosers``,
``decisions``, ``records``); their old import paths must keep resolving."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

FIXTURE = Path(__file__).parent / "fixtures" / "release_0_1_0.pkl"


@pytest.fixture(scope="module")
def old() -> dict[str, Any]:
    with FIXTURE.open("rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own fixture


def test_a_two_model_engine_keeps_settings_statistics_and_sticky_memory(old: dict[str, Any]) -> None:
    e = old["engine"]
    assert e.strong_fraction == 0.3 and e.names == {"strong": "big", "weak": "small"}
    snap = e.stats.snapshot()
    assert snap.total_calls == 2 and snap.input_tokens["weak"] == 10 and snap.cost is not None
    first = snap.calls["strong"] and "strong" or "weak"
    assert e.decide("anything", thread_id="t1").route == first  # sticky memory kept
    assert e.decide("x", force="big").route == "strong"
    assert e.momentum is None and e.stats.snapshot().strong_fraction >= 0


def test_a_ladder_engine_keeps_its_ladder_and_counts_its_dearest_model(old: dict[str, Any]) -> None:
    lad = old["ladder_engine"]
    assert lad.models == ["small", "big"] and lad.ladder.value == 0.1
    snap = lad.stats.snapshot()
    assert snap.total_calls == 2 and snap.calls["big"] >= 1
    assert snap.strong_fraction == snap.calls["big"] / 2  # the dearest model, not "strong"
    assert lad.decide("x", force="top").model == "big"


def test_both_wrappers_in_both_modes_load_and_route(old: dict[str, Any]) -> None:
    lc, lc_lad = old["langchain"], old["langchain_ladder"]
    assert lc.threshold == 0.4 and lc.stats.snapshot().calls == {"strong": 0, "weak": 1}
    assert lc.invoke("hi", model="strong").content == "S" and lc.momentum is None
    lc.threshold = 0.6
    assert lc.engine.threshold == 0.6
    assert type(lc_lad).__name__ == "RouteLLMLadderChat" and lc_lad.tolerance == 0.1
    assert lc_lad.invoke("hi", model="top").response_metadata["routellm"]["model"] == "big"
    li, li_lad = old["llamaindex"], old["llamaindex_ladder"]
    assert li.engine.strong_fraction == 0.5 and li.stats.snapshot().calls["strong"] == 1
    assert li.complete("hi", model="weak").additional_kwargs["routellm"]["route"] == "weak"
    assert type(li_lad).__name__ == "RouteLLMLadder" and li_lad.engine.models == ["small", "big"]
    li_lad.tolerance = 0.5
    assert li_lad.engine.ladder.value == 0.5


def test_records_from_the_old_module_path(old: dict[str, Any]) -> None:
    from routellm_core.records import Battles

    assert isinstance(old["battles"], Battles) and old["battles"].models() == ["gpt-4", "mixtral"]
    assert old["stats"].total_calls == 2 and old["stats"].strong_fraction in (0.0, 0.5)
