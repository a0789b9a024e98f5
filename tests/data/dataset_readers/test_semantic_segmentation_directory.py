import logging
from pathlib import Path

import numpy
import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.data.dataset_readers import SemanticSegmentationDirectoryReader
from allencv.data.dataset_readers.semantic_segmentation_directory import VOC_CLASSES, voc_palette
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import HorizontalFlip, RandomResizedCrop, Resize

LABELME_VOC = Path("/usr/share/doc/labelme-examples/examples/semantic_segmentation/data_dataset_voc")


def palette_png(labels: numpy.ndarray, path: Path) -> None:
    """Saves class indices as a VOC-style palette PNG."""
    image = PIL.Image.fromarray(labels.astype(numpy.uint8), mode="P")
    image.putpalette([channel for colour in voc_palette() for channel in colour])
    image.save(path)


def write_voc_folder(root: Path, sizes, image_folder="JPEGImages", mask_folder="SegmentationClassPNG"):
    """labelme's VOC export layout: JPEGImages/<stem>.jpg, SegmentationClassPNG/<stem>.png, class_names.txt."""
    (root / image_folder).mkdir(parents=True)
    (root / mask_folder).mkdir(parents=True)
    rng = numpy.random.default_rng(0)
    for index, (height, width) in enumerate(sizes):
        PIL.Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=numpy.uint8)).save(
            root / image_folder / f"2011_{index:06d}.jpg"
        )
        labels = numpy.zeros((height, width), dtype=numpy.uint8)
        labels[: height // 2, : width // 2] = 15  # person
        labels[height // 2, :] = 255  # a VOC-style border
        palette_png(labels, root / mask_folder / f"2011_{index:06d}.png")
    (root / "class_names.txt").write_text("_background_\n" + "\n".join(VOC_CLASSES[1:]) + "\n")
    return root


def test_reads_the_labelme_voc_layout_with_a_class_names_file(tmp_path):
    root = write_voc_folder(tmp_path / "voc", [(20, 30), (24, 16)])
    reader = SemanticSegmentationDirectoryReader(
        image_folder="JPEGImages", mask_folder="SegmentationClassPNG",
        class_names_file=str(root / "class_names.txt"),
    )
    instances = list(reader.read(str(root)))
    assert len(instances) == 2 and reader.skipped.total == 0
    mask = instances[0]["mask"].mask
    assert mask.shape == (20, 30)
    assert mask[0, 0] == 15 and mask[19, 29] == 0 and (mask[10] == 255).all()
    assert instances[0]["image"].image.shape == (3, 20, 30)
    assert instances[1]["metadata"].metadata["original_size"] == (24, 16)
    vocab = Vocabulary.from_instances(instances)
    assert vocab.get_vocab_size("labels") == 21
    assert vocab.get_token_from_index(0, "labels") == "_background_"
    assert vocab.get_token_from_index(15, "labels") == "person"


@pytest.mark.skipif(not LABELME_VOC.is_dir(), reason="Debian's labelme-examples is not installed")
def test_reads_the_real_labelme_examples():
    reader = SemanticSegmentationDirectoryReader(
        image_folder="JPEGImages", mask_folder="SegmentationClassPNG",
        class_names_file=str(LABELME_VOC / "class_names.txt"),
    )
    instances = list(reader.read(str(LABELME_VOC)))
    assert len(instances) == 3 and reader.skipped.total == 0
    for instance in instances:
        image, mask = instance["image"].image, instance["mask"].mask
        assert image.shape[-2:] == mask.shape
        values = set(torch.unique(mask).tolist())
        assert 0 in values and values - {255} <= set(range(21)) and len(values - {0, 255}) >= 1


def test_missing_mismatched_and_unknown_masks_are_counted_not_trained_on(tmp_path, caplog):
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    image = PIL.Image.new("RGB", (8, 6))
    for stem in ("good", "missing", "small", "unknown"):
        image.save(root / "images" / f"{stem}.png")
    palette_png(numpy.ones((6, 8)), root / "masks" / "good.png")
    palette_png(numpy.ones((3, 4)), root / "masks" / "small.png")
    palette_png(numpy.full((6, 8), 7), root / "masks" / "unknown.png")
    (root / "images" / "notes.txt").write_text("not an image")
    reader = SemanticSegmentationDirectoryReader(class_names=["background", "thing"])
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(str(root)))
    assert [instance["metadata"].metadata["image_path"] for instance in instances] == [str(root / "images" / "good.png")]
    assert reader.skipped.as_dict() == {
        "missing mask": 1, "mask size mismatch": 1, "unknown mask class": 1, "not an image file": 1,
    }
    assert "Skipped 4 file(s)" in caplog.text and "values [7]" in caplog.text
    with pytest.raises(ImageLoadError, match="missing mask"):
        list(SemanticSegmentationDirectoryReader(class_names=["background", "thing"], on_error="raise").read(str(root)))


def test_rgb_masks_are_refused_with_a_clear_reason(tmp_path):
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    PIL.Image.new("RGB", (4, 4)).save(root / "images" / "a.png")
    PIL.Image.new("RGB", (4, 4)).save(root / "masks" / "a.png")
    reader = SemanticSegmentationDirectoryReader(on_error="raise")
    with pytest.raises(ImageLoadError, match="mode RGB: save masks as palette"):
        list(reader.read(str(root)))


def test_image_and_mask_are_transformed_together_with_nearest_neighbours():
    # Vertical bands of grey levels 0, 60, 120, 180 whose classes are 1, 5, 9, 3: after random
    # crops, resizes and flips the classes must still follow the pixels, and interpolated
    # classes (2, 4, 6, ... between bands) would show that the mask was not resampled nearest.
    band_classes = torch.tensor([1, 5, 9, 3], dtype=torch.uint8)
    bands = torch.arange(4).repeat_interleave(10).expand(30, 40)
    image = (bands * 60).to(torch.uint8).expand(3, 30, 40).contiguous()
    mask = band_classes[bands]
    reader = SemanticSegmentationDirectoryReader(
        class_names=[str(index) for index in range(10)],
        transforms=[RandomResizedCrop([24, 24], scale=(0.3, 1.0)), HorizontalFlip(0.5)],
    )
    torch.manual_seed(0)
    for _ in range(10):
        instance = reader.text_to_instance(image, mask)
        pixels, labels = instance["image"].image, instance["mask"].mask
        assert labels.shape == (24, 24) and labels.dtype == torch.uint8
        assert set(torch.unique(labels).tolist()) <= {1, 5, 9, 3}
        # Where the image kept a band's exact grey (away from its blended edges), the class matches.
        exact = pixels[0].long() % 60 == 0
        expected = band_classes[(pixels[0].long() // 60).clamp(max=3)]
        assert exact.float().mean() > 0.7
        assert (labels[exact] == expected[exact]).all()


def test_predicting_needs_no_mask():
    reader = SemanticSegmentationDirectoryReader(transforms=[Resize([8, 8])])
    instance = reader.text_to_instance(torch.zeros((3, 10, 12), dtype=torch.uint8))
    assert "mask" not in instance.fields
    assert instance["metadata"].metadata == {"image_path": None, "original_size": (10, 12), "image_size": (8, 8)}


def test_configuration_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigurationError, match="class_names or dataset_reader.class_names_file"):
        SemanticSegmentationDirectoryReader(class_names=["a", "b"], class_names_file="x.txt")
    with pytest.raises(ConfigurationError, match="ignore_index 1 is also a class index"):
        SemanticSegmentationDirectoryReader(class_names=["a", "b"], ignore_index=1)
    with pytest.raises(ConfigurationError, match="class_names_file .*nope.txt is not a file"):
        SemanticSegmentationDirectoryReader(class_names_file=str(tmp_path / "nope.txt"))
    (tmp_path / "images").mkdir()
    with pytest.raises(ConfigurationError, match="has no folder 'masks' .*mask_folder"):
        list(SemanticSegmentationDirectoryReader().read(str(tmp_path)))
