from collections import OrderedDict
from typing import Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from torchvision.ops.feature_pyramid_network import (
    ExtraFPNBlock,
    FeaturePyramidNetwork,
    LastLevelMaxPool,
    LastLevelP6P7,
)

from allencv.modules.im2im_encoders import Im2ImEncoder

#: How many levels torchvision's extra FPN blocks add.
EXTRA_LEVELS = {LastLevelMaxPool: 1, LastLevelP6P7: 2}


class FeaturePyramid(torch.nn.Module):
    """
    An `Im2ImEncoder`'s multi-scale features (`forward_features`) through torchvision's
    `FeaturePyramidNetwork`: torchvision's `BackboneWithFPN`, for any AllenCV encoder. Its
    `out_channels` attribute is what torchvision's detection models read from a backbone.

    # Parameters

    encoder : `Im2ImEncoder`
        Must implement `get_feature_info` and `forward_features`.
    stages : `List[str]`, optional
        The encoder stages to use (names from `get_feature_info`), shallowest first; all of
        them by default.
    out_channels : `int`, optional (default = `256`)
        Channels of every pyramid level.
    extra_blocks : `ExtraFPNBlock`, optional
        Extra levels on top (torchvision's `LastLevelMaxPool` or `LastLevelP6P7`).
    """

    def __init__(
        self,
        encoder: Im2ImEncoder,
        stages: Optional[List[str]] = None,
        out_channels: int = 256,
        extra_blocks: Optional[ExtraFPNBlock] = None,
    ) -> None:
        super().__init__()
        info = {feature.name: feature for feature in encoder.get_feature_info()}
        stages = list(stages) if stages else list(info)
        unknown = [stage for stage in stages if stage not in info]
        if unknown:
            raise ConfigurationError(
                f"feature_stages {unknown} are not stages of the {type(encoder).__name__}; "
                f"choose from {list(info)}."
            )
        self.encoder = encoder
        self.stages = stages
        self._stage_strides = [info[stage].stride for stage in stages]
        self.fpn = FeaturePyramidNetwork(
            [info[stage].channels for stage in stages], out_channels, extra_blocks=extra_blocks
        )
        self.out_channels = out_channels

    def num_levels(self) -> int:
        """How many feature maps `forward` returns: one per stage, plus the extra blocks' levels."""
        extra = self.fpn.extra_blocks
        return len(self.stages) + (EXTRA_LEVELS[type(extra)] if extra is not None else 0)

    def strides(self) -> List[int]:
        """Each level's stride (input pixels per position), e.g. `[4, 8, 16, 32, 64]`."""
        extra = [self._stage_strides[-1] * 2 ** (level + 1) for level in range(self.num_levels() - len(self.stages))]
        return self._stage_strides + extra

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        features = self.encoder.forward_features(images)
        # One (batch_size, out_channels, height / stride, width / stride) map per level.
        return self.fpn(OrderedDict((stage, features[stage]) for stage in self.stages))
