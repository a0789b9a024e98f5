import math

import pytest
import torch
from allennlp.common import Params
from allennlp.training.learning_rate_schedulers import LearningRateScheduler

import allencv  # noqa: F401


@pytest.mark.slow  # trains
def test_linear_warmup_then_half_cosine_per_batch():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = LearningRateScheduler.from_params(
        Params({"type": "warmup_cosine", "warmup_steps": 4, "end_learning_rate": 0.1}),
        optimizer=optimizer, num_epochs=2, num_steps_per_epoch=7,
    )
    rates = []
    for step in range(1, 15):
        scheduler.step_batch(step)
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    # Halfway through the 10 decay steps, the cosine is at the middle of [0.1, 1.0].
    assert rates[8] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 5 / 10)))
    assert rates[-1] == pytest.approx(0.1)
