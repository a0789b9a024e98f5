"""COCO mask AP (pycocotools' segm matching) on cases small enough to work out by hand."""
import pytest
import torch
from allennlp.common.testing.distributed_test import run_distributed_test

from allencv.training.metrics import MaskAveragePrecision


def rectangle(x1: int, y1: int, x2: int, y2: int) -> torch.Tensor:
    mask = torch.zeros(20, 20, dtype=torch.bool)
    mask[y1:y2, x1:x2] = True
    return mask


# Two gold objects: a 10x10 square of class 1 and a 10x6 rectangle of class 2.
GOLD = [{"labels": torch.tensor([1, 2]), "masks": torch.stack([rectangle(0, 0, 10, 10), rectangle(5, 12, 15, 18)])}]


def prediction(*masks: torch.Tensor, labels=(1, 2)):
    return [{"labels": torch.tensor(labels[: len(masks)]), "scores": torch.tensor([0.9, 0.8][: len(masks)]),
             "masks": torch.stack(masks)}]


def test_exact_masks_score_one():
    metric = MaskAveragePrecision({1: "square", 2: "rectangle"})
    metric(prediction(*GOLD[0]["masks"]), GOLD)
    assert metric.get_metric(reset=True) == pytest.approx({
        "mask_map": 1.0, "mask_map_50": 1.0, "mask_map_75": 1.0, "mask_mar_100": 1.0,
        "mask_AP_square": 1.0, "mask_AP_rectangle": 1.0,
    })


def test_iou_thresholds():
    # The rectangle predicted 7 columns wide instead of 10: IoU 42/60 = 0.7, a match at .5 to .7
    # (5 of the 10 thresholds), so its class's AP is 0.5 and the mean over both classes 0.75.
    metric = MaskAveragePrecision({1: "square", 2: "rectangle"})
    metric(prediction(GOLD[0]["masks"][0], rectangle(5, 12, 12, 18)), GOLD)
    metrics = metric.get_metric(reset=True)
    assert metrics == pytest.approx({
        "mask_map": 0.75, "mask_map_50": 1.0, "mask_map_75": 0.5, "mask_mar_100": 0.75,
        "mask_AP_square": 1.0, "mask_AP_rectangle": 0.5,
    })


def test_masks_not_boxes_are_matched():
    # An L-shaped mask in the square's box: the same box, but IoU 36/100 with the square.
    l_shape = rectangle(0, 0, 10, 10) & ~rectangle(2, 0, 10, 8)
    metric = MaskAveragePrecision()
    metric(prediction(l_shape, labels=(1,)), [{"labels": GOLD[0]["labels"][:1], "masks": GOLD[0]["masks"][:1]}])
    assert metric.get_metric(reset=True)["mask_map_50"] == 0.0


def test_a_detection_of_another_class_or_none_scores_zero_and_no_gold_reports_nothing():
    metric = MaskAveragePrecision()
    metric(prediction(GOLD[0]["masks"][0], labels=(2,)), [{"labels": GOLD[0]["labels"][:1], "masks": GOLD[0]["masks"][:1]}])
    assert metric.get_metric(reset=True)["mask_map"] == 0.0
    metric([{"labels": torch.zeros(0, dtype=torch.int64), "scores": torch.zeros(0), "masks": torch.zeros(0, 20, 20)}], GOLD)
    assert metric.get_metric(reset=True) == {"mask_map": 0.0, "mask_map_50": 0.0, "mask_map_75": 0.0, "mask_mar_100": 0.0}
    metric(prediction(rectangle(0, 0, 5, 5)), [{"labels": torch.zeros(0, dtype=torch.int64), "masks": torch.zeros(0, 20, 20)}])
    assert metric.get_metric(reset=True) == {}


def score_some_of_the_images(rank: int, world_size: int, device: int, expected: dict) -> None:
    # Unequal shares: rank 0 scores one exact image, rank 1 two with the rectangle 7 columns wide.
    metric = MaskAveragePrecision({1: "square", 2: "rectangle"})
    if rank == 0:
        metric(prediction(*GOLD[0]["masks"]), GOLD)
    else:
        metric(prediction(GOLD[0]["masks"][0], rectangle(5, 12, 12, 18)) * 2, GOLD * 2)
    assert metric.get_metric(reset=True) == pytest.approx(expected)


@pytest.mark.slow
def test_distributed_processes_score_every_processs_images():
    metric = MaskAveragePrecision({1: "square", 2: "rectangle"})
    metric(prediction(*GOLD[0]["masks"]), GOLD)
    metric(prediction(GOLD[0]["masks"][0], rectangle(5, 12, 12, 18)) * 2, GOLD * 2)
    expected = metric.get_metric()
    alone = MaskAveragePrecision({1: "square", 2: "rectangle"})
    alone(prediction(*GOLD[0]["masks"]), GOLD)
    assert expected != pytest.approx(alone.get_metric())
    run_distributed_test([-1, -1], score_some_of_the_images, expected)
