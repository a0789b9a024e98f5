from typing import List

import torch

from allencv.modules.fusions.fusion import Fusion


@Fusion.register("bilinear")
class BilinearFusion(Fusion):
    """
    Low-rank bilinear pooling (Kim et al., 2017, "Hadamard Product for Low-rank Bilinear
    Pooling"): each input is projected to `hidden_dim` with a tanh and the projections are
    multiplied feature by feature, so every output feature is a product of the inputs (what
    matching a caption to an image needs). With one input it is that input's projection.

    Registered as a `Fusion` with name "bilinear".

    # Parameters

    input_dims : `List[int]`
        Given by the model.
    hidden_dim : `int`, optional (default = `128`)
        The rank of the bilinear map: the size of the projections and of the output.
    dropout : `float`, optional (default = `0.0`)
        Dropout on the inputs before they are projected.
    """

    def __init__(self, input_dims: List[int], hidden_dim: int = 128, dropout: float = 0.0) -> None:
        super().__init__(input_dims)
        self.hidden_dim = hidden_dim
        self.projections = torch.nn.ModuleList(torch.nn.Linear(dim, hidden_dim) for dim in input_dims)
        self.dropout = torch.nn.Dropout(dropout)

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def forward(self, vectors: List[torch.Tensor]) -> torch.Tensor:
        self._check(vectors)
        # (batch_size, hidden_dim) per input, multiplied together
        projected = [torch.tanh(project(self.dropout(vector))) for project, vector in zip(self.projections, vectors)]
        product = projected[0]
        for other in projected[1:]:
            product = product * other
        return product
