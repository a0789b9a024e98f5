import logging

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.data.image_loading import ImageLoadError
from tests.conftest import colour_image


def make_reader(**extra):
    params = {"type": "image_classification_directory", "transforms": [{"type": "resize", "size": [16, 16]}]}
    return DatasetReader.from_params(Params({**params, **extra}))


def test_reads_every_image_once_with_its_label(colour_folders, caplog):
    reader = make_reader()
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(colour_folders / "train"))
    assert len(instances) == 16
    labels = [instance["label"].label for instance in instances]
    assert labels == ["blue"] * 8 + ["red"] * 8
    paths = [instance["metadata"]["image_path"] for instance in instances]
    assert len(set(paths)) == 16
    assert tuple(instances[0]["image"].image.shape) == (3, 16, 16)
    # The corrupt file is skipped, counted and named.
    assert reader.skipped.as_dict() == {"not an image": 1}
    assert "Skipped 1 file(s)" in caplog.text and "broken.jpg" in caplog.text


def test_all_common_formats_in_any_case(tmp_path):
    formats = {"a.JPG": "JPEG", "b.jpeg": "JPEG", "c.Png": "PNG", "d.bmp": "BMP", "e.GIF": "GIF",
               "f.webp": "WEBP", "g.tif": "TIFF", "h.TIFF": "TIFF"}
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for name, format in formats.items():
        colour_image((10, 200, 10)).save(tmp_path / "x" / name, format=format)
    colour_image((200, 10, 10)).save(tmp_path / "y" / "only.png")
    reader = make_reader()
    assert len(list(reader.read(tmp_path))) == len(formats) + 1
    assert reader.skipped.total == 0


def test_on_error_raise_names_the_file(colour_folders):
    with pytest.raises(ImageLoadError, match="broken.jpg"):
        list(make_reader(on_error="raise").read(colour_folders / "train"))


def test_the_seeds_valid_slip_gets_a_did_you_mean(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "val").mkdir()
    with pytest.raises(ConfigurationError) as info:
        list(make_reader().read(tmp_path / "valid"))
    message = str(info.value)
    assert str(tmp_path / "valid") in message and "Did you mean" in message and str(tmp_path / "val") in message


def test_empty_and_unlabelled_paths_fail_clearly(tmp_path):
    with pytest.raises(ConfigurationError, match="empty"):
        list(make_reader().read(""))
    with pytest.raises(ConfigurationError, match="no label folders"):
        list(make_reader().read(tmp_path))
    (tmp_path / "cat").mkdir()
    with pytest.raises(ConfigurationError, match="no files"):
        list(make_reader().read(tmp_path))


def test_text_to_instance_without_label():
    reader = ImageClassificationDirectoryReader()
    instance = reader.text_to_instance(torch.zeros((3, 5, 5), dtype=torch.uint8))
    assert "label" not in instance.fields
    assert tuple(instance["image"].image.shape) == (3, 5, 5)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_multiprocess_loading_sees_each_image_once(colour_folders, num_workers):
    from allennlp.data.data_loaders import MultiProcessDataLoader
    from allennlp.data import Vocabulary

    loader = MultiProcessDataLoader(make_reader(), str(colour_folders / "train"), batch_size=4, num_workers=num_workers)
    loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
    seen = [item["image_path"] for batch in loader for item in batch["metadata"]]
    assert len(seen) == len(set(seen)) == 16
