import logging
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy
import torch
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.coco_file import CocoFile, read_coco_file
from allencv.data.dataset_readers.segmentation_dataset_reader import SegmentationDatasetReader
from allencv.data.dataset_readers.skipped_files import describe_counts
from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import ImageTransform
from allencv.optional_dependencies import import_optional

logger = logging.getLogger(__name__)

#: What a pass counts about the annotations, besides skipped images; logged after each pass.
CROWD_IGNORED = "crowd regions marked with the ignore index"
EMPTY = "annotations without pixels in their image"
#: Polygons with fewer points draw nothing (and pycocotools reads four numbers as a box).
MIN_POLYGON_COORDINATES = 6


class BadSegmentation(ValueError):
    """A COCO `segmentation` that is neither polygons nor an RLE of its image's size."""


@DatasetReader.register("coco_segmentation")
class CocoSegmentationReader(SegmentationDatasetReader):
    """
    Semantic segmentation from a COCO instances file (`images`, `annotations` with a
    `segmentation`, `categories`), such as labelme's `labelme2coco.py` export: the `file_path` is
    the JSON file, and each image's `file_name` is found under `image_root`. Each image's
    annotations are rasterised (with `pycocotools.mask`) into one mask of class indices:
    polygons (`[[x1, y1, x2, y2, ...], ...]`, pixel coordinates, as in COCO) and RLE, compressed
    or not. Images are read in the file's order; pixels that no annotation covers are background.

    The classes are the categories in ascending `id` order. Class 0 is the background: the
    category with id 0 when there is one (labelme's `_background_`, so that labelme's category ids
    are the class indices of its VOC export), else a class called `background_name` before the
    categories (COCO's own ids start at 1). Each pass sets `class_names` from the file, and the
    names go into the vocabulary in that order, so the training and validation files must list
    the same categories (COCO's do).

    Where annotations overlap, the smaller one wins: they are painted from the largest area to
    the smallest (in pixels; equal areas in the file's order, the later on top), so an object in
    front of a larger one keeps its class. Crowd regions (`iscrowd: 1`) are painted with
    `ignore_index` by the same rule when `ignore_crowd`, so their pixels are neither trained on nor
    scored, except where a smaller annotation lies on them.

    Images that cannot be used are skipped and counted with the unreadable ones (see
    `ImageDatasetReader`): an annotation whose `segmentation` is malformed or an RLE of another
    size than its image ("bad segmentation"), or an image file of another size than the file's
    `height` and `width` ("image size mismatch"). Crowd regions marked ignored and annotations with
    no pixels in their image (e.g. polygons of fewer than three points) are counted in
    `annotation_counts`. Both summaries are logged after each pass.

    Registered as a `DatasetReader` with name "coco_segmentation".

    # Parameters

    image_root : `str`, optional
        The folder `file_name`s are relative to; by default the JSON file's folder.
    ignore_crowd : `bool`, optional (default = `True`)
        Mark crowd regions with `ignore_index`; `False` paints them with their category, as any
        other annotation.
    background_name : `str`, optional (default = `"background"`)
        The name of class 0 when no category has id 0.
    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied to image and mask alike.
    ignore_index : `int`, optional (default = `255`)
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
    """

    def __init__(
        self,
        image_root: Optional[str] = None,
        ignore_crowd: bool = True,
        background_name: str = "background",
        transforms: Optional[List[ImageTransform]] = None,
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, ignore_index=ignore_index, label_namespace=label_namespace, **kwargs)
        self.image_root = image_root
        self.ignore_crowd = ignore_crowd
        self.background_name = background_name
        #: How many annotations the most recent pass marked ignored or found empty, by reason.
        self.annotation_counts: Counter = Counter()

    def _read(self, file_path: str) -> Iterable[Instance]:
        coco = read_coco_file(file_path, self.image_root)
        class_indices = self._set_classes(coco)
        self._start_pass()
        for image in self.shard_iterable(coco.images):
            image_path = coco.image_root / image["file_name"]
            pixels = self.try_load_image(image_path)
            if pixels is None:
                continue
            try:
                mask = self._rasterise(image, str(image_path), tuple(pixels.shape[-2:]), coco, class_indices)
            except ImageLoadError as error:
                self.skip(error)
                continue
            yield self.text_to_instance(pixels, mask, image_path=str(image_path))
        self._end_pass(str(coco.path))

    def _start_pass(self) -> None:
        super()._start_pass()
        self.annotation_counts = Counter()

    def _end_pass(self, source: str) -> None:
        super()._end_pass(source)
        if self.annotation_counts:
            logger.warning("Annotations in %s: %s.", source, describe_counts(self.annotation_counts))

    def _set_classes(self, coco: CocoFile) -> Dict[Any, int]:
        """Sets `class_names` from the file's categories; returns the class index of each category id."""
        ids = sorted(coco.category_names)
        names = [coco.category_names[category_id] for category_id in ids]
        if not ids or ids[0] != 0:
            names.insert(0, self.background_name)
        self.set_class_names(names, f"the categories of {coco.path} (after class 0, the background)")
        offset = len(names) - len(ids)
        return {category_id: position + offset for position, category_id in enumerate(ids)}

    def _rasterise(
        self, image: dict, image_path: str, size: Tuple[int, int], coco: CocoFile, class_indices: Dict[Any, int]
    ) -> torch.Tensor:
        """The `(height, width)` class indices of the annotations of `image`, a COCO image entry."""
        height, width = size
        expected = (image.get("height", height), image.get("width", width))
        if expected != size:
            raise ImageLoadError(
                image_path,
                "image size mismatch",
                f"the file is {width}x{height} but the COCO file says {expected[1]}x{expected[0]}",
            )
        coco_mask = import_optional("pycocotools.mask", "coco_segmentation")
        regions = []
        for annotation in coco.annotations[image["id"]]:
            try:
                rle = segmentation_rle(annotation.get("segmentation"), height, width)
            except BadSegmentation as error:
                raise ImageLoadError(image_path, "bad segmentation", f"annotation {annotation.get('id')}: {error}")
            area = int(coco_mask.area(rle)) if rle is not None else 0
            if area == 0:
                self.annotation_counts[EMPTY] += 1
                continue
            if annotation.get("iscrowd", 0) and self.ignore_crowd:
                self.annotation_counts[CROWD_IGNORED] += 1
                value = self.ignore_index
            else:
                value = class_indices[annotation["category_id"]]
            regions.append((area, value, rle))
        compact = len(self.class_names) <= 256 and 0 <= self.ignore_index <= 255
        mask = numpy.zeros(size, dtype=numpy.uint8 if compact else numpy.int64)
        for _, value, rle in sorted(regions, key=lambda region: -region[0]):
            mask[coco_mask.decode(rle).astype(bool)] = value
        return torch.from_numpy(mask)


