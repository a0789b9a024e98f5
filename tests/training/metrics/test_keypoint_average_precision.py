"""COCO keypoint AP (pycocotools' OKS matching) on cases small enough to work out by hand."""
import math

import pytest
import torch
from allennlp.common.testing.distributed_test import run_distributed_test

from allencv.training.metrics import KeypointAveragePrecision
from allencv.training.metrics.keypoint_average_precision import COCO_PERSON_SIGMAS
from pycocotools.cocoeval import COCOeval

# One gold object: a 10x10 box (area 100) with three keypoints, the last labelled but hidden.
GOLD = [{
    "boxes": torch.tensor([[0.0, 0.0, 10.0, 10.0]]),
    "labels": torch.tensor([1]),
    "keypoints": torch.tensor([[[2.0, 2.0, 2.0], [5.0, 5.0, 2.0], [8.0, 8.0, 1.0]]]),
}]


def prediction(shift: float, label: int = 1):
    return [{
        "labels": torch.tensor([label]),
        "scores": torch.tensor([0.9]),
        "keypoints": GOLD[0]["keypoints"] + torch.tensor([shift, 0.0, 0.0]),
    }]


def test_exact_keypoints_score_one():
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(0.0), GOLD)
    assert metric.get_metric(reset=True) == pytest.approx(
        {"keypoint_map": 1.0, "keypoint_map_50": 1.0, "keypoint_map_75": 1.0, "keypoint_mar": 1.0}
    )


def test_oks_thresholds():
    # Every keypoint 1 px off: OKS = exp(-1 / (2 * 100 * (2 * 0.05)^2)) = exp(-0.5) = 0.607, so the
    # detection matches at the thresholds .5, .55 and .6 of the ten: AP (and recall) 3/10.
    assert math.exp(-1 / (2 * 100 * (2 * 0.05) ** 2)) == pytest.approx(0.607, abs=1e-3)
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(1.0), GOLD)
    assert metric.get_metric() == pytest.approx(
        {"keypoint_map": 0.3, "keypoint_map_50": 1.0, "keypoint_map_75": 0.0, "keypoint_mar": 0.3}
    )
    # A wider sigma forgives more: OKS = exp(-0.125) = 0.88, matched at .5 to .85 (8 of 10).
    metric = KeypointAveragePrecision([0.1] * 3)
    metric(prediction(1.0), GOLD)
    assert metric.get_metric()["keypoint_map"] == pytest.approx(0.8)


def test_a_detection_of_another_class_or_none_scores_zero():
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(0.0, label=2), GOLD)
    assert metric.get_metric(reset=True)["keypoint_map"] == 0.0
    metric([{"labels": torch.zeros(0, dtype=torch.int64), "scores": torch.zeros(0), "keypoints": torch.zeros(0, 3, 3)}], GOLD)
    assert metric.get_metric(reset=True) == {"keypoint_map": 0.0, "keypoint_map_50": 0.0, "keypoint_map_75": 0.0, "keypoint_mar": 0.0}


def test_nothing_is_reported_without_labelled_gold_keypoints():
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(0.0), [{**GOLD[0], "keypoints": torch.zeros(1, 3, 3)}])
    assert metric.get_metric(reset=True) == {}


def test_coco_person_sigmas_by_name():
    assert len(COCO_PERSON_SIGMAS) == 17
    assert COCO_PERSON_SIGMAS["nose"] == pytest.approx(0.026) and COCO_PERSON_SIGMAS["left_hip"] == pytest.approx(0.107)
    # The table written out is pycocotools' own.
    assert list(COCO_PERSON_SIGMAS.values()) == pytest.approx(COCOeval(iouType="keypoints").params.kpt_oks_sigmas.tolist())


def score_half_of_the_images(rank: int, world_size: int, device: int, expected: dict) -> None:
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(0.0 if rank == 0 else 1.0), GOLD)
    assert metric.get_metric(reset=True) == pytest.approx(expected)


@pytest.mark.slow
def test_distributed_processes_score_every_processs_images():
    # Rank 0 sees an exact image, rank 1 one 1 px off; each reports the AP of both together.
    metric = KeypointAveragePrecision([0.05] * 3)
    metric(prediction(0.0), GOLD)
    metric(prediction(1.0), GOLD)
    expected = metric.get_metric()
    alone = KeypointAveragePrecision([0.05] * 3)
    alone(prediction(0.0), GOLD)
    assert expected != pytest.approx(alone.get_metric())
    run_distributed_test([-1, -1], score_half_of_the_images, expected)
