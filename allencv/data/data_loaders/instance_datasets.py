"""
The `torch.utils.data` datasets behind `TorchDataLoader`: instances are read, indexed and collated
into tensor dicts inside the loader's workers, so one shared-memory batch crosses processes
instead of one pickled `Instance` per image.
"""
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, List, Optional, Sequence, Union

import torch
from allennlp.common.util import lazy_groups_of, shuffle_iterable
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders.data_loader import TensorDict
from allennlp.data.dataset_readers import DatasetReader, DatasetReaderInput, WorkerInfo
from allennlp.data.samplers import BatchSampler

from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.dataset_readers.skipped_files import SkippedFiles

#: How many instances a worker hands back at once when it does not collate them.
UNCOLLATED_GROUP_SIZE = 64

Collate = Callable[[List[Instance]], TensorDict]


@dataclass
class LoadedBatch:
    """
    What a worker hands back: a collated `batch`, or the `instances` themselves (when the main
    process still has to batch them), and the files skipped while reading them.
    """

    batch: Optional[TensorDict] = None
    instances: List[Instance] = field(default_factory=list)
    skipped: SkippedFiles = field(default_factory=SkippedFiles)

    def pin_memory(self) -> "LoadedBatch":
        """Called by `torch.utils.data.DataLoader(pin_memory=True)`."""
        return LoadedBatch(pinned(self.batch), self.instances, self.skipped)


def pinned(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.pin_memory()
    if isinstance(value, dict):
        return {key: pinned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [pinned(item) for item in value]
    return value


def unchanged(loaded: Any) -> Any:
    """A `collate_fn` for datasets that collate themselves."""
    return loaded


def prepare(reader: DatasetReader, instance: Instance, vocab: Optional[Vocabulary]) -> Instance:
    reader.apply_token_indexers(instance)
    if vocab is not None:
        instance.index_fields(vocab)
    return instance


class IndexedInstances(torch.utils.data.Dataset):
    """
    Map-style: position `i` is the instance of the `IndexedReader`'s item `i` (decoded when asked
    for); `__getitems__` builds a whole batch, collated by `collate_fn`. With `batch_size`, a batch
    left with fewer instances (files in it were skipped, or it is the epoch's last) goes back as
    instances, for the main process to pool into full batches: a corrupt file does not leave a
    short batch (a batch of one fails in BatchNorm's training mode).
    """

    def __init__(
        self, reader: IndexedReader, items: Sequence[Any], collate_fn: Collate, batch_size: Optional[int] = None
    ) -> None:
        self.reader = reader
        self.items = items
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.vocab: Optional[Vocabulary] = None

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Optional[Instance]:
        instance = self.reader.item_to_instance(self.items[index])
        if instance is None:
            return None
        return prepare(self.reader, instance, self.vocab)  # type: ignore[arg-type]

    def __getitems__(self, indices: List[int]) -> LoadedBatch:
        instances = [instance for instance in map(self.__getitem__, indices) if instance is not None]
        skipped, self.reader.skipped = self.reader.skipped, SkippedFiles()
        if not instances or (self.batch_size is not None and len(instances) < self.batch_size):
            return LoadedBatch(instances=instances, skipped=skipped)
        return LoadedBatch(batch=self.collate_fn(instances), skipped=skipped)


class ReaderBatches(torch.utils.data.IterableDataset):
    """
    Iterable-style, for any `DatasetReader`: each worker reads its shard (`reader.read`, which
    calls `shard_iterable`) and batches it. With `batch_size`, full batches are collated in the
    worker and the last partial one goes back as instances, for the main process to pool with the
    other workers' (so batch counts and `drop_last` do not depend on `num_workers`); with a
    `batch_sampler`, it plans the batches of each chunk of `chunk_size` instances. Without a
    `collate_fn`, it hands back the instances, in reading order.
    """

    def __init__(
        self,
        reader: DatasetReader,
        data_path: DatasetReaderInput,
        collate_fn: Optional[Collate],
        batch_size: Optional[int] = None,
        shuffle: bool = False,
        batch_sampler: Optional[BatchSampler] = None,
        chunk_size: Optional[int] = None,
    ) -> None:
        self.reader = reader
        self.data_path = data_path
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.batch_sampler = batch_sampler
        self.chunk_size = chunk_size
        self.vocab: Optional[Vocabulary] = None

    def __iter__(self) -> Iterator[LoadedBatch]:
        worker = torch.utils.data.get_worker_info()
        if worker is not None:
            self.reader._set_worker_info(WorkerInfo(worker.num_workers, worker.id))
        instances: Iterator[Instance] = (
            prepare(self.reader, instance, self.vocab) for instance in self.reader.read(self.data_path)
        )
        if self.collate_fn is None:
            for group in lazy_groups_of(instances, UNCOLLATED_GROUP_SIZE):
                yield LoadedBatch(instances=group)
            return
        for batch in self._plan(instances):
            if self.batch_sampler is None and len(batch) < self.batch_size:  # type: ignore[operator]
                yield LoadedBatch(instances=batch)
            else:
                yield LoadedBatch(batch=self.collate_fn(batch))

    def _plan(self, instances: Iterator[Instance]) -> Iterator[List[Instance]]:
        if self.batch_sampler is not None:
            chunks = lazy_groups_of(instances, self.chunk_size) if self.chunk_size else [list(instances)]
            for chunk in chunks:
                for indices in self.batch_sampler.get_batch_indices(chunk):
                    yield [chunk[index] for index in indices]
            return
        shuffled: Union[Iterator[Instance], List[Instance]] = instances
        if self.shuffle and self.chunk_size:
            shuffled = iter(shuffle_iterable(instances, self.chunk_size))
        elif self.shuffle:
            shuffled = list(instances)
            random.shuffle(shuffled)
        yield from lazy_groups_of(shuffled, self.batch_size)  # type: ignore[arg-type]
