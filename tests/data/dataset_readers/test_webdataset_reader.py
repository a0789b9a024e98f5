"""The `webdataset` reader: tar shards written by `allencv.datasets.to_shards`."""
import collections
import itertools
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader, Vocabulary

from allencv.data.data_loaders import TorchDataLoader
from allencv.data.dataset_readers import WebDatasetReader
from allencv.data.dataset_readers.webdataset_reader import ShardPart, split_parts
from allencv.data.webdataset_support import webdataset
from tests.conftest import write_colour_shards

#: 2 classes of 12 images in shards of 5: 5, 5, 5, 5 and 4 samples.
PER_CLASS = 12


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    return write_colour_shards(tmp_path_factory.mktemp("shards"), per_class=PER_CLASS, shard_size=5)


def paths(instances) -> list:
    return [instance["metadata"]["image_path"] for instance in instances]


def test_reads_every_sample_with_its_label_from_the_folder(shards):
    instances = list(WebDatasetReader().read(str(shards)))
    assert len(instances) == 2 * PER_CLASS
    for instance in instances:
        assert instance["metadata"]["image_path"].split("/")[0] == instance["label"].label
        assert instance["image"].image.shape == (3, 8, 8)
    assert len(set(paths(instances))) == 2 * PER_CLASS


def test_a_brace_pattern_with_a_missing_shard_reads_the_others_and_counts_it(shards):
    reader = WebDatasetReader()
    instances = list(reader.read(str(shards / "shard-{000000..000005}.tar")))
    assert len(instances) == 2 * PER_CLASS
    assert reader.skipped.counts == {"missing shard": 1}
    assert reader.skipped.examples[0][0].endswith("shard-000005.tar")


def test_a_truncated_shard_keeps_its_first_samples_and_the_pass_goes_on(shards, tmp_path, caplog):
    copy = tmp_path / "shards"
    shutil.copytree(shards, copy)
    damaged = copy / "shard-000001.tar"
    damaged.write_bytes(damaged.read_bytes()[:2000])  # about 1 of its 5 samples
    reader = WebDatasetReader()
    instances = list(reader.read(str(copy)))
    assert reader.skipped.counts["unreadable shard"] == 1
    assert 2 * PER_CLASS - 5 <= len(instances) < 2 * PER_CLASS
    assert "1 unreadable shard" in caplog.text


def test_a_corrupt_or_incomplete_sample_is_skipped_and_counted(shards, tmp_path):
    shutil.copy(shards / "index.json", tmp_path / "index.json")
    with webdataset().TarWriter(str(tmp_path / "bad-000000.tar")) as writer:
        writer.write({"__key__": "a", "jpg": b"not a jpeg", "cls": 0, "json": {"path": "a.jpg"}})
        writer.write({"__key__": "b", "png": (shards.parent / "folder" / "red" / "1.png").read_bytes(), "cls": 7})
        writer.write({"__key__": "c", "png": (shards.parent / "folder" / "red" / "1.png").read_bytes(), "cls": 1})
    reader = WebDatasetReader()
    instances = list(reader.read(str(tmp_path / "bad-000000.tar")))
    assert [instance["label"].label for instance in instances] == ["red"]
    assert sum(reader.skipped.counts.values()) == 2 and reader.skipped.counts["bad sample"] == 1


def test_pipe_commands_read_with_the_index_given(shards):
    reader = WebDatasetReader(index=f"pipe:cat {shards / 'index.json'}")
    instances = list(reader.read(f"pipe:cat {shards / 'shard-000000.tar'}::pipe:cat {shards / 'shard-000004.tar'}"))
    assert len(instances) == 5 + 4
    with pytest.raises(ConfigurationError, match="set the reader's `index`"):
        list(WebDatasetReader().read(f"pipe:cat {shards / 'shard-000000.tar'}"))


