"""The COCO and VOC readers, on files shaped like labelme-examples' (real VOC 2011 photos)."""
import json
from pathlib import Path

import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError

from allencv.data.dataset_readers import CocoDetectionReader, VocDetectionReader
from allencv.data.dataset_readers.detection_dataset_reader import CLIPPED, CROWD, CUT_BY_TRANSFORMS, DEGENERATE, DIFFICULT
from allencv.data.transforms import HorizontalFlip, Normalize, Resize, VerticalFlip

LABELME = Path("/usr/share/doc/labelme-examples/examples")
needs_labelme = pytest.mark.skipif(
    not LABELME.is_dir(), reason="labelme-examples is not installed (apt-get install labelme-examples)"
)

VOC_OBJECT = """  <object>
    <name>{name}</name>
    <pose/>
    <truncated/>
    <difficult>{difficult}</difficult>
    <bndbox>
      <xmin>{box[0]}</xmin>
      <ymin>{box[1]}</ymin>
      <xmax>{box[2]}</xmax>
      <ymax>{box[3]}</ymax>
    </bndbox>
  </object>
"""


def write_photo(path: Path, width: int = 50, height: int = 34) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.Image.new("RGB", (width, height), (120, 80, 40)).save(path)


@pytest.fixture
def voc_folder(tmp_path) -> Path:
    """labelme2voc's layout: Annotations/<id>.xml, JPEGImages/<id>.jpg, float coordinates."""
    objects = {
        "2011_000003": [("person", 0, (20.0, 11.5, 31.0, 33.0)), ("person", 1, (36.0, 8.0, 50.0, 33.0))],
        "2011_000006": [("chair", "", (5.0, 5.0, 60.0, 20.0)), ("dog", "", (30.0, 30.0, 29.0, 33.0))],
        "2011_000025": [],
    }
    for image_id, boxes in objects.items():
        write_photo(tmp_path / "JPEGImages" / f"{image_id}.jpg")
        body = "".join(VOC_OBJECT.format(name=n, difficult=d, box=b) for n, d, b in boxes)
        xml = f"<annotation>\n  <folder/>\n  <filename>{image_id}.jpg</filename>\n  <size>\n    <height>34</height>\n    <width>50</width>\n    <depth>3</depth>\n  </size>\n{body}</annotation>\n"
        (tmp_path / "Annotations").mkdir(exist_ok=True)
        (tmp_path / "Annotations" / f"{image_id}.xml").write_text(xml)
    return tmp_path


@pytest.fixture
def coco_file(tmp_path) -> Path:
    """labelme2coco's layout: annotations.json beside JPEGImages/, a `_background_` category."""
    for name in ("a.jpg", "b.jpg"):
        write_photo(tmp_path / "JPEGImages" / name)
    (tmp_path / "JPEGImages" / "broken.jpg").write_bytes(b"not a jpeg")
    coco = {
        "images": [
            {"id": 0, "file_name": "JPEGImages/a.jpg", "height": 34, "width": 50},
            {"id": 1, "file_name": "JPEGImages/broken.jpg", "height": 34, "width": 50},
            {"id": 2, "file_name": "JPEGImages/b.jpg", "height": 34, "width": 50},
        ],
        "annotations": [
            {"id": 1, "image_id": 0, "category_id": 15, "bbox": [10, 5, 20, 20], "iscrowd": 0},
            {"id": 2, "image_id": 0, "category_id": 8, "bbox": [40, 20, 30, 30], "iscrowd": 0},  # reaches outside
            {"id": 3, "image_id": 0, "category_id": 15, "bbox": [0, 0, 50, 34], "iscrowd": 1},
            {"id": 4, "image_id": 2, "category_id": 8, "bbox": [60, 5, 10, 10], "iscrowd": 0},  # outside
        ],
        "categories": [{"id": 0, "name": "_background_"}, {"id": 8, "name": "cat"}, {"id": 15, "name": "person"}],
    }
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(coco))
    return path


def boxes_of(instance):
    return instance["boxes"].boxes.tolist(), instance["boxes"].labels


def test_coco_reader_clips_drops_and_skips(coco_file):
    reader = CocoDetectionReader()
    instances = list(reader.read(str(coco_file)))
    assert len(instances) == 2  # broken.jpg is skipped, not fatal
    assert reader.skipped.total == 1
    assert boxes_of(instances[0]) == ([[10, 5, 30, 25], [40, 20, 50, 34]], ["person", "cat"])
    assert boxes_of(instances[1]) == ([], [])  # its only box lies outside the image
    assert reader.box_counts == {CLIPPED: 1, DEGENERATE: 1, CROWD: 1}
    metadata = instances[0]["metadata"].metadata
    assert metadata["image_size"] == [34, 50] and metadata["image_path"].endswith("a.jpg")


def test_coco_reader_keeps_crowd_boxes_when_asked(coco_file):
    instances = list(CocoDetectionReader(skip_crowd=False).read(str(coco_file)))
    assert boxes_of(instances[0])[1] == ["person", "cat", "person"]


