"""Transforms that move pixels: resizing, cropping and flipping."""
from typing import Any, Dict, List, Optional, Tuple, Union

from allennlp.common.checks import ConfigurationError
from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.weights_preset import weights_preset

Size = Union[int, List[int]]


@ImageTransform.register("resize")
class Resize(ImageTransform):
    """
    Resizes to `size`: `[height, width]`, or an `int` (or `[int]`) for the shorter side, keeping
    the aspect ratio with the longer side capped at `max_size`. Instead of `size`, `weights` (a
    torchvision weights name such as `"ResNet50_Weights.DEFAULT"`, or timm's as
    `"timm/convnext_atto.d2_in1k"`) resizes as those weights expect, with their interpolation.

    A shorter-side resize is always bounded: without `max_size`, the longer side is capped at
    `MAX_SIZE_RATIO` (4) times the shorter side's size, so a 1×40000-pixel image resized to 256
    becomes 1×1024 pixels, not 256×10,240,000. Registered as an `ImageTransform` with name "resize".

    # Parameters

    size : `Union[int, List[int]]`, optional
    max_size : `int`, optional (default = 4 × `size` for a shorter-side resize)
        The most pixels the longer side of a shorter-side resize may have.
    antialias : `bool`, optional (default = `True`)
    weights : `str`, optional
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
        shorter_side = size if isinstance(size, int) else size[0] if len(size) == 1 else None
        if shorter_side is None and max_size is not None:
            raise ConfigurationError(
                f"resize: max_size applies to a shorter-side resize (an int size), not to size {size}."
            )
        if shorter_side is not None and max_size is None:
            max_size = MAX_SIZE_RATIO * shorter_side
        if shorter_side is None:
            super().__init__(v2.Resize(size, interpolation, antialias=antialias))
            return
        if max_size <= shorter_side:
            raise ConfigurationError(
                f"resize: max_size ({max_size}) must be larger than the shorter side's size ({shorter_side})."
            )
        super().__init__(ShorterSideResize(shorter_side, max_size, interpolation, antialias))


class ShorterSideResize(v2.Transform):
    """
    `v2.Resize(size, max_size=max_size)`, except that no side ever becomes 0 pixels (torchvision's
    rounds a 1×40000 image's shorter side down to 0 and fails).
    """

    def __init__(self, size: int, max_size: int, interpolation: v2.InterpolationMode, antialias: bool) -> None:
        super().__init__()
        self.size = size
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs: List[Any]) -> Dict[str, Any]:
        height, width = v2.functional.get_size(flat_inputs[0])
        short, long = sorted((height, width))
        new_short, new_long = self.size, int(self.size * long / short)
        if new_long > self.max_size:
            new_short, new_long = max(1, int(self.max_size * short / long)), self.max_size
        return {"size": [new_short, new_long] if height <= width else [new_long, new_short]}

    def transform(self, inpt: Any, params: Dict[str, Any]) -> Any:
        return v2.functional.resize(inpt, params["size"], self.interpolation, antialias=self.antialias)


#: A shorter-side `resize` without `max_size` caps the longer side at this many times `size`.
MAX_SIZE_RATIO = 4


@ImageTransform.register("center_crop")
class CenterCrop(ImageTransform):
    """
    Crops the centre `size` (`[height, width]` or an `int` for a square), or the crop size of
    torchvision (or `"timm/..."`) `weights`. Registered as an `ImageTransform` with name "center_crop".
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
