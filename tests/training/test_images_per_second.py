import time

import torch
from allennlp.training import gradient_descent_trainer

from allencv.training.callbacks import ConsoleMetrics, ImagesPerSecond, MetricsSummary


def batch(size: int):
    return {"image": torch.zeros(size, 3, 4, 4), "label": torch.zeros(size, dtype=torch.long)}


def test_images_per_second_goes_in_the_bars_batch_metrics_only(tmp_path):
    callback = ImagesPerSecond(str(tmp_path))
    shown = []
    for number in range(1, 4):
        metrics = {"accuracy": 0.5, "loss": 1.0}
        callback.on_batch(None, [batch(8), batch(8)], [], metrics, epoch=0, batch_number=number, is_training=True)
        shown.append(metrics.get("images_per_s"))
        time.sleep(0.05)
    assert shown[0] is None  # the first batch starts the clock
    # 16 images a batch (two batches of 8 in a gradient-accumulation group), 0.05 s or more apart
    assert 0 < shown[2] <= 16 * 2 / 0.1 and shown[1] <= 16 / 0.05
    metrics = {"accuracy": 0.5}
    callback.on_batch(None, [batch(8)], [], metrics, epoch=0, batch_number=4, is_training=False)
    assert "images_per_s" not in metrics  # validation batches are not counted
    metrics = {}
    callback.on_batch(None, [batch(8)], [], metrics, epoch=1, batch_number=1, is_training=True)
    assert "images_per_s" not in metrics  # a new epoch starts the clock again


def test_console_metrics_shows_it_and_the_default_callbacks_include_it(tmp_path):
    console = ConsoleMetrics(str(tmp_path))
    metrics = {}
    for number in (1, 2):
        console.on_batch(None, [batch(4)], [], metrics, epoch=0, batch_number=number, is_training=True)
    assert metrics["images_per_s"] > 0
    assert {ImagesPerSecond, MetricsSummary} <= set(gradient_descent_trainer.DEFAULT_CALLBACKS)
