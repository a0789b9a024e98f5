"""
Each training recipe, run through `train_model_from_file` (what `allennlp train` calls) on the
tiny recipe config with the recipe's settings as overrides.
"""
import json

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.models.archival import load_archive
from allennlp.training.callbacks import TrainerCallback

import allencv  # noqa: F401  (registers the components the config names)
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # every test trains a recipe through train_model_from_file

CONFIG = FIXTURES / "recipe_classifier.jsonnet"
ENCODER_REGEXES = [
    [["_im2im_encoder\\.stages\\.0\\."], {}],
    [["_im2im_encoder\\.stages\\.1\\."], {}],
    [["_classification_layer\\."], {}],  # slanted_triangular wants every parameter in a group
]


@TrainerCallback.register("test_recorder")
class Recorder(TrainerCallback):
    """Records the parameters before training and each training batch's learning rates."""

    last = None

    def on_start(self, trainer, is_primary=True, **kwargs):
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        Recorder.last = self
        self.initial = {name: value.detach().clone() for name, value in trainer.model.named_parameters()}
        self.learning_rates = []

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number,
                 is_training, is_primary=True, batch_grad_norm=None, **kwargs):
        if is_training:
            self.learning_rates.append([group["lr"] for group in trainer.optimizer.param_groups])

    def changed(self, model, prefix):
        return [name for name, value in model.named_parameters()
                if name.startswith(prefix) and not torch.equal(value.detach(), self.initial[name])]


@pytest.fixture
def train(colour_folders, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))

    def run(overrides):
        serialization_dir = tmp_path / "run"
        callbacks = overrides.pop("trainer.callbacks", [])
        overrides["trainer.callbacks"] = callbacks + [{"type": "test_recorder"}]
        model = train_model_from_file(str(CONFIG), str(serialization_dir), overrides=json.dumps(overrides))
        metrics = json.loads((serialization_dir / "metrics.json").read_text())
        return model, metrics, serialization_dir

    return run


def test_label_smoothing(train):
    model, _, _ = train({"model.label_smoothing": 0.2})
    logits = torch.tensor([[10.0, -10.0]])
    # With smoothing, even a confident correct prediction keeps a loss.
    assert model.classification_loss(logits, torch.tensor([0])).item() > 0.1


def test_given_class_weights_by_name(train):
    model, _, _ = train({"model.class_weights": {"red": 3.0}})
    labels = model.vocab.get_token_to_index_vocabulary("labels")
    weights = model.classification_loss.class_weights
    assert weights[labels["red"]] == 3.0 and weights[labels["blue"]] == 1.0


def test_balanced_class_weights_are_counted_before_training_and_saved(train, colour_folders, tmp_path):
    # Make the classes unbalanced: 8 blue images and 4 red ones (plus the corrupt file, skipped).
    for path in sorted((colour_folders / "train" / "red").glob("[0-3].*")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
        path.unlink()
    try:
        model, _, serialization_dir = train(
            {"model.class_weights": "balanced", "trainer.callbacks": [{"type": "balanced_class_weights"}]}
        )
    finally:
        for path in tmp_path.glob("[0-3].*"):
            (colour_folders / "train" / "red" / path.name).write_bytes(path.read_bytes())
    labels = model.vocab.get_token_to_index_vocabulary("labels")
    # Counted from the folder listing, without decoding: the corrupt red/broken.jpg counts for red.
    expected = {"blue": 13 / (2 * 8), "red": 13 / (2 * 5)}
    for label, weight in expected.items():
        assert model.classification_loss.class_weights[labels[label]].item() == pytest.approx(weight)
    loaded = load_archive(str(serialization_dir / "model.tar.gz")).model
    assert torch.equal(loaded.classification_loss.class_weights, model.classification_loss.class_weights)


def test_balanced_class_weights_without_the_callback_fail_at_the_first_batch(train):
    with pytest.raises(Exception, match="balanced_class_weights"):
        train({"model.class_weights": "balanced"})


def test_use_amp_on_cpu_fails_before_training(train):
    # allennlp's automatic mixed precision is CUDA's: on a CPU the trainer refuses it up front.
    with pytest.raises(ValueError, match="AMP requires a cuda device"):
        train({"trainer.use_amp": True})


def test_moving_average(train):
    model, metrics, serialization_dir = train({"trainer.moving_average": {"type": "exponential", "decay": 0.9}})
    # The saved model holds the averaged weights: between the initial and the last ones.
    assert "validation_accuracy" in metrics
    assert Recorder.last.changed(model, "_classification_layer")
    assert (serialization_dir / "model.tar.gz").exists()


@pytest.mark.parametrize("scheduler", [
    {"type": "warmup_cosine", "warmup_steps": 2},
    {"type": "linear_with_warmup", "warmup_steps": 2},
])
def test_warmup_then_decay(train, scheduler):
    train({"trainer.learning_rate_scheduler": scheduler, "trainer.num_epochs": 2})
    rates = [group[0] for group in Recorder.last.learning_rates]  # 4 batches per epoch
    assert len(rates) == 8
    assert rates[0] < rates[1] == pytest.approx(0.01)  # warm up to the optimizer's lr in 2 steps
    assert all(later < earlier for earlier, later in zip(rates[1:], rates[2:]))  # then decay
    # The loader's length counts the listed files, the corrupt one too (found only when decoded),
    # so the schedule plans 5 batches an epoch and the 4 run end it a step early.
    assert rates[-1] < 0.01 * 0.3


def test_gradient_accumulation(train):
    _, metrics, _ = train({"trainer.num_gradient_accumulation_steps": 2})
    # The 4 batches of 4 images make 2 optimizer steps of 8: the recorder sees the 2 steps.
    assert len(Recorder.last.learning_rates) == 2
    assert metrics["training_loss"] > 0


def test_discriminative_fine_tuning_and_gradual_unfreezing(train):
    # One epoch: gradual unfreezing trains only the last group (the classification layer).
    model, metrics, _ = train({
        "trainer.num_epochs": 1,
        "trainer.optimizer": {"type": "adam", "lr": 0.01, "parameter_groups": ENCODER_REGEXES},
        "trainer.learning_rate_scheduler": {
            "type": "slanted_triangular", "gradual_unfreezing": True,
            "discriminative_fine_tuning": True, "decay_factor": 0.5,
        },
    })
    recorder = Recorder.last
    assert recorder.changed(model, "_im2im_encoder") == []
    assert recorder.changed(model, "_classification_layer")
    # Each group's learning rate is `decay_factor` times the next one's (allennlp adds a fourth,
    # empty, default group).
    first, second, head = max(recorder.learning_rates, key=lambda rates: rates[2])[:3]
    assert first == pytest.approx(second * 0.5) and second == pytest.approx(head * 0.5)
