import logging
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.fields import Field, MetadataField
from allennlp.data.instance import Instance
from torchvision import tv_tensors

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.skipped_files import describe_counts
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
EMPTY_MASK = "dropped (an instance mask without pixels)"


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

    Keypoints (`(x, y, visibility)` per box and name, e.g. from `coco_detection` with
    `keypoints: true`) go through the transforms as `tv_tensors.KeyPoints`. A keypoint moved
    outside the image becomes unlabelled (visibility 0). When the transforms mirror the image (a
    horizontal or vertical flip; two flips cancel out), the keypoints of each pair in
    `keypoint_flip_pairs` swap names, so that e.g. `left_eye` stays the eye on the person's left.

    Instance masks (one per box, from `coco_detection` or `voc_detection` with `masks: true`)
    go through the transforms as a `tv_tensors.Mask` (resized nearest-neighbour) and stay with
    their boxes: a dropped box drops its mask, and a box whose mask has no pixels left (before or
    after the transforms) is dropped and counted.

    Detection models normalize inside (torchvision's `GeneralizedRCNNTransform`, with the
    model's `image_mean` and `image_std`), so these readers refuse a `normalize` transform
    instead of normalizing twice.

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied jointly to the image and its boxes.
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace of the object labels.
    keypoint_flip_pairs : `List[Tuple[str, str]]`, optional
        The keypoint names that swap when the image is mirrored. By default, every name containing
        "left" pairs with the same name with "right" instead (COCO's `left_eye` and `right_eye`,
        ...), where the data has both.
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        label_namespace: str = "labels",
        keypoint_flip_pairs: Optional[List[Tuple[str, str]]] = None,
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
        self.keypoint_flip_pairs = keypoint_flip_pairs
        #: How many boxes the most recent pass clipped, dropped or skipped, by reason.
        self.box_counts: Counter = Counter()

    def _start_pass(self) -> None:
        super()._start_pass()
        self.box_counts = Counter()

    def _end_pass(self, source: str) -> None:
        super()._end_pass(source)
        if self.box_counts:
            logger.warning("Boxes in %s: %s.", source, describe_counts(self.box_counts))

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        boxes: Optional[Sequence[Sequence[float]]] = None,
        labels: Optional[List[str]] = None,
        image_path: Optional[str] = None,
        keypoints: Optional[Sequence] = None,
        keypoint_names: Optional[List[str]] = None,
        skeleton: Optional[List[Tuple[str, str]]] = None,
        masks: Optional[torch.Tensor] = None,
    ) -> Instance:
        """
        An instance for one image, given as a path or anything `load_image` takes, with its
        `boxes` (`[x1, y1, x2, y2]` pixels) and their `labels`, or neither (for prediction);
        optionally with `keypoints` (`(num_boxes, len(keypoint_names), 3)` `(x, y, visibility)`
        pixels), their `keypoint_names` and a `skeleton` (pairs of names), and with `masks`
        (`(num_boxes, height, width)`, nonzero inside each object, the size of the image).
        Raises `ImageLoadError` for an unusable image.
        """
        if (boxes is None) != (labels is None):
            raise ValueError("Give both `boxes` and `labels`, or neither.")
        if (keypoints is None) != (keypoint_names is None) or (keypoints is not None and boxes is None):
            raise ValueError("Give `keypoints` together with `keypoint_names`, `boxes` and `labels`.")
        if masks is not None and boxes is None:
            raise ValueError("Give `masks` together with `boxes` and `labels`.")
        pixels, image_path = self.decode(image, image_path)
        original_size = list(pixels.shape[-2:])
        fields: Dict[str, Field] = {}
        if boxes is None:
            pixels = self.transform(image_path, pixels)
        else:
            box_tensor = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
            if masks is not None and (masks.dim() != 3 or list(masks.shape) != [len(box_tensor)] + original_size):
                raise ValueError(
                    f"{image_path or 'the image'}: masks of shape {tuple(masks.shape)} for {len(box_tensor)} boxes "
                    f"in a {original_size[1]}x{original_size[0]} image; expected (num_boxes, height, width)."
                )
            box_tensor, keep = self._clean(box_tensor, original_size, masks=masks)
            mask_tensor = None if masks is None else masks.ne(0).to(torch.uint8)[keep]
            labels = [label for label, kept in zip(labels, keep.tolist()) if kept]
            inputs = [pixels, tv_tensors.BoundingBoxes(box_tensor, format="XYXY", canvas_size=tuple(original_size))]
            keypoint_tensor: Optional[torch.Tensor] = None
            if keypoint_names is not None:
                # (num_boxes, num_keypoints, 3)
                keypoint_tensor = torch.tensor(keypoints, dtype=torch.float32).reshape(-1, len(keypoint_names), 3)[keep]
                # Their x and y, then MIRROR_PROBE's, whose orientation tells whether the transforms mirrored.
                points = torch.cat([keypoint_tensor[..., :2].reshape(-1, 2), MIRROR_PROBE])
                inputs.append(tv_tensors.KeyPoints(points, canvas_size=tuple(original_size)))
            if mask_tensor is not None:
                inputs.append(tv_tensors.Mask(mask_tensor))
            pixels, box_tensor, *moved = self.transform(image_path, *inputs)
            size = list(pixels.shape[-2:])
            if mask_tensor is not None:
                mask_tensor = moved.pop().as_subclass(torch.Tensor)
            box_tensor, keep = self._clean(box_tensor, size, after_transforms=True, masks=mask_tensor)
            if mask_tensor is not None:
                mask_tensor = mask_tensor[keep]
            labels = [label for label, kept in zip(labels, keep.tolist()) if kept]
            if keypoint_tensor is not None and keypoint_names is not None:
                points = self._moved_keypoints(keypoint_tensor, moved.pop().as_subclass(torch.Tensor), size, keypoint_names)
                keypoint_tensor = points[keep]
            fields["boxes"] = BoundingBoxField(
                box_tensor, labels, self.label_namespace, keypoint_tensor, keypoint_names, skeleton, mask_tensor
            )
        fields["image"] = self.pipeline.image_field(pixels)
        fields["metadata"] = MetadataField(
            {"image_path": image_path, "image_size": list(pixels.shape[-2:]), "original_size": original_size}
        )
        return Instance(fields)

    def _clean(
        self, boxes: torch.Tensor, size: List[int], after_transforms: bool = False, masks: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.BoolTensor]:
        """
        The boxes (`(num_boxes, 4)` xyxy) clipped to the image and, of those, the ones to keep:
        with area left and, with `masks` (`(num_boxes, height, width)`), with mask pixels left.
        """
        height, width = size
        clipped = boxes.clone()
        clipped[:, 0::2] = clipped[:, 0::2].clamp(0, width)
        clipped[:, 1::2] = clipped[:, 1::2].clamp(0, height)
        keep = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
        counts = {CUT_BY_TRANSFORMS if after_transforms else DEGENERATE: int((~keep).sum())}
        if masks is not None:
            has_pixels = masks.flatten(start_dim=1).ne(0).any(dim=1)
            counts[EMPTY_MASK] = int((keep & ~has_pixels).sum())
            keep &= has_pixels
        if not after_transforms:
            counts[CLIPPED] = int(((clipped != boxes).any(dim=1) & keep).sum())
        self.box_counts.update({reason: count for reason, count in counts.items() if count})
        return clipped[keep], keep

    def _moved_keypoints(
        self, keypoints: torch.Tensor, points: torch.Tensor, size: List[int], names: List[str]
    ) -> torch.Tensor:
        """
        `keypoints` (`(num_boxes, num_keypoints, 3)`) at the transformed `points` (their x and y,
        then MIRROR_PROBE's): unlabelled where outside the image, swapped by
        `keypoint_flip_pairs` if the transforms mirrored the image.
        """
        moved = keypoints.clone()
        moved[..., :2] = points[: -len(MIRROR_PROBE)].reshape(moved.shape[:-1] + (2,))
        height, width = size
        x, y = moved[..., 0], moved[..., 1]
        unlabelled = (moved[..., 2] <= 0) | (x < 0) | (x >= width) | (y < 0) | (y >= height)
        moved[unlabelled] = 0.0
        probe = points[-len(MIRROR_PROBE):]
        across, down = probe[1] - probe[0], probe[2] - probe[0]
        if across[0] * down[1] - across[1] * down[0] < 0:
            moved = moved[:, self._flip_order(names)]
        return moved

    def _flip_order(self, names: List[str]) -> List[int]:
        """For each keypoint, the keypoint whose name it takes when the image is mirrored."""
        index = {name: position for position, name in enumerate(names)}
        pairs = self.keypoint_flip_pairs
        if pairs is None:
            pairs = [(name, name.replace("left", "right")) for name in names
                     if "left" in name and name.replace("left", "right") in index]
        order = list(range(len(names)))
        for first, second in pairs:
            unknown = [name for name in (first, second) if name not in index]
            if unknown:
                raise ConfigurationError(
                    f"dataset_reader.keypoint_flip_pairs names {', '.join(map(repr, unknown))}, which the data's "
                    f"keypoints ({', '.join(names)}) do not include; pair only those names."
                )
            order[index[first]], order[index[second]] = index[second], index[first]
        return order


#: Points (x, y) whose orientation after the transforms shows whether they mirrored the image.
MIRROR_PROBE = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
