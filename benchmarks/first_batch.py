"""
Time to the first training batch, and peak memory, on a JPEG folder: `allennlp train` (with
`image_classification_directory`, the default `data_loader`, resnet18 from scratch) against
torchvision's `ImageFolder` + `DataLoader` with the same transforms, batch size and model. Each
side is a fresh process, timed from its start until its first optimizer step is done (the
allennlp side stops there through the `exit_at_first_batch` callback below); its peak RSS is the
operating system's account of that process. The runs alternate, and the report prints medians,
min-max and the ratio allencv / torchvision. allennlp's own start-up (importing allennlp, which
imports transformers and spacy) is measured too, as `python -c "import allennlp.commands"`.

    python -m benchmarks.first_batch [--images 10000 --runs 3 --batch-size 32]

The folder holds `--distinct` different JPEGs (375-500 px a side), each copied into many files:
decoding costs the same, and 10,000 images are written in seconds rather than minutes.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

from allennlp.training.callbacks import TrainerCallback

from benchmarks.common import REPO_ROOT, arguments, summary, write_jpeg_folder

#: What each side's child prints: the seconds from `time.time()` at which its first step ended.
MARK = "FIRST_BATCH_AT"


@TrainerCallback.register("exit_at_first_batch")
class ExitAtFirstBatch(TrainerCallback):
    """Prints when the first training batch is done, and ends the process there."""

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number,
                 is_training, is_primary=True, batch_grad_norm=None, **kwargs) -> None:
        if is_training:
            print(f"{MARK} {time.time()}", flush=True)
            os._exit(0)


def allencv_config(root: Path, batch_size: int) -> dict:
    """The config a user writes for this folder (`data_loader` with no `type`: AllenCV's default)."""
    return {
        "dataset_reader": {
            "type": "image_classification_directory",
            "transforms": [{"type": "random_resized_crop", "size": 224}, {"type": "horizontal_flip"},
                           {"type": "normalize"}],
        },
        "train_data_path": str(root),
        "vocabulary": {"type": "sorted_labels"},
        "model": {
            "type": "basic_image_classifier",
            "im2im_encoder": {"type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None},
            "im2vec_encoder": {"type": "flatten", "input_channels": 512, "input_height": 1, "input_width": 1},
        },
        "data_loader": {"batch_size": batch_size, "shuffle": True},
        "trainer": {"optimizer": {"type": "adam", "lr": 0.001}, "num_epochs": 1, "cuda_device": -1,
                    "callbacks": [{"type": "exit_at_first_batch"}]},
    }


def write_jpeg_copies(root: Path, count: int, distinct: int) -> Path:
    """`count` JPEG files in two label folders, copies of `distinct` generated ones."""
    if root.exists() and sum(1 for _ in root.rglob("*.jpg")) == count:
        return root
    originals = sorted(write_jpeg_folder(root.with_name(root.name + "_originals"), distinct, 375, 500).rglob("*.jpg"))
    for index in range(count):
        label = ("cat", "dog")[index % 2]
        (root / label).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(originals[index % len(originals)], root / label / f"{index:05d}.jpg")
    return root


def plain_first_batch(root: Path, batch_size: int) -> None:
    """torchvision's side, run in the child: one optimizer step of resnet18 on the first batch."""
    import torch
    import torchvision
    from torchvision.transforms import v2

    transform = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(224), v2.RandomHorizontalFlip(),
                            v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])
    loader = torch.utils.data.DataLoader(torchvision.datasets.ImageFolder(str(root), transform),
                                         batch_size=batch_size, shuffle=True)
    model = torchvision.models.resnet18(num_classes=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    images, labels = next(iter(loader))
    torch.nn.functional.cross_entropy(model(images), labels).backward()
    optimizer.step()
    print(f"{MARK} {time.time()}", flush=True)


def timed(command: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """Seconds from starting `command` to its first batch, and its peak RSS in MiB."""
    start = time.time()
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = process.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    marks = [line.split()[1] for line in output.splitlines() if line.startswith(MARK)]
    if not marks:
        raise RuntimeError(f"{' '.join(command)} ended with status {status} before its first batch")
    return float(marks[-1]) - start, usage.ru_maxrss / 1024


def main() -> None:
    if sys.argv[1:2] == ["--plain-child"]:
        plain_first_batch(Path(sys.argv[2]), int(sys.argv[3]))
        return
    args = arguments(__doc__, images=10000, batch_size=32, distinct=100)
    root = write_jpeg_copies(Path(args.data) / f"jpeg_copies_{args.images}_375", args.images, args.distinct)
    config = Path(args.data) / "first_batch.json"
    config.write_text(json.dumps(allencv_config(root, args.batch_size)))
    threads = {"OMP_NUM_THREADS": str(args.threads)}
    commands = {
        "torchvision ImageFolder": [sys.executable, "-m", "benchmarks.first_batch", "--plain-child", str(root),
                                    str(args.batch_size)],
        "allennlp train (allencv)": [sys.executable, "-m", "allennlp", "train", str(config), "--include-package",
                                     "allencv", "--include-package", "benchmarks.first_batch", "-s",
                                     str(Path(args.data) / "first_batch_run"), "-f"],
    }
    seconds: Dict[str, List[float]] = {name: [] for name in commands}
    peaks: Dict[str, List[float]] = {name: [] for name in commands}
    start_up: List[float] = []
    for _ in range(args.runs):
        for name, command in commands.items():
            elapsed, peak = timed(command, threads)
            seconds[name].append(elapsed)
            peaks[name].append(peak)
        started = time.time()
        subprocess.run([sys.executable, "-c", "import allennlp.commands"], check=True, env={**os.environ, **threads})
        start_up.append(time.time() - started)
    print(f"\nFirst training batch on {args.images} JPEGs (375-500 px), batch {args.batch_size}, resnet18, 0 workers")
    for name in commands:
        print(f"  {name:<26} {summary(seconds[name], 's')}   peak RSS {summary(peaks[name], 'MiB')}")
    print(f"  allennlp's own start-up    {summary(start_up, 's')}")
    plain, ours = (statistics.median(values) for values in seconds.values())
    plain_peak, our_peak = (statistics.median(values) for values in peaks.values())
    print(f"  allencv - torchvision: {ours - plain:.1f} s (allennlp start-up {statistics.median(start_up):.1f} s); "
          f"time ratio {ours / plain:.2f}, peak RSS ratio {our_peak / plain_peak:.2f}")


if __name__ == "__main__":
    main()
