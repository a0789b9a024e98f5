from typing import List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.weights_preset import weights_preset

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


@ImageTransform.register("normalize")
class Normalize(ImageTransform):
    """
    Subtracts `mean` and divides by `std`, per channel, in [0, 1] pixel units (ImageNet's by
    default). In a reader's `transforms` it must come last: readers keep images as `uint8` and the
    `ImageField` applies this normalization once per batch. Called directly, it scales a `uint8`
    image to float first. `weights` (a torchvision weights name such as
    `"ResNet50_Weights.IMAGENET1K_V2"`, or timm's as `"timm/convnext_atto.d2_in1k"`) takes the
    mean and std those weights were trained with.
    Registered as an `ImageTransform` with name "normalize".
    """

    def __init__(
        self,
        mean: Optional[List[float]] = None,
        std: Optional[List[float]] = None,
        weights: Optional[str] = None,
    ) -> None:
        if weights is not None:
            if mean is not None or std is not None:
                raise ConfigurationError("normalize takes either `weights` or `mean` and `std`, not both.")
            preset = weights_preset(weights)
            mean, std = preset.mean, preset.std
        mean = IMAGENET_MEAN if mean is None else mean
        std = IMAGENET_STD if std is None else std
        super().__init__(
            v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=mean, std=std)])
        )
        self.mean = list(mean)
        self.std = list(std)
