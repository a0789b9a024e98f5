"""
(c) Data-bound: reading, augmenting and batching a JPEG folder, no model. AllenCV's reader,
fields and `torch` data loader against torchvision's `ImageFolder` + `DataLoader` with the same
transforms (decode, random-resized-crop, flip, float and normalize) and batch size, at each
worker count; both yield normalized float32 batches. Also allennlp's default
`MultiProcessDataLoader` over the same reader, lazily (`max_instances_in_memory`): in the main
process only, unless `--allennlp-workers 1`, because with workers it can hang (its forked
workers stuck in a futex wait, the main process in a pipe read: seen here and in issue 3).

    python -m benchmarks.data_path [--images 256 --workers 0,1,2 --runs 3 --allennlp-workers 0]
"""
from pathlib import Path

import torch
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from torchvision import datasets
from torchvision.transforms import v2

from allencv.data.data_loaders import TorchDataLoader
from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.data.transforms import HorizontalFlip, Normalize, RandomResizedCrop
from benchmarks.common import IMAGENET_MEAN, IMAGENET_STD, arguments, compare, report, write_jpeg_folder


def allencv_reader(size: int) -> ImageClassificationDirectoryReader:
    return ImageClassificationDirectoryReader(
        transforms=[RandomResizedCrop(size), HorizontalFlip(), Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    )


def torchvision_loader(root: Path, size: int, batch_size: int, workers: int) -> torch.utils.data.DataLoader:
    transform = v2.Compose([
        v2.PILToTensor(), v2.RandomResizedCrop(size), v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    return torch.utils.data.DataLoader(datasets.ImageFolder(str(root), transform=transform),
                                       batch_size=batch_size, shuffle=True, num_workers=workers)


def count_batches(loader, key=None) -> int:
    return sum(len(batch[key] if key else batch[0]) for batch in loader)


def main() -> None:
    args = arguments(__doc__, images=256, batch_size=32, size=224, workers="0,1,2", allennlp_workers=0)
    root = write_jpeg_folder(Path(args.data) / f"jpegs_{args.images}", args.images)
    vocab = Vocabulary.from_instances(allencv_reader(args.size).read(str(root)))
    for workers in [int(value) for value in args.workers.split(",")]:
        ours = TorchDataLoader(allencv_reader(args.size), str(root), batch_size=args.batch_size, shuffle=True,
                               num_workers=workers)
        ours.index_with(vocab)
        plain = torchvision_loader(root, args.size, args.batch_size, workers)
        sides = {
            "allencv torch loader": lambda: count_batches(ours, "image"),
            "torchvision DataLoader": lambda: count_batches(plain),
        }
        if workers == 0 or args.allennlp_workers:
            allennlp_default = MultiProcessDataLoader(
                allencv_reader(args.size), str(root), batch_size=args.batch_size, shuffle=True,
                num_workers=workers, max_instances_in_memory=4 * args.batch_size, quiet=True,
            )
            allennlp_default.index_with(vocab)
            sides["allennlp multiprocess (lazy)"] = lambda: count_batches(allennlp_default, "image")
        rates = compare(sides, args.runs)
        report(f"(c) data path, {args.images} JPEGs -> {args.size}px, batch {args.batch_size}, "
               f"{workers} workers, {args.threads} threads", rates, baseline="torchvision DataLoader")


if __name__ == "__main__":
    main()
