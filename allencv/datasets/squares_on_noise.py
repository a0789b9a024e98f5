"""
A classification dataset, generated, in which one region of each image carries the label: a
coloured square (red, green or blue, the label) at a random position on per-pixel colour noise.
It checks that an explanation points where the evidence is (`benchmarks/cam_localisation.py`).
Written in the `image_classification_directory` layout, `<root>/<split>/<colour>/<n>.png`, with
each split's squares in `<root>/<split>/squares.json`: `{"<colour>/<n>.png": [x1, y1, x2, y2]}`
(pixels, `x2` and `y2` exclusive).

    python -m allencv.datasets.squares_on_noise data/squares --size 48 --train 600 --test 150
"""
import argparse
import json
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import PIL.Image

#: The colour of each label's square (RGB), jittered per square.
SQUARE_COLOURS = {"blue": (30, 60, 230), "green": (40, 200, 50), "red": (230, 40, 30)}
SQUARES_FILE = "squares.json"


def square_example(rng: numpy.random.Generator, label: str, size: int) -> Tuple[PIL.Image.Image, List[int]]:
    """An RGB image of uniform noise with a square of `label`'s colour, and the square's box."""
    pixels = rng.integers(0, 256, size=(size, size, 3)).astype(float)
    side = int(rng.integers(size // 4, size // 3 + 1))
    left, top = (int(value) for value in rng.integers(0, size - side + 1, size=2))
    colour = numpy.array(SQUARE_COLOURS[label]) + rng.integers(-20, 21, size=3)
    pixels[top:top + side, left:left + side] = colour + rng.normal(0, 8, size=(side, side, 3))
    image = PIL.Image.fromarray(pixels.clip(0, 255).astype(numpy.uint8), mode="RGB")
    return image, [left, top, left + side, top + side]


def write_squares_dataset(root: str, size: int = 48, splits: Dict[str, int] = None, seed: int = 0) -> Dict[str, int]:
    """
    Writes each split (default: 600 train, 150 valid and 150 test images of `size` x `size`
    pixels, the labels in turn) with its `squares.json` under `root`; returns the images per split.
    """
    splits = splits if splits is not None else {"train": 600, "valid": 150, "test": 150}
    if size < 12:
        raise ValueError(f"size must be at least 12 pixels, got {size}.")
    rng = numpy.random.default_rng(seed)
    labels = sorted(SQUARE_COLOURS)
    for split, count in splits.items():
        squares = {}
        for label in labels:
            (Path(root) / split / label).mkdir(parents=True, exist_ok=True)
        for n in range(count):
            label = labels[n % len(labels)]
            image, box = square_example(rng, label, size)
            name = f"{label}/{n:05d}.png"
            image.save(Path(root) / split / name)
            squares[name] = box
        (Path(root) / split / SQUARES_FILE).write_text(json.dumps(squares))
    return dict(splits)


def read_squares(split_dir: str) -> Dict[str, List[int]]:
    """`{absolute image path: [x1, y1, x2, y2]}` of a split written by `write_squares_dataset`."""
    folder = Path(split_dir)
    squares = json.loads((folder / SQUARES_FILE).read_text())
    return {str(folder / name): box for name, box in squares.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the squares-on-noise dataset as image folders.")
    parser.add_argument("root", help="the folder to write train/, valid/ and test/ into")
    parser.add_argument("--size", type=int, default=48, help="image side in pixels (default 48)")
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--valid", type=int, default=150)
    parser.add_argument("--test", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_squares_dataset(
        args.root, args.size, {"train": args.train, "valid": args.valid, "test": args.test}, args.seed
    )
    print(f"Wrote {counts} images of {args.size}x{args.size} pixels to {args.root}")


if __name__ == "__main__":
    main()
