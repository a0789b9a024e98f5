from typing import Any, Callable

from allennlp.common import Registrable


class ImageTransform(Registrable):
    """
    A step of image preprocessing or augmentation, configured by name in a dataset reader's
    `transforms` list. Each one wraps a `torchvision.transforms.v2` transform, so it acts jointly
    on an image and on whatever travels with it (`tv_tensors.BoundingBoxes`, `tv_tensors.Mask`):
    a flip or crop moves the boxes and masks with the pixels.

    Readers apply transforms to `uint8` images when an instance is read; `normalize` is the one
    exception, applied when the batch is built (see `ImagePipeline`).
    """

    def __init__(self, transform: Callable[..., Any]) -> None:
        self.transform = transform

    def __call__(self, *inputs: Any) -> Any:
        return self.transform(*inputs)

    def __repr__(self) -> str:
        return repr(self.transform)
