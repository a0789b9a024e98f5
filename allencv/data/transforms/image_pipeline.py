from typing import Any, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from torchvision.transforms import v2

from allencv.data.fields.image_field import ImageField
from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.normalize import Normalize


class ImagePipeline:
    """
    A reader's `transforms` list as one pipeline. Every transform but a final `normalize` runs on
    the `uint8` image (and its boxes or masks) when the instance is read; `normalize` is handed to
    the `ImageField`, which applies it once per batch.
    """

    def __init__(self, transforms: Optional[List[ImageTransform]] = None) -> None:
        transforms = list(transforms or [])
        self.normalize: Optional[Normalize] = None
        if transforms and isinstance(transforms[-1], Normalize):
            self.normalize = transforms.pop()
        if any(isinstance(transform, Normalize) for transform in transforms):
            raise ConfigurationError(
                "`normalize` must be the last entry of a reader's `transforms`: images stay uint8 "
                "until batching, where the ImageField normalizes them. Move it to the end."
            )
        steps = [transform.transform for transform in transforms]
        self.transform = v2.Compose(steps) if steps else v2.Identity()

    def __call__(self, *inputs: Any) -> Any:
        return self.transform(*inputs)

    def image_field(self, image: torch.Tensor) -> ImageField:
        """An `ImageField` for an already-transformed image, normalized at batching time."""
        if self.normalize is None:
            return ImageField(image)
        return ImageField(image, self.normalize.mean, self.normalize.std)
