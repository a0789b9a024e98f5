import math
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
from allennlp.common import Registrable

from allencv.modules.pretrained import NamesConfigKeys


class FeatureInfo(NamedTuple):
    """One stage of an encoder: its name, channels and stride (input pixels per output position)."""

    name: str
    channels: int
    stride: int


class Im2ImEncoder(NamesConfigKeys, torch.nn.Module, Registrable):
    """
    Turns a batch of images into a batch of feature maps: `(batch_size, channels, height, width)`
    in, `(batch_size, output_channels, output_height, output_width)` out; for example the
    convolutional part of a ResNet, which makes a 2048-channel map at 1/32 of the input size.

    Like timm's feature metadata, the output channels and stride are known statically, without a
    forward pass, so models can check that their parts fit together when they are built.

    Encoders with several stages (e.g. a ResNet's four) also expose them all, for multi-scale
    heads such as FPNs in detection and segmentation: `get_feature_info()` describes them
    statically and `forward_features()` returns their feature maps.

    Pretrained weights that cannot be fetched fail naming their config keys in full
    (`model.im2im_encoder.weights`).
    """

    def get_output_channels(self) -> int:
        raise NotImplementedError

    def get_output_stride(self) -> int:
        """How many input pixels one output position spans, per side."""
        raise NotImplementedError

    def get_fixed_output_size(self) -> Optional[Tuple[int, int]]:
        """`(height, width)` of the output when it does not depend on the input (e.g. pooled)."""
        return None

    def get_output_size(self, input_size: Tuple[int, int]) -> Tuple[int, int]:
        """`(output_height, output_width)` for an input of `(height, width)`."""
        fixed = self.get_fixed_output_size()
        if fixed is not None:
            return fixed
        stride = self.get_output_stride()
        return math.ceil(input_size[0] / stride), math.ceil(input_size[1] / stride)

    def get_feature_info(self) -> List[FeatureInfo]:
        """The stages `forward_features` returns, from shallowest to deepest."""
        raise NotImplementedError(f"{type(self).__name__} does not expose multi-scale features.")

    def forward_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """
        Each stage's feature map, keyed by `FeatureInfo.name`: `(batch_size, channels,
        ceil(height / stride), ceil(width / stride))`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not expose multi-scale features.")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
