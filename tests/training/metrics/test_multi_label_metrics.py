import pytest
import torch
from allennlp.common.testing.distributed_test import run_distributed_test

from allencv.training.metrics.multi_label_metrics import MultiLabelMetrics

# Two halves of a 3-label evaluation: each half alone scores differently from both together.
PROBS = [torch.tensor([[0.9, 0.2, 0.6], [0.1, 0.8, 0.4]]), torch.tensor([[0.7, 0.6, 0.3], [0.2, 0.3, 0.9]])]
GOLD = [torch.tensor([[1, 0, 1], [0, 1, 0]]), torch.tensor([[0, 1, 0], [1, 0, 1]])]


def score_one_half(rank: int, world_size: int, device: int, expected: dict) -> None:
    metric = MultiLabelMetrics(num_labels=3)
    metric(PROBS[rank], GOLD[rank])
    assert metric.get_metric(reset=True) == pytest.approx(expected)


@pytest.mark.slow
def test_distributed_processes_score_every_processs_instances():
    metric = MultiLabelMetrics(num_labels=3)
    for probs, gold in zip(PROBS, GOLD):
        metric(probs, gold)
    expected = metric.get_metric()
    alone = MultiLabelMetrics(num_labels=3)
    alone(PROBS[0], GOLD[0])
    assert expected != pytest.approx(alone.get_metric())
    run_distributed_test([-1, -1], score_one_half, expected)
