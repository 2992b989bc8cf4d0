"""BertRouter on a tiny random-initialised BERT with a tokenizer trained here (offline, fast)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from routellm_core.data.battles import Battle, Battles  # noqa: E402
from routellm_core.errors import CheckpointError, DataError  # noqa: E402
from routellm_core.routers import load_router  # noqa: E402
from routellm_core.routers.base import Router  # noqa: E402
from routellm_core.routers.bert import BertRouter  # noqa: E402
from routellm_core.training._torch_loop import pair_examples  # noqa: E402

pytestmark = pytest.mark.disable_socket

STRONG, WEAK = "big", "small"
TOPIC_A = "integral derivative theorem proof equation matrix eigenvalue lemma".split()
TOPIC_B = "poem story haiku song lyric rhyme novel verse".split()
FILLER = "please explain write about the a of and".split()


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # On a shared 2-core machine, torch's spinning worker threads made each tiny step ~100x
    # slower; one thread keeps these tests at a few seconds.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_prompt(rng: random.Random, topic: list[str], n: int = 6) -> str:
    words = rng.sample(topic, 3) + rng.sample(FILLER, 3)
    rng.shuffle(words)
    return " ".join(words[:n])


def planted_battles(n: int, seed: int) -> Battles:
    """Topic A: the strong model wins; topic B: the weak model wins (sides alternate)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = i % 2 == 0
        p = make_prompt(rng, TOPIC_A if a else TOPIC_B)
        strong_first = rng.random() < 0.5
        ma, mb = (STRONG, WEAK) if strong_first else (WEAK, STRONG)
        strong_won = a
        winner = "model_a" if strong_won == strong_first else "model_b"
        out.append(Battle(p, ma, mb, winner, "planted"))
    return Battles(out)


def build_bert_dir(root: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    corpus = [" ".join(TOPIC_A + TOPIC_B + FILLER)] * 4 + ["zzz long words 12345"]
    tk = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(
        vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tk.train_from_iterator(corpus, trainer)
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tk.token_to_id("[CLS]")), ("[SEP]", tk.token_to_id("[SEP]"))],
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=32,
    )
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=tk.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=32)
    path = root / "tiny-bert"
    BertModel(cfg).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bert_dir(tmp_path_factory.mktemp("enc"))


def tiny_router(bert_dir: Path, **kw: object) -> BertRouter:
    params: dict[str, object] = dict(
        strong_model=STRONG, weak_model=WEAK, model_dir=str(bert_dir), label_source="direct",
        lr=3e-3, epochs=8, batch_size=16, max_length=32, seed=0, val_fraction=0.2, patience=3,
        device="cpu", progress=False,
    )
    params.update(kw)
    return BertRouter(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted(bert_dir: Path) -> BertRouter:
    return tiny_router(bert_dir).fit(planted_battles(240, seed=1))


HELD_OUT_A = [make_prompt(random.Random(100 + i), TOPIC_A) for i in range(10)]
HELD_OUT_B = [make_prompt(random.Random(200 + i), TOPIC_B) for i in range(10)]


def test_training_reduces_loss_and_learns_planted_signal(fitted: BertRouter) -> None:
    losses = fitted.train_result_.step_losses
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    pa = fitted.predict_win_rate(HELD_OUT_A)
    pb = fitted.predict_win_rate(HELD_OUT_B)
    assert pa.min() > pb.max()
    assert pa.mean() > 0.7 and pb.mean() < 0.3


def test_probabilities_sum_to_one_and_score_is_strong_class(fitted: BertRouter) -> None:
    probs = fitted.predict_proba(HELD_OUT_A + HELD_OUT_B)
    assert probs.shape == (20, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_win_rate(HELD_OUT_A + HELD_OUT_B), probs[:, 0])


def test_save_load_round_trip_gives_identical_scores(fitted: BertRouter, tmp_path: Path) -> None:
    prompts = HELD_OUT_A + HELD_OUT_B
    fitted.save(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model" / "model.safetensors").is_file()
    assert not list((tmp_path / "ckpt").rglob("*.bin"))
    for loaded in (Router.load(tmp_path / "ckpt"), load_router(str(tmp_path / "ckpt"))):
        assert isinstance(loaded, BertRouter)
        np.testing.assert_array_equal(loaded.predict_win_rate(prompts),
                                      fitted.predict_win_rate(prompts))


def test_batch_scores_match_one_by_one(fitted: BertRouter) -> None:
    prompts = HELD_OUT_A[:4] + ["proof", "a much longer poem story about the rhyme of a song"]
    batch = fitted.predict_win_rate(prompts)
    single = np.array([fitted.predict_win_rate([p])[0] for p in prompts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_prompt_longer_than_model_limit_is_truncated(fitted: BertRouter) -> None:
    long = " ".join(["theorem proof"] * 500)
    s = fitted.predict_win_rate([long, "poem"])
    assert s.shape == (2,) and np.isfinite(s).all()
    # truncation keeps the first tokens: the score equals that of the kept prefix
    prefix = " ".join(["theorem proof"] * 15)
    np.testing.assert_allclose(s[0], fitted.predict_win_rate([prefix])[0], atol=1e-5)


def test_encoder_directory_without_weights_is_a_clear_error(bert_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-weights"
    empty.mkdir()
    (empty / "config.json").write_text((bert_dir / "config.json").read_text())
    with pytest.raises(CheckpointError, match="no-weights.*no weights"):
        tiny_router(empty).fit(planted_battles(20, seed=2))
    with pytest.raises(CheckpointError, match="does not exist"):
        tiny_router(tmp_path / "missing").fit(planted_battles(20, seed=2))


def test_checkpoint_without_model_folder_is_a_clear_error(fitted: BertRouter, tmp_path: Path) -> None:
    import shutil

    fitted.save(tmp_path / "ckpt")
    shutil.rmtree(tmp_path / "ckpt" / "model")
    with pytest.raises(CheckpointError, match="model"):
        Router.load(tmp_path / "ckpt")


def test_pair_without_battles_is_a_data_error(bert_dir: Path) -> None:
    other = Battles([Battle("q", "x", "y", "tie")])
    with pytest.raises(DataError, match="no training battle"):
        tiny_router(bert_dir).fit(other)


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


def test_constructor_only_stores_hyperparameters(bert_dir: Path) -> None:
    r = tiny_router(bert_dir)
    assert r.get_params()["model_dir"] == str(bert_dir)
    assert not hasattr(r, "model_")


def test_runtime_options_are_not_saved_and_can_be_set_at_load(fitted: BertRouter,
                                                              tmp_path: Path) -> None:
    """A checkpoint says what was learned, not where it ran: device and progress stay out of
    it, and a router trained elsewhere (say on a GPU) loads with the device given here."""
    import json

    from routellm_core.errors import RouteLLMError

    path = fitted.save(tmp_path / "bert")
    config = json.loads((path / "config.json").read_text())
    params = config["params"]
    assert "device" not in params and "progress" not in params and "model_dir" not in params
    # no path of the training machine in the checkpoint; the base model's folder name stays
    assert str(tmp_path.parent) not in (path / "config.json").read_text()
    assert config["base_model"] == Path(str(fitted.model_dir)).name
    back = Router.load(path, device="cpu", progress=False)
    assert back.device == "cpu" and back.progress is False
    prompts = ["integral of x squared", "write a poem about the sea"]
    np.testing.assert_allclose(back.predict_win_rate(prompts), fitted.predict_win_rate(prompts))
    with pytest.raises(RouteLLMError, match="run-time options are: device, progress"):
        Router.load(path, epochs=3)
