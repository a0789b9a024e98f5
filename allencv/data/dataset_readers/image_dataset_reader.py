import difflib
import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, MetadataField
from torchvision import tv_tensors

from allencv.data.dataset_readers.extra_parameters import reject_extra_parameters
from allencv.data.dataset_readers.skipped_files import SkippedFiles
from allencv.data.image_loading import DEFAULT_MAX_PIXELS, ImageLoadError, ImageSource, load_image
from allencv.data.transforms import ImagePipeline, ImageTransform

logger = logging.getLogger(__name__)

ON_ERROR_CHOICES = ("skip", "raise")


class ImageDatasetReader(DatasetReader):
    """
    What every AllenCV image reader shares: the `transforms` pipeline, decoding with a clear
    account of bad files, and allennlp's sharding across data-loader workers and distributed
    processes (each instance is read by exactly one of them).

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation, applied in order (a final `normalize` is applied at
        batching time).
    on_error : `str`, optional (default = `"skip"`)
        What to do with a file that is not a usable image: `"skip"` it, counting it in the
        summary logged after each pass, or `"raise"` an error naming it.
    max_image_pixels : `int`, optional (default = PIL's decompression-bomb limit)
        Images with more pixels than this are refused as "too large": both the file (from its
        header, before decoding) and the image the `transforms` make of it.
    decoded_cache_mb : `int`, optional (default = `0`: no cache)
        Keep decoded images (`uint8`, before the `transforms`) in memory, up to this many MiB, so
        later epochs skip decoding them; the `transforms`, random ones included, still run afresh
        on every read. For datasets that fit (Fashion-MNIST's 55,000 training images take 125
        MiB). The cache belongs to the process that reads: the main process with the `torch`
        loader's `num_workers: 0`, or each of its workers, which persist between epochs by default
        (each caching the images it reads, so up to `num_workers` times the memory; with
        `persistent_workers: false` every epoch's new workers start empty).
    max_instances : `int`, optional
        Read at most this many instances (see allennlp's `DatasetReader`).
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        on_error: str = "skip",
        max_image_pixels: int = DEFAULT_MAX_PIXELS,
        decoded_cache_mb: int = 0,
        max_instances: Optional[int] = None,
        serialization_dir: Optional[str] = None,
        **extra_parameters,
    ) -> None:
        # Subclasses pass on what they do not take themselves: a key no reader takes (a misspelt
        # one) is named here, as allennlp names a model's, instead of ending in a TypeError.
        reject_extra_parameters(self, extra_parameters)
        super().__init__(
            max_instances=max_instances,
            manual_distributed_sharding=True,
            manual_multiprocess_sharding=True,
            serialization_dir=serialization_dir,
        )
        if on_error not in ON_ERROR_CHOICES:
            raise ConfigurationError(
                f"dataset_reader.on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}."
            )
        self.pipeline = ImagePipeline(transforms)
        self.on_error = on_error
        self.max_image_pixels = max_image_pixels
        if decoded_cache_mb < 0:
            raise ConfigurationError(f"dataset_reader.decoded_cache_mb must be 0 (no cache) or more, got {decoded_cache_mb}.")
        self.decoded_cache = DecodedImageCache(decoded_cache_mb * 2 ** 20)
        #: The files skipped in the most recent pass over the data.
        self.skipped = SkippedFiles()

    def _start_pass(self) -> None:
        """Starts the counts of a pass over the data (readers call it as their `_read` begins)."""
        self.skipped = SkippedFiles()

    def _end_pass(self, source: str) -> None:
        """Logs, once, what the pass over `source` skipped (readers call it as `_read` ends)."""
        self.skipped.log(logger, source)

    def load_image(self, source: ImageSource) -> tv_tensors.Image:
        """Decodes `source` (or takes it from the cache), raising `ImageLoadError` if it is not a usable image."""
        if not isinstance(source, (str, os.PathLike)) or not self.decoded_cache.budget:
            return load_image(source, max_pixels=self.max_image_pixels)
        key = os.fspath(source)
        image = self.decoded_cache.get(key)
        if image is None:
            image = load_image(source, max_pixels=self.max_image_pixels)
            self.decoded_cache.add(key, image)
        return image

    def try_load_image(self, path: Path) -> Optional[tv_tensors.Image]:
        """Decodes `path`, or counts it in `self.skipped` and returns `None` (`on_error="skip"`)."""
        try:
            return self.load_image(path)
        except ImageLoadError as error:
            self.skip(error)
            return None

    def skip(self, error: ImageLoadError) -> None:
        """Counts `error`'s file in `self.skipped`, or raises `error` when `on_error="raise"`."""
        if self.on_error == "raise":
            raise error
        self.skipped.add(error)
        logger.debug("Skipping %s", error)

    def decode(self, image: ImageSource, image_path: Optional[str] = None) -> Tuple[tv_tensors.Image, Optional[str]]:
        """
        `image` decoded (unless it already is a `tv_tensors.Image`), and its path: `image_path`,
        or `image` itself when it is a path. Raises `ImageLoadError` for an unusable image.
        """
        if image_path is None and isinstance(image, (str, os.PathLike)):
            image_path = str(image)
        pixels = image if isinstance(image, tv_tensors.Image) else self.load_image(image)
        return pixels, image_path

    def transform(self, image_path: Optional[str], *inputs: Any) -> Any:
        """
        The `transforms` applied to `inputs` (the image, then any boxes, masks or keypoints);
        raises `ImageLoadError` ("too large") when the transformed image has more than
        `max_image_pixels` pixels.
        """
        outputs = self.pipeline(*inputs)
        height, width = (outputs[0] if len(inputs) > 1 else outputs).shape[-2:]
        if height * width > self.max_image_pixels:
            raise ImageLoadError(
                image_path or "the image",
                "too large",
                f"the transforms make it {width}x{height} pixels, over the limit of "
                f"{self.max_image_pixels}; bound them (e.g. resize's max_size) or raise the "
                "reader's `max_image_pixels`",
            )
        return outputs

    def image_fields(self, image: ImageSource, image_path: Optional[str] = None) -> Dict[str, Field]:
        """
        The `image` and `metadata` (`{"image_path": ...}`) fields of an instance, for a path or
        anything `load_image` takes, or an image already decoded; transformed by the pipeline.
        """
        pixels, image_path = self.decode(image, image_path)
        return {
            "image": self.pipeline.image_field(self.transform(image_path, pixels)),
            "metadata": MetadataField({"image_path": image_path}),
        }


