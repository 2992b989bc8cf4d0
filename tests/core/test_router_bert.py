"""BertRouter on a tiny random-initialised BERT with a tokenizer trained here (offline, fast).

What both classifier routers share (learning, checkpoints, run-time options) is tested on both
in test_router_classifier.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from routellm_test_tiny_classifiers import HELD_OUT_A, bert_router  # noqa: E402

from routellm_core.data.battles import Battle, Battles  # noqa: E402
from routellm_core.errors import DataError  # noqa: E402
from routellm_core.routers.bert import BertRouter  # noqa: E402
from routellm_core.training._torch_loop import pair_examples  # noqa: E402

pytestmark = [pytest.mark.disable_socket, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture
def fitted(fitted_bert: BertRouter) -> BertRouter:
    return fitted_bert


def test_prompt_longer_than_model_limit_is_truncated(fitted: BertRouter) -> None:
    long = " ".join(["theorem proof"] * 500)
    s = fitted.predict_win_rate([long, "poem"])
    assert s.shape == (2,) and np.isfinite(s).all()
    # truncation keeps the first tokens: the score equals that of the kept prefix
    prefix = " ".join(["theorem proof"] * 15)
    np.testing.assert_allclose(s[0], fitted.predict_win_rate([prefix])[0], atol=1e-5)
    assert fitted.max_tokens_ == 32  # max_length, the tokenizer's and the model's limits


def test_scoring_batches_follow_inference_batch_size(fitted: BertRouter,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    head = fitted._class_logits
    monkeypatch.setattr(fitted, "_class_logits",
                        lambda model, prompts: sizes.append(len(prompts)) or head(model, prompts))
    monkeypatch.setattr(fitted, "inference_batch_size", 4)
    fitted.predict_proba(HELD_OUT_A)
    assert sizes == [4, 4, 2]


def test_pair_without_battles_is_a_data_error(bert_dir: Path) -> None:
    other = Battles([Battle("q", "x", "y", "tie")])
    with pytest.raises(DataError, match="no training battle"):
        bert_router(bert_dir).fit(other)


def test_packaged_encoder_is_the_default_base_model() -> None:
    r = BertRouter()
    assert r.model_dir is None and r._config_extra() == {"base_model": "all-MiniLM-L6-v2 (packaged)"}


def test_tier_labels_use_tier_mates_and_reject_shared_tiers() -> None:
    bs = [
        Battle("p1", "big", "small", "model_a"),
        Battle("p2", "big2", "small", "model_b"),  # big2 shares big's tier
        Battle("p3", "small2", "big", "model_a"),  # small2 shares small's tier
        Battle("p4", "big", "big2", "tie"),
        Battle("p5", "small", "small2", "tie"),
    ]
    # make the tiers clear: the bigs beat the smalls many times
    bs += [Battle(f"x{i}", "big", "small2", "model_a") for i in range(20)]
    bs += [Battle(f"y{i}", "big2", "small", "model_a") for i in range(20)]
    battles = Battles(bs)
    direct = pair_examples(battles, "big", "small", "direct")
    assert direct.prompts == ["p1"] and direct.labels.tolist() == [0]
    tier = pair_examples(battles, "big", "small", "tier", n_tiers=2)
    assert tier.info["strong_tier"] == ["big", "big2"]
    got = dict(zip(tier.prompts, tier.labels.tolist()))
    assert got["p1"] == 0 and got["p2"] == 2 and got["p3"] == 2  # weak-tier wins count as weak
    assert "p4" not in got and "p5" not in got
    with pytest.raises(DataError, match="same rating tier"):
        pair_examples(battles, "big", "big2", "tier", n_tiers=2)
    with pytest.raises(DataError, match="label_source"):
        pair_examples(battles, "big", "small", "nope")
