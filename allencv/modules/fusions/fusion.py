from typing import List

import torch
from allennlp.common import Registrable
from allennlp.common.checks import ConfigurationError


class Fusion(torch.nn.Module, Registrable):
    """
    Combines one vector per input (e.g. an image's and a caption's) into one vector. The model
    that uses it gives the input sizes, so a config names only the kind and its own options
    (`{"type": "gated", "hidden_dim": 64}`); it is built with `Lazy`.

    The default implementation is `concatenate`.
    """

    default_implementation = "concatenate"

    def __init__(self, input_dims: List[int]) -> None:
        super().__init__()
        if not input_dims or any(dim < 1 for dim in input_dims):
            raise ConfigurationError(f"A fusion needs at least one input of positive size, got {input_dims}.")
        self.input_dims = list(input_dims)

    def get_output_dim(self) -> int:
        raise NotImplementedError

    def forward(self, vectors: List[torch.Tensor]) -> torch.Tensor:
        """
        # Parameters

        vectors : `List[torch.Tensor]`
            One `(batch_size, input_dims[i])` tensor per input, in the order of `input_dims`.

        # Returns

        `(batch_size, get_output_dim())`
        """
        raise NotImplementedError

    def _check(self, vectors: List[torch.Tensor]) -> None:
        sizes = [vector.size(-1) for vector in vectors]
        if sizes != self.input_dims:
            raise ValueError(f"{type(self).__name__} expects inputs of sizes {self.input_dims}, got {sizes}.")
