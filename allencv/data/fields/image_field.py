import math
from typing import Dict, List, Optional, Sequence, Tuple

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
        # (batch_size, channels, height, width) float32. Each image is converted straight into
        # its slot, then `pixel * scale + shift` does the [0, 1] scaling and the normalization.
        channels, height, width = tensor_list[0].shape
        batch = _new_batch((len(tensor_list), channels, height, width))
        mean = self.mean if self.mean is not None else (0.0,) * channels
        std = self.std if self.std is not None else (1.0,) * channels
        scale = torch.tensor([1.0 / (255.0 * value) for value in std]).view(-1, 1, 1)
        shift = torch.tensor([-m / s for m, s in zip(mean, std)]).view(-1, 1, 1)
        for image, slot in zip(tensor_list, batch):
            slot.copy_(image)
        return batch.mul_(scale).add_(shift)

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


def _new_batch(shape: Tuple[int, ...]) -> torch.Tensor:
    """
    An uninitialised float32 batch. In a `torch.utils.data` worker it is allocated in shared
    memory, as torch's own `default_collate` does, so that sending it to the main process does
    not copy it again.
    """
    if torch.utils.data.get_worker_info() is None:
        return torch.empty(shape)
    numel = math.prod(shape)
    storage = torch.UntypedStorage._new_shared(numel * 4)
    return torch.empty(0).set_(storage, 0, shape)
