"""The coco_segmentation reader: a hand-made COCO file, the shapes as COCO, and labelme's export."""
import json
import logging
from pathlib import Path

import numpy
import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from pycocotools import mask as coco_mask

from allencv.data.dataset_readers import CocoSegmentationReader, SemanticSegmentationDirectoryReader
from allencv.data.dataset_readers.coco_segmentation import CROWD_IGNORED, EMPTY
from allencv.data.dataset_readers.semantic_segmentation_directory import load_mask
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import HorizontalFlip

LABELME = Path("/usr/share/doc/labelme-examples/examples/instance_segmentation")
HEIGHT, WIDTH = 10, 12


def compressed_rle(rows: slice, columns: slice) -> dict:
    region = numpy.zeros((HEIGHT, WIDTH), dtype=numpy.uint8)
    region[rows, columns] = 1
    rle = coco_mask.encode(numpy.asfortranarray(region))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


@pytest.fixture
def coco_file(tmp_path) -> Path:
    """Five 12x10 images: one annotated every way COCO allows, one unannotated, three unusable."""
    (tmp_path / "images").mkdir()
    for name in ("drawn", "plain", "wrong_rle", "wrong_size"):
        PIL.Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90)).save(tmp_path / "images" / f"{name}.png")
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    images = [
        {"id": 7, "file_name": "images/drawn.png", "height": HEIGHT, "width": WIDTH},
        {"id": 8, "file_name": "images/plain.png", "height": HEIGHT, "width": WIDTH},
        {"id": 9, "file_name": "images/wrong_rle.png", "height": HEIGHT, "width": WIDTH},
        {"id": 10, "file_name": "images/wrong_size.png", "height": 20, "width": 20},
        {"id": 11, "file_name": "images/broken.png", "height": HEIGHT, "width": WIDTH},
    ]
    annotations = [
        # A dog (8 px) listed before the cat (30 px) it lies on: the smaller one wins anyway.
        {"id": 1, "image_id": 7, "category_id": 3, "segmentation": [[4, 2, 8, 2, 8, 4, 4, 4]], "iscrowd": 0},
        # A cat of two polygons, the second too short to draw anything (it is left out).
        {"id": 2, "image_id": 7, "category_id": 1, "segmentation": [[0, 0, 6, 0, 6, 5, 0, 5], [1, 1, 2, 2]], "iscrowd": 0},
        # A bird as an uncompressed RLE (column-major runs): rows 6-8 of columns 9 and 10.
        {"id": 3, "image_id": 7, "category_id": 2, "segmentation": {"size": [HEIGHT, WIDTH], "counts": [96, 3, 7, 3, 11]}, "iscrowd": 0},
        # A crowd of dogs as a compressed RLE (12 px), on the cat's bottom-left corner.
        {"id": 4, "image_id": 7, "category_id": 3, "segmentation": compressed_rle(slice(4, 7), slice(0, 4)), "iscrowd": 1},
        # A polygon of two points draws nothing: counted, not fatal.
        {"id": 5, "image_id": 7, "category_id": 1, "segmentation": [[9, 0, 11, 1]], "iscrowd": 0},
        {"id": 6, "image_id": 9, "category_id": 1, "segmentation": {"size": [5, 5], "counts": [25]}, "iscrowd": 0},
        {"id": 7, "image_id": 10, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 4]], "iscrowd": 0},
    ]
    # Categories out of id order: the classes follow the ids.
    categories = [{"id": 3, "name": "dog"}, {"id": 1, "name": "cat"}, {"id": 2, "name": "bird"}]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return path


def expected_drawn(crowd: int) -> torch.Tensor:
    """The classes of drawn.png, by hand (polygon x0..x1 covers columns x0..x1-1, as in COCO)."""
    mask = torch.zeros((HEIGHT, WIDTH), dtype=torch.uint8)
    mask[0:5, 0:6] = 1  # cat
    mask[4:7, 0:4] = crowd  # the crowd of dogs (12 px) over the cat (30 px)
    mask[2:4, 4:8] = 3  # dog
    mask[6:9, 9:11] = 2  # bird
    return mask


def test_polygons_and_rle_become_class_indices_the_smaller_region_on_top(coco_file, caplog):
    reader = CocoSegmentationReader()
    with caplog.at_level(logging.WARNING):
        instances = list(reader.read(str(coco_file)))
    assert reader.class_names == ("background", "cat", "bird", "dog")
    assert [Path(instance["metadata"].metadata["image_path"]).name for instance in instances] == ["drawn.png", "plain.png"]
    drawn, plain = (instance["mask"].mask for instance in instances)
    assert torch.equal(drawn, expected_drawn(crowd=255))
    assert drawn.dtype == torch.uint8 and not plain.any() and plain.shape == (HEIGHT, WIDTH)
    assert instances[0]["metadata"].metadata["original_size"] == (HEIGHT, WIDTH)
    assert reader.annotation_counts == {CROWD_IGNORED: 1, EMPTY: 1}
    assert reader.skipped.as_dict() == {"bad segmentation": 1, "image size mismatch": 1, "not an image": 1}
    assert "Skipped 3 file(s)" in caplog.text and "annotation 6: the RLE's size" in caplog.text
    assert f"Annotations in {coco_file}: 1 {EMPTY}, 1 {CROWD_IGNORED}." in caplog.text
    vocab = Vocabulary.from_instances(instances)
    assert [vocab.get_token_from_index(index, "labels") for index in range(4)] == ["background", "cat", "bird", "dog"]


