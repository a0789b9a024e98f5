from typing import Optional, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules import FeedForward

from allencv.modules.im2vec_encoders.im2vec_encoder import Im2VecEncoder


class ShapeMismatchError(ValueError):
    """A feature map whose shape differs from what an encoder was configured for."""


@Im2VecEncoder.register("flatten")
class FlattenEncoder(Im2VecEncoder):
    """
    Flattens a `(batch_size, input_channels, input_height, input_width)` feature map into a
    `(batch_size, input_channels * input_height * input_width)` vector, then optionally applies
    a feedforward network.

    Registered as an `Im2VecEncoder` with name "flatten".

    # Parameters

    input_channels : `int`
    input_height : `int`
    input_width : `int`
        The shape of the feature maps this encoder accepts; a batch of any other shape fails with
        an error that gives both shapes.
    feedforward : `FeedForward`, optional
        Applied to the flattened vector; its `input_dim` must be
        `input_channels * input_height * input_width`.
    """

    def __init__(
        self,
        input_channels: int,
        input_height: int,
        input_width: int,
        feedforward: Optional[FeedForward] = None,
    ) -> None:
        super().__init__()
        self.input_channels = input_channels
        self.input_height = input_height
        self.input_width = input_width
        flat_dim = input_channels * input_height * input_width
        if feedforward is not None and feedforward.get_input_dim() != flat_dim:
            raise ConfigurationError(
                f"flatten: feedforward.input_dim is {feedforward.get_input_dim()} but the "
                f"flattened input is {input_channels}x{input_height}x{input_width} = {flat_dim}; "
                "make them equal."
            )
        self.feedforward = feedforward
        self._output_dim = feedforward.get_output_dim() if feedforward is not None else flat_dim

    def get_input_channels(self) -> int:
        return self.input_channels

    def get_input_size(self) -> Optional[Tuple[int, int]]:
        return self.input_height, self.input_width

    def get_output_dim(self) -> int:
        return self._output_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.input_channels, self.input_height, self.input_width)
        if tuple(images.shape[1:]) != expected:
            raise ShapeMismatchError(
                f"The flatten im2vec_encoder expects feature maps of (channels, height, width) = "
                f"{expected} but got {tuple(images.shape[1:])}. Set im2vec_encoder.input_channels, "
                "input_height and input_width to match the im2im_encoder's output (or the image "
                "size when there is no im2im_encoder)."
            )
        # (batch_size, channels * height * width)
        vectors = images.flatten(start_dim=1)
        if self.feedforward is not None:
            vectors = self.feedforward(vectors)
        return vectors
