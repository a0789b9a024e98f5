"""Instance masks in the detection readers: COCO polygons, RLE and crowd regions, VOC's SegmentationObject PNGs."""
import json
from pathlib import Path

import numpy
import PIL.Image
import pycocotools.mask
import pytest
import torch

from allencv.data.dataset_readers import CocoDetectionReader, VocDetectionReader
from allencv.data.dataset_readers.detection_dataset_reader import CROWD, CUT_BY_TRANSFORMS, EMPTY_MASK
from allencv.data.transforms import CenterCrop, HorizontalFlip, Resize
from tests.data.dataset_readers.test_detection_readers import LABELME, VOC_OBJECT, needs_labelme, write_photo

WIDTH, HEIGHT = 40, 30


def rectangle(x1: int, y1: int, x2: int, y2: int) -> numpy.ndarray:
    mask = numpy.zeros((HEIGHT, WIDTH), dtype=numpy.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def compressed_rle(mask: numpy.ndarray) -> dict:
    rle = pycocotools.mask.encode(numpy.asfortranarray(mask))
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def uncompressed_rle(mask: numpy.ndarray) -> dict:
    flat = mask.flatten(order="F").tolist()
    counts, value, run = [], 0, 0
    for pixel in flat:
        if pixel != value:
            counts.append(run)
            value, run = pixel, 0
        run += 1
    return {"size": [HEIGHT, WIDTH], "counts": counts + [run]}


@pytest.fixture
def coco_masks(tmp_path) -> Path:
    """A polygon, a compressed RLE, a crowd region (uncompressed RLE), an empty polygon; then an image with a malformed one."""
    for name in ("a.png", "b.png", "c.png"):
        write_photo(tmp_path / name, WIDTH, HEIGHT)
    annotations = [
        # A triangle with corners (2, 2), (12, 2), (2, 12).
        {"id": 1, "image_id": 0, "category_id": 1, "bbox": [2, 2, 10, 10], "segmentation": [[2, 2, 12, 2, 2, 12]]},
        {"id": 2, "image_id": 0, "category_id": 2, "bbox": [20, 5, 10, 20], "segmentation": compressed_rle(rectangle(20, 5, 30, 25))},
        {"id": 3, "image_id": 0, "category_id": 1, "bbox": [30, 20, 10, 10], "iscrowd": 1,
         "segmentation": uncompressed_rle(rectangle(30, 20, 40, 30))},
        {"id": 4, "image_id": 1, "category_id": 1, "bbox": [5, 5, 10, 10], "segmentation": [[5, 5, 15, 5]]},  # no area
        {"id": 5, "image_id": 1, "category_id": 2, "bbox": [20, 5, 10, 10], "segmentation": compressed_rle(rectangle(20, 5, 30, 15))},
        {"id": 6, "image_id": 2, "category_id": 1, "bbox": [5, 5, 10, 10], "segmentation": {"counts": [1, 2], "size": [3, 3]}},
    ]
    coco = {
        "images": [{"id": index, "file_name": name, "height": HEIGHT, "width": WIDTH}
                   for index, name in enumerate(("a.png", "b.png", "c.png"))],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "triangle"}, {"id": 2, "name": "square"}],
    }
    path = tmp_path / "masks.json"
    path.write_text(json.dumps(coco))
    return path


def test_coco_polygons_rle_and_crowd_regions_become_instance_masks(coco_masks):
    reader = CocoDetectionReader(masks=True, skip_crowd=False)
    first, second = list(reader.read(str(coco_masks)))
    field = first["boxes"]
    assert field.labels == ["triangle", "square", "triangle"]
    assert field.masks.shape == (3, HEIGHT, WIDTH) and field.masks.dtype == torch.uint8
    triangle = torch.from_numpy(pycocotools.mask.decode(pycocotools.mask.frPyObjects([[2, 2, 12, 2, 2, 12]], HEIGHT, WIDTH))[..., 0])
    assert torch.equal(field.masks[0], triangle) and triangle.sum() > 40
    assert torch.equal(field.masks[1], torch.from_numpy(rectangle(20, 5, 30, 25)))
    assert torch.equal(field.masks[2], torch.from_numpy(rectangle(30, 20, 40, 30)))  # the crowd region
    # The empty polygon's box is dropped and counted; the malformed RLE skips its image.
    assert second["boxes"].labels == ["square"] and second["boxes"].masks.shape == (1, HEIGHT, WIDTH)
    assert reader.box_counts[EMPTY_MASK] == 1
    assert reader.skipped.counts == {"bad segmentation": 1}
    assert "annotation 6" in reader.skipped.examples[0][1]


