import io

import numpy
import pytest
import torch

import allencv  # noqa: F401  (importing AllenCV sets up the allowlist)


def round_trip(value):
    buffer = io.BytesIO()
    torch.save(value, buffer)
    buffer.seek(0)
    return torch.load(buffer)  # weights_only=True, torch's default


def test_numpy_scalars_load_with_weights_only():
    state = {"lr": numpy.float64(0.1), "steps": numpy.int64(3), "best": numpy.float32(0.5), "done": numpy.bool_(True)}
    assert round_trip(state) == state


@pytest.mark.parametrize("unsafe", [print, numpy.array([1, "x"], dtype=object), numpy.random.default_rng(0)])
def test_anything_else_is_still_refused(unsafe):
    with pytest.raises(Exception, match="Weights only load failed"):
        round_trip({"value": unsafe})
