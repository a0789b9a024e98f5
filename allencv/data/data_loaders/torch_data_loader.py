import logging
from typing import Any, Iterator, List, Optional, Sequence, Union

import torch
import torch.distributed as dist
from allennlp.common import util
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders.data_collator import DataCollator, DefaultDataCollator
from allennlp.data.data_loaders.data_loader import DataLoader, TensorDict
from allennlp.data.dataset_readers import DatasetReader, DatasetReaderInput
from allennlp.data.samplers import BatchSampler

from allencv.data.data_loaders.instance_datasets import (
    IndexedInstances,
    LoadedBatch,
    ReaderBatches,
    prepare,
    unchanged,
)
from allencv.data.data_loaders.shard_batches import ShardBatches
from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.dataset_readers.skipped_files import SkippedFiles

logger = logging.getLogger(__name__)


@DataLoader.register("torch")
class TorchDataLoader(DataLoader):
    """
    A `DataLoader` built on `torch.utils.data.DataLoader`, with the options and batching semantics
    of allennlp's `MultiProcessDataLoader`, minus its costs: its workers read, index **and
    collate** instances, so each batch crosses processes once, as shared-memory tensors, and
    nothing is cached, so memory does not grow with the dataset and random augmentations are
    drawn afresh every epoch.

    How it reads depends on the reader:

    - An `IndexedReader` (e.g. `image_classification_directory`) is read **map-style**, like
      torchvision's `ImageFolder`: its items (file names) are listed once, `shuffle` permutes all
      of them every epoch, and each worker decodes only its batches' items. `len()` is known.
    - Any other `DatasetReader`, or any reader with a `batch_sampler`, is read
      **iterable-style**: each worker reads its shard through `reader.read()` (the reader's
      `shard_iterable`), shuffling within `max_instances_in_memory` instances, or within its
      whole shard when that is not set. Leftover instances of the workers are pooled into the last
      batches, so the batches do not depend on `num_workers`. A `batch_sampler` plans the batches
      of each chunk of `max_instances_in_memory` instances of a worker (its whole shard when not
      set). `len()` is unknown unless `batches_per_epoch` is set.

    Either way every instance is read exactly once per epoch, whatever `num_workers`, and under
    distributed training each process reads a disjoint `1 / world_size` of the data (every
    `world_size`-th item, as `shard_iterable` does). Map-style, every process also runs the same
    number of batches (see `ShardBatches`), so that allennlp's trainer, which stops all processes
    when the first one runs out of batches, trains and validates on all of the data; iterable-style
    shard sizes are unknown, so a process may stop a batch short, as with allennlp's own loader.
    Files the reader skips (corrupt images) are counted and logged once per pass; outside
    distributed training, the batches they leave short are pooled into full ones at the end of
    the epoch, as iterable-style leftovers are.

    Registered as a `DataLoader` with name "torch", and made the **default** `DataLoader` when
    AllenCV is imported (see `DEFAULT_LOADER` below): a config that leaves out `data_loader.type`,
    such as the seed tutorial's `data_loader: {batch_size: 32}`, gets this loader rather than
    allennlp's `multiprocess` one, which caches every instance after the first pass (so memory grows
    with the dataset and random augmentations are drawn only once). The options are the same.

    # Parameters

    reader : `DatasetReader`
        Not an entry of the `data_loader` config: `allennlp train` passes the `dataset_reader`.
    data_path : `DatasetReaderInput`
        Not an entry of the config either: `train_data_path`, `validation_data_path`, ...
    batch_size : `int`, optional
        Instances per batch; required unless `batch_sampler` is given.
    drop_last : `bool`, optional (default = `False`)
        Drop the last batch of an epoch when it is smaller than `batch_size`.
    shuffle : `bool`, optional (default = `False`)
        Shuffle every epoch (see above for how, per kind of reader).
    batch_sampler : `BatchSampler`, optional
        An allennlp batch sampler (e.g. `bucket`), instead of `batch_size`, `shuffle` and
        `drop_last`.
    batches_per_epoch : `int`, optional
        Exactly this many batches per call to `__iter__`, carrying on where the last call stopped
        and starting a new pass over the data when one ends.
    num_workers : `int`, optional (default = `0`)
        Worker processes that read and batch the data (0: the main process does).
    max_instances_in_memory : `int`, optional
        For iterable-style reading: the shuffle buffer, and the chunk a `batch_sampler` plans.
    prefetch_factor : `int`, optional (default = `2`)
        Batches each worker prepares ahead.
    persistent_workers : `bool`, optional (default = `True`)
        Keep the workers alive between epochs (when `num_workers` > 0). New workers every epoch
        cost more than their start-up: each is a `fork` of the training process, after which the
        first write to each page of its memory (the activations and gradients that every step
        reuses) takes a page fault, and a copy while the workers live: once per page, every epoch.
        Persistent workers also keep what they cache (`decoded_cache_mb`) from one epoch to the
        next. The cost: idle workers stay alive, with their memory, as long as the loader does (the
        validation loader's as well as the training loader's). `false`, torch's default, starts
        new workers every epoch.
    pin_memory : `bool`, optional (default = `True` when training on a GPU, else `False`)
        Put batches in pinned (page-locked) memory, so that their copies to the GPU, which are
        `non_blocking`, overlap the computation.
    timeout : `float`, optional (default = `0`)
        Seconds to wait for a worker's batch before failing (0: wait for ever). Dead workers are
        detected and reported whatever this is.
    start_method : `str`, optional (default = `"fork"`)
        How workers are started: "fork", "spawn" or "forkserver".
    cuda_device : `Union[int, str, torch.device]`, optional
        Put batches on this device; the trainer sets it (`set_target_device`).
    quiet : `bool`, optional (default = `False`)
        No progress bar while reading instances for the vocabulary.
    collate_fn : `DataCollator`, optional (default = allennlp's)
        Turns a list of instances into a tensor dict (in the workers).
    """

    def __init__(
        self,
        reader: DatasetReader,
        data_path: DatasetReaderInput,
        *,
        batch_size: Optional[int] = None,
        drop_last: bool = False,
        shuffle: bool = False,
        batch_sampler: Optional[BatchSampler] = None,
        batches_per_epoch: Optional[int] = None,
        num_workers: int = 0,
        max_instances_in_memory: Optional[int] = None,
        prefetch_factor: int = 2,
        persistent_workers: bool = True,
        pin_memory: Optional[bool] = None,
        timeout: float = 0,
        start_method: str = "fork",
        cuda_device: Optional[Union[int, str, torch.device]] = None,
        quiet: bool = False,
        collate_fn: DataCollator = DefaultDataCollator(),
    ) -> None:
        check_options(batch_size, drop_last, shuffle, batch_sampler, batches_per_epoch, num_workers,
                      max_instances_in_memory)
        self.reader = reader
        self.data_path = data_path
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.batch_sampler = batch_sampler
        self.batches_per_epoch = batches_per_epoch
        self.num_workers = num_workers
        self.max_instances_in_memory = max_instances_in_memory
        self.collate_fn = collate_fn
        self.quiet = quiet
        self.cuda_device: Optional[torch.device] = None if cuda_device is None else torch.device(cuda_device)
        self._worker_options = (
            dict(prefetch_factor=prefetch_factor, persistent_workers=persistent_workers,
                 timeout=timeout, multiprocessing_context=start_method)
            if num_workers > 0 else {}
        )
        self._pin_memory = pin_memory
        self._vocab: Optional[Vocabulary] = None
        self._loader: Optional[torch.utils.data.DataLoader] = None
        self._batch_generator: Optional[Iterator[TensorDict]] = None
        self._num_listed = 0
        self._world_size = 1
        # Listing the items also checks the data path now, before any training.
        self._items: Optional[Sequence] = (
            self._list_items() if isinstance(reader, IndexedReader) and batch_sampler is None else None
        )

    def _list_items(self) -> Sequence:
        items = self.reader.list_items(self.data_path)  # type: ignore[attr-defined]
        if self.reader.max_instances is not None:
            items = items[: self.reader.max_instances]
        self._num_listed = len(items)
        if util.is_distributed():
            self._world_size = dist.get_world_size()
            items = items[dist.get_rank():: self._world_size]
        return items

    def index_with(self, vocab: Vocabulary) -> None:
        self._vocab = vocab
        self._loader = None

    def set_target_device(self, device: torch.device) -> None:
        self.cuda_device = device
        self._loader = None  # whether to pin memory depends on the device

    def __len__(self) -> int:
        if self.batches_per_epoch is not None:
            return self.batches_per_epoch
        if self._items is None:
            # Iterable-style reading cannot know its length without reading everything.
            raise TypeError
        # The batches planned for the listed items: when files turn out corrupt as they are
        # decoded, their batches are pooled and the epoch may run fewer.
        return len(self._sampler(self.shuffle, self.drop_last))

    def __iter__(self) -> Iterator[TensorDict]:
        if self._vocab is None:
            raise ValueError(
                "This DataLoader has not been indexed with a Vocabulary yet. "
                "Did you forget to call DataLoader.index_with(vocab)?"
            )
        if self.batches_per_epoch is None:
            yield from self._iter_batches()
            return
        batches = self._batch_generator or self._iter_batches()
        # Not kept on `self` while iterating, so that spawned workers need not pickle it.
        self._batch_generator = None
        for _ in range(self.batches_per_epoch):
            try:
                yield next(batches)
            except StopIteration:
                batches = self._iter_batches()
                yield next(batches)
        self._batch_generator = batches

    def iter_instances(self) -> Iterator[Instance]:
        """
        Every instance of one pass, indexed when a vocabulary is set. For an `IndexedReader`
        these are its items' label instances (`item_to_label_instance`), made from the listing
        without decoding a single image: all that allennlp's vocabulary building and class counts
        use. Other readers' instances are read in full, by the workers.
        """
        if self._items is not None:
            labelled = map(self.reader.item_to_label_instance, self._items)  # type: ignore[attr-defined]
            instances = (prepare(self.reader, instance, self._vocab) for instance in labelled if instance is not None)
        else:
            batches = self._torch_loader(self._reader_batches(collate=False), None)
            instances = (instance for loaded in self._counted(batches) for instance in loaded.instances)
        yield from instances if self.quiet else Tqdm.tqdm(instances, desc="loading instances")

    def _iter_batches(self) -> Iterator[TensorDict]:
        if self._loader is None:
            self._loader = self._make_loader()
        for batch in self._pool_leftovers(self._counted(self._loader)):
            yield batch if self.cuda_device is None else to_device(batch, self.cuda_device)

    @property
    def pin_memory(self) -> bool:
        """Whether batches go to pinned memory: as configured, or when the target device is a GPU."""
        if self._pin_memory is not None:
            return self._pin_memory
        return self.cuda_device is not None and self.cuda_device.type == "cuda"

    def _make_loader(self) -> torch.utils.data.DataLoader:
        if self._items is not None:
            # Under distributed training every process must run as many batches as planned: no pooling.
            pooled = self.batch_size if self._world_size == 1 else None
            dataset = IndexedInstances(self.reader, self._items, self.collate_fn, pooled)  # type: ignore[arg-type]
            dataset.vocab = self._vocab
            return self._torch_loader(dataset, self._sampler(self.shuffle, self.drop_last))
        return self._torch_loader(self._reader_batches(collate=True), None)

    def _reader_batches(self, collate: bool) -> ReaderBatches:
        dataset = ReaderBatches(
            self.reader,
            self.data_path,
            self.collate_fn if collate else None,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            batch_sampler=self.batch_sampler,
            chunk_size=self.max_instances_in_memory,
        )
        dataset.vocab = self._vocab
        return dataset

    def _sampler(self, shuffle: bool, drop_last: bool) -> ShardBatches:
        return ShardBatches(
            self._num_listed,
            len(self._items),  # type: ignore[arg-type]
            self.batch_size or 1,
            shuffle,
            drop_last,
            self._world_size,
        )

    def _torch_loader(self, dataset, batch_sampler) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=None if batch_sampler is None else 1,
            batch_sampler=batch_sampler,
            collate_fn=unchanged,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            **self._worker_options,
        )

    def _counted(self, loaded_batches) -> Iterator[LoadedBatch]:
        """The batches of one pass; logs the files skipped in it at its end."""
        skipped = SkippedFiles()
        for loaded in loaded_batches:
            skipped.update(loaded.skipped)
            yield loaded
        if self._items is not None:  # iterable-style readers log their own skips
            skipped.log(logger, str(self.data_path))

    def _pool_leftovers(self, loaded_batches: Iterator[LoadedBatch]) -> Iterator[TensorDict]:
        """Collated batches as they come; workers' leftover instances batched at the end."""
        leftovers: List[Instance] = []
        for loaded in loaded_batches:
            if loaded.batch is not None:
                yield loaded.batch
            else:
                leftovers.extend(loaded.instances)
        while leftovers:
            batch, leftovers = leftovers[: self.batch_size], leftovers[self.batch_size:]
            if self.drop_last and len(batch) < self.batch_size:  # type: ignore[operator]
                return
            yield self.collate_fn(batch)


