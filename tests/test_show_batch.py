"""`allennlp show-batch CONFIG`: a grid PNG of augmented training images with their labels, through the CLI."""
import numpy
import PIL.Image
import pytest

from tests.conftest import FIXTURES, REPO_ROOT
from tests.conftest import run

pytestmark = pytest.mark.slow  # `allennlp show-batch` as a subprocess

#: matplotlib's tab10, the grid's class colours: boxes of the first label, mask classes 1 and 2.
BLUE, ORANGE, GREEN = (31, 119, 180), (255, 127, 14), (44, 160, 44)


def show_batch(config, train_path, output, *options):
    result = run(["show-batch", str(config), "--output", str(output), *options],
                 env={"TRAIN_PATH": str(train_path), "VALIDATION_PATH": "unused"})
    image = numpy.asarray(PIL.Image.open(output).convert("RGB"))
    return result.stdout, image


def has_colour(image, colour, tolerance=12) -> int:
    """How many pixels of `image` are within `tolerance` of `colour`."""
    return int((numpy.abs(image.astype(int) - colour).max(axis=-1) <= tolerance).sum())


def test_show_batch_of_a_classifier(colour_folders, tmp_path):
    stdout, image = show_batch(FIXTURES / "colour_classifier.jsonnet", colour_folders / "train", tmp_path / "grid.png",
                               "--count", "6", "--columns", "3")
    assert f"Wrote 6 training images of {colour_folders / 'train'}" in stdout
    assert image.shape[1] > image.shape[0]  # 3 columns, 2 rows
    # The images themselves, not normalized: the generated red and blue squares show as such.
    assert has_colour(image, (220, 30, 30), tolerance=60) > 500 or has_colour(image, (30, 30, 220), tolerance=60) > 500


def test_show_batch_of_a_detector_draws_the_boxes(tmp_path):
    from allencv.datasets.detection_shapes import write_shapes_dataset

    write_shapes_dataset(str(tmp_path / "shapes"), {"train": 6}, size=96)
    _, image = show_batch(REPO_ROOT / "training_config/faster_rcnn.jsonnet", tmp_path / "shapes/train.json",
                          tmp_path / "grid.png", "--count", "4")
    assert has_colour(image, BLUE, tolerance=4) > 100  # box outlines and label backgrounds


def test_show_batch_of_a_segmentation_config_draws_masks_and_a_legend(shapes_folders, tmp_path):
    _, image = show_batch(REPO_ROOT / "training_config/semantic_segmentation.jsonnet", shapes_folders / "train",
                          tmp_path / "grid.png", "--count", "4")
    bottom = image[-image.shape[0] // 10:]  # the legend, below the images: solid class colours
    assert has_colour(bottom, ORANGE, tolerance=4) > 20 and has_colour(bottom, GREEN, tolerance=4) > 20
