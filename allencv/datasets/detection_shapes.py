"""
A learnable object detection dataset: coloured shapes (circles, squares, triangles) on noisy
backgrounds, written as images plus a COCO instances file per split:
`<root>/<split>/<index>.png` and `<root>/<split>.json`.

    python -m allencv.datasets.detection_shapes data/shapes --train 300 --valid 60 --size 128
"""
import argparse
import json
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import PIL.Image
import PIL.ImageDraw

#: Each shape's base colour; every object's colour is jittered around it.
SHAPES = {"circle": (220, 60, 50), "square": (50, 190, 70), "triangle": (60, 90, 230)}


def draw_shapes_image(
    rng: numpy.random.Generator, size: int, max_objects: int, min_side: int, max_side: int
) -> Tuple[PIL.Image.Image, List[Tuple[str, List[float]]]]:
    """One noisy `size`x`size` image with 1 to `max_objects` shapes, and `(name, xyxy box)` per shape."""
    background = rng.integers(60, 196, size=3)
    noise = rng.normal(0, 25, size=(size, size, 3))
    image = PIL.Image.fromarray(numpy.clip(background + noise, 0, 255).astype(numpy.uint8), mode="RGB")
    draw = PIL.ImageDraw.Draw(image)
    objects = []
    for _ in range(rng.integers(1, max_objects + 1)):
        name = str(rng.choice(list(SHAPES)))
        side = int(rng.integers(min_side, max_side + 1))
        x, y = (int(value) for value in rng.integers(0, size - side, size=2))
        colour = tuple(int(c) for c in numpy.clip(numpy.array(SHAPES[name]) + rng.integers(-30, 31, size=3), 0, 255))
        box = [x, y, x + side, y + side]
        if name == "circle":
            draw.ellipse(box, fill=colour)
        elif name == "square":
            draw.rectangle(box, fill=colour)
        else:
            draw.polygon([(x, y + side), (x + side, y + side), (x + side / 2, y)], fill=colour)
        objects.append((name, [float(value) for value in box]))
    return image, objects


def write_shapes_dataset(
    root: str,
    splits: Dict[str, int],
    size: int = 128,
    max_objects: int = 3,
    min_side: int = 16,
    max_side: int = 48,
    seed: int = 0,
) -> Dict[str, str]:
    """
    Writes `splits` (`{"train": 300, "valid": 60}`: images per split) under `root`; returns the
    COCO file of each split. Shapes may overlap; a later one is drawn over an earlier one.
    """
    rng = numpy.random.default_rng(seed)
    categories = [{"id": index + 1, "name": name} for index, name in enumerate(SHAPES)]
    category_ids = {category["name"]: category["id"] for category in categories}
    files = {}
    for split, count in splits.items():
        folder = Path(root) / split
        folder.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for index in range(count):
            image, objects = draw_shapes_image(rng, size, max_objects, min_side, max_side)
            image.save(folder / f"{index:05d}.png")
            images.append({"id": index, "file_name": f"{split}/{index:05d}.png", "height": size, "width": size})
            for name, (x1, y1, x2, y2) in objects:
                annotations.append({
                    "id": len(annotations) + 1, "image_id": index, "category_id": category_ids[name],
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
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
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = write_shapes_dataset(args.root, {"train": args.train, "valid": args.valid}, size=args.size, seed=args.seed)
    print("Wrote", ", ".join(files.values()))


if __name__ == "__main__":
    main()
