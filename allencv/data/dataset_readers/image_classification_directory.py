import logging
import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.data.fields import Field, LabelField, MetadataField
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance
from torchvision import tv_tensors

from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.dataset_readers.skipped_files import SkippedFiles
from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader, resolve_directory
from allencv.data.image_loading import ImageLoadError, ImageSource, is_image_file
from allencv.data.transforms import ImageTransform

logger = logging.getLogger(__name__)


@DatasetReader.register("image_classification_directory")
class ImageClassificationDirectoryReader(ImageDatasetReader, IndexedReader):
    """
    Reads a folder laid out as `<file_path>/<label>/<image>` (torchvision's `ImageFolder`
    layout, and the seed tutorial's `PetImages/train/Cat/1.jpg`). Each image becomes an
    `Instance` with an `ImageField` named `image`, a `LabelField` named `label` and a
    `MetadataField` named `metadata` holding `{"image_path": ...}`.

    Labels are the sub-folder names, visited in sorted order, and files are read in sorted order
    within each, so the reading order is deterministic. Images may sit in nested folders below
    their label folder; symlinked files and folders are followed. Image files are recognised by
    suffix in any letter case (jpg, jpeg, png, bmp, gif, webp, tif, tiff); every other file,
    hidden files included, is skipped and counted, as is every file that fails to decode (see
    `ImageDatasetReader`). A label folder without one readable image gets a warning.

    It is an `IndexedReader`: its items are `(path, label)` pairs, so `TorchDataLoader` reads it
    map-style.

    Registered as a `DatasetReader` with name "image_classification_directory".

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation (see `ImageDatasetReader`).
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace of the labels.
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
        self.label_namespace = label_namespace

    def _read(self, file_path: str) -> Iterable[Instance]:
        root = resolve_directory(file_path)
        files = list_labelled_files(root)
        self.skipped = SkippedFiles()
        read_per_label: Dict[str, int] = {label: 0 for _, label in files}
        for item in self.shard_iterable(files):
            instance = self.item_to_instance(item)
            if instance is None:
                continue
            read_per_label[item[1]] += 1
            yield instance
        self.skipped.log(logger, str(root))
        if self._is_only_reader():
            for label in sorted(label for label, count in read_per_label.items() if count == 0):
                logger.warning("Label folder %s has no readable image.", root / label)

    def list_items(self, file_path: str) -> List[Tuple[Path, str]]:
        return list_labelled_files(resolve_directory(file_path))

    def item_to_instance(self, item: Tuple[Path, str]) -> Optional[Instance]:
        path, label = item
        if not is_image_file(path) or path.name.startswith("."):
            self._skip_non_image(path)
            return None
        image = self.try_load_image(path)
        if image is None:
            return None
        return self.text_to_instance(image, label, image_path=str(path))

    def _skip_non_image(self, path: Path) -> None:
        category = "hidden file" if path.name.startswith(".") else "not an image file"
        error = ImageLoadError(str(path), category, f"suffix {path.suffix or '(none)'!r}")
        if self.on_error == "raise" and category != "hidden file":
            raise error
        self.skipped.add(error)

    def _is_only_reader(self) -> bool:
        # Under sharding, one worker sees only part of a label's files.
        worker = self._worker_info
        distributed = self._distributed_info
        return (worker is None or worker.num_workers == 1) and (
            distributed is None or distributed.world_size == 1
        )

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        label: Optional[str] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """
        An instance for one image, given as a path or anything `load_image` takes (a PIL image, a
        numpy array, a tensor, encoded bytes). Raises `ImageLoadError` for an unusable image.
        """
        if image_path is None and isinstance(image, (str, os.PathLike)):
            image_path = str(image)
        pixels = image if isinstance(image, tv_tensors.Image) else self.load_image(image)
        fields: Dict[str, Field] = {
            "image": self.pipeline.image_field(self.pipeline(pixels)),
            "metadata": MetadataField({"image_path": image_path}),
        }
        if label is not None:
            fields["label"] = LabelField(label, label_namespace=self.label_namespace)
        return Instance(fields)


def list_labelled_files(root: Path) -> List[Tuple[Path, str]]:
    """
    `(path, label)` for every file below `root/<label>/`, labels and files in sorted order.
    Raises a `ConfigurationError` naming `root` when it holds no label folder or no file.
    """
    labels = sorted(child.name for child in root.iterdir() if child.is_dir() and not child.name.startswith("."))
    if not labels:
        raise ConfigurationError(
            f"{root} has no label folders; expected the layout {root}/<label>/<image> "
            "(for example train/Cat/1.jpg and train/Dog/2.jpg)."
        )
    files: List[Tuple[Path, str]] = []
    for label in labels:
        for directory, subdirectories, names in os.walk(root / label, followlinks=True):
            subdirectories.sort()
            files.extend((Path(directory) / name, label) for name in sorted(names))
    if not files:
        raise ConfigurationError(
            f"{root} has label folders ({', '.join(labels)}) but no files in them; "
            f"expected {root}/<label>/<image>."
        )
    return files