def test_transforms_move_the_boxes(coco_file):
    reader = CocoDetectionReader(transforms=[HorizontalFlip(p=1.0), Resize([68, 100])])
    instance = next(iter(reader.read(str(coco_file))))
    assert instance["image"].image.shape == (3, 68, 100)
    assert instance["boxes"].boxes[0].tolist() == pytest.approx([40, 10, 80, 50])  # flipped, then doubled
    assert instance["metadata"].metadata["original_size"] == [34, 50]


def test_boxes_cropped_away_are_dropped_and_counted(coco_file):
    from allencv.data.transforms import CenterCrop

    reader = CocoDetectionReader(transforms=[CenterCrop([34, 10])])
    instance = next(iter(reader.read(str(coco_file))))
    assert instance["boxes"].labels == ["person"]
    assert reader.box_counts[CUT_BY_TRANSFORMS] == 1


def test_coco_errors_name_the_file(tmp_path, coco_file):
    with pytest.raises(ConfigurationError, match="does not exist"):
        list(CocoDetectionReader().read(str(tmp_path / "missing.json")))
    (tmp_path / "bad.json").write_text(json.dumps({"images": []}))
    with pytest.raises(ConfigurationError, match=r"bad.json is not a COCO instances file: it has no annotations, categories"):
        list(CocoDetectionReader().read(str(tmp_path / "bad.json")))


def test_detection_readers_refuse_normalize():
    with pytest.raises(ConfigurationError, match="detection models normalize images themselves"):
        CocoDetectionReader(transforms=[Normalize()])


def test_voc_reader(voc_folder):
    reader = VocDetectionReader()
    instances = list(reader.read(str(voc_folder)))
    assert len(instances) == 3
    assert boxes_of(instances[0]) == ([[19, 10.5, 31, 33]], ["person"])  # 1-based xmin/ymin
    assert boxes_of(instances[1]) == ([[4, 4, 50, 20]], ["chair"])
    assert boxes_of(instances[2]) == ([], [])
    assert reader.box_counts == {DIFFICULT: 1, CLIPPED: 1, DEGENERATE: 1}
    assert len(list(VocDetectionReader(skip_difficult=False).read(str(voc_folder)))[0]["boxes"]) == 2


def test_voc_image_set_file(voc_folder):
    image_set = voc_folder / "ImageSets" / "Main" / "val.txt"
    image_set.parent.mkdir(parents=True)
    image_set.write_text("2011_000025\n2011_000003\n")
    instances = list(VocDetectionReader().read(str(image_set)))
    assert [len(instance["boxes"]) for instance in instances] == [0, 1]


def test_voc_errors(tmp_path, voc_folder):
    with pytest.raises(ConfigurationError, match="is not a Pascal VOC folder"):
        list(VocDetectionReader().read(str(tmp_path / "JPEGImages")))
    (voc_folder / "Annotations" / "2011_000003.xml").write_text("<annotation><object><name>x</name></object></annotation>")
    with pytest.raises(ConfigurationError, match="2011_000003.xml is not a valid VOC annotation"):
        list(VocDetectionReader().read(str(voc_folder)))


@needs_labelme
def test_labelme_examples_voc():
    reader = VocDetectionReader()
    instances = list(reader.read(str(LABELME / "bbox_detection" / "data_dataset_voc")))
    assert len(instances) == 3 and reader.skipped.total == 0
    assert instances[0]["image"].image.shape == (3, 338, 500)
    assert instances[0]["boxes"].labels == ["person", "person"]


@needs_labelme
def test_labelme_examples_coco():
    reader = CocoDetectionReader()
    instances = list(reader.read(str(LABELME / "instance_segmentation" / "data_dataset_coco" / "annotations.json")))
    assert len(instances) == 3 and reader.skipped.total == 0
    labels = {label for instance in instances for label in instance["boxes"].labels}
    assert "person" in labels and "_background_" not in labels
    for instance in instances:
        height, width = instance["metadata"].metadata["image_size"]
        boxes = instance["boxes"].boxes
        assert torch.all(boxes[:, 2] <= width) and torch.all(boxes[:, 3] <= height)


