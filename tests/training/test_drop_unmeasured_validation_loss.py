"""allennlp's made-up validation loss of 0 is dropped when the model gave none, and kept otherwise."""
import json

import torch

from allencv.training.callbacks import DropUnmeasuredValidationLoss

METRICS = {"training_loss": 1.5, "validation_loss": 0.0, "validation_map_50": 0.25, "best_validation_loss": 0.0}


def validate(tmp_path, validation_outputs):
    callback = DropUnmeasuredValidationLoss(str(tmp_path))
    callback.on_batch(None, [{}], [{"loss": torch.tensor(2.0)}], {}, epoch=0, batch_number=1, is_training=True)
    for number, output in enumerate(validation_outputs, start=1):
        callback.on_batch(None, [{}], [output], {}, epoch=0, batch_number=number, is_training=False)
    metrics = dict(METRICS)
    (tmp_path / "metrics_epoch_0.json").write_text(json.dumps(metrics))
    callback.on_epoch(None, metrics, epoch=0)
    return metrics, json.loads((tmp_path / "metrics_epoch_0.json").read_text())


def test_a_validation_without_loss_reports_none(tmp_path):
    metrics, written = validate(tmp_path, [{"boxes": []}, {"boxes": []}])
    assert metrics == written == {"training_loss": 1.5, "validation_map_50": 0.25}


def test_a_measured_validation_loss_is_kept(tmp_path):
    metrics, written = validate(tmp_path, [{"boxes": []}, {"loss": torch.tensor(0.0)}])
    assert metrics == written == METRICS
