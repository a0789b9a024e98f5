"""
Data path from tar shards against the same images as a folder: small JPEGs read, augmented and
batched with no model, by the `webdataset` reader (shards written by `allencv.datasets.to_shards`)
and by `image_classification_directory`, both through AllenCV's `torch` loader, against
torchvision's `ImageFolder` + `DataLoader` with the same transforms, at each worker count. Also
the first-batch latency (from `iter(loader)` to the first batch, worker start-up included).

Shards turn one open and read per image into one per shard; the gain grows with the cost of
opening a file (network filesystems, object stores), so a local, page-cached disk shows the least.

    python -m benchmarks.shards [--images 1024 --shard-size 256 --workers 0,1,2 --runs 3]
"""
import statistics
import time
from pathlib import Path

import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from torchvision import datasets
from torchvision.transforms import v2

from allencv.data.data_loaders import TorchDataLoader
from allencv.data.dataset_readers import ImageClassificationDirectoryReader, WebDatasetReader
from allencv.data.transforms import HorizontalFlip, Normalize, RandomResizedCrop
from allencv.datasets.to_shards import write_shards
from benchmarks.common import IMAGENET_MEAN, IMAGENET_STD, arguments, compare, report, write_jpeg_folder


def transforms(size: int) -> list:
    return [RandomResizedCrop(size), HorizontalFlip(), Normalize(IMAGENET_MEAN, IMAGENET_STD)]


def torchvision_loader(root: Path, size: int, batch_size: int, workers: int) -> torch.utils.data.DataLoader:
    transform = v2.Compose([
        v2.PILToTensor(), v2.RandomResizedCrop(size), v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    return torch.utils.data.DataLoader(datasets.ImageFolder(str(root), transform=transform),
                                       batch_size=batch_size, shuffle=True, num_workers=workers)


def count_images(loader, key=None) -> int:
    return sum(len(batch[key] if key else batch[0]) for batch in loader)


def first_batch_seconds(loader) -> float:
    start = time.perf_counter()
    next(iter(loader))
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__, images=1024, shard_size=256, batch_size=64, size=32, workers="0,1,2")
    root = write_jpeg_folder(Path(args.data) / f"small_jpegs_{args.images}", args.images, min_size=48, max_size=64)
    shards = Path(args.data) / f"small_jpegs_{args.images}_shards_{args.shard_size}"
    if not (shards / "index.json").exists():
        write_shards(root, shards, shard_size=args.shard_size)
    vocab = Vocabulary.from_params(Params({"type": "shard_index", "index": str(shards / "index.json")}))
    for workers in [int(value) for value in args.workers.split(",")]:
        loaders = {
            "allencv shards": TorchDataLoader(WebDatasetReader(transforms(args.size), shuffle_buffer=256),
                                              str(shards), batch_size=args.batch_size, num_workers=workers),
            "allencv folder": TorchDataLoader(ImageClassificationDirectoryReader(transforms(args.size)), str(root),
                                              batch_size=args.batch_size, shuffle=True, num_workers=workers),
        }
        for loader in loaders.values():
            loader.index_with(vocab)
        plain = torchvision_loader(root, args.size, args.batch_size, workers)
        sides = {name: (lambda loader=loader: count_images(loader, "image")) for name, loader in loaders.items()}
        sides["torchvision ImageFolder"] = lambda: count_images(plain)
        rates = compare(sides, args.runs)
        report(f"data path, {args.images} JPEGs of 48-64px -> {args.size}px, batch {args.batch_size}, "
               f"shards of {args.shard_size}, {workers} workers, {args.threads} threads",
               rates, baseline="torchvision ImageFolder")
        latencies = {name: [first_batch_seconds(loader) for _ in range(args.runs)] for name, loader in
                     [*loaders.items(), ("torchvision ImageFolder", plain)]}
        for name, values in latencies.items():
            print(f"  first batch, {name:<23} {1000 * statistics.median(values):8.1f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
