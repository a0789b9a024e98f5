"""
Training images/s on the path users run, `allennlp train CONFIG -s DIR` with a shipped-style
config (AllenCV's reader, `torch` loader, `basic_image_classifier` with `pretrained_resnet`
resnet18, Adam, and the default checkpoint every epoch), against a plain torchvision loop
(`ImageFolder` + `DataLoader`, `torchvision.models.resnet18`, Adam, no checkpoints) in the same
run. The sides alternate, each run starts afresh, and each side's second epoch is timed: for
`allennlp train`, from its `metrics_epoch_N.json` (the epoch and the checkpoint before it), for
the plain loop, its wall time.

    python -m benchmarks.training --case compute  --workers 0,2 --runs 5   # resnet18, 224 px crops of 300-500 px JPEGs
    python -m benchmarks.training --case overhead --workers 0,2 --runs 5   # resnet18, 10 classes of 32 px PNGs

`--folder` times an image folder of your own (`<label>/<image>`, e.g. Fashion-MNIST's written by
`allencv.datasets.fashion_mnist`) in the overhead case. `--checkpointers 1` adds a third side, the
same `allennlp train` with allennlp's own `Checkpointer`, which writes on the training thread.
`--channels-last 1` and `--bf16 1` time those resnet18 options on both sides. `--compare PATH` adds
a side that runs `allennlp train` with the `allencv` package in the folder PATH, e.g. an older
commit's (`git archive COMMIT allencv | tar -x -C PATH`), for a paired before/after.

Besides wall-clock images/s, each side reports images per CPU second over the same span (the
process's threads and its reaped loader workers, from `os.times()`; for `allennlp train` through
the `epoch_cpu_time` callback below): on a machine that other jobs load, CPU time changes much less
than wall time. Run with `OMP_NUM_THREADS=1` to keep idle-spinning intra-op threads out of it.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import torch
import torchvision
from allennlp.training.callbacks import TrainerCallback
from torchvision import datasets
from torchvision.transforms import v2

from benchmarks.common import (
    IMAGENET_MEAN, IMAGENET_STD, REPO_ROOT, arguments, rate_after_first_epoch, report, train_plain,
    write_digits_folder, write_jpeg_folder,
)

EPOCHS = 2
BENCHMARKS_PATH = Path(__file__).resolve().parent.parent  # where `benchmarks` is importable from
CPU_TIMES = "epoch_cpu_seconds.json"


def cpu_seconds() -> float:
    """CPU time of this process's threads and of its children that have ended (the loader's workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@TrainerCallback.register("epoch_cpu_time")
class EpochCpuTime(TrainerCallback):
    """Appends `cpu_seconds()` at the end of each epoch (where allennlp takes `training_duration`) to a file."""

    def on_epoch(self, trainer, metrics, epoch, is_primary=True, **kwargs) -> None:
        path = Path(self.serialization_dir) / CPU_TIMES
        times = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(times + [cpu_seconds()]))


def allennlp_config(args, root: Path, workers: int, checkpointer: str = "") -> Dict:
    """The experiment a user writes for this folder (see training_config/image_classifier.jsonnet)."""
    normalize = {"type": "normalize", "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    crop = [{"type": "random_resized_crop", "size": args.size}, {"type": "horizontal_flip"}]
    encoder = {"type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None}
    if args.channels_last:
        encoder["channels_last"] = True
    if args.bf16:
        encoder["autocast_dtype"] = "bfloat16"
    trainer = {"optimizer": {"type": "adam", "lr": 1e-3}, "num_epochs": EPOCHS, "cuda_device": -1,
               "callbacks": [{"type": "epoch_cpu_time"}]}
    if checkpointer:
        trainer["checkpointer"] = {"type": checkpointer}
    return {
        "dataset_reader": {
            "type": "image_classification_directory",
            "transforms": (crop if args.case == "compute" else []) + [normalize],
        },
        "train_data_path": str(root),
        "vocabulary": {"type": "sorted_labels"},
        "model": {
            "type": "basic_image_classifier",
            "im2im_encoder": encoder,
            "im2vec_encoder": {"type": "flatten", "input_channels": 512, "input_height": 1, "input_width": 1},
        },
        "data_loader": {"type": "torch", "batch_size": args.batch_size, "shuffle": True, "num_workers": workers},
        "trainer": trainer,
    }


def allennlp_side(args, root: Path, images: int, workers: int, checkpointer: str = "", allencv: Path = REPO_ROOT):
    config = Path(tempfile.mkdtemp(dir=args.data)) / "experiment.json"
    config.write_text(json.dumps(allennlp_config(args, root, workers, checkpointer), indent=2))

    def run() -> Tuple[float, float]:
        serialization_dir = Path(tempfile.mkdtemp(dir=args.data)) / "run"
        # `allencv` first, then this checkout's benchmarks (the callback); allencv/ of this checkout
        # is not importable through the benchmarks path alone.
        finished = subprocess.run(
            [sys.executable, "-m", "allennlp", "train", str(config), "-s", str(serialization_dir),
             "--include-package", "allencv", "--include-package", "benchmarks.training"],
            cwd=allencv, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(allencv), str(BENCHMARKS_PATH)])},
            capture_output=True, text=True,
        )
        if finished.returncode != 0:
            raise RuntimeError(f"allennlp train {config} failed:\n{finished.stderr[-3000:]}")
        cpu = json.loads((serialization_dir / CPU_TIMES).read_text())
        return rate_after_first_epoch(serialization_dir, images, EPOCHS), images * (EPOCHS - 1) / (cpu[-1] - cpu[0])

    return run