def segmentation_rle(segmentation: Any, height: int, width: int) -> Optional[Dict[str, Any]]:
    """
    The compressed RLE (pycocotools') of a COCO `segmentation` in a `height` x `width` image:
    a list of polygons (`[x1, y1, x2, y2, ...]` each, merged into one region; those of fewer than
    three points are left out, and `None` is returned when none is left), or an RLE, uncompressed
    (`counts` a list) or compressed (`counts` a string). Raises `BadSegmentation`.
    """
    coco_mask = import_optional("pycocotools.mask", "coco_segmentation")
    if isinstance(segmentation, list):
        polygons = [polygon for polygon in segmentation if not isinstance(polygon, list) or len(polygon) >= MIN_POLYGON_COORDINATES]
        for polygon in polygons:
            if not isinstance(polygon, list) or len(polygon) % 2 or not all(isinstance(value, (int, float)) for value in polygon):
                raise BadSegmentation(
                    f"polygons must be lists of x, y pixel coordinates ([[x1, y1, x2, y2, ...], ...]), got {str(polygon)[:80]}"
                )
        if not polygons:
            return None
        return coco_mask.merge(coco_mask.frPyObjects(polygons, height, width))
    if not isinstance(segmentation, dict) or not {"counts", "size"} <= set(segmentation):
        raise BadSegmentation(f"expected polygons or an RLE with counts and size, got {str(segmentation)[:80]}")
    if list(segmentation["size"]) != [height, width]:
        raise BadSegmentation(f"the RLE's size (height, width) is {segmentation['size']}, its image's {[height, width]}")
    counts = segmentation["counts"]
    if isinstance(counts, list):
        if sum(counts) != height * width:
            raise BadSegmentation(f"the RLE's counts add up to {sum(counts)} pixels, not {height} x {width}")
        return coco_mask.frPyObjects(segmentation, height, width)
    if isinstance(counts, str):
        return {"size": [height, width], "counts": counts.encode("ascii")}
    raise BadSegmentation(f"RLE counts must be a list or a string, got {type(counts).__name__}")
