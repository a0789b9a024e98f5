"""
Fashion-MNIST (70,000 28x28 greyscale images of 10 kinds of clothing), from Debian's
`dataset-fashion-mnist` package's IDX files, written out as image folders:
`<root>/<split>/<class name>/<index>.png` with splits `train` (the first 55,000 training images
by a seeded stratified split), `valid` (the other 5,000), `train_all` (all 60,000 training images,
for a final run without validation) and `test` (the official 10,000).

    apt-get install dataset-fashion-mnist
    python -m allencv.datasets.fashion_mnist data/fashion_mnist
"""
import argparse
import gzip
from pathlib import Path
from typing import Dict, Tuple

import numpy
import PIL.Image

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot")
VALIDATION_SIZE = 5000
#: The folders `write_fashion_mnist_folders` writes under its root.
SPLITS = ("train", "valid", "train_all", "test")


def read_idx(path: Path) -> numpy.ndarray:
    """An IDX file (the MNIST format: big-endian dims after a magic number) as a numpy array."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(source: Path, prefix: str) -> Tuple[numpy.ndarray, numpy.ndarray]:
    files = (source / f"{prefix}-images-idx3-ubyte.gz", source / f"{prefix}-labels-idx1-ubyte.gz")
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST files not found: {', '.join(missing)}. Install them with "
            "`apt-get install dataset-fashion-mnist`, or pass the folder holding them."
        )
    return read_idx(files[0]), read_idx(files[1])


def write_fashion_mnist_folders(root: str, source: str = DEBIAN_DIR, seed: int = 0) -> Dict[str, int]:
    """Writes train/valid/train_all/test PNG folders under `root`; returns the number of images per split."""
    train_images, train_labels = load_split(Path(source), "train")
    test_images, test_labels = load_split(Path(source), "t10k")
    rng = numpy.random.default_rng(seed)
    valid = numpy.zeros(len(train_labels), dtype=bool)
    per_class = VALIDATION_SIZE // len(CLASSES)
    for label in range(len(CLASSES)):
        valid[rng.choice(numpy.flatnonzero(train_labels == label), per_class, replace=False)] = True
    counts = {}
    for split, images, labels, indices in (
        ("train", train_images, train_labels, numpy.flatnonzero(~valid)),
        ("valid", train_images, train_labels, numpy.flatnonzero(valid)),
        ("train_all", train_images, train_labels, numpy.arange(len(train_labels))),
        ("test", test_images, test_labels, numpy.arange(len(test_labels))),
    ):
        for name in CLASSES:
            (Path(root) / split / name).mkdir(parents=True, exist_ok=True)
        for index in indices:
            path = Path(root) / split / CLASSES[labels[index]] / f"{index:05d}.png"
            PIL.Image.fromarray(images[index], mode="L").save(path)
        counts[split] = len(indices)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="folder to write train/, valid/, train_all/ and test/ into")
    parser.add_argument("--source", default=DEBIAN_DIR, help="folder holding the IDX .gz files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = write_fashion_mnist_folders(args.root, args.source, args.seed)
    print(", ".join(f"{split}: {count} images" for split, count in counts.items()), "in", args.root)


if __name__ == "__main__":
    main()
