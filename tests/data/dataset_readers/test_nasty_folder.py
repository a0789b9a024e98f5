"""The reader on the generated nasty folder: every good image once, every bad file accounted for."""
import logging
from pathlib import Path

import PIL.ImageFile
import pytest
from allennlp.common import Params
from allennlp.data import DatasetReader

from allencv.data.image_loading import ImageLoadError
from tests.nasty_folder import write_nasty_folder


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    return write_nasty_folder(tmp_path_factory.mktemp("nasty"))


def read(nasty, **options):
    reader = DatasetReader.from_params(Params({"type": "image_classification_directory", **options}))
    return reader, list(reader.read(nasty.root))


def test_every_good_image_is_read_once_with_its_label(nasty, caplog):
    with caplog.at_level(logging.WARNING):
        reader, instances = read(nasty)
    read_labels = {
        str(Path(instance["metadata"]["image_path"]).relative_to(nasty.root)): instance["label"].label
        for instance in instances
    }
    assert len(instances) == len(read_labels)  # nothing read twice
    assert read_labels == nasty.images
    assert PIL.ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_every_bad_file_is_counted_by_category_and_named(nasty, caplog):
    with caplog.at_level(logging.WARNING):
        reader, _ = read(nasty)
    assert reader.skipped.as_dict() == dict(sorted(nasty.skipped.items()))
    summary = next(record.getMessage() for record in caplog.records if "Skipped" in record.getMessage())
    assert f"Skipped {sum(nasty.skipped.values())} file(s) in {nasty.root}" in summary
    assert "1 symlink loop" in summary and "2 too large" in summary
    assert str(nasty.root / "broken_class" / "empty.jpg") in summary  # the first paths are named


def test_labels_without_a_readable_image_get_a_warning(nasty, caplog):
    with caplog.at_level(logging.WARNING):
        read(nasty)
    for label in nasty.labels_without_images:
        assert f"Label folder {nasty.root / label} has no readable image" in caplog.text


def test_images_are_upright_and_in_the_right_colours(nasty):
    _, instances = read(nasty)
    by_path = {instance["metadata"]["image_path"]: instance["image"].image for instance in instances}
    for relative, (top_left, bottom_right) in nasty.pixels.items():
        image = by_path[str(nasty.root / relative)]
        if relative.startswith("cat/orientation_"):
            assert tuple(image.shape) == (3, 8, 16), relative
        for (row, column), colour in (((0, 0), top_left), ((-1, -1), bottom_right)):
            pixel = image[:, row, column].tolist()
            assert pixel == pytest.approx(list(colour), abs=12), f"{relative} at {(row, column)}: {pixel}"


def test_on_error_raise_stops_at_the_first_bad_file(nasty):
    with pytest.raises(ImageLoadError) as info:
        read(nasty, on_error="raise")
    assert info.value.source == str(nasty.root / "broken_class" / "empty.jpg")
    assert info.value.category == "empty file"


def test_max_image_pixels_is_configurable(nasty):
    reader, instances = read(nasty, max_image_pixels=100)
    assert all(instance["image"].image[0].numel() <= 100 for instance in instances)
    assert reader.skipped.counts["too large"] > nasty.skipped["too large"]
