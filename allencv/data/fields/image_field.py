from typing import Dict, List, Optional, Sequence

import torch
from allennlp.data.fields.field import Field


class ImageField(Field[torch.Tensor]):
    """
    One image of an instance, kept as a compact `(channels, height, width)` `uint8` tensor until
    batching. A batch of them is a float tensor of shape `(batch_size, channels, height, width)`,
    scaled to [0, 1] and then normalized with `mean` and `std` when they are given.

    Images of different sizes in one batch are **padded** at the bottom and right to the largest
    height and width. The padding value is the normalization mean, so padded pixels are 0 after
    normalization (and 0 when there is no normalization). Images with different numbers of
    channels cannot share a batch.

    # Parameters

    image : `torch.Tensor`
        A `(channels, height, width)` `uint8` tensor.
    mean : `Sequence[float]`, optional
        Per-channel mean, in [0, 1] units, subtracted at batching time.
    std : `Sequence[float]`, optional
        Per-channel standard deviation, in [0, 1] units, divided by at batching time.
    """

    __slots__ = ["image", "mean", "std"]

    def __init__(
        self,
        image: torch.Tensor,
        mean: Optional[Sequence[float]] = None,
        std: Optional[Sequence[float]] = None,
    ) -> None:
        if image.dim() != 3 or image.dtype != torch.uint8:
            raise ValueError(
                "ImageField expects a (channels, height, width) uint8 tensor, got "
                f"{tuple(image.shape)} {image.dtype}"
            )
        if (mean is None) != (std is None):
            raise ValueError("ImageField needs both `mean` and `std`, or neither.")
        self.image = image.as_subclass(torch.Tensor)
        self.mean = tuple(mean) if mean is not None else None
        self.std = tuple(std) if std is not None else None

    def get_padding_lengths(self) -> Dict[str, int]:
        channels, height, width = self.image.shape
        return {"channels": channels, "height": height, "width": width}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> torch.Tensor:
        channels, height, width = self.image.shape
        if padding_lengths["channels"] != channels:
            raise ValueError(
                f"Cannot batch images with {channels} and {padding_lengths['channels']} channels; "
                "make every image in the dataset the same mode (readers convert to RGB)."
            )
        target_height, target_width = padding_lengths["height"], padding_lengths["width"]
        if (target_height, target_width) == (height, width):
            return self.image
        padded = torch.empty((channels, target_height, target_width), dtype=torch.uint8)
        padded[:] = self._padding_value().view(-1, 1, 1)
        padded[:, :height, :width] = self.image
        return padded

    def _padding_value(self) -> torch.Tensor:
        if self.mean is None:
            return torch.zeros(self.image.shape[0], dtype=torch.uint8)
        return torch.tensor(self.mean).mul(255).round().to(torch.uint8)

    def batch_tensors(self, tensor_list: List[torch.Tensor]) -> torch.Tensor:
        # (batch_size, channels, height, width), converted to float once for the whole batch.
        batch = torch.stack(tensor_list).float().div_(255)
        if self.mean is not None:
            mean = torch.tensor(self.mean).view(1, -1, 1, 1)
            std = torch.tensor(self.std).view(1, -1, 1, 1)
            batch = batch.sub_(mean).div_(std)
        return batch

    def empty_field(self) -> "ImageField":
        return ImageField(
            torch.zeros((self.image.shape[0], 0, 0), dtype=torch.uint8), self.mean, self.std
        )

    def __str__(self) -> str:
        channels, height, width = self.image.shape
        return f"ImageField of {channels}x{height}x{width} uint8 pixels."

    def __len__(self) -> int:
        return 1

    def human_readable_repr(self) -> Dict[str, int]:
        return self.get_padding_lengths()