class DecodedImageCache:
    """Decoded images by path, while their bytes fit in `budget` (later images are not kept)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._images: Dict[str, tv_tensors.Image] = {}

    def get(self, key: str) -> Optional[tv_tensors.Image]:
        return self._images.get(key)

    def add(self, key: str, image: tv_tensors.Image) -> None:
        size = image.numel() * image.element_size()
        if self.used + size <= self.budget:
            self._images[key] = image
            self.used += size

    def __len__(self) -> int:
        return len(self._images)


def resolve_directory(file_path: str) -> Path:
    """
    The data directory named by a reader's `file_path`, or an error that names it and says what to
    do: an empty setting, a path that does not exist (with the closest sibling folder, e.g.
    `val/` for `valid/`), or a path that is not a directory.
    """
    if not str(file_path).strip():
        raise ConfigurationError(
            "The data path is empty. Set it in the config (`train_data_path`, "
            "`validation_data_path`), or set TRAIN_PATH / VALIDATION_PATH to an image folder."
        )
    path = Path(file_path).expanduser()
    if not path.exists():
        raise ConfigurationError(f"The data folder {path} does not exist.{_did_you_mean(path)}")
    if not path.is_dir():
        raise ConfigurationError(
            f"The data path {path} is a file, not a folder; point it at a folder laid out as "
            "<folder>/<label>/<image>."
        )
    return path


def _did_you_mean(path: Path) -> str:
    parent = path.parent
    if not parent.is_dir():
        return f" Its parent folder {parent} does not exist either."
    siblings: List[str] = sorted(child.name for child in parent.iterdir() if child.is_dir())
    close = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.5)
    if close:
        return f" Did you mean {parent / close[0]}? (Folders in {parent}: {', '.join(siblings)}.)"
    return f" {parent} holds: {', '.join(siblings) or 'no folders'}."
