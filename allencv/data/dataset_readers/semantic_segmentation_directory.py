import logging
import os
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import numpy
import PIL.Image
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.image_dataset_reader import resolve_directory
from allencv.data.dataset_readers.segmentation_dataset_reader import SegmentationDatasetReader
from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX
from allencv.data.image_loading import ImageLoadError, is_image_file
from allencv.data.transforms import ImageTransform

logger = logging.getLogger(__name__)

#: Pascal VOC's 21 classes, index 0 being the background.
VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
    "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip


def voc_palette(num_colors: int = 256) -> List[Tuple[int, int, int]]:
    """Pascal VOC's colour map: the palette of its mask PNGs (class `i` is drawn in colour `i`)."""
    colors = []
    for index in range(num_colors):
        red = green = blue = 0
        value = index
        for shift in range(7, -1, -1):
            red |= (value & 1) << shift
            green |= ((value >> 1) & 1) << shift
            blue |= ((value >> 2) & 1) << shift
            value >>= 3
        colors.append((red, green, blue))
    return colors


def load_mask(path: Path) -> torch.Tensor:
    """
    A `(height, width)` `uint8` tensor of class indices from a palette (VOC-style) or greyscale
    PNG: the palette indices, or the grey values, are the classes. Raises `ImageLoadError`.
    """
    try:
        with PIL.Image.open(path) as image:
            if image.mode not in ("P", "L"):
                raise ImageLoadError(
                    str(path),
                    "bad mask",
                    f"mode {image.mode}: save masks as palette (VOC-style) or greyscale PNGs whose "
                    "values are class indices",
                )
            return torch.from_numpy(numpy.array(image, dtype=numpy.uint8))
    except (PIL.UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageLoadError):
            raise
        raise ImageLoadError(str(path), "bad mask", f"{type(error).__name__}: {error}")


def read_class_names(path: str) -> List[str]:
    """One class name a line (blank lines ignored), as in labelme's `class_names.txt`."""
    if not os.path.isfile(path):
        raise ConfigurationError(f"dataset_reader.class_names_file {path} is not a file.")
    names = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    if not names:
        raise ConfigurationError(f"dataset_reader.class_names_file {path} lists no class names.")
    return names


@DatasetReader.register("semantic_segmentation_directory")
class SemanticSegmentationDirectoryReader(SegmentationDatasetReader):
    """
    Reads images and their class masks from `<file_path>/<image_folder>/<stem>.<ext>` and
    `<file_path>/<mask_folder>/<stem>.png`, paired by file stem. With the defaults the layout is
    `images/` and `masks/`; set `image_folder: "JPEGImages"` and `mask_folder: "SegmentationClass"`
    for Pascal VOC (or `"SegmentationClassPNG"` for labelme's VOC export).

    Masks are palette PNGs, as VOC's are (the palette index is the class; the colours are only for
    viewing), or greyscale PNGs of class indices. `ignore_index` (VOC's 255 object borders) is
    left out of the loss and the metrics. See `SegmentationDatasetReader` for the fields and the
    transforms.

    Images without a usable mask are not trained on: a missing mask, a mask of another size than
    its image, or one with a value that is neither a class nor `ignore_index` is skipped and
    counted with the unreadable images (see `ImageDatasetReader`), and the summary is logged after
    each pass.

    Registered as a `DatasetReader` with name "semantic_segmentation_directory".

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied to image and mask alike.
    class_names : `List[str]`, optional
        The name of each class index, in order. Defaults to Pascal VOC's 21 classes.
    class_names_file : `str`, optional
        A file with one class name a line (e.g. labelme's `class_names.txt`), instead of
        `class_names`.
    image_folder : `str`, optional (default = `"images"`)
    mask_folder : `str`, optional (default = `"masks"`)
    ignore_index : `int`, optional (default = `255`)
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace the class names go to.
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        class_names: Optional[List[str]] = None,
        class_names_file: Optional[str] = None,
        image_folder: str = "images",
        mask_folder: str = "masks",
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, ignore_index=ignore_index, label_namespace=label_namespace, **kwargs)
        if class_names is not None and class_names_file is not None:
            raise ConfigurationError(
                "Give dataset_reader.class_names or dataset_reader.class_names_file, not both."
            )
        if class_names_file is not None:
            self.set_class_names(read_class_names(class_names_file), f"dataset_reader.class_names_file {class_names_file}")
        else:
            self.set_class_names(class_names if class_names is not None else VOC_CLASSES, "dataset_reader.class_names")
        self.image_folder = image_folder
        self.mask_folder = mask_folder

    def _read(self, file_path: str) -> Iterable[Instance]:
        root = resolve_directory(file_path)
        image_dir, mask_dir = self._folder(root, self.image_folder), self._folder(root, self.mask_folder)
        paths = sorted(path for path in image_dir.iterdir() if not path.name.startswith("."))
        self._start_pass()
        for path in self.shard_iterable(paths):
            pair = self._try_load_pair(path, mask_dir / f"{path.stem}.png")
            if pair is not None:
                yield self.text_to_instance(pair[0], pair[1], image_path=str(path))
        self._end_pass(str(root))

    def _folder(self, root: Path, name: str) -> Path:
        folder = root / name
        if not folder.is_dir():
            present = sorted(child.name for child in root.iterdir() if child.is_dir())
            raise ConfigurationError(
                f"{root} has no folder {name!r} (it holds: {', '.join(present) or 'no folders'}); "
                "expected <folder>/images/<stem>.jpg with <folder>/masks/<stem>.png, or set "
                "dataset_reader.image_folder and dataset_reader.mask_folder."
            )
        return folder

    def _try_load_pair(self, image_path: Path, mask_path: Path) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        try:
            if not is_image_file(image_path):
                raise ImageLoadError(str(image_path), "not an image file", f"suffix {image_path.suffix!r}")
            if not mask_path.is_file():
                raise ImageLoadError(str(image_path), "missing mask", f"no mask {mask_path}")
            image = self.load_image(image_path)
            mask = load_mask(mask_path)
            self._check_mask(mask, image, mask_path)
        except ImageLoadError as error:
            self.skip(error)
            return None
        return image, mask

    def _check_mask(self, mask: torch.Tensor, image: torch.Tensor, mask_path: Path) -> None:
        if tuple(mask.shape) != tuple(image.shape[-2:]):
            raise ImageLoadError(
                str(mask_path),
                "mask size mismatch",
                f"mask is {mask.shape[1]}x{mask.shape[0]}, its image {image.shape[2]}x{image.shape[1]}",
            )
        values = torch.unique(mask)
        unknown = values[(values >= len(self.class_names)) & (values != self.ignore_index)]
        if len(unknown):
            raise ImageLoadError(
                str(mask_path),
                "unknown mask class",
                f"values {unknown.tolist()} are neither one of the {len(self.class_names)} classes "
                f"nor the ignore index {self.ignore_index}; check class_names",
            )
