"""
scikit-learn's handwritten digits (1,797 8x8 greyscale images, 10 classes, shipped with
scikit-learn) written out as image folders: `<root>/<split>/<digit>/<index>.png`.

    python -m allencv.datasets.digits data/digits
"""
import argparse
from pathlib import Path
from typing import Dict

import numpy
import PIL.Image
from sklearn.datasets import load_digits

SPLITS = {"train": 0.7, "valid": 0.15, "test": 0.15}


def write_digits_folders(root: str, seed: int = 0) -> Dict[str, int]:
    """
    Writes a stratified train/valid/test split (70/15/15) of the digits as PNG folders under
    `root` and returns the number of images per split. Pixel values 0-16 are scaled to 0-255.
    """
    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).round().astype(numpy.uint8)
    rng = numpy.random.default_rng(seed)
    counts = {split: 0 for split in SPLITS}
    for digit in range(10):
        indices = rng.permutation(numpy.flatnonzero(digits.target == digit))
        bounds = numpy.cumsum([round(fraction * len(indices)) for fraction in SPLITS.values()])
        for split, part in zip(SPLITS, numpy.split(indices, bounds[:-1])):
            folder = Path(root) / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            for index in part:
                PIL.Image.fromarray(images[index], mode="L").save(folder / f"{index:04d}.png")
            counts[split] += len(part)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="folder to write train/, valid/ and test/ into")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_digits_folders(args.root, args.seed)
    print(", ".join(f"{split}: {count} images" for split, count in counts.items()), "in", args.root)


if __name__ == "__main__":
    main()
