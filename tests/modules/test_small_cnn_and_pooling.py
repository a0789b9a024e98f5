import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder


def test_small_cnn_feature_info_matches_the_forward_pass():
    encoder = Im2ImEncoder.from_params(Params({"type": "small_cnn", "stage_channels": [4, 8, 16]}))
    images = torch.rand(2, 3, 28, 28)
    features = encoder.forward_features(images)
    assert [tuple(entry) for entry in encoder.get_feature_info()] == [("stage1", 4, 1), ("stage2", 8, 2), ("stage3", 16, 4)]
    assert [tuple(value.shape) for value in features.values()] == [(2, 4, 28, 28), (2, 8, 14, 14), (2, 16, 7, 7)]
    assert torch.equal(encoder(images), features["stage3"])
    assert encoder.get_output_size((28, 28)) == (7, 7)


def test_small_cnn_in_channels_last_computes_the_same_features():
    plain = Im2ImEncoder.from_params(Params({"type": "small_cnn", "stage_channels": [4, 8]}))
    fast = Im2ImEncoder.from_params(Params({"type": "small_cnn", "stage_channels": [4, 8], "channels_last": True}))
    fast.load_state_dict(plain.state_dict())
    images = torch.rand(2, 3, 12, 12)
    features = fast(images)
    assert features.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(features, plain(images), atol=1e-5)


@pytest.mark.parametrize("pooling, expected", [
    ("avg", [[2.5, 6.5]]), ("max", [[4.0, 8.0]]), ("avg_max", [[2.5, 6.5, 4.0, 8.0]]),
])
def test_global_pooling(pooling, expected):
    encoder = Im2VecEncoder.from_params(Params({"type": "global_pool", "input_channels": 2, "pooling": pooling}))
    features = torch.arange(1.0, 9.0).view(1, 2, 2, 2)
    assert encoder(features).tolist() == expected
    assert encoder.get_output_dim() == len(expected[0])
    assert encoder(torch.rand(3, 2, 5, 7)).shape == (3, len(expected[0]))  # any size


def test_global_pool_with_a_feedforward_head():
    encoder = Im2VecEncoder.from_params(Params({
        "type": "global_pool", "input_channels": 4, "pooling": "avg_max",
        "feedforward": {"input_dim": 8, "num_layers": 1, "hidden_dims": 3, "activations": "relu"},
    }))
    assert encoder.get_output_dim() == 3 and encoder(torch.rand(2, 4, 3, 3)).shape == (2, 3)


def test_global_pool_errors():
    with pytest.raises(ConfigurationError, match="pooling must be one of"):
        Im2VecEncoder.from_params(Params({"type": "global_pool", "input_channels": 2, "pooling": "sum"}))
    with pytest.raises(ConfigurationError, match="feedforward.input_dim is 2 but 'avg_max' pooling of 2"):
        Im2VecEncoder.from_params(Params({
            "type": "global_pool", "input_channels": 2, "pooling": "avg_max",
            "feedforward": {"input_dim": 2, "num_layers": 1, "hidden_dims": 3, "activations": "relu"},
        }))
    encoder = Im2VecEncoder.from_params(Params({"type": "global_pool", "input_channels": 2}))
    with pytest.raises(ValueError, match="expects 2 channels but got 3"):
        encoder(torch.rand(1, 3, 2, 2))
