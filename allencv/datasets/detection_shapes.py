"""
A learnable object detection dataset: coloured shapes (circles, squares, triangles) on noisy
backgrounds, written as images plus a COCO file per split: `<root>/<split>/<index>.png` and
`<root>/<split>.json`. Each shape fills exactly the pixels of its box and carries three COCO
keypoints (`KEYPOINT_NAMES`: its top and its bottom-left and bottom-right corners; for a circle,
the points of its outline at 45 degrees below the centre), visible (2) or, where a later shape is
drawn over them, hidden (1); the `coco_detection` reader reads them with `keypoints: true`.
Each shape's `segmentation` is its instance mask, the pixels it shows (a later shape hides what it
covers), as an uncompressed COCO RLE; `coco_detection` reads them with `masks: true`. With
`touching`, shapes are also placed flush against the previous one, sharing an edge.

    python -m allencv.datasets.detection_shapes data/shapes --train 300 --valid 60 --size 128
"""
import argparse
import json
import math
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import PIL.Image
import PIL.ImageDraw

#: Each shape's base colour; every object's colour is jittered around it.
SHAPES = {"circle": (220, 60, 50), "square": (50, 190, 70), "triangle": (60, 90, 230)}
#: The keypoints of every shape, in COCO's order, and the skeleton joining them (1-based, as COCO).
KEYPOINT_NAMES = ["top", "bottom_left", "bottom_right"]
SKELETON = [[1, 2], [2, 3], [3, 1]]

Keypoints = List[Tuple[float, float, int]]


def draw_shapes_image(
    rng: numpy.random.Generator, size: int, max_objects: int, min_side: int, max_side: int, touching: float = 0.0
) -> Tuple[PIL.Image.Image, List[Tuple[str, List[float], Keypoints, numpy.ndarray]]]:
    """
    One noisy `size`x`size` image with 1 to `max_objects` shapes, and `(name, xyxy box,
    keypoints, mask)` per shape: `(x, y, visibility)` pixel positions in `KEYPOINT_NAMES` order,
    and the `(size, size)` boolean mask of the pixels it shows. With probability `touching`, a
    shape after the first is placed against the previous one's right or bottom edge (where it fits).
    """
    background = rng.integers(60, 196, size=3)
    noise = rng.normal(0, 25, size=(size, size, 3))
    image = PIL.Image.fromarray(numpy.clip(background + noise, 0, 255).astype(numpy.uint8), mode="RGB")
    draw = PIL.ImageDraw.Draw(image)
    # Which shape (1-based) each pixel shows: a later shape hides the keypoints it covers.
    owners = PIL.Image.new("L", (size, size))
    draw_owner = PIL.ImageDraw.Draw(owners)
    shapes = []
    for number in range(1, rng.integers(1, max_objects + 1) + 1):
        name = str(rng.choice(list(SHAPES)))
        side = int(rng.integers(min_side, max_side + 1))
        x, y = (int(value) for value in rng.integers(0, size - side, size=2))
        if shapes and touching > 0 and rng.random() < touching:
            x, y = touching_position(rng, shapes[-1][1], side, size, (x, y))
        colour = tuple(int(c) for c in numpy.clip(numpy.array(SHAPES[name]) + rng.integers(-30, 31, size=3), 0, 255))
        # The shape covers pixels x .. x + side - 1: exactly the box [x, x + side).
        last, middle = side - 1, (side - 1) / 2
        corners = [(x + middle, y), (x, y + last), (x + last, y + last)]
        if name == "circle":
            offset = middle / math.sqrt(2)
            corners = [(x + middle, y), (x + middle - offset, y + middle + offset), (x + middle + offset, y + middle + offset)]
        for canvas, fill in ((draw, colour), (draw_owner, number)):
            if name == "circle":
                canvas.ellipse([x, y, x + last, y + last], fill=fill)
            elif name == "square":
                canvas.rectangle([x, y, x + last, y + last], fill=fill)
            else:
                canvas.polygon(corners, fill=fill)
        shapes.append((name, [float(x), float(y), float(x + side), float(y + side)], corners))
    owner = numpy.asarray(owners)
    objects = []
    for number, (name, box, corners) in enumerate(shapes, start=1):
        keypoints = [
            (round(float(px), 2), round(float(py), 2), 1 if owner[round(py), round(px)] > number else 2) for px, py in corners
        ]
        objects.append((name, box, keypoints, owner == number))
    return image, objects


