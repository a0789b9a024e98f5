"""Learned and randomised augmentation policies, as in torchvision's reference recipes."""
from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform


def interpolation_mode(name: str) -> v2.InterpolationMode:
    """torchvision's interpolation mode called `name` ("nearest", "bilinear", ...)."""
    return v2.InterpolationMode(name)


@ImageTransform.register("auto_augment")
class AutoAugment(ImageTransform):
    """
    AutoAugment's learned `policy`: `"imagenet"`, `"cifar10"` or `"svhn"`. Registered as an
    `ImageTransform` with name "auto_augment".
    """

    def __init__(self, policy: str = "imagenet", interpolation: str = "nearest", fill: int = 0) -> None:
        super().__init__(v2.AutoAugment(v2.AutoAugmentPolicy(policy), interpolation_mode(interpolation), fill))


@ImageTransform.register("rand_augment")
class RandAugment(ImageTransform):
    """
    RandAugment: `num_ops` random operations of strength `magnitude` (out of
    `num_magnitude_bins - 1`). Registered as an `ImageTransform` with name "rand_augment".
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: str = "nearest",
        fill: int = 0,
    ) -> None:
        super().__init__(
            v2.RandAugment(
                num_ops, magnitude, num_magnitude_bins, interpolation_mode(interpolation), fill
            )
        )


@ImageTransform.register("trivial_augment_wide")
class TrivialAugmentWide(ImageTransform):
    """
    TrivialAugment: one random operation of random strength per image. Registered as an
    `ImageTransform` with name "trivial_augment_wide".
    """

    def __init__(self, num_magnitude_bins: int = 31, interpolation: str = "nearest", fill: int = 0) -> None:
        super().__init__(
            v2.TrivialAugmentWide(num_magnitude_bins, interpolation_mode(interpolation), fill)
        )


@ImageTransform.register("aug_mix")
class AugMix(ImageTransform):
    """
    AugMix: a blend of `mixture_width` chains of up to `chain_depth` operations (random depth
    when -1) of strength `severity`. Registered as an `ImageTransform` with name "aug_mix".
    """

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        fill: int = 0,
    ) -> None:
        super().__init__(
            v2.AugMix(
                severity, mixture_width, chain_depth, alpha, all_ops,
                interpolation_mode(interpolation), fill,
            )
        )
