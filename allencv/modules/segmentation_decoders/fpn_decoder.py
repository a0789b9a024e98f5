from collections import OrderedDict
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from torchvision.ops import FeaturePyramidNetwork

from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo
from allencv.modules.segmentation_decoders.segmentation_decoder import SegmentationDecoder


@SegmentationDecoder.register("fpn")
class FpnDecoder(SegmentationDecoder):
    """
    The semantic segmentation branch of Panoptic FPN (Kirillov et al., 2019): torchvision's
    `FeaturePyramidNetwork` merges the encoder stages top-down into maps of `pyramid_channels`;
    each level is then refined by a 3x3 convolution (with batch norm and ReLU) to
    `output_channels`, upsampled to the finest level's stride, and the levels are summed.

    Registered as a `SegmentationDecoder` with name "fpn".

    # Parameters

    feature_info : `List[FeatureInfo]`
        The encoder's stages (passed by the model).
    feature_names : `List[str]`, optional
        The stages to use, by name; by default the deepest four (Panoptic FPN's C2-C5: a
        ResNet's `layer1` to `layer4`, strides 4 to 32).
    pyramid_channels : `int`, optional (default = `128`)
    output_channels : `int`, optional (default = `128`)
    """

    def __init__(
        self,
        feature_info: List[FeatureInfo],
        feature_names: Optional[List[str]] = None,
        pyramid_channels: int = 128,
        output_channels: int = 128,
    ) -> None:
        super().__init__()
        by_name = {info.name: info for info in feature_info}
        names = feature_names or [info.name for info in feature_info][-4:]
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise ConfigurationError(
                f"decoder.feature_names {unknown} are not stages of the encoder; it has {sorted(by_name)}."
            )
        self.levels = sorted((by_name[name] for name in names), key=lambda info: info.stride)
        self.fpn = FeaturePyramidNetwork([info.channels for info in self.levels], pyramid_channels)
        self.refine = torch.nn.ModuleList(
            torch.nn.Sequential(
                torch.nn.Conv2d(pyramid_channels, output_channels, 3, padding=1, bias=False),
                torch.nn.BatchNorm2d(output_channels),
                torch.nn.ReLU(inplace=True),
            )
            for _ in self.levels
        )
        self.output_channels = output_channels

    def get_output_channels(self) -> int:
        return self.output_channels

    def get_output_stride(self) -> int:
        return self.levels[0].stride

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        # name -> (batch_size, pyramid_channels, height / stride, width / stride), finest first
        pyramid = self.fpn(OrderedDict((info.name, features[info.name]) for info in self.levels))
        finest_size = pyramid[self.levels[0].name].shape[-2:]
        # (batch_size, output_channels, height / finest_stride, width / finest_stride)
        merged = 0
        for info, refine in zip(self.levels, self.refine):
            level = refine(pyramid[info.name])
            if level.shape[-2:] != finest_size:
                level = torch.nn.functional.interpolate(level, size=finest_size, mode="bilinear", align_corners=False)
            merged = merged + level
        return merged