def to_device(value: Any, device: torch.device) -> Any:
    """`value` (a batch: tensors in dicts and lists) on `device`, copied `non_blocking`."""
    if isinstance(value, torch.Tensor):
        return value if value.device == device else value.to(device, non_blocking=True)
    if isinstance(value, dict):
        return {key: to_device(item, device) for key, item in value.items()}
    if isinstance(value, list):
        return [to_device(item, device) for item in value]
    return value


def check_options(
    batch_size: Optional[int],
    drop_last: bool,
    shuffle: bool,
    batch_sampler: Optional[BatchSampler],
    batches_per_epoch: Optional[int],
    num_workers: int,
    max_instances_in_memory: Optional[int],
) -> None:
    """Fails at construction, naming the `data_loader` option, when the options cannot work."""
    if batch_sampler is not None and (batch_size is not None or drop_last or shuffle):
        raise ConfigurationError(
            "data_loader.batch_sampler cannot be combined with batch_size, shuffle or drop_last; "
            "the sampler decides the batches. Remove one or the other."
        )
    if batch_sampler is None and (batch_size is None or batch_size < 1):
        raise ConfigurationError(
            f"data_loader.batch_size must be a positive integer (got {batch_size}), "
            "unless a batch_sampler is given."
        )
    if batches_per_epoch is not None and batches_per_epoch < 1:
        raise ConfigurationError(f"data_loader.batches_per_epoch must be at least 1, got {batches_per_epoch}.")
    if num_workers < 0:
        raise ConfigurationError(f"data_loader.num_workers must be 0 or more, got {num_workers}.")
    if max_instances_in_memory is not None and max_instances_in_memory < max(1, batch_size or 1):
        raise ConfigurationError(
            f"data_loader.max_instances_in_memory ({max_instances_in_memory}) must be at least "
            f"the batch_size ({batch_size}) and at least 1."
        )


#: allennlp's `DataLoader.from_params` builds this implementation when a config gives no `type`.
#: AllenCV replaces allennlp's "multiprocess", whose instance cache draws random transforms once
#: and holds the whole decoded dataset in memory; `type: "multiprocess"` still selects it.
DEFAULT_LOADER = "torch"
DataLoader.default_implementation = DEFAULT_LOADER
