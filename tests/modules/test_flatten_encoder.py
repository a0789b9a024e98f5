import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2vec_encoders import FlattenEncoder, Im2VecEncoder
from allencv.modules.im2vec_encoders.flatten_encoder import ShapeMismatchError


def test_from_params_flattens():
    encoder = Im2VecEncoder.from_params(
        Params({"type": "flatten", "input_channels": 4, "input_height": 2, "input_width": 3})
    )
    assert isinstance(encoder, FlattenEncoder)
    assert encoder.get_output_dim() == 24
    assert encoder(torch.rand(5, 4, 2, 3)).shape == (5, 24)


def test_optional_feedforward():
    encoder = Im2VecEncoder.from_params(Params({
        "type": "flatten", "input_channels": 8, "input_height": 1, "input_width": 1,
        "feedforward": {"input_dim": 8, "num_layers": 2, "hidden_dims": [16, 6], "activations": "relu"},
    }))
    assert encoder.get_output_dim() == 6
    assert encoder(torch.rand(2, 8, 1, 1)).shape == (2, 6)


def test_feedforward_size_mismatch_fails_at_construction():
    with pytest.raises(ConfigurationError, match="input_dim"):
        Im2VecEncoder.from_params(Params({
            "type": "flatten", "input_channels": 8, "input_height": 2, "input_width": 1,
            "feedforward": {"input_dim": 8, "num_layers": 1, "hidden_dims": 4, "activations": "relu"},
        }))


def test_wrong_input_shape_names_both_shapes_and_the_keys():
    encoder = FlattenEncoder(2048, 1, 1)
    with pytest.raises(ShapeMismatchError) as info:
        encoder(torch.rand(1, 2048, 7, 7))
    message = str(info.value)
    assert "(2048, 1, 1)" in message and "(2048, 7, 7)" in message and "input_height" in message
