from typing import List

import torch

from allencv.modules.fusions.fusion import Fusion


@Fusion.register("gated")
class GatedFusion(Fusion):
    """
    The gated multimodal unit of Arevalo et al. (2017, "Gated Multimodal Units for Information
    Fusion"): each input is projected to `hidden_dim` with a tanh, and a gate computed from all
    the inputs together weighs them, feature by feature (a softmax over the inputs; with two
    inputs, the paper's `z * h_1 + (1 - z) * h_2`).

    Registered as a `Fusion` with name "gated".

    # Parameters

    input_dims : `List[int]`
        Given by the model.
    hidden_dim : `int`, optional (default = `128`)
        The size of the projections and of the output.
    """

    def __init__(self, input_dims: List[int], hidden_dim: int = 128) -> None:
        super().__init__(input_dims)
        self.hidden_dim = hidden_dim
        self.projections = torch.nn.ModuleList(torch.nn.Linear(dim, hidden_dim) for dim in input_dims)
        self.gate = torch.nn.Linear(sum(input_dims), hidden_dim * len(input_dims))

    def get_output_dim(self) -> int:
        return self.hidden_dim

    def forward(self, vectors: List[torch.Tensor]) -> torch.Tensor:
        self._check(vectors)
        # (batch_size, num_inputs, hidden_dim)
        hidden = torch.stack([torch.tanh(project(vector)) for project, vector in zip(self.projections, vectors)], dim=1)
        gates = self.gate(torch.cat(vectors, dim=-1)).view(-1, len(vectors), self.hidden_dim).softmax(dim=1)
        # (batch_size, hidden_dim)
        return (gates * hidden).sum(dim=1)