@pytest.fixture
def coco_keypoints_file(tmp_path) -> Path:
    """A COCO keypoints file: people with a nose and eyes (one eye unlabelled), and a cat with none."""
    write_photo(tmp_path / "a.jpg")
    coco = {
        "images": [{"id": 0, "file_name": "a.jpg", "height": 34, "width": 50}],
        "annotations": [
            {"id": 1, "image_id": 0, "category_id": 1, "bbox": [10, 5, 20, 20], "iscrowd": 0,
             "keypoints": [20, 8, 2, 16, 6, 2, 24, 6, 1], "num_keypoints": 3},
            {"id": 2, "image_id": 0, "category_id": 1, "bbox": [32, 4, 16, 16], "iscrowd": 0,
             "keypoints": [40, 9, 2, 0, 0, 0, 44, 7, 2], "num_keypoints": 2},
            {"id": 3, "image_id": 0, "category_id": 2, "bbox": [0, 20, 10, 10], "iscrowd": 0},
        ],
        "categories": [
            {"id": 1, "name": "person", "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[1, 2], [1, 3]]},
            {"id": 2, "name": "cat"},
        ],
    }
    path = tmp_path / "person_keypoints.json"
    path.write_text(json.dumps(coco))
    return path


def keypoints_of(instance):
    return instance["boxes"].keypoints.tolist()


def test_coco_reader_reads_keypoints(coco_keypoints_file):
    instance = next(iter(CocoDetectionReader(keypoints=True).read(str(coco_keypoints_file))))
    field = instance["boxes"]
    assert field.keypoint_names == ["nose", "left_eye", "right_eye"]
    assert field.skeleton == [("nose", "left_eye"), ("nose", "right_eye")]
    assert keypoints_of(instance) == [
        [[20, 8, 2], [16, 6, 2], [24, 6, 1]],
        [[40, 9, 2], [0, 0, 0], [44, 7, 2]],
        [[0, 0, 0], [0, 0, 0], [0, 0, 0]],  # the cat's category has no keypoints
    ]
    assert next(iter(CocoDetectionReader().read(str(coco_keypoints_file))))["boxes"].keypoints is None


def test_a_mirror_moves_keypoints_and_swaps_left_and_right(coco_keypoints_file):
    reader = CocoDetectionReader(keypoints=True, transforms=[HorizontalFlip(p=1.0), Resize([68, 100])])
    instance = next(iter(reader.read(str(coco_keypoints_file))))
    # x becomes 49 - x (torchvision's flip of pixel positions), then both coordinates double.
    assert keypoints_of(instance)[0] == [[58, 16, 2], [50, 12, 1], [66, 12, 2]]  # the eyes swapped names
    assert keypoints_of(instance)[1] == [[18, 18, 2], [10, 14, 2], [0, 0, 0]]
    # Two flips turn the image around without mirroring it: nothing swaps.
    reader = CocoDetectionReader(keypoints=True, transforms=[HorizontalFlip(p=1.0), VerticalFlip(p=1.0)])
    assert keypoints_of(next(iter(reader.read(str(coco_keypoints_file)))))[0] == [[29, 25, 2], [33, 27, 2], [25, 27, 1]]
    # Explicit flip pairs replace the ones the names suggest.
    reader = CocoDetectionReader(keypoints=True, keypoint_flip_pairs=[], transforms=[HorizontalFlip(p=1.0)])
    assert keypoints_of(next(iter(reader.read(str(coco_keypoints_file)))))[0] == [[29, 8, 2], [33, 6, 2], [25, 6, 1]]
    reader = CocoDetectionReader(keypoints=True, keypoint_flip_pairs=[["left_eye", "left_ear"]], transforms=[HorizontalFlip(p=1.0)])
    with pytest.raises(ConfigurationError, match="keypoint_flip_pairs names 'left_ear', which the data's keypoints"):
        list(reader.read(str(coco_keypoints_file)))


def test_keypoints_cropped_away_become_unlabelled(coco_keypoints_file):
    from allencv.data.transforms import CenterCrop

    reader = CocoDetectionReader(keypoints=True, transforms=[CenterCrop([34, 10])])  # keeps x 20 to 29
    instance = next(iter(reader.read(str(coco_keypoints_file))))
    assert instance["boxes"].labels == ["person"]
    assert keypoints_of(instance) == [[[0, 8, 2], [0, 0, 0], [4, 6, 1]]]


def test_coco_keypoint_errors_name_the_annotation(tmp_path, coco_keypoints_file):
    coco = json.loads(coco_keypoints_file.read_text())
    del coco["annotations"][1]["keypoints"]
    (tmp_path / "missing.json").write_text(json.dumps(coco))
    with pytest.raises(ConfigurationError, match=r"missing.json: annotation 2 has no `keypoints`, but its category lists 3"):
        list(CocoDetectionReader(keypoints=True).read(str(tmp_path / "missing.json")))
    coco["annotations"][1]["keypoints"] = [1, 2, 2]
    (tmp_path / "short.json").write_text(json.dumps(coco))
    with pytest.raises(ConfigurationError, match=r"annotation 2 has 3 `keypoints` values, .* needs 9 values"):
        list(CocoDetectionReader(keypoints=True).read(str(tmp_path / "short.json")))
    coco["categories"][0]["skeleton"] = [[1, 4]]
    (tmp_path / "skeleton.json").write_text(json.dumps(coco))
    with pytest.raises(ConfigurationError, match=r"category 'person' has skeleton pair \[1, 4\]"):
        list(CocoDetectionReader(keypoints=True).read(str(tmp_path / "skeleton.json")))
    for category in coco["categories"]:
        category.pop("keypoints", None)
        category.pop("skeleton", None)
    (tmp_path / "boxes.json").write_text(json.dumps(coco))
    with pytest.raises(ConfigurationError, match=r"boxes.json has no keypoints: none of its `categories` lists"):
        list(CocoDetectionReader(keypoints=True).read(str(tmp_path / "boxes.json")))
