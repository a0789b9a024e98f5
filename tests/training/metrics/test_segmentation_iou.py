import pytest
import torch

from allencv.training.metrics import SegmentationIoU


def test_matches_a_hand_computed_case_across_batches():
    metric = SegmentationIoU(3, ["bg", "cat", "dog"])
    # Batch 1: gold and predicted class per pixel; 255 is ignored whatever is predicted there.
    gold = torch.tensor([[[0, 0, 1], [1, 2, 255]]])
    predicted = torch.tensor([[[0, 1, 1], [1, 0, 2]]])
    metric(predicted, gold)
    # Batch 2, given as scores: argmax over the class dimension.
    gold = torch.tensor([[[2, 2]]])
    scores = torch.tensor([[[[0.0, 0.0]], [[0.0, 0.0]], [[1.0, -1.0]]]])  # predicts [2, 0]
    metric(scores, gold)
    # Confusion (gold rows, predicted columns) over the 7 counted pixels:
    #   bg: [1, 1, 0]   cat: [0, 2, 0]   dog: [2, 0, 1]
    # IoU: bg 1 / (2 + 3 - 1) = 1/4, cat 2 / (2 + 3 - 2) = 2/3, dog 1 / (3 + 1 - 1) = 1/3
    metrics = metric.get_metric(reset=True)
    assert metrics["iou_bg"] == pytest.approx(1 / 4)
    assert metrics["iou_cat"] == pytest.approx(2 / 3)
    assert metrics["iou_dog"] == pytest.approx(1 / 3)
    assert metrics["mean_iou"] == pytest.approx((1 / 4 + 2 / 3 + 1 / 3) / 3)
    assert metrics["pixel_accuracy"] == pytest.approx(4 / 7)
    assert metric.get_metric()["pixel_accuracy"] == 0.0  # reset


def test_classes_that_never_occur_are_left_out_of_the_mean():
    metric = SegmentationIoU(4, per_class=True)
    metric(torch.tensor([[0, 1]]), torch.tensor([[0, 1]]))
    metrics = metric.get_metric()
    assert metrics["mean_iou"] == 1.0
    assert set(metrics) == {"mean_iou", "pixel_accuracy", "iou_0", "iou_1"}


def test_an_extra_mask_excludes_pixels():
    metric = SegmentationIoU(2, per_class=False)
    metric(torch.tensor([[0, 1]]), torch.tensor([[0, 0]]), mask=torch.tensor([[True, False]]))
    assert metric.get_metric() == {"mean_iou": 1.0, "pixel_accuracy": 1.0}
