import json
import logging
import os
import random
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.skipped_files import SkippedFiles
from allencv.data.fields import TrainingLabelField
from allencv.data.image_loading import IMAGE_EXTENSIONS, ImageLoadError, ImageSource
from allencv.data.shard_index import INDEX_NAME, ShardIndex, read_index
from allencv.data.transforms import ImageTransform
from allencv.data.webdataset_support import webdataset

logger = logging.getLogger(__name__)


class ShardPart(NamedTuple):
    """
    The samples of shard `url` whose position `i` in it has `i % modulus == residue`: the whole
    shard when `modulus` is 1. `count` is (about) how many samples that is.
    """

    url: str
    count: float
    modulus: int = 1
    residue: int = 0


def split_parts(parts: List[ShardPart], num_readers: int, reader: int) -> List[ShardPart]:
    """
    Reader `reader`'s share of `parts`, such that the `num_readers` shares are disjoint and cover
    every sample. With at least as many parts as readers, each reader gets whole parts, balanced
    by sample count (largest first, each to the reader with the fewest samples so far). With
    fewer, readers share a part: the `k` readers of one part each keep every `k`-th of its samples.
    """
    if len(parts) >= num_readers:
        loads = [0.0] * num_readers
        shares: List[List[ShardPart]] = [[] for _ in range(num_readers)]
        for part in sorted(parts, key=lambda part: -part.count):  # stable: ties keep their order
            lightest = loads.index(min(loads))
            shares[lightest].append(part)
            loads[lightest] += part.count
        return shares[reader]
    part = parts[reader % len(parts)]
    sharing = len(range(reader % len(parts), num_readers, len(parts)))
    rank = reader // len(parts)
    return [ShardPart(part.url, part.count / sharing, part.modulus * sharing, part.residue + part.modulus * rank)]


@DatasetReader.register("webdataset")
class WebDatasetReader(ImageDatasetReader):
    """
    Reads image classification data from WebDataset tar shards written by
    `python -m allencv.datasets.to_shards` (see `tutorials/shards.md`). Each sample becomes an
    `Instance` with an `ImageField` named `image`, a `TrainingLabelField` named `label` and a
    `MetadataField` named `metadata` holding `{"image_path": ...}` (the image's path in the
    converted folder or manifest).

    The `file_path` is the folder the shards were written to (its `index.json` lists them), or
    any shard list the `webdataset` library reads: a path, a brace pattern
    (`shards/train-{000000..000099}.tar`), several joined by `::`, a URL (`https://...`) or a
    `pipe:` command (`pipe:aws s3 cp s3://bucket/train-000000.tar -`). Labels and the class list
    come from the shards' index, so no image is decoded to build a vocabulary (see the
    `shard_index` vocabulary); the index is the `index.json` next to the first shard unless
    `index` is given (which `pipe:` shard lists need).

    **Sharding.** Each of the `world_size × num_workers` readers (distributed processes ×
    data-loader workers) reads a disjoint share of the shards, so that every sample is read
    exactly once per pass. Shards are first split among processes, balanced by their sample
    counts from the index, then among each process's workers. The split is the same every epoch
    and needs no communication; what changes every epoch is the order in which each reader visits
    its shards and the shuffle buffer (with `shuffle_buffer`), and the random transforms are drawn
    afresh for every sample. Because `to_shards` shuffles the images before writing, every shard
    is a random sample of the data, so a fixed split does not bias what a process sees. With
    fewer shards (or, within a process, fewer shards of its share) than readers, readers share a
    shard: each of the `k` readers of a shard reads all of it but decodes only every `k`-th
    sample, which is still exactly once, at `k` times the reading. Write at least
    `world_size × num_workers` shards (many more is better) to avoid that.

    Under distributed training, allennlp's trainer stops every process when the first runs out of
    batches, so a process's last batches are not trained on when processes hold different
    numbers of samples; the balanced split keeps the difference below the largest shard.

    **Bad data.** A sample whose image does not decode, or that lacks its image or label, is
    skipped and counted; so is a shard that is missing ("missing shard") or truncated or
    corrupt ("unreadable shard", after the samples before the damage). The pass goes on, and the
    summary logged at its end (per reader) names the first few.

    Registered as a `DatasetReader` with name "webdataset".

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation (see `ImageDatasetReader`).
    index : `str`, optional
        Where the shards' `index.json` is (a path, URL or `pipe:` command), when it is not
        next to the first shard.
    shuffle_buffer : `int`, optional (default = `0`)
        When positive, each pass visits the reader's shards in a new random order and yields the
        samples through a shuffle buffer of this many (still encoded) samples. Leave the data
        loader's own `shuffle` off: it would hold decoded images.
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        index: Optional[str] = None,
        shuffle_buffer: int = 0,
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        if shuffle_buffer < 0:
            raise ConfigurationError(f"dataset_reader.shuffle_buffer must be 0 or more, got {shuffle_buffer}.")
        self.index = index
        self.shuffle_buffer = shuffle_buffer
        self.label_namespace = label_namespace

    def read_index(self, file_path: str) -> ShardIndex:
        """The index of the shards named by `file_path`."""
        if not str(file_path).strip():
            raise ConfigurationError(
                "The shard path is empty. Set `train_data_path` / `validation_data_path` to a shard "
                "folder written by allencv.datasets.to_shards, or to a shard list such as "
                "shards/train/shard-{000000..000009}.tar."
            )
        return read_index(self.index or index_location(file_path), shards=str(file_path))

    def list_shards(self, file_path: str) -> List[ShardPart]:
        """Every shard named by `file_path`, with its sample count from the index."""
        index = self.read_index(file_path)
        urls = shard_urls(file_path, index)
        average = index.total / max(1, len(index.shards))
        return [ShardPart(url, index.shards.get(os.path.basename(url), average)) for url in urls]

    def my_shards(self, parts: List[ShardPart]) -> List[ShardPart]:
        """This reader's share of `parts`: its process's share, then its worker's share of that."""
        distributed = self.get_distributed_info()
        if distributed is not None:
            parts = split_parts(parts, distributed.world_size, distributed.global_rank)
        worker = self.get_worker_info()
        if worker is not None:
            parts = split_parts(parts, worker.num_workers, worker.id)
        return parts

    def _read(self, file_path: str) -> Iterable[Instance]:
        index = self.read_index(file_path)
        parts = self.my_shards(self.list_shards(file_path))
        self.skipped = SkippedFiles()
        # Drawn from torch's generator, which allennlp seeds and torch re-seeds in each data-loader
        # worker every epoch: a new order every pass, reproducible with the config's seeds.
        rng = random.Random(int(torch.randint(2**62, ()).item()))
        if self.shuffle_buffer:
            rng.shuffle(parts)
        samples = (sample for part in parts for sample in self._samples(part))
        if self.shuffle_buffer:
            samples = buffer_shuffled(samples, self.shuffle_buffer, rng)
        for sample in samples:
            instance = self._sample_to_instance(sample, index)
            if instance is not None:
                yield instance
        self.skipped.log(logger, str(file_path))

    def _samples(self, part: ShardPart) -> Iterator[Dict[str, Any]]:
        """The samples of `part`; a shard that cannot be read (to its end) is counted."""
        errors: List[Exception] = []

        def stop(error: Exception) -> bool:
            errors.append(error)
            return False

        wds = webdataset()
        samples = wds.tariterators.tarfile_samples([{"url": part.url}], handler=stop)
        for position, sample in enumerate(samples):
            if position % part.modulus == part.residue:
                yield sample
        if errors:
            error = errors[0]
            category = "missing shard" if isinstance(error, FileNotFoundError) else "unreadable shard"
            self.skip(ImageLoadError(part.url, category, f"{type(error).__name__}: {error}"))

    def _sample_to_instance(self, sample: Dict[str, Any], index: ShardIndex) -> Optional[Instance]:
        where = f"{sample.get('__url__')}:{sample.get('__key__')}"
        try:
            image, label, path = unpack_sample(sample, index)
            pixels = self.load_image(image)
        except ImageLoadError as error:
            self.skip(ImageLoadError(where, error.category, error.reason))
            return None
        return self.text_to_instance(pixels, label, image_path=path)

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        label: Optional[str] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """An instance for one image (anything `load_image` takes, e.g. encoded bytes)."""
        fields = self.image_fields(image, image_path)
        if label is not None:
            fields["label"] = TrainingLabelField(label, self.label_namespace, source=image_path)
        return Instance(fields)


