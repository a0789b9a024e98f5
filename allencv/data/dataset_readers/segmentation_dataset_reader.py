from collections import Counter
from typing import Dict, List, Optional, Sequence

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.fields import Field, MetadataField
from allennlp.data.instance import Instance
from torchvision import tv_tensors

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX, MaskField
from allencv.data.image_loading import ImageSource
from allencv.data.transforms import ImageTransform


class SegmentationDatasetReader(ImageDatasetReader):
    """
    What the semantic segmentation readers share. Each image becomes an `Instance` with an
    `ImageField` named `image`, a `MaskField` named `mask` (when it is annotated) and a
    `MetadataField` named `metadata` with `image_path`, `original_size` (height, width as read)
    and `image_size` (after the transforms).

    Each image and its mask go through `transforms` together (as a `tv_tensors.Mask`), so crops
    and flips keep them aligned, and masks are resampled with nearest neighbours. The mask's
    values are indices into `class_names`, which go into the vocabulary namespace
    `label_namespace` in that order; `ignore_index` marks pixels left out of the loss and the
    metrics.

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied to image and mask alike.
    ignore_index : `int`, optional (default = `255`)
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        self.ignore_index = ignore_index
        self.label_namespace = label_namespace
        #: The name of each class index, in order.
        self.class_names: Sequence[str] = ()

    def set_class_names(self, class_names: Sequence[str], source: str) -> None:
        """Sets `class_names`, read from `source`, after checking them against `ignore_index`."""
        duplicates = sorted(name for name, count in Counter(class_names).items() if count > 1)
        if duplicates:
            raise ConfigurationError(f"Duplicate class names in {source}: {duplicates}; every class needs its own name.")
        if 0 <= self.ignore_index < len(class_names):
            raise ConfigurationError(
                f"dataset_reader.ignore_index {self.ignore_index} is also a class index "
                f"({class_names[self.ignore_index]!r} in {source}); use a value outside "
                f"0..{len(class_names) - 1}."
            )
        self.class_names = tuple(class_names)

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        mask: Optional[torch.Tensor] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """
        An instance for one image (a path or anything `load_image` takes) and, for training, its
        `(height, width)` mask of class indices. Raises `ImageLoadError` for an unusable image.
        """
        pixels, image_path = self.decode(image, image_path)
        original_size = tuple(pixels.shape[-2:])
        if mask is not None:
            pixels, mask = self.transform(image_path, pixels, tv_tensors.Mask(mask))
        else:
            pixels = self.transform(image_path, pixels)
        metadata = {"image_path": image_path, "original_size": original_size, "image_size": tuple(pixels.shape[-2:])}
        fields: Dict[str, Field] = {
            "image": self.pipeline.image_field(pixels),
            "metadata": MetadataField(metadata),
        }
        if mask is not None:
            fields["mask"] = MaskField(mask, self.class_names, self.label_namespace, self.ignore_index)
        return Instance(fields)
