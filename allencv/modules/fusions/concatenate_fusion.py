from typing import List

import torch

from allencv.modules.fusions.fusion import Fusion


@Fusion.register("concatenate")
class ConcatenateFusion(Fusion):
    """
    Concatenates the inputs. Followed by a linear output layer it adds each input's evidence; put
    a `feedforward` between them to let the inputs interact (e.g. to tell whether a caption fits
    an image).

    Registered as a `Fusion` with name "concatenate".

    # Parameters

    input_dims : `List[int]`
        Given by the model.
    """

    def get_output_dim(self) -> int:
        return sum(self.input_dims)

    def forward(self, vectors: List[torch.Tensor]) -> torch.Tensor:
        self._check(vectors)
        # (batch_size, sum(input_dims))
        return torch.cat(vectors, dim=-1)