def test_a_missing_index_or_an_empty_path_fails_naming_it(tmp_path):
    with pytest.raises(ConfigurationError, match=f"Cannot read the shard index {tmp_path / 'index.json'} of the"):
        list(WebDatasetReader().read(str(tmp_path / "train-{000000..000003}.tar")))
    with pytest.raises(ConfigurationError, match="shards .*trian"):
        list(WebDatasetReader().read(str(tmp_path / "trian")))  # a misspelt shard folder
    with pytest.raises(ConfigurationError, match="The shard path is empty"):
        list(WebDatasetReader().read(""))


@pytest.mark.parametrize("num_shards", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("num_readers", [1, 2, 3, 4])
def test_split_parts_gives_disjoint_shares_covering_every_sample(num_shards, num_readers):
    counts = [5, 5, 3, 7, 1, 4, 2][:num_shards]
    parts = [ShardPart(f"shard-{n}", count) for n, count in enumerate(counts)]
    seen = collections.Counter()
    for process in range(2):  # 2 processes of `num_readers` workers
        for worker in range(num_readers):
            for part in split_parts(split_parts(parts, 2, process), num_readers, worker):
                count = counts[int(part.url.split("-")[1])]
                seen.update((part.url, i) for i in range(count) if i % part.modulus == part.residue)
    assert len(seen) == sum(counts) and set(seen.values()) == {1}


def test_shuffle_buffer_and_transforms_are_new_every_pass(shards):
    reader = DatasetReader.from_params(Params({
        "type": "webdataset", "shuffle_buffer": 8, "transforms": [{"type": "random_crop", "size": 6}]}))
    first, second = list(reader.read(str(shards))), list(reader.read(str(shards)))
    assert sorted(paths(first)) == sorted(paths(second)) and paths(first) != paths(second)
    crops = {path: instance["image"].image for path, instance in zip(paths(first), first)}
    assert any(not torch.equal(crops[path], instance["image"].image) for path, instance in zip(paths(second), second))


def test_the_shard_index_vocabulary_needs_no_decoding(shards):
    vocab = Vocabulary.from_params(Params({"type": "shard_index", "index": str(shards / "index.json")}))
    assert vocab.get_index_to_token_vocabulary("labels") == {0: "blue", 1: "red"}


def _read_epochs(rank: int, world_size: int, port: int, shards: str, queue) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                         world_size=world_size)
    reader = WebDatasetReader(shuffle_buffer=4)
    loader = TorchDataLoader(reader, shards, batch_size=3, num_workers=2)
    loader.index_with(Vocabulary.from_params(Params({"type": "shard_index", "index": shards + "/index.json"})))
    epochs = [[item["image_path"] for batch in loader for item in batch["metadata"]] for _ in range(2)]
    queue.put((rank, epochs))
    torch.distributed.destroy_process_group()


@pytest.mark.timeout(300)
def test_two_processes_of_two_workers_read_every_sample_once_per_epoch(tmp_path):
    # 2 classes of 13: shards of 4, 4, 4, 4, 4, 4 and 2 samples, uneven over 2 x 2 readers.
    shards = write_colour_shards(tmp_path, per_class=13, shard_size=4)
    from allennlp.common.util import find_open_port

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    port = find_open_port()
    processes = [context.Process(target=_read_epochs, args=(rank, 2, port, str(shards), queue)) for rank in range(2)]
    for process in processes:
        process.start()
    results = dict(queue.get(timeout=240) for _ in processes)
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    for epoch in range(2):
        counts = collections.Counter(itertools.chain(*(results[rank][epoch] for rank in range(2))))
        print(f"epoch {epoch}: {len(counts)} distinct samples, seen {sorted(set(counts.values()))} time(s) each; "
              f"per process {[len(results[rank][epoch]) for rank in range(2)]}")
        assert len(counts) == 26 and set(counts.values()) == {1}
    assert results[0][0] != results[0][1]  # a new order every epoch


@pytest.mark.slow  # an interpreter start-up
def test_without_the_webdataset_package_allencv_imports_and_reading_says_how_to_install(shards):
    code = ("import sys; sys.modules['webdataset'] = None\nimport allencv\n"
            "from allencv.data.dataset_readers import WebDatasetReader\n"
            f"list(WebDatasetReader().read({str(shards)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "pip install 'allencv[shards]'" in result.stderr
