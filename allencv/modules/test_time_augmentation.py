from typing import Callable, List, Optional

import torch
from allennlp.common import FromParams
from allennlp.common.checks import ConfigurationError
from torchvision.transforms.v2 import functional as F


class TestTimeAugmentation(FromParams):
    """
    Averages a model's predicted probabilities over several views of each image: the image
    itself, its five crops (four corners and centre, each `crop_fraction` of the height and width,
    resized back to the full size so that fixed-size encoders still fit) when `crop_fraction` is
    set, and the left-right mirror of each of those when `horizontal_flip` is true. With both, this
    is torchvision's `TenCrop` plus the full image: 12 forward passes per batch.

    Applied by a classifier in evaluation mode only (`allennlp evaluate` and `predict`), never in
    training. Switch it on for a trained archive without retraining:
    `--overrides '{"model.test_time_augmentation": {"horizontal_flip": true}}'`.

    # Parameters

    horizontal_flip : `bool`, optional (default = `True`)
    crop_fraction : `float`, optional
        Side of the five crops as a fraction of the image's, in (0, 1).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, horizontal_flip: bool = True, crop_fraction: Optional[float] = None) -> None:
        if crop_fraction is not None and not 0.0 < crop_fraction < 1.0:
            raise ConfigurationError(
                f"test_time_augmentation.crop_fraction must be in (0, 1), got {crop_fraction}."
            )
        if not horizontal_flip and crop_fraction is None:
            raise ConfigurationError(
                "test_time_augmentation needs horizontal_flip: true or a crop_fraction; "
                "to switch it off, remove test_time_augmentation."
            )
        self.horizontal_flip = horizontal_flip
        self.crop_fraction = crop_fraction

    def views(self, images: torch.Tensor) -> List[torch.Tensor]:
        """
        The augmented copies of `images`, `(batch_size, channels, height, width)`, each of the
        same shape.
        """
        height, width = images.shape[-2:]
        views = [images]
        if self.crop_fraction is not None:
            size = [max(1, round(height * self.crop_fraction)), max(1, round(width * self.crop_fraction))]
            crops = F.five_crop(images, size)
            views.extend(F.resize(crop, [height, width], antialias=True) for crop in crops)
        if self.horizontal_flip:
            views.extend([view.flip(-1) for view in views])
        return views

    def average(
        self,
        probabilities: Callable[[torch.Tensor], torch.Tensor],
        images: torch.Tensor,
    ) -> torch.Tensor:
        """
        The mean of `probabilities(view)` over the views of `images`: `(batch_size, num_labels)`.
        """
        return torch.stack([probabilities(view) for view in self.views(images)]).mean(dim=0)
