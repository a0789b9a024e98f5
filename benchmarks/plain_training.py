"""
The plain torchvision side of `benchmarks.training`, in a process of its own as `allennlp train`
is: `ImageFolder` + `DataLoader`, `torchvision.models.resnet18`, Adam, no checkpoints. Trains
`--epochs` epochs, times the last ones and prints their images/s and images per CPU second as JSON.

    python -m benchmarks.plain_training --folder /tmp/allencv_benchmarks/digits_2000 --case overhead
"""
import argparse
import json
import time

import torch
import torchvision
from torchvision import datasets
from torchvision.transforms import v2

from benchmarks.common import IMAGENET_MEAN, IMAGENET_STD, cpu_seconds, train_plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", required=True, help="`<label>/<image>` folder")
    parser.add_argument("--case", choices=["compute", "overhead"], default="overhead")
    parser.add_argument("--size", type=int, default=224, help="crop size of the compute case")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--persistent-workers", type=int, default=0, help="keep the workers between epochs")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--epochs", type=int, default=2, help="the first is not timed")
    parser.add_argument("--channels-last", type=int, default=0)
    parser.add_argument("--bf16", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    steps = [v2.PILToTensor()]
    if args.case == "compute":
        steps += [v2.RandomResizedCrop(args.size), v2.RandomHorizontalFlip()]
    transform = v2.Compose(steps + [v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    dataset = datasets.ImageFolder(args.folder, transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                                         persistent_workers=bool(args.persistent_workers and args.workers))
    network = torchvision.models.resnet18(num_classes=len(dataset.classes))
    if args.channels_last:
        network = network.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)

    def epoch() -> int:
        batches = ((images.contiguous(memory_format=torch.channels_last), labels) for images, labels in loader) \
            if args.channels_last else loader
        if not args.bf16:
            return train_plain(network, batches, optimizer)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return train_plain(network, batches, optimizer)

    epoch()  # untimed, as allennlp's first epoch is
    start, start_cpu, images = time.perf_counter(), cpu_seconds(), 0
    for _ in range(args.epochs - 1):
        images += epoch()
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
    print(json.dumps({"images_per_second": images / seconds, "images_per_cpu_second": images / cpu}))


if __name__ == "__main__":
    main()
