"""
What `allennlp train` says about an existing serialization folder and about the epochs that
`--recover` skips.
"""
import json
import logging
import sys

import pytest
from allennlp.commands import main
from allennlp.common.checks import ConfigurationError

from tests.conftest import FIXTURES

CONFIG = str(FIXTURES / "colour_classifier.jsonnet")
#: A small model, one epoch of checkpoints kept, so a test trains in seconds.
TINY = {
    "model.im2im_encoder": {"type": "small_cnn", "stage_channels": [4, 8], "convs_per_stage": 1},
    "model.im2vec_encoder": {"type": "global_pool", "input_channels": 8},
    "trainer.callbacks": [{"type": "console_metrics"}],
}


@pytest.fixture
def colour_paths(colour_folders, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))


def train(monkeypatch, *arguments: str, overrides=TINY) -> None:
    argv = ["allennlp", "train", CONFIG, *arguments, "-o", json.dumps(overrides), "--include-package", "allencv"]
    monkeypatch.setattr(sys, "argv", argv)
    main(prog="allennlp")


def test_a_folder_left_by_a_failed_start_asks_for_force_not_recover(colour_paths, tmp_path, monkeypatch):
    run = tmp_path / "run"
    monkeypatch.setenv("TRAIN_PATH", str(tmp_path / "no_such_folder"))
    with pytest.raises(ConfigurationError):
        train(monkeypatch, "-s", str(run))
    assert (run / "config.json").exists()  # allennlp left the folder behind

    with pytest.raises(ConfigurationError) as error:
        train(monkeypatch, "-s", str(run))
    message = str(error.value)
    assert "holds no checkpoint" in message and "pass --force" in message and "--recover" not in message


@pytest.mark.slow  # trains three times
def test_a_folder_with_checkpoints_names_recover_and_force(colour_paths, tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(monkeypatch, "-s", str(run))
    with pytest.raises(ConfigurationError) as error:
        train(monkeypatch, "-s", str(run))
    assert "holds a checkpoint after 2 epoch(s)." in str(error.value)
    assert "Pass --recover to resume" in str(error.value) and "pass --force" in str(error.value)

    # A changed config under --recover: the message says that --force trains with it instead.
    with pytest.raises(ConfigurationError) as error:
        train(monkeypatch, "-s", str(run), "--recover", overrides=dict(TINY, **{"trainer.optimizer.lr": 0.01}))
    assert "pass --force in place of --recover" in str(error.value)

    # The same config resumes; the epochs the checkpoint holds are logged as skipped, not as trained.
    train(monkeypatch, "-s", str(run), "--recover")
    log = (run / "out.log").read_text()  # allennlp's copy of the log, appended to by the recovery
    recovered = log[log.rindex("Recovering from prior training"):]
    trainer = " - INFO - allennlp.training.gradient_descent_trainer - "
    lines = [line.split(trainer, 1)[1] for line in recovered.splitlines() if trainer in line]
    assert [line for line in lines if line.startswith("Epoch ")] == [
        f"Epoch {epoch}/1 was trained before the recovery: reading its batches without training "
        "(same data order and augmentations as an uninterrupted run)"
        for epoch in (0, 1)
    ]
    assert "Training" not in lines


def test_allennlps_own_local_rank_is_not_reported_as_a_config_mistake(caplog):
    from allennlp.common import Params
    from allennlp.common.from_params import pop_and_construct_arg

    # `allennlp train` puts local_rank in the trainer's params and passes it in **extras too.
    with caplog.at_level(logging.WARNING):
        value = pop_and_construct_arg("GradientDescentTrainer", "local_rank", int, None, Params({"local_rank": 1}), local_rank=1)
        pop_and_construct_arg("GradientDescentTrainer", "cuda_device", int, None, Params({"cuda_device": -1}), cuda_device=-1)
    assert value == 1
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("Parameter cuda_device")  # other keys still warn
