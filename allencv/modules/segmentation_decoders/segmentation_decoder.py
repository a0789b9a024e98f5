from typing import Dict

import torch
from allennlp.common import Registrable


class SegmentationDecoder(torch.nn.Module, Registrable):
    """
    Turns an encoder's multi-scale feature maps (`Im2ImEncoder.forward_features`) into one dense
    feature map for per-pixel classification. Decoders are built from the encoder's
    `get_feature_info()`, so in a config they are `Lazy`: the model passes `feature_info`.
    """

    def get_output_channels(self) -> int:
        raise NotImplementedError

    def get_output_stride(self) -> int:
        """How many input pixels one output position spans, per side."""
        raise NotImplementedError

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError
