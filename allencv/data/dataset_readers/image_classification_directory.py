import logging
import os
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.fields import TrainingLabelField
from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader, resolve_directory
from allencv.data.image_loading import ImageLoadError, ImageSource, is_image_file, printable
from allencv.data.transforms import ImageTransform

logger = logging.getLogger(__name__)


@DatasetReader.register("image_classification_directory")
class ImageClassificationDirectoryReader(ImageDatasetReader, IndexedReader):
    """
    Reads a folder laid out as `<file_path>/<label>/<image>` (torchvision's `ImageFolder`
    layout, and the seed tutorial's `PetImages/train/Cat/1.jpg`). Each image becomes an
    `Instance` with an `ImageField` named `image`, a `TrainingLabelField` named `label` and a
    `MetadataField` named `metadata` holding `{"image_path": ...}`.

    Labels are the sub-folder names, visited in sorted order, and files are read in sorted order
    within each, so the reading order is deterministic. Images may sit in nested folders below
    their label folder; symlinked files and folders are followed, and each real file is read once
    (see `list_labelled_files`). Image files are recognised by suffix in any letter case (jpg,
    jpeg, png, bmp, gif, webp, tif, tiff); every other file, hidden files and folders included, is
    skipped and counted, as is every file that fails to decode (see `ImageDatasetReader`). A label
    folder without one readable image gets a warning when read (`TorchDataLoader` builds the
    vocabulary from the listing, without decoding, so its label is still in the vocabulary).

    Class order: allennlp's default vocabulary orders labels by frequency. For a stable order,
    sorted by name as in torchvision's `ImageFolder`, and to keep classes seen only in validation
    out of the model, configure `"vocabulary": {"type": "sorted_labels"}` and
    `"datasets_for_vocab_creation": ["train"]` (as the configs in `training_config/` do): a
    validation image whose class the training data lacks then fails with an error naming it.

    It is an `IndexedReader`: its items are `LabelledFile`s, so `TorchDataLoader` reads it
    map-style.

    Registered as a `DatasetReader` with name "image_classification_directory".

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation (see `ImageDatasetReader`).
    label_namespace : `str`, optional (default = `"labels"`)
        The vocabulary namespace of the labels.
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
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
        self._start_pass()
        read_per_label: Dict[str, int] = {label: 0 for label in label_folders(root)}
        for file in self.shard_iterable(files):
            instance = self.item_to_instance(file)
            if instance is None:
                continue
            read_per_label[file.label] += 1
            yield instance
        self._end_pass(str(root))
        if self._is_only_reader():
            for label in sorted(label for label, count in read_per_label.items() if count == 0):
                logger.warning(
                    "Label folder %s has no readable image, so no instance has label %r.",
                    printable(str(root / label)),
                    label,
                )

    def list_items(self, file_path: str) -> List["LabelledFile"]:
        return list_labelled_files(resolve_directory(file_path))

    def item_to_instance(self, item: "LabelledFile") -> Optional[Instance]:
        if item.problem is not None:
            self.skipped.add(item.problem)
            return None
        if not is_image_file(item.path) or item.path.name.startswith("."):
            self._skip_non_image(item.path)
            return None
        image = self.try_load_image(item.path)
        if image is None:
            return None
        return self.text_to_instance(image, item.label, image_path=str(item.path))

    def item_to_label_instance(self, item: "LabelledFile") -> Optional[Instance]:
        if item.problem is not None or not is_image_file(item.path) or item.path.name.startswith("."):
            return None
        return Instance({"label": self._label_field(item.label, str(item.path))})

    def _label_field(self, label: str, image_path: Optional[str]) -> TrainingLabelField:
        return TrainingLabelField(label, self.label_namespace, source=image_path)

    def _skip_non_image(self, path: Path) -> None:
        category = "hidden file" if path.name.startswith(".") else "not an image file"
        error = ImageLoadError(str(path), category, f"suffix {path.suffix or '(none)'!r}")
        if self.on_error == "raise" and category != "hidden file":
            raise error
        self.skipped.add(error)

    def _is_only_reader(self) -> bool:
        # Under sharding, one worker sees only part of a label's files.
        worker = self.get_worker_info()
        distributed = self.get_distributed_info()
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
        fields = self.image_fields(image, image_path)
        if label is not None:
            fields["label"] = self._label_field(label, fields["metadata"]["image_path"])
        return Instance(fields)


class LabelledFile(NamedTuple):
    """A file below a label folder; `problem` is set when the listing already rules it out."""

    path: Path
    label: str
    problem: Optional[ImageLoadError] = None


def label_folders(root: Path) -> List[str]:
    """The label folders in `root`: its sub-folders, hidden ones excepted, in sorted order."""
    return sorted(
        child.name for child in root.iterdir() if child.is_dir() and not child.name.startswith(".")
    )


def list_labelled_files(root: Path) -> List[LabelledFile]:
    """
    Every file below `root/<label>/`, labels and files in sorted order, following symlinked files
    and folders. The listing itself rules out (sets `problem` on) these entries:

    - "duplicate": a second path to a real file already listed (e.g. a symlink to it);
    - "missing": a symlink whose target does not exist;
    - "symlink loop": a symlinked folder that leads back to one of its own ancestors (not entered);
    - "hidden folder": a sub-folder whose name starts with "." (not entered).

    Raises a `ConfigurationError` naming `root` when it holds no label folder or no file.
    """
    labels = label_folders(root)
    if not labels:
        raise ConfigurationError(
            f"{root} has no label folders; expected the layout {root}/<label>/<image> "
            "(for example train/Cat/1.jpg and train/Dog/2.jpg)."
        )
    files: List[LabelledFile] = []
    for label in labels:
        for directory, subdirectories, names in os.walk(root / label, followlinks=True):
            for name in list(subdirectories):
                folder = Path(directory) / name
                problem = None
                if name.startswith("."):
                    problem = ImageLoadError(str(folder), "hidden folder", "its files are not read")
                elif _leads_back(folder, os.path.realpath(directory)):
                    problem = ImageLoadError(
                        str(folder), "symlink loop", f"leads back to {os.path.realpath(folder)}"
                    )
                if problem is not None:
                    subdirectories.remove(name)
                    files.append(LabelledFile(folder, label, problem))
            subdirectories.sort()
            files.extend(LabelledFile(Path(directory) / name, label) for name in sorted(names))
    if not files:
        raise ConfigurationError(
            f"{root} has label folders ({', '.join(labels)}) but no files in them; "
            f"expected {root}/<label>/<image>."
        )
    return _rule_out_missing_and_duplicates(root, files)


def _leads_back(folder: Path, real_parent: str) -> bool:
    """Whether `folder` (a sub-folder of `real_parent`) is a link to `real_parent` or above it."""
    target = os.path.realpath(folder)
    return real_parent == target or real_parent.startswith(target.rstrip(os.sep) + os.sep)


def _rule_out_missing_and_duplicates(root: Path, files: List[LabelledFile]) -> List[LabelledFile]:
    """
    Marks broken symlinks as "missing" and every path but one to the same real file as a
    "duplicate". The path kept is the one without symlinks below `root`, else the first listed.
    """
    real_root = os.path.realpath(root)
    targets = [os.path.realpath(file.path) for file in files]
    kept: Dict[str, Path] = {}
    for file, target in zip(files, targets):
        if file.problem is None and os.path.exists(target):
            direct = target == os.path.join(real_root, os.path.relpath(file.path, root))
            if target not in kept or direct:
                kept[target] = file.path
    checked = []
    for file, target in zip(files, targets):
        if file.problem is not None or kept.get(target) == file.path:
            checked.append(file)
        elif target not in kept:
            problem = ImageLoadError(str(file.path), "missing", f"a broken symlink to {target}")
            checked.append(file._replace(problem=problem))
        else:
            problem = ImageLoadError(str(file.path), "duplicate", f"the same file as {kept[target]}")
            checked.append(file._replace(problem=problem))
    return checked
