"""
(a) Compute-bound and (b) overhead-bound training: one epoch of `allennlp`'s trainer with
AllenCV's reader, `torch` data loader and `basic_image_classifier`, against a hand-written
PyTorch loop (torchvision `ImageFolder` + `DataLoader`, same network, transforms, optimizer,
batch size, threads and workers).

    python benchmarks/training.py --case compute   # resnet18 at 224 px on 300-500 px JPEGs
    python benchmarks/training.py --case overhead  # a small CNN on 32 px digits

Add `--channels-last` or `--bf16` to time those (resnet18) options on both sides.
"""
import logging
from pathlib import Path
from typing import List, Tuple

import torch
import torchvision
from allennlp.data import Vocabulary
from allennlp.training import GradientDescentTrainer
from allennlp.training.optimizers import AdamOptimizer
from torchvision import datasets
from torchvision.transforms import v2

from allencv.data.data_loaders import TorchDataLoader
from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.data.transforms import HorizontalFlip, ImageTransform, Normalize, RandomResizedCrop
from allencv.models.basic_classifier import BasicImageClassifier
from allencv.modules.im2im_encoders import Im2ImEncoder, ResnetEncoder
from allencv.modules.im2vec_encoders import FlattenEncoder
from benchmarks.common import (
    IMAGENET_MEAN, IMAGENET_STD, arguments, compare, report, train_plain, write_digits_folder, write_jpeg_folder,
)


def small_cnn() -> torch.nn.Sequential:
    """(batch, 3, 32, 32) -> (batch, 64, 1, 1)."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.AdaptiveAvgPool2d(1),
    )


@Im2ImEncoder.register("benchmark_small_cnn")
class SmallCnnEncoder(Im2ImEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.layers = small_cnn()

    def get_output_channels(self) -> int:
        return 64

    def get_fixed_output_size(self) -> Tuple[int, int]:
        return (1, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)


def case_setup(args) -> Tuple[Path, List[ImageTransform], v2.Compose, int]:
    """The folder, AllenCV's transforms, torchvision's equivalent and the number of labels."""
    if args.case == "compute":
        root = write_jpeg_folder(Path(args.data) / f"jpegs_{args.images}", args.images)
        ours = [RandomResizedCrop(args.size), HorizontalFlip(), Normalize(IMAGENET_MEAN, IMAGENET_STD)]
        plain = [v2.PILToTensor(), v2.RandomResizedCrop(args.size), v2.RandomHorizontalFlip()]
        labels = 2
    else:
        root = write_digits_folder(Path(args.data) / f"digits_{args.images}", 32, args.images)
        ours = [Normalize(IMAGENET_MEAN, IMAGENET_STD)]
        plain = [v2.PILToTensor()]
        labels = 10
    plain += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    return root, ours, v2.Compose(plain), labels


def plain_network(args, labels: int) -> torch.nn.Module:
    if args.case == "compute":
        network = torchvision.models.resnet18(num_classes=labels)
    else:
        network = torch.nn.Sequential(small_cnn(), torch.nn.Flatten(), torch.nn.Linear(64, labels))
    if args.channels_last:
        network = network.to(memory_format=torch.channels_last)
    return network


def plain_side(args, root: Path, transform: v2.Compose, labels: int):
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(str(root), transform=transform),
                                         batch_size=args.batch_size, shuffle=True, num_workers=args.workers)
    network = plain_network(args, labels)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)

    def run() -> int:
        if not args.bf16:
            return train_plain(network, channels_last(loader) if args.channels_last else loader, optimizer)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return train_plain(network, loader, optimizer)

    return run


def channels_last(loader):
    for images, labels in loader:
        yield images.contiguous(memory_format=torch.channels_last), labels


def allencv_side(args, root: Path, transforms: List[ImageTransform]):
    loader = TorchDataLoader(ImageClassificationDirectoryReader(transforms=transforms), str(root),
                             batch_size=args.batch_size, shuffle=True, num_workers=args.workers, quiet=True)
    vocab = Vocabulary.from_instances(loader.iter_instances())
    loader.index_with(vocab)
    if args.case == "compute":
        encoder: Im2ImEncoder = ResnetEncoder("resnet18", weights=None, channels_last=args.channels_last,
                                              autocast_dtype="bfloat16" if args.bf16 else None)
        vectors = FlattenEncoder(512, 1, 1)
    else:
        encoder, vectors = SmallCnnEncoder(), FlattenEncoder(64, 1, 1)
    model = BasicImageClassifier(vocab, vectors, encoder)
    optimizer = AdamOptimizer(list(model.named_parameters()), lr=1e-3)

    def run() -> int:
        trainer = GradientDescentTrainer(model, optimizer, loader, num_epochs=1, cuda_device=-1)
        trainer.train()
        return sum(1 for _ in loader.reader.list_items(str(root)))

    return run


def main() -> None:
    args = arguments(__doc__, case="compute", images=0, batch_size=0, size=224, workers=2,
                     channels_last=0, bf16=0)
    defaults = {"compute": (256, 16), "overhead": (2048, 64)}[args.case]
    args.images = args.images or defaults[0]
    args.batch_size = args.batch_size or defaults[1]
    logging.getLogger("allennlp").setLevel(logging.WARNING)
    root, ours, plain, labels = case_setup(args)
    rates = compare({
        "allencv + allennlp trainer": allencv_side(args, root, ours),
        "plain torchvision loop": plain_side(args, root, plain, labels),
    }, args.runs)
    options = "".join([" channels_last" if args.channels_last else "", " bf16" if args.bf16 else ""])
    report(f"({'a' if args.case == 'compute' else 'b'}) training, {args.case}-bound{options}: {args.images} "
           f"images, batch {args.batch_size}, {args.workers} workers, {args.threads} threads",
           rates, baseline="plain torchvision loop")


if __name__ == "__main__":
    main()
