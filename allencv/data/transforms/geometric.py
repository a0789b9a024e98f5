"""Transforms that move pixels: resizing, cropping and flipping."""
from typing import List, Optional, Tuple, Union

from allennlp.common.checks import ConfigurationError
from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.weights_preset import weights_preset

Size = Union[int, List[int]]


@ImageTransform.register("resize")
class Resize(ImageTransform):
    """
    Resizes to `size`: `[height, width]`, or an `int` for the shorter side (keeping the aspect
    ratio, optionally capping the longer side at `max_size`). Instead of `size`, `weights` (a
    torchvision weights name such as `"ResNet50_Weights.DEFAULT"`) resizes as those weights
    expect, with their interpolation. Registered as an `ImageTransform` with name "resize".
    """

    def __init__(
        self,
        size: Optional[Size] = None,
        max_size: Optional[int] = None,
        antialias: bool = True,
        weights: Optional[str] = None,
    ) -> None:
        interpolation = v2.InterpolationMode.BILINEAR
        if weights is not None:
            preset = weights_preset(weights)
            size = size or preset.resize_size
            interpolation = preset.interpolation
        if size is None:
            raise ConfigurationError("resize needs `size` (or `weights` to take it from).")
        super().__init__(v2.Resize(size, interpolation, max_size=max_size, antialias=antialias))


@ImageTransform.register("center_crop")
class CenterCrop(ImageTransform):
    """
    Crops the centre `size` (`[height, width]` or an `int` for a square), or the crop size of
    torchvision `weights`. Registered as an `ImageTransform` with name "center_crop".
    """

    def __init__(self, size: Optional[Size] = None, weights: Optional[str] = None) -> None:
        if size is None and weights is not None:
            size = weights_preset(weights).crop_size
        if size is None:
            raise ConfigurationError("center_crop needs `size` (or `weights` to take it from).")
        super().__init__(v2.CenterCrop(size))


@ImageTransform.register("random_resized_crop")
class RandomResizedCrop(ImageTransform):
    """
    Crops a random area (a `scale` fraction of the image, with an aspect ratio in `ratio`) and
    resizes it to `size`. Registered as an `ImageTransform` with name "random_resized_crop".
    """

    def __init__(
        self,
        size: Size,
        scale: Tuple[float, float] = (0.08, 1.0),
        ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        antialias: bool = True,
    ) -> None:
        super().__init__(v2.RandomResizedCrop(size, scale=scale, ratio=ratio, antialias=antialias))


@ImageTransform.register("horizontal_flip")
class HorizontalFlip(ImageTransform):
    """
    Flips left-right with probability `p`. Registered as an `ImageTransform` with name
    "horizontal_flip".
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(v2.RandomHorizontalFlip(p))


@ImageTransform.register("vertical_flip")
class VerticalFlip(ImageTransform):
    """
    Flips upside down with probability `p`. Registered as an `ImageTransform` with name
    "vertical_flip".
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(v2.RandomVerticalFlip(p))


@ImageTransform.register("random_crop")
class RandomCrop(ImageTransform):
    """
    Crops a random `size` window after padding each side by `padding` pixels of `fill` (the
    usual augmentation for CIFAR- and MNIST-sized images). Registered as an `ImageTransform` with
    name "random_crop".
    """

    def __init__(
        self, size: Size, padding: Optional[int] = None, fill: int = 0, padding_mode: str = "constant"
    ) -> None:
        super().__init__(v2.RandomCrop(size, padding=padding, fill=fill, padding_mode=padding_mode))


@ImageTransform.register("rotation")
class Rotation(ImageTransform):
    """
    Rotates by a random angle in `[-degrees, degrees]` (or `[degrees[0], degrees[1]]`), filling
    uncovered corners with `fill`; `expand` grows the canvas to keep the whole image. Registered
    as an `ImageTransform` with name "rotation".
    """

    def __init__(
        self, degrees: Union[float, Tuple[float, float]], expand: bool = False, fill: int = 0
    ) -> None:
        super().__init__(v2.RandomRotation(degrees, expand=expand, fill=fill))
