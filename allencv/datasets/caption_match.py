"""
An image-text matching task, generated: does the caption describe the image? Each image is one
coloured shape (red, green or blue; circle, square or triangle) of random size and position on a
noisy grey background, and each caption names a colour and a shape ("a red circle", "there is a
blue square", ...). The label is `match` when the caption names the image's colour and shape,
else `mismatch`.

Images and captions are drawn so that neither alone says anything about the label: the image's
colour and shape are uniform, half of the captions describe it, and the other half name one of
the eight other colour-shape pairs, uniformly. So every image and every caption is as likely under
`match` as under `mismatch`, and a model that sees only one of them is right half the time; it
takes both to do better.

Written for the `image_text_manifest` reader (text column `caption`):
`<root>/<split>.jsonl` of `{"path": "images/<split>/<n>.png", "caption": ..., "label": ...}`.

    python -m allencv.datasets.caption_match data/caption_match --size 32 --train 2000 --valid 500 --test 500
"""
import argparse
import json
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy
import PIL.Image
import PIL.ImageDraw

from allencv.datasets.segmentation_shapes import draw_shape

COLOURS = {"red": (210, 40, 40), "green": (40, 180, 60), "blue": (50, 70, 220)}
SHAPES = ("circle", "square", "triangle")
TEMPLATES = ("a {colour} {shape}", "there is a {colour} {shape}", "{colour} {shape} on grey", "the {shape} is {colour}")
PAIRS = [(colour, shape) for colour in COLOURS for shape in SHAPES]
LABELS = ("match", "mismatch")


def shape_image(rng: numpy.random.Generator, colour: str, shape: str, size: int) -> PIL.Image.Image:
    """One `colour` `shape` of random size and position on a noisy grey background."""
    pixels = rng.normal(rng.integers(90, 170), 12, size=(size, size, 3)).clip(0, 255).astype(numpy.uint8)
    image = PIL.Image.fromarray(pixels, mode="RGB")
    side = int(rng.integers(size // 3, (3 * size) // 4))
    left, top = (int(value) for value in rng.integers(0, size - side + 1, size=2))
    fill = tuple(int(value) for value in (numpy.array(COLOURS[colour]) + rng.integers(-25, 25, size=3)).clip(0, 255))
    draw_shape(PIL.ImageDraw.Draw(image), shape, (left, top, left + side - 1, top + side - 1), fill)
    return image


def caption_example(rng: numpy.random.Generator, size: int) -> Tuple[PIL.Image.Image, str, str]:
    """One `(image, caption, label)`: a uniform colour-shape pair, described or not, half and half."""
    colour, shape = PAIRS[int(rng.integers(len(PAIRS)))]
    matches = bool(rng.integers(2))
    if matches:
        named = (colour, shape)
    else:
        others = [pair for pair in PAIRS if pair != (colour, shape)]
        named = others[int(rng.integers(len(others)))]
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    caption = template.format(colour=named[0], shape=named[1])
    return shape_image(rng, colour, shape, size), caption, LABELS[0] if matches else LABELS[1]


def write_caption_match(root: str, size: int = 32, splits: Optional[Dict[str, int]] = None, seed: int = 0) -> Dict[str, Path]:
    """
    Writes each split (default: 2000 train, 500 valid and 500 test examples of `size` x `size`
    pixels) under `root` and returns the manifest of each split.
    """
    splits = splits or {"train": 2000, "valid": 500, "test": 500}
    rng = numpy.random.default_rng(seed)
    manifests = {}
    for split, count in splits.items():
        folder = Path(root) / "images" / split
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for index in range(count):
            image, caption, label = caption_example(rng, size)
            image.save(folder / f"{index:05d}.png")
            lines.append(json.dumps({"path": f"images/{split}/{index:05d}.png", "caption": caption, "label": label}))
        manifests[split] = Path(root) / f"{split}.jsonl"
        manifests[split].write_text("\n".join(lines) + "\n")
    return manifests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="folder to write images/ and the train, valid and test manifests into")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--train", type=int, default=2000, help="number of training examples")
    parser.add_argument("--valid", type=int, default=500, help="number of validation examples")
    parser.add_argument("--test", type=int, default=500, help="number of held-out test examples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    splits = {"train": args.train, "valid": args.valid, "test": args.test}
    manifests = write_caption_match(args.root, args.size, splits, args.seed)
    print(", ".join(f"{split}: {count} examples in {manifests[split]}" for split, count in splits.items()))


if __name__ == "__main__":
    main()
