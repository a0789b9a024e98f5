"""Transforms that change pixel values but not their places: colour, blur, erasing."""
from typing import Optional, Tuple, Union

from torchvision.transforms import v2

from allencv.data.transforms.image_transform import ImageTransform

Range = Union[float, Tuple[float, float]]


@ImageTransform.register("color_jitter")
class ColorJitter(ImageTransform):
    """
    Randomly changes brightness, contrast, saturation (each a factor in `[1 - x, 1 + x]`, or a
    `[min, max]` range) and hue (a shift in `[-x, x]`, `x <= 0.5`), in random order. Registered
    as an `ImageTransform` with name "color_jitter".
    """

    def __init__(
        self,
        brightness: Optional[Range] = None,
        contrast: Optional[Range] = None,
        saturation: Optional[Range] = None,
        hue: Optional[Range] = None,
    ) -> None:
        super().__init__(v2.ColorJitter(brightness, contrast, saturation, hue))


@ImageTransform.register("grayscale")
class Grayscale(ImageTransform):
    """
    Converts to grey with probability `p`, keeping the number of channels (so RGB models still
    fit). Registered as an `ImageTransform` with name "grayscale".
    """

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(v2.RandomGrayscale(p))


@ImageTransform.register("gaussian_blur")
class GaussianBlur(ImageTransform):
    """
    Blurs with a `kernel_size` Gaussian whose sigma is drawn from `sigma` (`[min, max]`).
    Registered as an `ImageTransform` with name "gaussian_blur".
    """

    def __init__(self, kernel_size: Union[int, Tuple[int, int]], sigma: Range = (0.1, 2.0)) -> None:
        super().__init__(v2.GaussianBlur(kernel_size, sigma))


@ImageTransform.register("random_erasing")
class RandomErasing(ImageTransform):
    """
    With probability `p`, erases a random rectangle (a `scale` fraction of the image, aspect
    ratio in `ratio`) to `value`; `"random"` fills it with noise. Registered as an
    `ImageTransform` with name "random_erasing".
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Tuple[float, float] = (0.02, 0.33),
        ratio: Tuple[float, float] = (0.3, 3.3),
        value: Union[int, str] = 0,
    ) -> None:
        super().__init__(v2.RandomErasing(p, scale=scale, ratio=ratio, value=value))
