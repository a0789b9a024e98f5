"""The opt-in cache of decoded images: later epochs decode nothing, and random transforms stay fresh."""
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.data.data_loaders import TorchDataLoader
from allencv.data.dataset_readers import ImageClassificationDirectoryReader, image_dataset_reader
from allencv.data.transforms import HorizontalFlip, RandomCrop


def epoch(loader):
    return {metadata["image_path"]: image for batch in loader for metadata, image in zip(batch["metadata"], batch["image"])}


def test_later_epochs_decode_nothing_and_crops_are_redrawn(colour_folders, monkeypatch):
    decoded = []
    real_load_image = image_dataset_reader.load_image
    monkeypatch.setattr(image_dataset_reader, "load_image",
                        lambda source, **kwargs: decoded.append(source) or real_load_image(source, **kwargs))
    reader = ImageClassificationDirectoryReader(transforms=[RandomCrop(24, padding=4), HorizontalFlip()],
                                                decoded_cache_mb=1)
    loader = TorchDataLoader(reader, str(colour_folders / "train"), batch_size=64, shuffle=True)
    loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
    assert decoded == []  # the vocabulary needs no image
    torch.manual_seed(0)
    first = epoch(loader)
    decoded_in_first = len(decoded)
    second = epoch(loader)
    assert first.keys() == second.keys() and len(first) == 16
    assert decoded_in_first == 17  # 16 images and the broken one, which is never cached
    assert len(decoded) == decoded_in_first + 1  # only the broken file is tried again
    assert len(reader.decoded_cache) == 16
    assert any(not torch.equal(first[path], second[path]) for path in first)


def test_the_cache_keeps_to_its_budget(colour_folders):
    reader = ImageClassificationDirectoryReader(decoded_cache_mb=0)
    list(reader.read(str(colour_folders / "train")))
    assert len(reader.decoded_cache) == 0
    reader.decoded_cache.budget = 5 * 3 * 32 * 32  # five 32 px RGB images
    list(reader.read(str(colour_folders / "train")))
    assert len(reader.decoded_cache) == 5 and reader.decoded_cache.used == reader.decoded_cache.budget
    with pytest.raises(ConfigurationError, match="decoded_cache_mb"):
        ImageClassificationDirectoryReader(decoded_cache_mb=-1)
