"""What the BERT and the causal-LLM routers share (ClassifierRouter), tested on both: learning,
probabilities, batching, checkpoints, run-time options and bad model folders.

Router-specific behaviour (truncation, label tokens, templates) is in test_router_bert.py and
test_router_causal_llm.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

import routellm_test_tiny_classifiers as tiny  # noqa: E402

from routellm_core.errors import CheckpointError, RouteLLMError  # noqa: E402
from routellm_core.routers import load_router  # noqa: E402
from routellm_core.routers._classifier import ClassifierRouter  # noqa: E402
from routellm_core.routers.base import Router  # noqa: E402
from routellm_core.routers.bert import BertRouter  # noqa: E402
from routellm_core.routers.causal_llm import CausalLLMRouter  # noqa: E402

pytestmark = [pytest.mark.disable_socket, pytest.mark.usefixtures("one_torch_thread")]

#: router name -> (its base model folder fixture, its builder)
KINDS = {"bert": ("bert_dir", tiny.bert_router), "causal_llm": ("llama_dir", tiny.causal_router)}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> Any:
    """(name, base model folder, router builder, the router fitted on planted battles)."""
    base_fixture, make = KINDS[request.param]
    return (request.param, request.getfixturevalue(base_fixture), make,
            request.getfixturevalue(f"fitted_{request.param}"))


def test_both_routers_share_the_base_class() -> None:
    assert issubclass(BertRouter, ClassifierRouter) and issubclass(CausalLLMRouter, ClassifierRouter)
    for cls in (BertRouter, CausalLLMRouter):
        assert cls.runtime_params == ("device", "progress", "model_dir")


def test_training_reduces_loss_and_learns_planted_signal(kind: Any) -> None:
    fitted = kind[3]
    losses = fitted.train_result_.step_losses
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    pa = fitted.predict_win_rate(tiny.HELD_OUT_A)
    pb = fitted.predict_win_rate(tiny.HELD_OUT_B)
    assert pa.min() > pb.max()
    assert pa.mean() > 0.7 and pb.mean() < 0.3


def test_probabilities_sum_to_one_and_score_is_strong_class(kind: Any) -> None:
    fitted = kind[3]
    probs = fitted.predict_proba(tiny.HELD_OUT_A + tiny.HELD_OUT_B)
    assert probs.shape == (20, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_win_rate(tiny.HELD_OUT_A + tiny.HELD_OUT_B), probs[:, 0])


def test_batch_scores_match_one_by_one(kind: Any) -> None:
    fitted = kind[3]
    prompts = tiny.HELD_OUT_A[:3] + ["proof", "a much longer poem story about the rhyme of a song"]
    batch = fitted.predict_win_rate(prompts)
    single = np.array([fitted.predict_win_rate([p])[0] for p in prompts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_save_load_round_trip_gives_identical_scores(kind: Any, tmp_path: Path) -> None:
    name, _, _, fitted = kind
    prompts = tiny.HELD_OUT_A + tiny.HELD_OUT_B
    fitted.save(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model" / "model.safetensors").is_file()
    assert not list((tmp_path / "ckpt").rglob("*.bin"))
    for loaded in (Router.load(tmp_path / "ckpt"), load_router(str(tmp_path / "ckpt"))):
        assert type(loaded) is type(fitted) and loaded.name == name
        np.testing.assert_array_equal(loaded.predict_win_rate(prompts),
                                      fitted.predict_win_rate(prompts))


def test_checkpoint_layout_is_pinned(kind: Any, tmp_path: Path) -> None:
    """The checkpoint keys that older checkpoints were written with (they must keep loading)."""
    name, _, _, fitted = kind
    config = json.loads((fitted.save(tmp_path / "ckpt") / "config.json").read_text())
    state = {"model_subdir", "labels", "label_info", "train_result"}
    if name == "causal_llm":
        state.add("label_tokens")
    assert set(config["state"]) == state
    assert config["state"]["model_subdir"] == "model"
    assert config["state"]["labels"] == ["strong_wins", "tie", "weak_wins"]
    assert config["tensors"] == [] and config["router"] == name


def test_runtime_options_are_not_saved_and_can_be_set_at_load(kind: Any, tmp_path: Path) -> None:
    """A checkpoint says what was learned, not where it ran: device, progress and the base
    model's folder stay out of it, and a router trained elsewhere (say on a GPU) loads with
    the device given here."""
    _, base, _, fitted = kind
    path = fitted.save(tmp_path / "ckpt")
    text = (path / "config.json").read_text()
    params = json.loads(text)["params"]
    assert not {"device", "progress", "model_dir"} & set(params)
    # no path of the training machine in the checkpoint; the base model's folder name stays
    assert str(base.parent) not in text and str(tmp_path) not in text
    assert json.loads(text)["base_model"] == base.name
    back = Router.load(path, device="cpu", progress=False)
    assert back.device == "cpu" and back.progress is False and back.model_dir is None
    prompts = ["integral of x squared", "write a poem about the sea"]
    np.testing.assert_allclose(back.predict_win_rate(prompts), fitted.predict_win_rate(prompts))
    with pytest.raises(RouteLLMError, match="run-time options are: device, progress, model_dir"):
        Router.load(path, epochs=3)


def test_model_directory_without_weights_is_a_clear_error(kind: Any, tmp_path: Path) -> None:
    _, base, make, _ = kind
    empty = tmp_path / "no-weights"
    empty.mkdir()
    (empty / "config.json").write_text((base / "config.json").read_text())
    with pytest.raises(CheckpointError, match="no-weights.*no weights"):
        make(empty).fit(tiny.planted_battles(20, seed=2))
    with pytest.raises(CheckpointError, match="does not exist"):
        make(tmp_path / "missing").fit(tiny.planted_battles(20, seed=2))


def test_checkpoint_without_model_folder_is_a_clear_error(kind: Any, tmp_path: Path) -> None:
    import shutil

    kind[3].save(tmp_path / "ckpt")
    shutil.rmtree(tmp_path / "ckpt" / "model")
    with pytest.raises(CheckpointError, match="router checkpoint model directory"):
        Router.load(tmp_path / "ckpt")


def test_constructor_only_stores_hyperparameters(kind: Any) -> None:
    _, base, make, _ = kind
    r = make(base)
    assert r.get_params()["model_dir"] == str(base)
    assert r.get_params() == {n: getattr(r, n) for n in type(r)._param_names()}
    assert not hasattr(r, "model_") and not hasattr(r, "tokenizer_")