def test_crowd_regions_can_count_as_their_category_and_transforms_move_the_mask(coco_file):
    reader = CocoSegmentationReader(ignore_crowd=False, transforms=[HorizontalFlip(1.0)])
    drawn = next(iter(reader.read(str(coco_file))))
    assert torch.equal(drawn["mask"].mask, expected_drawn(crowd=3).flip(-1))


def test_more_than_256_classes_keep_their_indices(coco_file, tmp_path):
    # Class indices past 255 do not fit the compact uint8 mask: the mask is int64, and the
    # ignore index moves out of the way of the classes.
    coco = json.loads(coco_file.read_text())
    coco["categories"] += [{"id": 3 + number, "name": f"extra{number}"} for number in range(1, 298)]
    coco["annotations"][0]["category_id"] = 300  # the dog becomes extra297, class 300
    (tmp_path / "many.json").write_text(json.dumps(coco))
    reader = CocoSegmentationReader(ignore_index=1000)
    drawn = next(iter(reader.read(str(tmp_path / "many.json"))))["mask"]
    assert len(reader.class_names) == 301 and reader.class_names[300] == "extra297"
    expected = expected_drawn(crowd=0).long()
    expected[4:7, 0:4] = 1000  # the crowd
    expected[2:4, 4:8] = 300  # the dog
    assert drawn.mask.dtype == torch.int64 and torch.equal(drawn.mask, expected)
    assert drawn.as_tensor(drawn.get_padding_lengths()).max() == 1000


def test_bad_annotations_raise_when_asked(coco_file):
    with pytest.raises(ImageLoadError, match="wrong_rle.png: bad segmentation .*annotation 6"):
        list(CocoSegmentationReader(on_error="raise").read(str(coco_file)))


def test_configuration_errors_name_the_file_or_key(coco_file, tmp_path):
    coco = json.loads(coco_file.read_text())
    coco["categories"].append({"id": 4, "name": "cat"})
    (tmp_path / "duplicates.json").write_text(json.dumps(coco))
    with pytest.raises(ConfigurationError, match=r"Duplicate class names in the categories of .*duplicates.json .*: \['cat'\]"):
        list(CocoSegmentationReader().read(str(tmp_path / "duplicates.json")))
    with pytest.raises(ConfigurationError, match="ignore_index 2 is also a class index \\('bird'"):
        list(CocoSegmentationReader(ignore_index=2).read(str(coco_file)))
    with pytest.raises(ConfigurationError, match="image_root .*nowhere is not a folder"):
        list(CocoSegmentationReader(image_root=str(tmp_path / "nowhere")).read(str(coco_file)))
    with pytest.raises(ConfigurationError, match="COCO annotation file .*missing.json does not exist"):
        list(CocoSegmentationReader().read(str(tmp_path / "missing.json")))


def test_the_shapes_as_coco_give_the_directory_readers_masks(shapes_folders, shapes_coco):
    # shapes_coco has one RLE per image and class, made from the masks without their ignored borders.
    coco = list(CocoSegmentationReader().read(str(shapes_coco["valid"])))
    folders = list(SemanticSegmentationDirectoryReader(class_names=["background", "circle", "square", "triangle"])
                   .read(str(shapes_folders / "valid")))
    assert len(coco) == len(folders) == 4
    for from_coco, from_folders in zip(coco, folders):
        expected = from_folders["mask"].mask.clone()
        expected[expected == 255] = 0
        assert torch.equal(from_coco["mask"].mask, expected)


@pytest.mark.skipif(not LABELME.is_dir(), reason="labelme-examples is not installed (apt-get install labelme-examples)")
def test_labelmes_coco_export_matches_its_voc_export():
    """
    labelme exports the same three photos as COCO polygons and as VOC class PNGs (rasterised by
    PIL, with the `__ignore__` regions as 255). They agree up to polygon edges.
    """
    voc = LABELME / "data_dataset_voc"
    reader = CocoSegmentationReader()
    instances = list(reader.read(str(LABELME / "data_dataset_coco" / "annotations.json")))
    assert len(instances) == 3 and reader.skipped.total == 0
    class_names = [line.strip() for line in (voc / "class_names.txt").read_text().splitlines() if line.strip()]
    assert list(reader.class_names) == class_names  # its `_background_` has id 0: class 0
    for instance in instances:
        ours = instance["mask"].mask
        stem = Path(instance["metadata"].metadata["image_path"]).stem
        theirs = load_mask(voc / "SegmentationClassPNG" / f"{stem}.png")
        assert ours.shape == theirs.shape
        scored = theirs != 255
        ours, theirs = ours[scored], theirs[scored]
        assert set(ours.unique().tolist()) == set(theirs.unique().tolist())
        assert (ours == theirs).float().mean() >= 0.98
        for index in theirs.unique().tolist():
            intersection = ((ours == index) & (theirs == index)).sum()
            union = ((ours == index) | (theirs == index)).sum()
            assert intersection / union >= 0.9, (stem, class_names[index])
