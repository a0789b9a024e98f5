import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import numpy
import PIL.Image
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.detection_dataset_reader import DIFFICULT, DetectionDatasetReader
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import ImageTransform

#: One object, as read: its 1-based position among the file's objects (its value in the
#: SegmentationObject PNG), its name and its 0-based xyxy box.
VocObject = Tuple[int, str, List[float]]


@DatasetReader.register("voc_detection")
class VocDetectionReader(DetectionDatasetReader):
    """
    Reads Pascal VOC: a folder with `Annotations/<id>.xml` and `JPEGImages/<filename>`. The
    `file_path` is that folder (every XML in `Annotations/`, in sorted order) or an image-set
    file such as `VOC2012/ImageSets/Main/train.txt` (one id per line, read from the VOC folder two
    levels up). VOC's 1-based `xmin` and `ymin` are shifted by one to 0-based pixel edges (as
    detectron2 does). See `DetectionDatasetReader` for the fields, the box clean-up and the error
    handling.

    With `masks`, each object also gets its instance mask from `SegmentationObject/<id>.png`,
    whose pixels hold the 1-based position of their object in the XML file (0 is background, 255
    the unlabelled border, in no mask). VOC has these for the segmentation image sets only, so
    point `file_path` at e.g. `ImageSets/Segmentation/train.txt`; an image without its PNG, or
    with one of another size, is skipped and counted ("missing", "image size mismatch").

    Registered as a `DatasetReader` with name "voc_detection".

    # Parameters

    skip_difficult : `bool`, optional (default = `True`)
        Leave out objects marked `<difficult>1</difficult>` (counted).
    masks : `bool`, optional (default = `False`)
        Read instance masks too, for `mask_rcnn`.
    transforms : `List[ImageTransform]`, optional
    **kwargs
        Passed to `DetectionDatasetReader`.
    """

    def __init__(
        self,
        skip_difficult: bool = True,
        masks: bool = False,
        transforms: Optional[List[ImageTransform]] = None,
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        self.skip_difficult = skip_difficult
        self.masks = masks

    def _read(self, file_path: str) -> Iterable[Instance]:
        root, annotation_files = list_voc_annotations(Path(file_path).expanduser())
        self._start_pass()
        for annotation_file in self.shard_iterable(annotation_files):
            filename, objects = self._parse(annotation_file)
            image_path = root / "JPEGImages" / filename
            pixels = self.try_load_image(image_path)
            if pixels is None:
                continue
            boxes = [box for _, _, box in objects]
            labels = [name for _, name, _ in objects]
            masks = None
            if self.masks:
                png = root / "SegmentationObject" / f"{annotation_file.stem}.png"
                try:
                    masks = object_masks(png, [position for position, _, _ in objects], list(pixels.shape[-2:]))
                except ImageLoadError as error:
                    self.skip(error)
                    continue
            yield self.text_to_instance(pixels, boxes, labels, image_path=str(image_path), masks=masks)
        self._end_pass(str(file_path))

    def _parse(self, annotation_file: Path) -> Tuple[str, List[VocObject]]:
        try:
            tree = ElementTree.parse(annotation_file).getroot()
            filename = tree.findtext("filename") or f"{annotation_file.stem}.jpg"
            objects = []
            for position, obj in enumerate(tree.iter("object"), start=1):
                if self.skip_difficult and (obj.findtext("difficult") or "0").strip() == "1":
                    self.box_counts[DIFFICULT] += 1
                    continue
                box = obj.find("bndbox")
                xmin, ymin, xmax, ymax = (float(box.findtext(key)) for key in ("xmin", "ymin", "xmax", "ymax"))
                objects.append((position, obj.findtext("name").strip(), [xmin - 1, ymin - 1, xmax, ymax]))
        except (ElementTree.ParseError, AttributeError, TypeError, ValueError) as error:
            raise ConfigurationError(
                f"{annotation_file} is not a valid VOC annotation ({type(error).__name__}: {error}); "
                "each <object> needs a <name> and a <bndbox> with numeric xmin, ymin, xmax, ymax."
            )
        return filename, objects


def object_masks(png: Path, positions: List[int], size: List[int]) -> torch.Tensor:
    """
    The `(len(positions), height, width)` `uint8` masks of the objects at `positions` (1-based)
    in the SegmentationObject `png` of an image of `size`; raises `ImageLoadError`.
    """
    if not png.is_file():
        raise ImageLoadError(
            str(png), "missing",
            "no SegmentationObject mask for this image; with masks: true, read an image set of ImageSets/Segmentation",
        )
    with PIL.Image.open(png) as image:
        if image.mode not in ("P", "L"):
            raise ImageLoadError(str(png), "bad segmentation", f"a {image.mode} PNG, not object indices (mode P or L)")
        objects = numpy.asarray(image)
    if list(objects.shape) != size:
        raise ImageLoadError(
            str(png), "image size mismatch",
            f"the mask is {objects.shape[1]}x{objects.shape[0]} but its image {size[1]}x{size[0]}",
        )
    return torch.from_numpy(numpy.stack([objects == position for position in positions]).astype(numpy.uint8)
                            if positions else numpy.zeros([0] + size, dtype=numpy.uint8))


def list_voc_annotations(path: Path) -> Tuple[Path, List[Path]]:
    """The VOC folder and its annotation files, for a VOC folder or an image-set file."""
    if path.is_file():
        root = path.parent.parent.parent  # <root>/ImageSets/Main/<split>.txt
        ids = [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
        files = [root / "Annotations" / f"{image_id}.xml" for image_id in ids]
        missing = [str(file) for file in files if not file.is_file()]
        if missing:
            raise ConfigurationError(f"{path} lists ids without annotations, e.g. {missing[0]}.")
        return root, files
    if not (path / "Annotations").is_dir():
        raise ConfigurationError(
            f"{path} is not a Pascal VOC folder: expected {path / 'Annotations'}/<id>.xml and "
            f"{path / 'JPEGImages'}/<image>, or an image-set file such as ImageSets/Main/train.txt."
        )
    files = sorted((path / "Annotations").glob("*.xml"))
    if not files:
        raise ConfigurationError(f"{path / 'Annotations'} has no .xml annotation files.")
    return path, files
