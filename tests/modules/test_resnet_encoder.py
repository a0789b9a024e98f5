import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders import Im2ImEncoder, ResnetEncoder, TorchvisionEncoder
from allencv.modules.pretrained import PretrainedWeightsUnavailable
from tests.conftest import write_cached_weights


def test_from_params_with_the_seeds_keys(torch_home):
    write_cached_weights(torch_home, "resnet18")
    encoder = Im2ImEncoder.from_params(
        Params({"type": "pretrained_resnet", "resnet_model": "resnet18", "requires_grad": True})
    )
    assert isinstance(encoder, ResnetEncoder)
    assert encoder.get_output_channels() == 512
    assert encoder(torch.rand(2, 3, 64, 64)).shape == (2, 512, 1, 1)


def test_default_weights_come_from_torchvisions_cache(torch_home):
    written = write_cached_weights(torch_home, "resnet18", seed=3)
    encoder = ResnetEncoder("resnet18")
    assert torch.equal(encoder.model.conv1.weight, written["conv1.weight"])
    assert torch.equal(encoder.model.layer4[1].conv2.weight, written["layer4.1.conv2.weight"])


def test_weights_by_torchvision_name_and_from_a_local_file(torch_home, tmp_path):
    written = write_cached_weights(torch_home, "resnet18", seed=4)
    assert torch.equal(ResnetEncoder("resnet18", weights="IMAGENET1K_V1").model.conv1.weight, written["conv1.weight"])
    torch.save({"state_dict": written}, tmp_path / "mine.pt")
    encoder = ResnetEncoder("resnet18", weights_path=str(tmp_path / "mine.pt"))
    assert torch.equal(encoder.model.conv1.weight, written["conv1.weight"])


def test_offline_without_cached_weights_says_where_to_put_them(torch_home):
    with pytest.raises(PretrainedWeightsUnavailable) as info:
        ResnetEncoder("resnet18")
    assert str(torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in str(info.value)
    assert "weights_path" in str(info.value)


def test_bad_names_list_the_choices():
    with pytest.raises(ConfigurationError, match="resnet152"):
        ResnetEncoder("resnet99", weights=None)
    with pytest.raises(ConfigurationError, match="IMAGENET1K_V1"):
        ResnetEncoder("resnet18", weights="IMAGENET9K")


def test_requires_grad_false_freezes_and_feature_map_option():
    encoder = ResnetEncoder("resnet34", requires_grad=False, weights=None, pool=None)
    assert not any(parameter.requires_grad for parameter in encoder.parameters())
    assert encoder.get_output_stride() == 32
    assert encoder.get_fixed_output_size() is None
    assert encoder.get_output_size((100, 64)) == (4, 2)
    assert encoder(torch.rand(1, 3, 100, 64)).shape == (1, 512, 4, 2)


@pytest.mark.parametrize("resnet_model, channels", [("resnet18", [64, 64, 128, 256, 512]), ("resnet50", [64, 256, 512, 1024, 2048])])
def test_multi_scale_features_match_their_static_info(resnet_model, channels):
    encoder = ResnetEncoder(resnet_model, weights=None)
    info = encoder.get_feature_info()
    assert [stage.name for stage in info] == ["relu", "layer1", "layer2", "layer3", "layer4"]
    assert [stage.channels for stage in info] == channels
    assert [stage.stride for stage in info] == [2, 4, 8, 16, 32]
    features = encoder.forward_features(torch.rand(1, 3, 64, 96))
    for stage in info:
        assert features[stage.name].shape == (1, stage.channels, 64 // stage.stride, 96 // stage.stride)
    assert encoder.get_output_channels() == channels[-1]


def test_it_is_the_torchvision_encoder_with_the_seeds_keys():
    torch.manual_seed(0)
    alias = ResnetEncoder("resnet18", weights=None)
    assert isinstance(alias, TorchvisionEncoder)
    direct = TorchvisionEncoder("resnet18", pool="avg")
    assert alias.state_dict().keys() == direct.state_dict().keys()
    direct.load_state_dict(alias.state_dict())
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(alias.eval()(images), direct.eval()(images))


def test_channels_last_and_bf16_autocast_are_config_options_that_keep_the_outputs():
    torch.manual_seed(0)
    plain = ResnetEncoder("resnet18", weights=None).eval()
    fast = Im2ImEncoder.from_params(Params({
        "type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None,
        "channels_last": True, "autocast_dtype": "bfloat16",
    })).eval()
    fast.load_state_dict(plain.state_dict())
    assert fast.model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected, actual = plain(images), fast(images)
    assert actual.dtype == torch.float32 and actual.shape == expected.shape
    # bfloat16 keeps 8 bits of mantissa: close, not equal.
    assert torch.allclose(actual, expected, rtol=0.1, atol=0.1)
    assert not torch.equal(actual, expected)


def test_an_unknown_autocast_dtype_lists_the_choices():
    with pytest.raises(ConfigurationError, match="bfloat16, float16 or null"):
        ResnetEncoder("resnet18", weights=None, autocast_dtype="int8")


def test_the_torchvision_encoders_freezing_options_under_the_seeds_keys():
    encoder = Im2ImEncoder.from_params(Params({
        "type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None, "pool": None,
        "frozen_stages": 2, "frozen_batch_norm": True,
    }))
    assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in encoder.modules())
    trainable = {name.split(".")[1] for name, parameter in encoder.named_parameters() if parameter.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}
    with pytest.raises(ConfigurationError, match="either `requires_grad: false` or `frozen_stages`"):
        ResnetEncoder("resnet18", weights=None, requires_grad=False, frozen_stages=2)