def plain_side(args, root: Path, workers: int, labels: int):
    steps = [v2.PILToTensor()]
    if args.case == "compute":
        steps += [v2.RandomResizedCrop(args.size), v2.RandomHorizontalFlip()]
    transform = v2.Compose(steps + [v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)])

    def run() -> Tuple[float, float]:
        loader = torch.utils.data.DataLoader(datasets.ImageFolder(str(root), transform=transform),
                                             batch_size=args.batch_size, shuffle=True, num_workers=workers)
        network = torchvision.models.resnet18(num_classes=labels)
        if args.channels_last:
            network = network.to(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
        epoch = _plain_epoch(args, network, loader, optimizer)
        for _ in range(EPOCHS - 1):
            start, start_cpu = time.perf_counter(), cpu_seconds()
            images = epoch()
            seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        return images / seconds, images / cpu

    return run


def _plain_epoch(args, network, loader, optimizer) -> Callable[[], int]:
    def epoch() -> int:
        batches = ((images.contiguous(memory_format=torch.channels_last), labels) for images, labels in loader) \
            if args.channels_last else loader
        if not args.bf16:
            return train_plain(network, batches, optimizer)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return train_plain(network, batches, optimizer)

    epoch()  # the untimed first epoch, as on the allennlp side
    return epoch


def main() -> None:
    args = arguments(__doc__, case="compute", images=0, batch_size=0, size=224, workers="0,2", folder="",
                     checkpointers=0, channels_last=0, bf16=0, compare="")
    defaults = {"compute": (64, 16), "overhead": (2000, 64)}[args.case]
    args.images = args.images or defaults[0]
    args.batch_size = args.batch_size or defaults[1]
    Path(args.data).mkdir(parents=True, exist_ok=True)
    if args.folder:
        root = Path(args.folder)
    elif args.case == "compute":
        root = write_jpeg_folder(Path(args.data) / f"jpegs_{args.images}", args.images)
    else:
        root = write_digits_folder(Path(args.data) / f"digits_{args.images}", 32, args.images)
    images = len(datasets.ImageFolder(str(root)))
    labels = len(datasets.ImageFolder(str(root)).classes)
    options = "".join([" channels_last" if args.channels_last else "", " bf16" if args.bf16 else ""])
    for workers in (int(count) for count in args.workers.split(",")):
        sides = {"allennlp train": allennlp_side(args, root, images, workers)}
        if args.compare:
            sides[f"allennlp train, {args.compare}"] = allennlp_side(args, root, images, workers,
                                                                   allencv=Path(args.compare).resolve())
        if args.checkpointers:
            sides["allennlp train, allennlp's Checkpointer"] = allennlp_side(args, root, images, workers,
                                                                             checkpointer="default")
        sides["plain torchvision loop"] = plain_side(args, root, workers, labels)
        rates: Dict[str, List[float]] = {name: [] for name in sides}
        cpu_rates: Dict[str, List[float]] = {name: [] for name in sides}
        for _ in range(args.runs):  # alternating, so load on the machine hits every side alike
            for name, run in sides.items():
                wall, cpu = run()
                rates[name].append(wall)
                cpu_rates[name].append(cpu)
        title = (f"{args.case}-bound training{options}: {images} images of {root}, {labels} labels, batch "
                 f"{args.batch_size}, {workers} workers, {args.threads} threads, epoch 2 of {EPOCHS}, "
                 f"load average {os.getloadavg()[0]:.1f}")
        report(title + ", wall clock", rates, baseline="plain torchvision loop")
        report(title + ", per CPU second", cpu_rates, baseline="plain torchvision loop", unit="img/CPU s")


if __name__ == "__main__":
    main()