def unpack_sample(sample: Dict[str, Any], index: ShardIndex) -> Tuple[bytes, str, Optional[str]]:
    """A sample's image bytes, label (its `cls` in the index's classes) and original path."""
    images = [key for key in sample if "." + key in IMAGE_EXTENSIONS]
    if len(images) != 1:
        raise ImageLoadError("", "bad sample", f"{len(images)} image entries (keys: {', '.join(sorted(sample))})")
    try:
        number = int(sample["cls"])
        label = index.classes[number]
        if number < 0:
            raise IndexError(number)
    except (KeyError, ValueError, IndexError) as error:
        raise ImageLoadError("", "bad sample", f"no class number of the index's {len(index.classes)} ({error!r})")
    try:
        path = json.loads(sample["json"]).get("path")
    except (KeyError, ValueError, AttributeError):
        path = None
    return sample[images[0]], label, path


def buffer_shuffled(items: Iterator[Any], size: int, rng: random.Random) -> Iterator[Any]:
    """`items` in random order, holding at most `size` of them at a time."""
    buffer: List[Any] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        position = rng.randrange(size)
        yield buffer[position]
        buffer[position] = item
    rng.shuffle(buffer)
    yield from buffer


def is_local(location: str) -> bool:
    return "://" not in location and not location.startswith("pipe:")


def index_location(file_path: str) -> str:
    """Where the index of the shards `file_path` names is: in the folder, or next to the first shard."""
    file_path = str(file_path)
    if is_local(file_path) and Path(file_path).expanduser().is_dir():
        return str(Path(file_path).expanduser() / INDEX_NAME)
    if file_path.startswith("pipe:"):
        raise ConfigurationError(
            f"The shard list {file_path!r} is a pipe: command, so the reader cannot tell where "
            f"its {INDEX_NAME} is; set the reader's `index` (a path, URL or pipe: command)."
        )
    first = webdataset().shardlists.expand_urls(file_path)[0]
    return os.path.join(os.path.dirname(first), INDEX_NAME)


def shard_urls(file_path: str, index: ShardIndex) -> List[str]:
    """The shards `file_path` names: those of a folder's index, or its expanded shard list."""
    file_path = str(file_path)
    if is_local(file_path) and Path(file_path).expanduser().is_dir():
        folder = Path(file_path).expanduser()
        return [str(folder / name) for name in index.shards]
    urls = webdataset().shardlists.expand_urls(file_path)
    if not urls:
        raise ConfigurationError(f"The shard list {file_path!r} names no shard.")
    return urls
