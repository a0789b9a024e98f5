import pytest
import torch
import torchvision
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders import Im2ImEncoder, TorchvisionEncoder
from allencv.modules.im2im_encoders.torchvision_encoder import UNSUPPORTED
from allencv.modules.pretrained import EXTRA_MODELS
from tests.conftest import write_cached_weights


def build(**config):
    return Im2ImEncoder.from_params(Params({"type": "torchvision", **config}))


@pytest.mark.slow  # builds and runs four models
@pytest.mark.parametrize("model_name", ["resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "densenet121"])
def test_static_feature_info_matches_the_forward_pass(model_name):
    encoder = build(model_name=model_name).eval()
    images = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        features = encoder.forward_features(images)
        output = encoder(images)
    info = encoder.get_feature_info()
    assert [entry.name for entry in info] == list(features)
    assert [entry.stride for entry in info] == sorted({entry.stride for entry in info})
    for entry in info:
        assert features[entry.name].shape[1:] == (entry.channels, 64 // entry.stride, 64 // entry.stride)
    assert output.shape == (1, encoder.get_output_channels(), 2, 2)
    assert encoder.get_output_stride() == 32


#: Every classification model the encoder claims to support (its docstring's list), but the four above.
SUPPORTED = [
    name for name in torchvision.models.list_models(module=torchvision.models) + list(EXTRA_MODELS)
    if not any(name.startswith(prefix) for prefix in UNSUPPORTED)
    and name not in ("resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "densenet121")
]


@pytest.mark.slow  # builds every supported torchvision classification model (randomly initialised)
@pytest.mark.parametrize("model_name", SUPPORTED)
def test_static_feature_info_of_every_supported_model_matches_its_forward_pass(model_name):
    size = 128
    encoder = TorchvisionEncoder(model_name).eval()
    with torch.no_grad():
        features = encoder.forward_features(torch.rand(1, 3, size, size))
    info = encoder.get_feature_info()
    assert [entry.name for entry in info] == list(features)
    for entry in info:
        channels, height, width = features[entry.name].shape[1:]
        assert channels == entry.channels, entry
        # Unpadded convolutions and pools (AlexNet's, SqueezeNet's) round the size down a little;
        # a wrong stride would be off by a factor of 2.
        assert size // entry.stride // 2 < height <= size // entry.stride and height == width, (entry, height)


def test_resnet_stages_and_parameter_names():
    encoder = build(model_name="resnet18")
    assert [tuple(entry) for entry in encoder.get_feature_info()] == [
        ("relu", 64, 2), ("layer1", 64, 4), ("layer2", 128, 8), ("layer3", 256, 16), ("layer4", 512, 32),
    ]
    names = [name for name, _ in encoder.named_parameters()]
    assert "model.layer4.0.conv1.weight" in names and not any(name.startswith("model.fc") for name in names)


def test_weights_by_name_come_from_the_cache(torch_home):
    state_dict = write_cached_weights(torch_home, "resnet18", seed=3)
    encoder = build(model_name="resnet18", weights="DEFAULT")
    assert torch.equal(encoder.model.conv1.weight, state_dict["conv1.weight"])


def test_weights_from_a_local_file(tmp_path):
    torch.manual_seed(5)
    state_dict = torchvision.models.get_model("mobilenet_v3_small").state_dict()
    torch.save(state_dict, tmp_path / "mobilenet.pth")
    encoder = build(model_name="mobilenet_v3_small", weights_path=str(tmp_path / "mobilenet.pth"))
    assert torch.equal(encoder.model.features[0][0].weight, state_dict["features.0.0.weight"])


def test_output_stage_and_pooling():
    encoder = build(model_name="resnet18", output_stage="layer2", pool="max")
    assert encoder.get_output_channels() == 128 and encoder.get_output_stride() == 8
    assert encoder.get_fixed_output_size() == (1, 1)
    assert encoder(torch.rand(2, 3, 32, 32)).shape == (2, 128, 1, 1)
    assert not hasattr(encoder.model, "layer3")


def test_frozen_stages_get_no_gradients_and_keep_batch_norm_statistics():
    encoder = build(model_name="resnet18", frozen_stages=2)  # the stem and layer1
    assert not encoder.model.conv1.weight.requires_grad
    assert not encoder.model.layer1[1].conv2.weight.requires_grad
    assert encoder.model.layer2[0].conv1.weight.requires_grad
    encoder.train()
    assert not encoder.model.layer1[0].bn1.training and encoder.model.layer2[0].bn1.training


def test_clear_errors():
    with pytest.raises(ConfigurationError, match="not a torchvision classification model"):
        TorchvisionEncoder("fasterrcnn_resnet50_fpn")
    with pytest.raises(ConfigurationError, match="vision transformer"):
        TorchvisionEncoder("vit_b_16")
    with pytest.raises(ConfigurationError, match="no stage 'layer9'; its stages are conv1"):
        TorchvisionEncoder("resnet18", output_stage="layer9")
    with pytest.raises(ConfigurationError, match="frozen_stages must be between 0 and"):
        TorchvisionEncoder("resnet18", frozen_stages=9)


@pytest.mark.parametrize("frozen_stages, frozen", [(1, ["conv1", "bn1"]), (2, ["conv1", "bn1", "layer1"])])
def test_frozen_stages_freeze_what_the_docstring_says(frozen_stages, frozen):
    # The docstring used to say that 1 freezes a ResNet's stem and layer1; it takes 2.
    assert "so 1 freezes the stem and 2 the stem and `layer1`" in " ".join(TorchvisionEncoder.__doc__.split())
    encoder = TorchvisionEncoder("resnet18", frozen_stages=frozen_stages)
    trainable = {name.split(".")[1] for name, parameter in encoder.named_parameters() if parameter.requires_grad}
    assert not trainable & set(frozen) and {"layer2", "layer3", "layer4"} <= trainable


@pytest.mark.parametrize("trainable_layers", [0, 3, 5])
def test_frozen_stages_and_batch_norm_match_torchvisions_trainable_backbone_layers(trainable_layers):
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone

    theirs = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=trainable_layers)
    ours = TorchvisionEncoder("resnet18", frozen_stages=5 - trainable_layers, frozen_batch_norm=True)
    trainable_theirs = {name for name, p in theirs.body.named_parameters() if p.requires_grad}
    trainable_ours = {name[len("model."):] for name, p in ours.named_parameters() if p.requires_grad}
    assert trainable_ours == trainable_theirs
    assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in ours.modules())
    assert {type(module) for module in ours.modules()} >= {torchvision.ops.misc.FrozenBatchNorm2d}


def test_frozen_batch_norm_keeps_the_pretrained_statistics_in_training(tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    torch.save(model.state_dict(), tmp_path / "resnet18.pth")
    plain = build(model_name="resnet18", weights_path=str(tmp_path / "resnet18.pth")).eval()
    frozen = build(model_name="resnet18", weights_path=str(tmp_path / "resnet18.pth"), frozen_batch_norm=True)
    images = torch.rand(2, 3, 64, 64)
    frozen.train()
    with torch.no_grad():
        expected = plain(images)
        assert torch.allclose(frozen(images), expected, atol=1e-5)  # training mode, same statistics
        assert torch.allclose(frozen(images), expected, atol=1e-5)  # and nothing was updated
    assert torch.equal(frozen.model.bn1.running_mean, model.bn1.running_mean)
