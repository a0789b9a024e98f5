from typing import Dict, List, Optional, Tuple

import torch
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo, Im2ImEncoder
from allencv.modules.pretrained import build_torchvision_model

RESNET_MODELS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
STAGES = ("layer1", "layer2", "layer3", "layer4")
AUTOCAST_DTYPES = {None: None, "bfloat16": torch.bfloat16, "float16": torch.float16}
POOLING = {"avg": torch.nn.AdaptiveAvgPool2d, "max": torch.nn.AdaptiveMaxPool2d}


@Im2ImEncoder.register("pretrained_resnet")
class ResnetEncoder(Im2ImEncoder):
    """
    The convolutional part of a torchvision ResNet (everything before its classification head).
    Its output is 512 channels for resnet18/34 and 2048 for resnet50/101/152, at 1/32 of the
    input size; pooled to `1x1` by default, which is what a `flatten` encoder with
    `input_height = input_width = 1` expects. Set `pool` to null to keep the spatial feature map.

    Registered as an `Im2ImEncoder` with name "pretrained_resnet".

    # Parameters

    resnet_model : `str`, optional (default = `"resnet50"`)
        One of resnet18, resnet34, resnet50, resnet101, resnet152.
    requires_grad : `bool`, optional (default = `True`)
        Whether to fine-tune the ResNet's weights; `False` freezes them.
    weights : `str`, optional (default = `"DEFAULT"`)
        torchvision weights name (`"DEFAULT"` is ImageNet's best, e.g. `"IMAGENET1K_V2"` for
        resnet50), loaded through torchvision and its `TORCH_HOME` cache. `null` means random
        initialisation.
    weights_path : `str`, optional
        A local checkpoint to load instead of `weights`.
    pool : `str`, optional (default = `"avg"`)
        `"avg"` or `"max"` global pooling to `1x1`, or null for the feature map.
    channels_last : `bool`, optional (default = `False`)
        Run the convolutions in torch's `channels_last` memory format (weights and inputs), which
        oneDNN and cuDNN often run faster. Measure it: `benchmarks/training.py --channels-last 1`.
    autocast_dtype : `str`, optional
        `"bfloat16"` or `"float16"`: run the ResNet under `torch.autocast` in that precision, on
        whatever device the images are (e.g. bf16 on CPUs with AVX512-BF16 or AMX); its features
        are float32 again. On GPUs, the trainer's `use_amp` does this for the whole model.
    """

    def __init__(
        self,
        resnet_model: str = "resnet50",
        requires_grad: bool = True,
        weights: Optional[str] = "DEFAULT",
        weights_path: Optional[str] = None,
        pool: Optional[str] = "avg",
        channels_last: bool = False,
        autocast_dtype: Optional[str] = None,
    ) -> None:
        super().__init__()
        if resnet_model not in RESNET_MODELS:
            raise ConfigurationError(
                f"resnet_model must be one of {', '.join(RESNET_MODELS)}, got {resnet_model!r}."
            )
        if pool is not None and pool not in POOLING:
            raise ConfigurationError(f"pool must be one of {sorted(POOLING)} or null, got {pool!r}.")
        self.resnet = build_torchvision_model(resnet_model, weights=weights, weights_path=weights_path)
        del self.resnet.fc, self.resnet.avgpool  # the classification head is the model's job
        self.pool = POOLING[pool](1) if pool is not None else None
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        if autocast_dtype not in AUTOCAST_DTYPES:
            raise ConfigurationError(
                f"autocast_dtype must be one of {', '.join(name for name in AUTOCAST_DTYPES if name)} or null, "
                f"got {autocast_dtype!r}."
            )
        self._autocast_dtype = AUTOCAST_DTYPES[autocast_dtype]
        self._memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.resnet.to(memory_format=torch.channels_last)

    def get_output_channels(self) -> int:
        return self.get_feature_info()[-1].channels

    def get_output_stride(self) -> int:
        return 32

    def get_fixed_output_size(self) -> Optional[Tuple[int, int]]:
        return (1, 1) if self.pool is not None else None

    def get_feature_info(self) -> List[FeatureInfo]:
        return [
            FeatureInfo(name, self._stage_channels(name), stride)
            for name, stride in zip(STAGES, (4, 8, 16, 32))
        ]

    def _stage_channels(self, name: str) -> int:
        last_block = getattr(self.resnet, name)[-1]
        last_norm = last_block.bn3 if hasattr(last_block, "bn3") else last_block.bn2
        return last_norm.num_features

    def forward_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        images = images.contiguous(memory_format=self._memory_format)
        if self._autocast_dtype is None:
            return self._stages(images)
        with torch.autocast(images.device.type, dtype=self._autocast_dtype):
            stages = self._stages(images)
        return {name: features.float() for name, features in stages.items()}

    def _stages(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        resnet = self.resnet
        # (batch_size, 64, height / 4, width / 4)
        features = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(images))))
        stages = {}
        for name in STAGES:
            features = getattr(resnet, name)(features)
            stages[name] = features
        return stages

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # (batch_size, channels, height / 32, width / 32)
        features = self.forward_features(images)["layer4"]
        if self.pool is not None:
            # (batch_size, channels, 1, 1)
            features = self.pool(features)
        return features