def touching_position(
    rng: numpy.random.Generator, previous: List[float], side: int, size: int, fallback: Tuple[int, int]
) -> Tuple[int, int]:
    """The top-left corner of a `side` square flush against the `previous` box's right or bottom edge."""
    x1, y1, x2, y2 = (int(value) for value in previous)
    candidates = [(x2, y1), (x1, y2)]  # right of it, below it
    fitting = [(x, y) for x, y in candidates if x + side <= size and y + side <= size]
    return fitting[int(rng.integers(len(fitting)))] if fitting else fallback


def uncompressed_rle(mask: numpy.ndarray) -> Dict[str, List[int]]:
    """COCO's uncompressed RLE of a `(height, width)` boolean mask: alternate runs of 0s and 1s, column by column."""
    flat = mask.flatten(order="F").astype(numpy.int8)
    bounds = numpy.concatenate([[0], numpy.flatnonzero(numpy.diff(flat)) + 1, [flat.size]])
    counts = numpy.diff(bounds).tolist()
    return {"size": list(mask.shape), "counts": ([0] if flat[0] else []) + counts}


def write_shapes_dataset(
    root: str,
    splits: Dict[str, int],
    size: int = 128,
    max_objects: int = 3,
    min_side: int = 16,
    max_side: int = 48,
    seed: int = 0,
    touching: float = 0.0,
) -> Dict[str, str]:
    """
    Writes `splits` (`{"train": 300, "valid": 60}`: images per split) under `root`; returns the
    COCO file of each split. Shapes may overlap; a later one is drawn over an earlier one. With
    `touching`, the probability that a shape is placed against the previous one.
    """
    rng = numpy.random.default_rng(seed)
    categories = [
        {"id": index + 1, "name": name, "keypoints": KEYPOINT_NAMES, "skeleton": SKELETON}
        for index, name in enumerate(SHAPES)
    ]
    category_ids = {category["name"]: category["id"] for category in categories}
    files = {}
    for split, count in splits.items():
        folder = Path(root) / split
        folder.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for index in range(count):
            image, objects = draw_shapes_image(rng, size, max_objects, min_side, max_side, touching)
            image.save(folder / f"{index:05d}.png")
            images.append({"id": index, "file_name": f"{split}/{index:05d}.png", "height": size, "width": size})
            for name, (x1, y1, x2, y2), keypoints, mask in objects:
                annotations.append({
                    "id": len(annotations) + 1, "image_id": index, "category_id": category_ids[name],
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "area": int(mask.sum()), "iscrowd": 0,
                    "segmentation": uncompressed_rle(mask),
                    "keypoints": [value for point in keypoints for value in point], "num_keypoints": len(keypoints),
                })
        path = Path(root) / f"{split}.json"
        path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
        files[split] = str(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="folder to write the images and COCO files into")
    parser.add_argument("--train", type=int, default=300, help="training images")
    parser.add_argument("--valid", type=int, default=60, help="validation images")
    parser.add_argument("--size", type=int, default=128, help="image side in pixels")
    parser.add_argument("--max-objects", type=int, default=3, help="at most this many shapes per image")
    parser.add_argument("--touching", type=float, default=0.0, help="probability that a shape touches the previous one")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = write_shapes_dataset(args.root, {"train": args.train, "valid": args.valid}, size=args.size,
                                 max_objects=args.max_objects, seed=args.seed, touching=args.touching)
    print("Wrote", ", ".join(files.values()))


if __name__ == "__main__":
    main()
