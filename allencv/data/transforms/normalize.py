from typing import List

import torch
from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


@ImageTransform.register("normalize")
class Normalize(ImageTransform):
    """
    Subtracts `mean` and divides by `std`, per channel, in [0, 1] pixel units (ImageNet's by
    default). In a reader's `transforms` it must come last: readers keep images as `uint8` and the
    `ImageField` applies this normalization once per batch. Called directly, it scales a `uint8`
    image to float first. Registered as an `ImageTransform` with name "normalize".
    """

    def __init__(self, mean: List[float] = IMAGENET_MEAN, std: List[float] = IMAGENET_STD) -> None:
        super().__init__(
            v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=mean, std=std)])
        )
        self.mean = list(mean)
        self.std = list(std)
