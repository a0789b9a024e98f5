import threading

import pytest
import torch

from allencv.service.batcher import PredictionBatcher


class RecordingPredictor:
    """Returns each image's first pixel and records each batch and whether it ran in inference
    mode; a batch sets `busy`, then waits for `gate`."""

    def __init__(self) -> None:
        self.batches = []
        self.busy = threading.Event()
        self.gate = threading.Event()

    def predict_batch(self, images):
        self.busy.set()
        self.gate.wait(timeout=10)
        self.batches.append((len(images), torch.is_inference_mode_enabled()))
        return [{"value": int(image[0, 0, 0])} for image in images]


def image(value: int) -> torch.Tensor:
    return torch.full((3, 2, 2), value, dtype=torch.uint8)


def test_requests_waiting_while_the_model_is_busy_share_batches_of_at_most_max_batch_size():
    predictor = RecordingPredictor()
    batcher = PredictionBatcher(predictor, max_batch_size=4)
    first = batcher.submit([image(0)])
    assert predictor.busy.wait(timeout=10)
    waiting = [
        batcher.submit([image(n), image(n + 100)]) for n in range(1, 5)
    ]  # queued behind `first`
    predictor.gate.set()
    assert first.result(timeout=10) == [{"value": 0}]
    for n, future in enumerate(waiting, start=1):
        assert future.result(timeout=10) == [{"value": n}, {"value": n + 100}]
    assert predictor.batches == [(1, True), (4, True), (4, True)]
    assert batcher.largest_batch == 4 and batcher.batches_run == 3
    batcher.close()


def test_a_job_larger_than_a_batch_is_refused():
    batcher = PredictionBatcher(RecordingPredictor(), max_batch_size=2)
    with pytest.raises(ValueError, match="1 to 2 images"):
        batcher.submit([image(1)] * 3)


def test_close_finishes_waiting_jobs_and_a_later_job_restarts_the_worker():
    predictor = RecordingPredictor()
    predictor.gate.set()
    batcher = PredictionBatcher(predictor, max_batch_size=8)
    futures = [batcher.submit([image(n)]) for n in range(3)]
    batcher.close()
    assert [future.result(timeout=1) for future in futures] == [[{"value": n}] for n in range(3)]
    assert batcher.submit([image(7)]).result(timeout=10) == [{"value": 7}]
    batcher.close()
