"""A non-finite loss stops `allennlp train` at once (allennlp's own check), before any checkpoint."""
import json
import sys

import pytest
from allennlp.commands import main

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # subprocess training


def test_a_nan_loss_stops_the_run(colour_folders, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
    # Output weights and biases near float32's maximum: with the (non-negative, pooled) ResNet
    # features every logit overflows to +inf, and the cross-entropy of infinite logits is nan.
    huge = {"type": "uniform", "a": 1e38, "b": 1.5e38}
    blow_up = {"model.initializer": {"regexes": [["_classification_layer.*", huge]]}}
    run = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["allennlp", "train", str(FIXTURES / "colour_classifier.jsonnet"), "-s", str(run),
                                      "--include-package", "allencv", "--overrides", json.dumps(blow_up)])
    with pytest.raises(ValueError, match="nan loss encountered"):
        main(prog="allennlp")
    assert not list(run.glob("model_state_e*.th")) and not (run / "model.tar.gz").exists()
