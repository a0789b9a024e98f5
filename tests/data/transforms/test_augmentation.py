import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader
from torchvision import tv_tensors

from allencv.data.transforms import ImageTransform

AUGMENTATIONS = [
    {"type": "vertical_flip", "p": 1.0},
    {"type": "random_crop", "size": 32, "padding": 4},
    {"type": "rotation", "degrees": 30},
    {"type": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1},
    {"type": "grayscale", "p": 1.0},
    {"type": "gaussian_blur", "kernel_size": 3},
    {"type": "rand_augment", "num_ops": 2, "magnitude": 9},
    {"type": "trivial_augment_wide"},
    {"type": "auto_augment", "policy": "cifar10"},
    {"type": "aug_mix", "severity": 2},
    {"type": "random_erasing", "p": 1.0},
]


@pytest.mark.parametrize("config", AUGMENTATIONS, ids=[config["type"] for config in AUGMENTATIONS])
def test_each_augmentation_from_config_changes_a_uint8_image(config):
    torch.manual_seed(0)
    image = tv_tensors.Image(torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
    output = ImageTransform.from_params(Params(dict(config)))(image)
    assert output.shape == (3, 32, 32) and output.dtype == torch.uint8
    assert not torch.equal(output, image)


def test_a_reader_with_every_augmentation(colour_folders):
    reader = DatasetReader.from_params(Params({
        "type": "image_classification_directory",
        "transforms": [{"type": "random_resized_crop", "size": 32, "scale": [0.5, 1.0]},
                       {"type": "horizontal_flip"}] + [dict(config) for config in AUGMENTATIONS]
                      + [{"type": "resize", "size": [24, 24]},
                         {"type": "normalize", "weights": "ResNet18_Weights.DEFAULT"}],
    }))
    instances = list(reader.read(colour_folders / "valid"))
    assert len(instances) == 8
    assert all(instance["image"].image.shape == (3, 24, 24) for instance in instances)
    assert instances[0]["image"].mean == pytest.approx((0.485, 0.456, 0.406))


def test_resize_and_crop_follow_the_weights():
    image = tv_tensors.Image(torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8))
    resized = ImageTransform.from_params(Params({"type": "resize", "weights": "ResNet50_Weights.IMAGENET1K_V2"}))(image)
    assert resized.shape == (3, 232, 309)
    cropped = ImageTransform.from_params(Params({"type": "center_crop", "weights": "EfficientNet_B0_Weights.DEFAULT"}))(image)
    assert cropped.shape == (3, 224, 224)


def test_weights_errors():
    with pytest.raises(ConfigurationError, match="Unknown torchvision weights 'resnet50'"):
        ImageTransform.from_params(Params({"type": "normalize", "weights": "resnet50"}))
    with pytest.raises(ConfigurationError, match="either `weights` or `mean` and `std`"):
        ImageTransform.from_params(Params({"type": "normalize", "weights": "ResNet50_Weights.DEFAULT", "mean": [0.5] * 3}))
