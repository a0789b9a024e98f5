from typing import Optional, Tuple

import torch
from allennlp.common import Registrable


class Im2VecEncoder(torch.nn.Module, Registrable):
    """
    Turns a batch of feature maps, `(batch_size, channels, height, width)`, into a batch of
    fixed-length vectors, `(batch_size, output_dim)`, e.g. for a classification head.
    """

    def get_input_channels(self) -> int:
        raise NotImplementedError

    def get_input_size(self) -> Optional[Tuple[int, int]]:
        """The `(height, width)` this encoder requires, or `None` if it takes any size."""
        return None

    def get_output_dim(self) -> int:
        raise NotImplementedError

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
