"""`python -m allencv.datasets.fashion_mnist`: Fashion-MNIST's IDX files as train/valid/train_all/test image folders."""
import gzip

import numpy
import PIL.Image
import pytest

from allencv.datasets import fashion_mnist
from allencv.datasets.fashion_mnist import CLASSES, SPLITS, write_fashion_mnist_folders


def write_idx(path, array):
    """`array` in the IDX format: a zero word, the dtype code 0x08 (uint8), the number of dims, each dim big-endian."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(dim).to_bytes(4, "big") for dim in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(numpy.uint8).tobytes())


def write_source(root, train_per_class, test_per_class):
    root.mkdir()
    rng = numpy.random.default_rng(0)
    for prefix, per_class in (("train", train_per_class), ("t10k", test_per_class)):
        labels = numpy.repeat(numpy.arange(len(CLASSES)), per_class)
        rng.shuffle(labels)
        images = rng.integers(0, 256, size=(len(labels), 28, 28))
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


def pngs(root, split):
    return {(path.parent.name, path.name): numpy.asarray(PIL.Image.open(path))
            for path in (root / split).glob("*/*.png")}


def test_the_splits_hold_the_right_images(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "VALIDATION_SIZE", 20)  # 2 per class of 6
    source = write_source(tmp_path / "source", train_per_class=6, test_per_class=3)
    counts = write_fashion_mnist_folders(str(tmp_path / "out"), str(source))

    assert counts == {"train": 40, "valid": 20, "train_all": 60, "test": 30}
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(SPLITS)
    train, valid, train_all = (pngs(tmp_path / "out", split) for split in ("train", "valid", "train_all"))
    assert not train.keys() & valid.keys()
    assert train_all.keys() == train.keys() | valid.keys()  # the same file names: the same images
    train_and_valid = {**train, **valid}
    assert all(numpy.array_equal(train_all[key], train_and_valid[key]) for key in train_all)
    images = fashion_mnist.read_idx(source / "train-images-idx3-ubyte.gz")
    labels = fashion_mnist.read_idx(source / "train-labels-idx1-ubyte.gz")
    for (label, name), pixels in train_all.items():
        index = int(name[:-len(".png")])
        assert label == CLASSES[labels[index]] and numpy.array_equal(pixels, images[index])
    assert {label: sum(key[0] == label for key in valid) for label in CLASSES} == {label: 2 for label in CLASSES}


def test_missing_files_name_the_package_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        write_fashion_mnist_folders(str(tmp_path / "out"), str(tmp_path))
