"""The training config as a typed model: unknown keys, the published schema, the JSON form."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from routellm_core.errors import DataError, UnknownNameError
from routellm_core.training.config import (
    TRAINABLE_ROUTERS,
    SourceConfig,
    TrainingConfig,
    config_hash,
    default_config,
    load_config,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[3]
VALID_KEYS = ("aliases", "calibration", "data_dir", "decontaminate", "decontaminate_embedder",
              "embedder", "params", "router", "seed", "sources", "strong_model", "weak_model")


def test_an_unknown_key_names_itself_and_the_valid_keys() -> None:
    with pytest.raises(DataError) as top:
        TrainingConfig.from_config({"router": "mf", "sed": 1})
    msg = str(top.value)
    assert "unknown config keys ['sed']" in msg and "did you mean 'seed'?" in msg
    assert all(repr(k) in msg for k in VALID_KEYS)
    with pytest.raises(DataError) as nested:
        TrainingConfig.from_config({"router": "mf", "sources": {"mmlu-pro": {"wieght": 2.0}}})
    assert str(nested.value) == ("source 'mmlu-pro': unknown keys ['wieght'] (did you mean "
                                 "'weight'?) (valid: weight, models, exclude_domains)")
    # the models themselves forbid extra keys, not only the error translation
    assert TrainingConfig.model_config["extra"] == SourceConfig.model_config["extra"] == "forbid"


def test_the_config_file_reports_the_bad_key(tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"router": "irt", "params": {"epochs": 1}, "calibraton": "mix"}))
    with pytest.raises(DataError, match=r"unknown config keys \['calibraton'\] \(did you mean "
                                        r"'calibration'\?\); valid keys"):
        load_config(p)


def test_values_of_the_wrong_type_name_the_key() -> None:
    with pytest.raises(DataError, match="training config key 'seed'"):
        TrainingConfig.from_config({"router": "mf", "seed": "one"})
    with pytest.raises(DataError, match="source 'arena-human': weight must be positive"):
        TrainingConfig.from_config({"router": "mf", "sources": {"arena-human": -1}})
    with pytest.raises(UnknownNameError, match="did you mean 'mmlu-pro'"):
        TrainingConfig.from_config({"router": "mf", "sources": ["mmlu_pro"]})


def test_the_typed_config_fills_the_routers_defaults() -> None:
    cfg = TrainingConfig.from_config({"router": "irt", "params": {"epochs": 5},
                                      "sources": {"arena-human": 2, "mmlu-train": None}})
    assert cfg.embedder == "static" and cfg.calibration == "mix"
    assert cfg.params == {**default_config("irt")["params"], "epochs": 5}
    specs = cfg.source_specs()
    assert (specs["arena-human"].weight, specs["mmlu-train"].weight) == (2.0, 1.0)
    knn = TrainingConfig.from_config({"router": "knn"})
    assert knn.embedder == "local" and knn.calibration == "arena-bench-v1"
    assert TrainingConfig.from_config(knn) is knn


def test_the_json_form_is_the_config_as_written_with_defaults() -> None:
    given = {"router": "knn", "sources": {"arena-human": 2}, "data_dir": "/d"}
    out = validate_config(given)
    assert out == {**default_config("knn"), "sources": {"arena-human": 2}, "data_dir": "/d"}
    assert TrainingConfig.from_config(given).to_dict() == out
    assert "decontaminate_embedder" not in out  # keys not given stay out, as they always did


def test_config_hashes_are_unchanged_by_the_typed_config() -> None:
    """The training cache's keys (``<cache>/routers/<name>-<hash>``) as computed before the
    config became a pydantic model: a cached router must still be found."""
    before = {"sw_ranking": "74395d607b20", "mf": "ed043af9096c", "knn": "aa619ae32e63",
              # irt: changed on purpose when its default config gained quality_folds (a
              # router cached without the quality scale must not be reused)
              "irt": "f983059a3c1c", "bert": "4357cbfcd773",
              # ensemble: changed on purpose when the shipped default's irt member gained
              # quality_folds (the same two-model score, plus the ladder's quality scale)
              "ensemble": "7874fff39593",
              "causal_llm": "f098a7ca9164"}
    for router in TRAINABLE_ROUTERS:
        cfg = default_config(router)
        if router == "causal_llm":
            cfg["params"]["model_dir"] = "/x"
        assert config_hash(cfg) == before[router], router
    assert config_hash(load_config(ROOT / "configs" / "default.json")) == before["ensemble"]
    assert config_hash({"router": "mf", "sources": ["arena-human", "mmlu-pro"],
                        "data_dir": "/d", "decontaminate_embedder": "hashing-8"}) == "7033c221c162"
    assert config_hash({"router": "knn", "decontaminate": None, "calibration": None,
                        "params": {"k_candidates": [5]},
                        "sources": {"arena-human": 2, "mmlu-train": {
                            "weight": 1, "exclude_domains": ["high_school_mathematics"]}},
                        }) == "3eec77c7559d"


def test_the_guide_publishes_the_schema_of_the_model() -> None:
    """docs/training.md holds ``TrainingConfig.model_json_schema()``; refresh it with
    ``python scripts/training_config_schema.py --write``."""
    guide = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- training-config-schema: start[^>]*-->\n```json\n(.*?)\n```\n"
                      r"<!-- training-config-schema: end -->", guide, re.DOTALL)
    assert block, "the schema block is missing from docs/training.md"
    assert json.loads(block.group(1)) == TrainingConfig.model_json_schema(), (
        "docs/training.md's schema is stale: run python scripts/training_config_schema.py --write")


def test_the_schema_accepts_the_shipped_configs_and_rejects_unknown_keys() -> None:
    schema = TrainingConfig.model_json_schema()
    assert schema["required"] == ["router"] and schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(VALID_KEYS)
    assert schema["$defs"]["SourceConfig"]["additionalProperties"] is False
    for path in sorted((ROOT / "configs").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert set(raw) <= set(schema["properties"]), path
        TrainingConfig.from_config(raw)
