from typing import Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules import FeedForward

from allencv.modules.im2vec_encoders.im2vec_encoder import Im2VecEncoder

POOLING_MODES = ("avg", "max", "avg_max")


@Im2VecEncoder.register("global_pool")
class GlobalPoolEncoder(Im2VecEncoder):
    """
    Pools a `(batch_size, input_channels, height, width)` feature map of any size over its
    height and width into a `(batch_size, input_channels)` vector (`"avg"` or `"max"`), or a
    `(batch_size, 2 * input_channels)` one (`"avg_max"`, the two concatenated, as fastai's
    concat pooling), then optionally applies a feedforward head.

    Registered as an `Im2VecEncoder` with name "global_pool".

    # Parameters

    input_channels : `int`
        Channels of the incoming feature maps (the im2im_encoder's output channels).
    pooling : `str`, optional (default = `"avg"`)
        One of `"avg"`, `"max"`, `"avg_max"`.
    feedforward : `FeedForward`, optional
        Applied to the pooled vector; its `input_dim` must be the pooled size.
    """

    def __init__(
        self, input_channels: int, pooling: str = "avg", feedforward: Optional[FeedForward] = None
    ) -> None:
        super().__init__()
        if pooling not in POOLING_MODES:
            raise ConfigurationError(
                f"global_pool: pooling must be one of {', '.join(POOLING_MODES)}, got {pooling!r}."
            )
        self.input_channels = input_channels
        self.pooling = pooling
        pooled_dim = 2 * input_channels if pooling == "avg_max" else input_channels
        if feedforward is not None and feedforward.get_input_dim() != pooled_dim:
            raise ConfigurationError(
                f"global_pool: feedforward.input_dim is {feedforward.get_input_dim()} but "
                f"{pooling!r} pooling of {input_channels} channels gives {pooled_dim}; make them equal."
            )
        self.feedforward = feedforward
        self._output_dim = feedforward.get_output_dim() if feedforward is not None else pooled_dim

    def get_input_channels(self) -> int:
        return self.input_channels

    def get_output_dim(self) -> int:
        return self._output_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1] != self.input_channels:
            raise ValueError(
                f"global_pool expects {self.input_channels} channels but got {images.shape[1]}; "
                "set im2vec_encoder.input_channels to the im2im_encoder's output channels."
            )
        pooled = []
        if self.pooling in ("avg", "avg_max"):
            # (batch_size, input_channels)
            pooled.append(images.mean(dim=(2, 3)))
        if self.pooling in ("max", "avg_max"):
            # (batch_size, input_channels)
            pooled.append(images.amax(dim=(2, 3)))
        # (batch_size, pooled_dim)
        vectors = torch.cat(pooled, dim=1)
        if self.feedforward is not None:
            vectors = self.feedforward(vectors)
        return vectors
