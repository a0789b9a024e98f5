"""
Whether `channels_last` speeds up training on this CPU: the CPU time of one training step (forward,
cross-entropy, backward, Adam) in the default NCHW memory format and in `channels_last`, for the
models and sizes AllenCV's configs train on the CPU: `small_cnn` on 28 px images (batch 256, as
`training_config/fashion_mnist_fast.jsonnet`), resnet18 on 32 px (batch 64) and on 224 px (batch 16).
The formats alternate step by step, and the report gives the median CPU seconds per step, min-max
and the ratio channels_last / NCHW (below 1: channels_last is faster). CPU time (with one thread, it is
what a step costs) is measured rather than wall time, so that other jobs on the machine change it little.

    python -m benchmarks.channels_last --runs 7 --threads 1
"""
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
import torchvision

from allencv.modules.im2im_encoders.small_cnn_encoder import SmallCnnEncoder
from benchmarks.common import arguments

CASES: Dict[str, Tuple[Callable[[], torch.nn.Module], Tuple[int, int, int, int]]] = {
    "small_cnn, 28 px, batch 256": (
        lambda: torch.nn.Sequential(SmallCnnEncoder(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                    torch.nn.Linear(128, 10)),
        (256, 3, 28, 28),
    ),
    "resnet18, 32 px, batch 64": (lambda: torchvision.models.resnet18(num_classes=10), (64, 3, 32, 32)),
    "resnet18, 224 px, batch 16": (lambda: torchvision.models.resnet18(num_classes=10), (16, 3, 224, 224)),
}


def step_seconds(model: torch.nn.Module, optimizer: torch.optim.Optimizer, shape, memory_format) -> float:
    images = torch.randn(shape).contiguous(memory_format=memory_format)
    labels = torch.randint(0, 10, (shape[0],))
    start = time.process_time()
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(images), labels).backward()
    optimizer.step()
    return time.process_time() - start


def main() -> None:
    args = arguments(__doc__, runs=7)
    for name, (build, shape) in CASES.items():
        sides = {}
        for memory_format in (torch.contiguous_format, torch.channels_last):
            model = build().to(memory_format=memory_format)
            sides[memory_format] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
        seconds: Dict[torch.memory_format, List[float]] = {memory_format: [] for memory_format in sides}
        for run in range(args.runs + 1):  # the first step of each is a warm-up
            for memory_format, (model, optimizer) in sides.items():
                elapsed = step_seconds(model, optimizer, shape, memory_format)
                if run:
                    seconds[memory_format].append(elapsed)
        nchw, channels_last = (seconds[memory_format] for memory_format in sides)
        print(f"{name}, {args.threads} thread(s): NCHW {statistics.median(nchw):.3f} s "
              f"({min(nchw):.3f}-{max(nchw):.3f}), channels_last {statistics.median(channels_last):.3f} s "
              f"({min(channels_last):.3f}-{max(channels_last):.3f}) CPU per step; "
              f"ratio {statistics.median(channels_last) / statistics.median(nchw):.3f}", flush=True)


if __name__ == "__main__":
    main()
