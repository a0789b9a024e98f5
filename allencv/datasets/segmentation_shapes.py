"""
A learnable semantic segmentation dataset, generated: circles, squares and triangles on textured
backgrounds, written in the `semantic_segmentation_directory` layout with VOC-style palette masks:
`<root>/<split>/images/<n>.png`, `<root>/<split>/masks/<n>.png` and `<root>/class_names.txt`.

Every image has one to three shapes of random size and position (they may overlap; the later one
is on top). Each class has its own range of hues, jittered per shape and per pixel, and the
backgrounds are random greyish stripes and noise, so a model must use colour and shape. A one-pixel
border around every shape is marked with the ignore index (255), as VOC marks object borders.

    python -m allencv.datasets.segmentation_shapes data/shapes --size 32 --train 256 --valid 64
"""
import argparse
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFilter

from allencv.data.dataset_readers.semantic_segmentation_directory import voc_palette

SHAPE_CLASSES = ("background", "circle", "square", "triangle")
#: The base colour of each shape class (RGB), jittered per shape.
BASE_COLOURS = {"circle": (200, 60, 50), "square": (50, 170, 70), "triangle": (60, 80, 210)}
IGNORE_INDEX = 255


def textured_background(rng: numpy.random.Generator, size: int) -> numpy.ndarray:
    """A greyish `(size, size, 3)` image of random stripes and noise."""
    grey = rng.integers(60, 190)
    tint = rng.integers(-20, 20, size=3)
    period = rng.uniform(4, 16)
    angle = rng.uniform(0, numpy.pi)
    y, x = numpy.mgrid[0:size, 0:size]
    stripes = 30 * numpy.sin((x * numpy.cos(angle) + y * numpy.sin(angle)) * 2 * numpy.pi / period)
    noise = rng.normal(0, 15, size=(size, size, 3))
    return (grey + tint[None, None, :] + stripes[..., None] + noise).clip(0, 255)


def draw_shape(draw: PIL.ImageDraw.ImageDraw, shape: str, box: Tuple[int, int, int, int], fill) -> None:
    left, top, right, bottom = box
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    else:
        draw.polygon([((left + right) / 2, top), (right, bottom), (left, bottom)], fill=fill)


def shapes_example(rng: numpy.random.Generator, size: int) -> Tuple[PIL.Image.Image, PIL.Image.Image]:
    """One `(image, mask)` pair: an RGB image and a palette mask of class indices."""
    pixels = textured_background(rng, size)
    labels = numpy.zeros((size, size), dtype=numpy.uint8)
    for _ in range(rng.integers(1, 4)):
        class_index = int(rng.integers(1, len(SHAPE_CLASSES)))
        shape = SHAPE_CLASSES[class_index]
        side = int(rng.integers(size // 5, size // 2))
        left, top = (int(value) for value in rng.integers(0, size - side, size=2))
        box = (left, top, left + side, top + side)
        region = PIL.Image.new("L", (size, size), 0)
        draw_shape(PIL.ImageDraw.Draw(region), shape, box, fill=255)
        inside = numpy.asarray(region) > 0
        border = numpy.asarray(region.filter(PIL.ImageFilter.MaxFilter(3))) > 0
        colour = numpy.array(BASE_COLOURS[shape]) + rng.integers(-35, 35, size=3)
        pixels[inside] = colour + rng.normal(0, 12, size=(int(inside.sum()), 3))
        labels[border & ~inside] = IGNORE_INDEX
        labels[inside] = class_index
    image = PIL.Image.fromarray(pixels.clip(0, 255).astype(numpy.uint8), mode="RGB")
    mask = PIL.Image.fromarray(labels, mode="P")
    mask.putpalette([channel for colour in voc_palette() for channel in colour])
    return image, mask


def write_shapes_dataset(root: str, size: int = 32, splits: Optional[Dict[str, int]] = None, seed: int = 0) -> Dict[str, int]:
    """
    Writes each split (default: 256 train and 64 valid images of `size` x `size` pixels) under
    `root`, plus `root/class_names.txt`, and returns the number of images per split.
    """
    splits = splits or {"train": 256, "valid": 64}
    rng = numpy.random.default_rng(seed)
    for split, count in splits.items():
        for folder in ("images", "masks"):
            (Path(root) / split / folder).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            image, mask = shapes_example(rng, size)
            image.save(Path(root) / split / "images" / f"{index:05d}.png")
            mask.save(Path(root) / split / "masks" / f"{index:05d}.png")
    (Path(root) / "class_names.txt").write_text("\n".join(SHAPE_CLASSES) + "\n")
    return dict(splits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="folder to write train/, valid/ and class_names.txt into")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--train", type=int, default=256, help="number of training images")
    parser.add_argument("--valid", type=int, default=64, help="number of validation images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_shapes_dataset(args.root, args.size, {"train": args.train, "valid": args.valid}, args.seed)
    print(", ".join(f"{split}: {count} images" for split, count in counts.items()), "in", args.root)


if __name__ == "__main__":
    main()
