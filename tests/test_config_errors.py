"""
Bad configs stop `allennlp train` before the first batch, with a message naming the key or path.
Each case runs the CLI's own entry point (`allennlp.commands.main`) in this process, to spare a
subprocess per case.
"""
import json
import sys
import tempfile
from pathlib import Path

import pytest
from allennlp.commands import main
from allennlp.common.checks import ConfigurationError

from tests.conftest import FIXTURES, colour_image

CONFIG = FIXTURES / "colour_classifier.jsonnet"


def train(tmp_path, monkeypatch, overrides=None):
    run = Path(tempfile.mkdtemp(dir=tmp_path)) / "run"
    argv = ["allennlp", "train", str(CONFIG), "-s", str(run), "--include-package", "allencv"]
    if overrides:
        argv += ["--overrides", json.dumps(overrides)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(Exception) as info:
        main(prog="allennlp")
    assert not list(run.glob("*_state_e*.th")) and not (run / "metrics_epoch_0.json").exists()
    return str(info.value)


@pytest.fixture
def data_paths(colour_folders, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
    return colour_folders


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"model.dropuot": 0.1}, "Extra parameters passed to BasicImageClassifier: {'dropuot': 0.1}"),
        ({"trainer.num_epochs": "two"}, "Expected num_epochs to be a int"),
        ({"trainer.num_epochs": -1}, "trainer.num_epochs must be a whole number of at least 1, got -1"),
        ({"trainer.num_epochs": 0}, "trainer.num_epochs must be a whole number of at least 1, got 0"),
        ({"model.dropout": [0.1]}, "dropout"),
        ({"model.im2vec_encoder.input_channels": 2048}, "set model.im2vec_encoder.input_channels to 512"),
        ({"model.im2vec_encoder.input_height": 7}, "set model.im2vec_encoder.input_height and input_width to 1 and 1"),
        ({"model.num_labels": 3}, "model.num_labels is 3 but the vocabulary has 2 labels"),
    ],
    ids=["unknown key", "wrong type (int)", "num_epochs -1", "num_epochs 0", "wrong type (float)", "channel mismatch", "size mismatch", "num_labels"],
)
def test_bad_model_and_trainer_keys(data_paths, tmp_path, monkeypatch, overrides, expected):
    assert expected in train(tmp_path, monkeypatch, overrides)


@pytest.mark.slow  # several runs of allennlp train to the first error
def test_missing_empty_and_wrong_data_paths(colour_folders, tmp_path, monkeypatch):
    monkeypatch.delenv("TRAIN_PATH", raising=False)
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
    assert "undefined external variable: TRAIN_PATH" in train(tmp_path, monkeypatch)

    monkeypatch.setenv("TRAIN_PATH", "")
    assert "The data path is empty" in train(tmp_path, monkeypatch)

    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "vaild"))
    message = train(tmp_path, monkeypatch)
    assert f"{colour_folders / 'vaild'} does not exist. Did you mean {colour_folders / 'valid'}?" in message

    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid" / "red" / "1.png"))
    assert "is a file, not a folder" in train(tmp_path, monkeypatch)


@pytest.mark.slow  # allennlp train to the first error
def test_a_validation_class_training_never_saw(tmp_path, monkeypatch):
    train_colours = {"red": (220, 40, 30), "blue": (30, 60, 220)}
    for split, colours, count in (("train", train_colours, {"red": 5, "blue": 3}),
                                  ("valid", {**train_colours, "green": (30, 200, 30)}, {"red": 1, "blue": 1, "green": 1})):
        for label, colour in colours.items():
            (tmp_path / split / label).mkdir(parents=True)
            for n in range(count[label]):
                colour_image(colour, size=16, seed=n).save(tmp_path / split / label / f"{n}.png")
    monkeypatch.setenv("TRAIN_PATH", str(tmp_path / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(tmp_path / "valid"))
    run = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["allennlp", "train", str(CONFIG), "-s", str(run), "--include-package", "allencv"])
    with pytest.raises(ConfigurationError) as info:
        main(prog="allennlp")
    assert f"{tmp_path / 'valid' / 'green' / '0.png'} has label 'green', which the training data does not have" in str(info.value)
    # The label vocabulary is sorted by name (red, the more frequent, would otherwise come first).
    assert (run / "vocabulary" / "labels.txt").read_text().split() == ["blue", "red"]


def test_offline_pretrained_weights_name_the_full_config_key(data_paths, tmp_path, monkeypatch, torch_home):
    message = train(tmp_path, monkeypatch, {"model.im2im_encoder.weights": "DEFAULT"})
    assert str(torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert "set `model.im2im_encoder.weights` to null" in message
    assert "a local checkpoint with `model.im2im_encoder.weights_path`" in message


def test_offline_timm_weights_name_the_full_config_key(data_paths, tmp_path, monkeypatch):
    pytest.importorskip("timm")
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # no test waits for the network
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    encoder = {"type": "timm", "model_name": "resnet18", "pretrained": True, "pool": "model"}
    message = train(tmp_path, monkeypatch, {"model.im2im_encoder": encoder})
    assert "https://huggingface.co/timm/resnet18.a1_in1k" in message
    assert "a local checkpoint with `model.im2im_encoder.weights_path`" in message
    assert "set `model.im2im_encoder.pretrained` to false" in message
