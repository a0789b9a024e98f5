"""`TorchDataLoader`: allennlp's batching semantics, with every instance read once per epoch."""
import collections
import logging
import os
from pathlib import Path
from typing import List, Set

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.data.samplers import BucketBatchSampler

from allencv.data.data_loaders import TorchDataLoader, torch_data_loader
from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from tests.conftest import write_colour_folder

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")

#: Readable images in the `images` folder (its `red/broken.jpg` is not one).
NUM_IMAGES = 22


class StreamingDirectoryReader(DatasetReader):
    """A reader that is not an `IndexedReader`: the loader reads it iterable-style."""

    def __init__(self) -> None:
        super().__init__(manual_distributed_sharding=True, manual_multiprocess_sharding=True)
        self.folder_reader = ImageClassificationDirectoryReader()

    def _read(self, file_path: str):
        for item in self.shard_iterable(self.folder_reader.list_items(file_path)):
            instance = self.folder_reader.item_to_instance(item)
            if instance is not None:
                yield instance


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("loader") / "train"
    write_colour_folder(root, per_class=NUM_IMAGES // 2, size=8)
    (root / "red" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def make_loader(images: Path, reader=None, **options) -> TorchDataLoader:
    loader = TorchDataLoader(reader or ImageClassificationDirectoryReader(), str(images), **options)
    loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
    return loader


def epoch_paths(loader: DataLoader) -> List[List[str]]:
    """The image paths of each batch of one epoch."""
    return [[item["image_path"] for item in batch["metadata"]] for batch in loader]


def assert_each_image_once(batches: List[List[str]]) -> None:
    counts = collections.Counter(path for batch in batches for path in batch)
    assert len(counts) == NUM_IMAGES and set(counts.values()) == {1}


@pytest.mark.parametrize("num_workers", [0, 1, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_map_style_reads_every_image_once_per_epoch(images, num_workers, shuffle):
    loader = make_loader(images, batch_size=4, shuffle=shuffle, num_workers=num_workers)
    for _ in range(2):
        batches = epoch_paths(loader)
        assert_each_image_once(batches)
        # 23 listed files (one corrupt) make 6 batches; the corrupt file's batch is one short.
        assert len(batches) == len(loader) == 6
    if not shuffle:
        assert [path for batch in batches for path in batch] == sorted(path for batch in batches for path in batch)


def test_shuffle_draws_a_new_order_each_epoch(images):
    loader = make_loader(images, batch_size=4, shuffle=True, num_workers=2)
    torch.manual_seed(0)
    orders = [sum(epoch_paths(loader), []) for _ in range(3)]
    assert len({tuple(order) for order in orders}) == 3


@pytest.mark.parametrize("num_workers", [0, 2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_style_batches_do_not_depend_on_workers(images, num_workers, drop_last):
    loader = make_loader(images, StreamingDirectoryReader(), batch_size=4, num_workers=num_workers,
                         drop_last=drop_last, shuffle=True)
    batches = epoch_paths(loader)
    if drop_last:
        assert [len(batch) for batch in batches] == [4] * 5
    else:
        assert sorted(len(batch) for batch in batches) == [2, 4, 4, 4, 4, 4]
        assert_each_image_once(batches)
    with pytest.raises(TypeError):
        len(loader)  # unknown without reading everything, as for allennlp's lazy loading


def test_drop_last_drops_only_the_short_batch(images):
    loader = make_loader(images, batch_size=4, drop_last=True, num_workers=2)
    assert len(loader) == 5
    assert len(sum(epoch_paths(loader), [])) >= 19


@pytest.mark.parametrize("reader", [ImageClassificationDirectoryReader, StreamingDirectoryReader])
def test_distributed_processes_read_disjoint_shards(images, monkeypatch, reader):
    from allennlp.common import util

    world_size = 3
    monkeypatch.setattr(util, "is_distributed", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda: world_size)
    seen, batch_counts = [], set()
    for rank in range(world_size):
        monkeypatch.setattr(torch.distributed, "get_rank", lambda: rank)
        loader = make_loader(images, reader(), batch_size=3, shuffle=True, num_workers=2)
        batches = epoch_paths(loader)
        seen.extend(sum(batches, []))
        batch_counts.add(len(batches))
    counts = collections.Counter(seen)
    assert len(counts) == NUM_IMAGES and set(counts.values()) == {1}
    if reader is ImageClassificationDirectoryReader:
        # Shards of 8, 8 and 7 files (one corrupt) all make 3 batches, so no process stops early.
        assert batch_counts == {3}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("persistent_workers", [False, True])
def test_repeated_multi_worker_epochs_do_not_hang(images, persistent_workers):
    loader = make_loader(images, batch_size=2, shuffle=True, num_workers=2, persistent_workers=persistent_workers,
                         timeout=60)
    for epoch in range(6):
        if epoch % 2:
            next(iter(loader))  # an epoch abandoned after one batch must not leave workers stuck
        else:
            assert_each_image_once(epoch_paths(loader))


class PidRecordingReader(ImageClassificationDirectoryReader):
    """Notes in each instance's metadata the process that read it."""

    def item_to_instance(self, item):
        instance = super().item_to_instance(item)
        if instance is not None:
            instance["metadata"].metadata["pid"] = os.getpid()
        return instance


def reading_processes(loader: DataLoader) -> Set[int]:
    return {item["pid"] for batch in loader for item in batch["metadata"]}


@pytest.mark.timeout(120)
def test_workers_persist_between_epochs_by_default(images):
    loader = make_loader(images, PidRecordingReader(), batch_size=2, shuffle=True, num_workers=2)
    first = reading_processes(loader)
    assert len(first) == 2 and os.getpid() not in first
    assert reading_processes(loader) == first  # the same two workers: no fork of the trainer per epoch
    fresh = make_loader(images, PidRecordingReader(), batch_size=2, num_workers=2, persistent_workers=False)
    assert reading_processes(fresh).isdisjoint(reading_processes(fresh))


def test_batches_per_epoch_continues_where_the_last_epoch_stopped(images):
    loader = make_loader(images, batch_size=4, num_workers=2, batches_per_epoch=4)
    assert len(loader) == 4
    first, second = epoch_paths(loader), epoch_paths(loader)
    assert len(first) == len(second) == 4
    # Batches 1-4, then 5-6 of the same pass and 1-2 of the next.
    assert_each_image_once(first + second[:2])
    assert second[2:] == first[:2]


def test_batch_sampler_plans_the_batches(images):
    sampler = BucketBatchSampler(batch_size=5, sorting_keys=["image"])
    loader = make_loader(images, batch_sampler=sampler, num_workers=2, max_instances_in_memory=10)
    batches = epoch_paths(loader)
    assert_each_image_once(batches)
    assert max(len(batch) for batch in batches) == 5


def test_skipped_files_are_counted_once_per_epoch(images, caplog):
    loader = make_loader(images, batch_size=4, num_workers=2)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        epoch_paths(loader)
    warnings = [record.message for record in caplog.records if "Skipped" in record.message]
    assert len(warnings) == 1 and "Skipped 1 file(s)" in warnings[0] and "broken.jpg" in warnings[0]


def test_batches_are_uint8_images_normalized_at_batching(images):
    reader = DatasetReader.from_params(Params({
        "type": "image_classification_directory",
        "transforms": [{"type": "resize", "size": 6}, {"type": "normalize"}],
    }))
    loader = make_loader(images, reader, batch_size=4, num_workers=1)
    batch = next(iter(loader))
    assert batch["image"].shape == (4, 3, 6, 6) and batch["image"].dtype == torch.float32
    assert batch["label"].shape == (4,)
    assert batch["image"].min() < 0  # normalized with ImageNet's mean


def test_built_from_a_config(images):
    params = Params({"type": "torch", "batch_size": 5, "shuffle": True, "num_workers": 2, "drop_last": True})
    loader = DataLoader.from_params(params, reader=ImageClassificationDirectoryReader(), data_path=str(images))
    assert isinstance(loader, TorchDataLoader) and len(loader) == 4
    with pytest.raises(ValueError, match="index_with"):
        next(iter(loader))


@pytest.mark.parametrize(
    "options, key",
    [
        ({"batch_size": 4, "batch_sampler": BucketBatchSampler(batch_size=4)}, "batch_sampler"),
        ({}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 4, "batches_per_epoch": 0}, "batches_per_epoch"),
        ({"batch_size": 4, "num_workers": -1}, "num_workers"),
        ({"batch_size": 4, "max_instances_in_memory": 2}, "max_instances_in_memory"),
    ],
)
def test_bad_options_fail_when_built(images, options, key):
    with pytest.raises(ConfigurationError, match=f"data_loader.{key}"):
        TorchDataLoader(ImageClassificationDirectoryReader(), str(images), **options)


def test_a_missing_folder_fails_when_built(images):
    with pytest.raises(ConfigurationError, match="does not exist"):
        TorchDataLoader(ImageClassificationDirectoryReader(), str(images.parent / "valid"), batch_size=2)


def test_set_target_device_moves_batches(images):
    loader = make_loader(images, batch_size=4)
    loader.set_target_device(torch.device("meta"))
    assert next(iter(loader))["image"].device.type == "meta"


def test_on_a_gpu_batches_are_pinned_and_copied_non_blocking(colour_folders, monkeypatch):
    """The options the trainer's GPU gets (this machine has none: the copy itself is faked)."""
    loader = TorchDataLoader(ImageClassificationDirectoryReader(),
                             str(colour_folders / "train"), batch_size=4)
    loader.set_target_device(torch.device("cpu"))
    assert not loader.pin_memory and not loader._make_loader().pin_memory
    loader.set_target_device(torch.device("cuda", 0))
    assert loader.pin_memory and loader._make_loader().pin_memory
    assert not TorchDataLoader(loader.reader, loader.data_path, batch_size=4, pin_memory=False,
                               cuda_device="cuda:0").pin_memory

    copies = []

    def fake_to(tensor, device, non_blocking=False):
        copies.append((device, non_blocking))
        return tensor

    monkeypatch.setattr(torch.Tensor, "to", fake_to)
    batch = torch_data_loader.to_device({"image": torch.zeros(2, 3), "metadata": [{"a": 1}], "nested": {"x": torch.ones(1)}},
                                        torch.device("cuda", 0))
    assert copies == [(torch.device("cuda", 0), True)] * 2
    assert batch["metadata"] == [{"a": 1}]
