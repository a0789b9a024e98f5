from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.coco_file import read_coco_file
from allencv.data.dataset_readers.coco_segmentation import BadSegmentation, segmentation_rle
from allencv.data.dataset_readers.detection_dataset_reader import CROWD, DetectionDatasetReader
from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.fields.bounding_box_field import BoundingBoxField
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import ImageTransform
from allencv.optional_dependencies import import_optional


class CocoImage(NamedTuple):
    """One image of a COCO file and its annotations, as listed (before decoding)."""

    path: Path
    boxes: List[List[float]]
    labels: List[str]
    #: Crowd annotations left out (`skip_crowd`).
    crowd: int
    #: Per box, `[x, y, visibility]` for each of `keypoint_names`; `None` without `keypoints`.
    keypoints: Optional[List[List[List[float]]]] = None
    keypoint_names: Optional[List[str]] = None
    skeleton: Optional[List[Tuple[str, str]]] = None
    #: Per box, its annotation's `id` and `segmentation`; `None` without `masks`.
    segmentations: Optional[List[Tuple[Any, Any]]] = None
    #: The image's `[height, width]` as the COCO file gives it (`None` where it does not).
    size: Optional[List[int]] = None


@DatasetReader.register("coco_detection")
class CocoDetectionReader(DetectionDatasetReader, IndexedReader):
    """
    Reads a COCO instances file (`images`, `annotations` with `bbox` as `[x, y, width, height]`
    pixels, `categories`): the `file_path` is the JSON file, and each image's `file_name` is found
    under `image_root`. Images are read in the file's order, each with all its boxes (zero
    included); labels are the category names. See `DetectionDatasetReader` for the fields,
    the box clean-up and the error handling.

    With `keypoints`, it also reads a COCO keypoints file (such as
    `person_keypoints_train2017.json`): each category's `keypoints` names and `skeleton` (1-based
    pairs of them), and each annotation's `keypoints`, `[x, y, visibility]` per name of its
    category. Every annotation of a category that names keypoints must have them; objects of other
    categories get unlabelled keypoints. The boxes' field then carries, per box, the keypoints of
    all the names the categories list (see `BoundingBoxField`).

    With `masks`, each box also gets its instance mask, rasterised (with `pycocotools.mask`)
    from its annotation's `segmentation`: polygons (`[[x1, y1, x2, y2, ...], ...]` pixels), or an
    RLE, compressed or not, as COCO's crowd regions have (read with `skip_crowd: false`). As in
    `coco_segmentation`, an image with a malformed `segmentation` (or an RLE of another size than
    the image), or whose file is not the size the COCO file gives, is skipped and counted ("bad
    segmentation", "image size mismatch"); a box whose mask has no pixels is dropped and counted
    with the other boxes (see `DetectionDatasetReader`).

    It is an `IndexedReader`: the JSON file is parsed once, when `TorchDataLoader` lists its
    images (`CocoImage`s), and each worker decodes only its batches' images; the vocabulary comes
    from the annotations without decoding any image.

    Registered as a `DatasetReader` with name "coco_detection".

    # Parameters

    image_root : `str`, optional
        The folder `file_name`s are relative to; by default the JSON file's folder.
    skip_crowd : `bool`, optional (default = `True`)
        Leave out `iscrowd` annotations (counted); `False` trains on them as ordinary boxes.
    keypoints : `bool`, optional (default = `False`)
        Read keypoints too, for `keypoint_rcnn`.
    masks : `bool`, optional (default = `False`)
        Read instance masks too, for `mask_rcnn`.
    transforms : `List[ImageTransform]`, optional
    **kwargs
        Passed to `DetectionDatasetReader`.
    """

    def __init__(
        self,
        image_root: Optional[str] = None,
        skip_crowd: bool = True,
        keypoints: bool = False,
        masks: bool = False,
        transforms: Optional[List[ImageTransform]] = None,
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        self.image_root = image_root
        self.skip_crowd = skip_crowd
        self.keypoints = keypoints
        self.masks = masks
        if masks:
            import_optional("pycocotools.mask", "coco_detection with masks")

    def _read(self, file_path: str) -> Iterable[Instance]:
        images = self.list_items(file_path)
        self._start_pass()
        for image in self.shard_iterable(images):
            instance = self.item_to_instance(image)
            if instance is not None:
                yield instance
        self._end_pass(str(file_path))

    def list_items(self, file_path: str) -> List[CocoImage]:
        coco = read_coco_file(file_path, self.image_root)
        keypoints = CocoKeypoints(coco.path, coco.categories) if self.keypoints else None
        images = []
        for image in coco.images:
            boxes, labels, points, segmentations, crowd = [], [], [], [], 0
            for annotation in coco.annotations[image["id"]]:
                if annotation.get("iscrowd", 0) and self.skip_crowd:
                    crowd += 1
                    continue
                x, y, width, height = annotation["bbox"]
                boxes.append([x, y, x + width, y + height])
                labels.append(coco.category_names[annotation["category_id"]])
                if keypoints is not None:
                    points.append(keypoints.of(annotation))
                segmentations.append((annotation.get("id"), annotation.get("segmentation")))
            path = coco.image_root / image["file_name"]
            item = CocoImage(path, boxes, labels, crowd)
            if keypoints is not None:
                item = item._replace(keypoints=points, keypoint_names=keypoints.names, skeleton=keypoints.skeleton)
            if self.masks:
                size = [image["height"], image["width"]] if "height" in image and "width" in image else None
                item = item._replace(segmentations=segmentations, size=size)
            images.append(item)
        return images

    def item_to_instance(self, item: CocoImage) -> Optional[Instance]:
        if item.crowd:
            self.box_counts[CROWD] += item.crowd
        pixels = self.try_load_image(item.path)
        if pixels is None:
            return None
        masks = None
        if item.segmentations is not None:
            try:
                masks = self._masks(item, list(pixels.shape[-2:]))
            except ImageLoadError as error:
                self.skip(error)
                return None
        return self.text_to_instance(
            pixels, item.boxes, item.labels, image_path=str(item.path),
            keypoints=item.keypoints, keypoint_names=item.keypoint_names, skeleton=item.skeleton, masks=masks,
        )

    def _masks(self, item: CocoImage, size: List[int]) -> torch.Tensor:
        """The `(num_boxes, height, width)` `uint8` masks of `item`'s annotations, in an image of `size`."""
        if item.size is not None and item.size != size:
            raise ImageLoadError(
                str(item.path), "image size mismatch",
                f"the file is {size[1]}x{size[0]} but the COCO file says {item.size[1]}x{item.size[0]}",
            )
        coco_mask = import_optional("pycocotools.mask", "coco_detection with masks")
        height, width = size
        masks = numpy.zeros((len(item.boxes), height, width), dtype=numpy.uint8)
        for index, (annotation_id, segmentation) in enumerate(item.segmentations or []):
            try:
                rle = segmentation_rle(segmentation, height, width)
            except BadSegmentation as error:
                raise ImageLoadError(str(item.path), "bad segmentation", f"annotation {annotation_id}: {error}")
            if rle is not None:
                masks[index] = coco_mask.decode(rle)
        return torch.from_numpy(masks)

    def item_to_label_instance(self, item: CocoImage) -> Optional[Instance]:
        # Boxes with no area are dropped when read, so their labels are not counted here either.
        kept = [label for (x1, y1, x2, y2), label in zip(item.boxes, item.labels) if x2 > x1 and y2 > y1]
        names = item.keypoint_names
        keypoints = None if names is None else torch.zeros((len(kept), len(names), 3))
        boxes = BoundingBoxField(torch.zeros((len(kept), 4)), kept, self.label_namespace, keypoints, names, item.skeleton)
        return Instance({"boxes": boxes})


class CocoKeypoints:
    """
    The keypoints of a COCO file's `categories`: `names`, every category's names in turn (each
    once), the `skeleton` as pairs of names, and each annotation's keypoints in `names` order.
    """

    def __init__(self, path: Path, categories: List[dict]) -> None:
        self.path = path
        self.names: List[str] = []
        self.skeleton: List[Tuple[str, str]] = []
        self.category_names: Dict[Any, List[str]] = {}
        for category in categories:
            names = list(category.get("keypoints") or [])
            self.category_names[category["id"]] = names
            self.names.extend(name for name in names if name not in self.names)
            for pair in category.get("skeleton") or []:
                if len(pair) != 2 or not all(isinstance(end, int) and 1 <= end <= len(names) for end in pair):
                    raise ConfigurationError(
                        f"{path}: category {category['name']!r} has skeleton pair {pair}; each pair must be two "
                        f"1-based positions in its {len(names)} `keypoints` names."
                    )
                edge = (names[pair[0] - 1], names[pair[1] - 1])
                if edge not in self.skeleton:
                    self.skeleton.append(edge)
        if not self.names:
            raise ConfigurationError(
                f"{path} has no keypoints: none of its `categories` lists `keypoints` names (COCO "
                "keypoint files such as person_keypoints_train2017.json do). Point the data path at "
                "a keypoints file, or set dataset_reader.keypoints to false to read boxes only."
            )

    def of(self, annotation: dict) -> List[List[float]]:
        """The annotation's `[x, y, visibility]` for each of `names`; unlabelled where its category has none."""
        category_names = self.category_names[annotation["category_id"]]
        values = annotation.get("keypoints")
        if category_names and (not isinstance(values, list) or len(values) != 3 * len(category_names)):
            found = "has no `keypoints`" if values is None else f"has {len(values)} `keypoints` values"
            raise ConfigurationError(
                f"{self.path}: annotation {annotation.get('id')} {found}, but its category lists "
                f"{len(category_names)} keypoint names, so it needs {3 * len(category_names)} values "
                "([x, y, visibility] per name; visibility 0 where unlabelled). Fix the annotation, "
                "or set dataset_reader.keypoints to false to read boxes only."
            )
        points = {name: values[3 * index: 3 * index + 3] for index, name in enumerate(category_names)}
        return [points.get(name, [0.0, 0.0, 0.0]) for name in self.names]

