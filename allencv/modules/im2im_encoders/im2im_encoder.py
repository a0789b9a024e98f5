import math
from typing import Optional, Tuple

import torch
from allennlp.common import Registrable


class Im2ImEncoder(torch.nn.Module, Registrable):
    """
    Turns a batch of images into a batch of feature maps: `(batch_size, channels, height, width)`
    in, `(batch_size, output_channels, output_height, output_width)` out; for example the
    convolutional part of a ResNet, which makes a 2048-channel map at 1/32 of the input size.

    Like timm's feature metadata, the output channels and stride are known statically, without a
    forward pass, so models can check that their parts fit together when they are built.
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

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
