import logging
import os
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.fields import Field, MetadataField
from allennlp.data.instance import Instance
from torchvision import tv_tensors

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.skipped_files import SkippedFiles
from allencv.data.fields.bounding_box_field import BoundingBoxField
from allencv.data.image_loading import ImageSource
from allencv.data.transforms import ImageTransform

logger = logging.getLogger(__name__)

#: Why a box was changed or left out; counted per pass and logged by the readers.
CLIPPED = "clipped to the image"
DEGENERATE = "dropped (zero or negative area, or outside the image)"
CUT_BY_TRANSFORMS = "dropped (cut away by the transforms)"
CROWD = "crowd boxes skipped"
DIFFICULT = "difficult objects skipped"


class DetectionDatasetReader(ImageDatasetReader):
    """
    What the object detection readers share. Each image becomes an `Instance` with an
    `ImageField` named `image`, a `BoundingBoxField` named `boxes` (when annotations are given)
    and a `MetadataField` named `metadata` holding `image_path`, `image_size` (`[height, width]`
    after the transforms, i.e. without the batch's padding) and `original_size`.

    Boxes go through the `transforms` together with the image, as `tv_tensors.BoundingBoxes`, so
    flips, crops and resizes move them. Boxes that reach outside the image are clipped to it;
    boxes with no area left (before or after the transforms) are dropped. Both are counted, with
    skipped crowd and difficult objects, in `self.box_counts` and in the summary logged after
    each pass. Broken images are skipped and counted as in every AllenCV reader.

    Detection models normalize inside (torchvision's `GeneralizedRCNNTransform`, with the
    model's `image_mean` and `image_std`), so these readers refuse a `normalize` transform
    instead of normalizing twice.

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied jointly to the image and its boxes.
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace of the object labels.
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        if self.pipeline.normalize is not None:
            raise ConfigurationError(
                "Remove `normalize` from the detection reader's `transforms`: detection models "
                "normalize images themselves (set the model's `image_mean` and `image_std` "
                "instead), and normalizing here too would do it twice."
            )
        self.label_namespace = label_namespace
        #: How many boxes the most recent pass clipped, dropped or skipped, by reason.
        self.box_counts: Counter = Counter()

    def _start_pass(self) -> None:
        self.skipped = SkippedFiles()
        self.box_counts = Counter()

    def _end_pass(self, source: str) -> None:
        self.skipped.log(logger, source)
        if self.box_counts:
            summary = ", ".join(f"{count} {reason}" for reason, count in sorted(self.box_counts.items()))
            logger.warning("Boxes in %s: %s.", source, summary)

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        boxes: Optional[Sequence[Sequence[float]]] = None,
        labels: Optional[List[str]] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """
        An instance for one image, given as a path or anything `load_image` takes, with its
        `boxes` (`[x1, y1, x2, y2]` pixels) and their `labels`, or neither (for prediction).
        Raises `ImageLoadError` for an unusable image.
        """
        if (boxes is None) != (labels is None):
            raise ValueError("Give both `boxes` and `labels`, or neither.")
        if image_path is None and isinstance(image, (str, os.PathLike)):
            image_path = str(image)
        pixels = image if isinstance(image, tv_tensors.Image) else self.load_image(image)
        original_size = list(pixels.shape[-2:])
        fields: Dict[str, Field] = {}
        if boxes is None:
            pixels = self.pipeline(pixels)
        else:
            box_tensor, labels = self._clean(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4), labels, original_size)
            pixels, box_tensor = self.pipeline(
                pixels, tv_tensors.BoundingBoxes(box_tensor, format="XYXY", canvas_size=tuple(original_size))
            )
            box_tensor, labels = self._clean(box_tensor, labels, list(pixels.shape[-2:]), after_transforms=True)
            fields["boxes"] = BoundingBoxField(box_tensor, labels, self.label_namespace)
        fields["image"] = self.pipeline.image_field(pixels)
        fields["metadata"] = MetadataField(
            {"image_path": image_path, "image_size": list(pixels.shape[-2:]), "original_size": original_size}
        )
        return Instance(fields)

    def _clean(
        self, boxes: torch.Tensor, labels: List[str], size: List[int], after_transforms: bool = False
    ) -> Tuple[torch.Tensor, List[str]]:
        # boxes: (num_boxes, 4) xyxy
        height, width = size
        clipped = boxes.clone()
        clipped[:, 0::2] = clipped[:, 0::2].clamp(0, width)
        clipped[:, 1::2] = clipped[:, 1::2].clamp(0, height)
        keep = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
        counts = {CUT_BY_TRANSFORMS if after_transforms else DEGENERATE: int((~keep).sum())}
        if not after_transforms:
            counts[CLIPPED] = int(((clipped != boxes).any(dim=1) & keep).sum())
        self.box_counts.update({reason: count for reason, count in counts.items() if count})
        kept_labels = [label for label, kept in zip(labels, keep.tolist()) if kept]
        return clipped[keep], kept_labels

