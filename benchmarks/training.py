"""
Training images/s on the path users run, `allennlp train CONFIG -s DIR` with a shipped-style
config (AllenCV's reader, `torch` loader, `basic_image_classifier` with `pretrained_resnet`
resnet18, Adam, and the default checkpoint every epoch), against a plain torchvision loop
(`ImageFolder` + `DataLoader`, `torchvision.models.resnet18`, Adam, no checkpoints) in the same
run. The sides alternate, each run is a fresh process (`benchmarks.plain_training` for the plain
loop), and each side's second epoch is timed: for `allennlp train`, from its `metrics_epoch_N.json`
(the epoch and the checkpoint before it), for the plain loop, its wall time.

    python -m benchmarks.training --case compute  --workers 0,2 --runs 5   # resnet18, 224 px crops of 300-500 px JPEGs
    python -m benchmarks.training --case overhead --workers 0,2 --runs 5   # resnet18, 10 classes of 32 px PNGs

`--folder` times an image folder of your own (`<label>/<image>`, e.g. Fashion-MNIST's written by
`allencv.datasets.fashion_mnist`) in the overhead case. `--checkpointers 1` adds a third side, the
same `allennlp train` with allennlp's own `Checkpointer`, which writes on the training thread.
`--channels-last 1` and `--bf16 1` time those resnet18 options on both sides. `--compare PATH` adds
a side that runs `allennlp train` with the `allencv` package in the folder PATH, e.g. an older
commit's (`git archive COMMIT allencv | tar -x -C PATH`), for a paired before/after.
`--no-checkpoints 1` adds `allennlp train` without its checkpoint every epoch (a diagnostic: what
the checkpoint costs; allennlp's trainer still saves `best.th` after each epoch).
`--plain-kept-memory 1` adds the plain loop under the glibc malloc thresholds that `allennlp train`
gets from AllenCV (`allencv/training/memory_reuse.py`): what that setting is worth on its own.
`--plain-persistent-workers 1` adds the plain loop with `persistent_workers=True`, the `torch`
loader's default (torch's is a new fork of the process every epoch, see the loader's docstring).

Besides wall-clock images/s, each side reports images per CPU second over the same span (the
process's threads and its loader workers, ended or alive: `benchmarks.common.cpu_seconds`; for
`allennlp train` through the `epoch_cpu_time` callback below): on a machine that other jobs load,
CPU time changes much less than wall time. Run with `OMP_NUM_THREADS=1` to keep idle-spinning
intra-op threads out of it.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from allennlp.training.callbacks import TrainerCallback
from torchvision import datasets

from benchmarks.common import (
    IMAGENET_MEAN, IMAGENET_STD, REPO_ROOT, arguments, cpu_seconds, rate_after_first_epoch, report,
    write_digits_folder, write_jpeg_folder,
)

EPOCHS = 2
BENCHMARKS_PATH = Path(__file__).resolve().parent.parent  # where `benchmarks` is importable from
CPU_TIMES = "epoch_cpu_seconds.json"


@TrainerCallback.register("epoch_cpu_time")
class EpochCpuTime(TrainerCallback):
    """Appends `cpu_seconds()` at the end of each epoch (where allennlp takes `training_duration`) to a file."""

    def on_epoch(self, trainer, metrics, epoch, is_primary=True, **kwargs) -> None:
        path = Path(self.serialization_dir) / CPU_TIMES
        times = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(times + [cpu_seconds()]))


def allennlp_config(args, root: Path, workers: int, checkpointer: Optional[Dict] = None) -> Dict:
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
        trainer["checkpointer"] = checkpointer
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


def allennlp_side(args, root: Path, images: int, workers: int, checkpointer: Optional[Dict] = None,
                  allencv: Path = REPO_ROOT):
    config = Path(tempfile.mkdtemp(dir=args.data)) / "experiment.json"
    config.write_text(json.dumps(allennlp_config(args, root, workers, checkpointer), indent=2))

    # `allennlp` puts site-packages first on `sys.path` (where fairscale installs a `benchmarks`
    # package of its own) and `--include-package` then "." before it: so the run's working folder
    # holds the `allencv` to time and this checkout's `benchmarks` (the callback below).
    workdir = config.parent
    for package, folder in (("allencv", allencv), ("benchmarks", BENCHMARKS_PATH)):
        (workdir / package).symlink_to(folder.resolve() / package, target_is_directory=True)

    def run() -> Tuple[float, float]:
        serialization_dir = Path(tempfile.mkdtemp(dir=args.data)) / "run"
        finished = subprocess.run(
            [sys.executable, "-m", "allennlp", "train", str(config), "-s", str(serialization_dir),
             "--include-package", "allencv", "--include-package", "benchmarks.training"],
            cwd=workdir, env={**os.environ, "PYTHONPATH": str(workdir)}, capture_output=True, text=True,
        )
        if finished.returncode != 0:
            raise RuntimeError(f"allennlp train {config} failed:\n{finished.stderr[-3000:]}")
        cpu = json.loads((serialization_dir / CPU_TIMES).read_text())
        return rate_after_first_epoch(serialization_dir, images, EPOCHS), images * (EPOCHS - 1) / (cpu[-1] - cpu[0])

    return run


def plain_side(args, root: Path, workers: int, kept_memory: bool = False, persistent_workers: bool = False):
    """`benchmarks.plain_training` in a fresh process; with `kept_memory`, under AllenCV's malloc thresholds."""
    command = [sys.executable, "-m", "benchmarks.plain_training", "--folder", str(root), "--case", args.case,
               "--size", str(args.size), "--batch-size", str(args.batch_size), "--workers", str(workers),
               "--threads", str(args.threads), "--epochs", str(EPOCHS), "--channels-last", str(args.channels_last),
               "--bf16", str(args.bf16), "--persistent-workers", str(int(persistent_workers))]
    env = {**os.environ, "PYTHONPATH": str(BENCHMARKS_PATH)}
    if kept_memory:
        # Imported here: `allennlp train --include-package benchmarks.training` also imports this
        # module, next to a `--compare` allencv that may predate memory_reuse.
        from allencv.training.memory_reuse import MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES

        env.update(MALLOC_MMAP_THRESHOLD_=str(MMAP_THRESHOLD_BYTES), MALLOC_TRIM_THRESHOLD_=str(TRIM_THRESHOLD_BYTES))

    def run() -> Tuple[float, float]:
        finished = subprocess.run(command, env=env, capture_output=True, text=True)
        if finished.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{finished.stderr[-3000:]}")
        rates = json.loads(finished.stdout.strip().splitlines()[-1])
        return rates["images_per_second"], rates["images_per_cpu_second"]

    return run


def main() -> None:
    args = arguments(__doc__, case="compute", images=0, batch_size=0, size=224, workers="0,2", folder="",
                     checkpointers=0, no_checkpoints=0, channels_last=0, bf16=0, compare="", plain_kept_memory=0,
                     plain_persistent_workers=0)
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
            sides[f"allennlp train, {args.compare}"] = allennlp_side(
                args, root, images, workers, allencv=Path(args.compare).resolve())
        if args.checkpointers:
            sides["allennlp train, allennlp's Checkpointer"] = allennlp_side(
                args, root, images, workers, checkpointer={"type": "default"})
        if args.no_checkpoints:
            sides["allennlp train, no checkpoints"] = allennlp_side(
                args, root, images, workers, checkpointer={"type": "atomic", "save_completed_epochs": False})
        if args.plain_kept_memory:
            sides["plain loop, kept memory"] = plain_side(args, root, workers, kept_memory=True)
        if args.plain_persistent_workers and workers:
            sides["plain loop, persistent workers"] = plain_side(args, root, workers, persistent_workers=True)
        sides["plain torchvision loop"] = plain_side(args, root, workers)
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