def test_crowd_regions_are_skipped_and_counted_by_default(coco_masks):
    reader = CocoDetectionReader(masks=True)
    first = next(iter(reader.read(str(coco_masks))))
    assert first["boxes"].labels == ["triangle", "square"] and len(first["boxes"].masks) == 2
    assert reader.box_counts[CROWD] == 1


def test_masks_travel_with_their_boxes_through_the_transforms(coco_masks):
    plain = next(iter(CocoDetectionReader(masks=True).read(str(coco_masks))))["boxes"]
    flipped = next(iter(CocoDetectionReader(masks=True, transforms=[HorizontalFlip(p=1.0)]).read(str(coco_masks))))["boxes"]
    assert torch.equal(flipped.masks, plain.masks.flip(-1))
    resized = next(iter(CocoDetectionReader(masks=True, transforms=[Resize(60)]).read(str(coco_masks))))["boxes"]
    assert resized.masks.shape == (2, 60, 80)
    # Each mask stays inside its (moved) box.
    for field in (flipped, resized):
        for (x1, y1, x2, y2), mask in zip(field.boxes.tolist(), field.masks):
            ys, xs = torch.nonzero(mask, as_tuple=True)
            assert x1 <= xs.min() and xs.max() < x2 and y1 <= ys.min() and ys.max() < y2


def test_a_crop_drops_a_box_with_its_mask(coco_masks):
    # The middle 16 columns (x 12-28): the triangle (x 2-12) is cut away, the square (x 20-30) cut to x 20-28.
    reader = CocoDetectionReader(masks=True, transforms=[CenterCrop([HEIGHT, 16])])
    field = next(iter(reader.read(str(coco_masks))))["boxes"]
    assert field.labels == ["square"] and field.boxes.tolist() == [[8.0, 5.0, 16.0, 25.0]]
    assert reader.box_counts[CUT_BY_TRANSFORMS] == 1
    assert torch.equal(field.masks[0], torch.from_numpy(rectangle(20, 5, 28, 25)[:, 12:28]))


def test_an_image_of_another_size_than_the_coco_file_says_is_skipped(coco_masks):
    coco = json.loads(coco_masks.read_text())
    coco["images"][0]["width"] = WIDTH + 1
    coco_masks.write_text(json.dumps(coco))
    reader = CocoDetectionReader(masks=True)
    assert len(list(reader.read(str(coco_masks)))) == 1
    assert reader.skipped.counts == {"image size mismatch": 1, "bad segmentation": 1}


def write_voc_with_objects(root: Path, image_id: str, objects, png: numpy.ndarray = None) -> None:
    write_photo(root / "JPEGImages" / f"{image_id}.jpg", WIDTH, HEIGHT)
    body = "".join(VOC_OBJECT.format(name=name, difficult=difficult, box=box) for name, difficult, box in objects)
    (root / "Annotations").mkdir(exist_ok=True)
    (root / "Annotations" / f"{image_id}.xml").write_text(f"<annotation><filename>{image_id}.jpg</filename>{body}</annotation>")
    if png is not None:
        (root / "SegmentationObject").mkdir(exist_ok=True)
        image = PIL.Image.fromarray(png, mode="P")
        image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [224, 224, 192] * 252)
        image.save(root / "SegmentationObject" / f"{image_id}.png")


def test_voc_segmentation_object_pngs(tmp_path):
    # Object 1 (difficult, skipped) on the left, object 2 on the right, with VOC's 255 border around it.
    objects = numpy.zeros((HEIGHT, WIDTH), dtype=numpy.uint8)
    objects[5:15, 2:10] = 1
    objects[9:21, 19:31] = 255
    objects[10:20, 20:30] = 2
    write_voc_with_objects(tmp_path, "2011_000001", [("dog", 1, (3, 6, 10, 15)), ("cat", 0, (21, 11, 30, 20))], objects)
    write_voc_with_objects(tmp_path, "2011_000002", [("cat", 0, (3, 6, 10, 15))])  # no PNG
    reader = VocDetectionReader(masks=True)
    (instance,) = list(reader.read(str(tmp_path)))
    field = instance["boxes"]
    assert field.labels == ["cat"]
    assert torch.equal(field.masks[0], torch.from_numpy((objects == 2).astype(numpy.uint8)))
    assert reader.skipped.counts == {"missing": 1}
    assert "ImageSets/Segmentation" in reader.skipped.examples[0][1]


@needs_labelme
def test_labelme_examples_coco_masks():
    path = LABELME / "instance_segmentation" / "data_dataset_coco" / "annotations.json"
    reader = CocoDetectionReader(masks=True)
    instances = list(reader.read(str(path)))
    assert len(instances) == 3 and not reader.skipped.counts
    for instance in instances:
        field = instance["boxes"]
        height, width = instance["metadata"]["image_size"]
        assert field.masks.shape == (len(field.labels), height, width)
        assert all(mask.sum() > 0 for mask in field.masks)
