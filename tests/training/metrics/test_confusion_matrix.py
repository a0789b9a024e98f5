import torch

from allencv.training.metrics import ConfusionMatrix


def test_counts_gold_rows_against_predicted_columns_and_resets():
    metric = ConfusionMatrix(num_labels=3)
    scores = torch.tensor([[0.9, 0.0, 0.1], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7], [0.6, 0.3, 0.1]])
    metric(scores, torch.tensor([0, 0, 2, 1]))
    metric(scores[:1], torch.tensor([2]), mask=torch.tensor([False]))
    assert metric.get_metric(reset=True) == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert metric.get_metric() == [[0] * 3] * 3
